// How the application behaves, decided at start-up (`hilo serve` flags, tests): session and lease
// lengths, login throttling, the clock. Settings an admin edits at run time live in AppSettings.
import Foundation
import Store
import Support

public struct AppConfig: Sendable {
    /// How long a browser session lasts. Long, because annotators come back every day with the same
    /// bookmark; a disabled annotator loses every session at once anyway.
    public var sessionSeconds: Int = 30 * 24 * 3600
    /// The session cookie's name.
    public var cookieName: String = "hilo_session"
    /// Mark the cookie Secure (set when Hilo is served behind HTTPS).
    public var secureCookie: Bool = false
    /// Failed login attempts one address may make per window before 429: guessing a 256-bit token is
    /// hopeless, but this keeps a scanner from filling the log and the CPU.
    public var loginFailuresPerWindow: Int = 10
    /// The window (seconds) of the login limiter.
    public var loginWindowSeconds: Int = 60
    /// Where GET /login sends the browser after signing in (the UI).
    public var afterLoginPath: String = "/"
    /// Judgments committed together in one transaction at most (group commit: one fsync for many).
    public var maxWriteBatch: Int = 256
    /// The nice value of the database writer thread. It is the one serial stage every label passes
    /// through: while it waits for a CPU behind the HTTP threads (and the load generator, on a small
    /// machine), every queued submit waits too. Below zero needs CAP_SYS_NICE or an RLIMIT_NICE
    /// allowance (root, or systemd's LimitNICE=); without one the writer keeps the process's niceness.
    /// nil: leave it.
    public var writerNiceness: Int32? = -10
    /// Unix milliseconds now. Tests pass a controllable clock to check undo windows and leases.
    public var clock: MillisecondClock = currentTimeMs

    public init() {}
}
