// What all event loops of one server share: configuration, routes, logger, the connection count
// that enforces maxConnections, and the bookkeeping that tells Server when every loop has stopped.
import Foundation

final class ServerCore: @unchecked Sendable {
    // `config`, `router`, `logger` and `temporaryDirectory` are immutable; the counters and
    // `onStopped` are guarded by `lock`.
    let config: ServerConfig
    let router: Router
    let logger: HTTPLogger
    let temporaryDirectory: String
    /// config.securityHeaders in a fixed (sorted) order, so every response lists them the same way.
    let securityHeaders: [(name: String, value: String)]

    private let lock = NSLock()
    private var open = 0
    private var rejected = 0
    private var runningLoops = 0
    private var onStopped: (@Sendable () -> Void)?

    enum Admission { case serve, reject, drop }

    init(config: ServerConfig, router: Router, logger: HTTPLogger) {
        self.config = config
        self.router = router
        self.logger = logger
        self.temporaryDirectory = config.temporaryDirectory ?? NSTemporaryDirectory()
        self.securityHeaders = config.securityHeaders.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// Counts a new connection. Past maxConnections a few more are accepted only to be answered 503
    /// with Retry-After; past that they are closed at once.
    func admit() -> Admission {
        lock.lock(); defer { lock.unlock() }
        if open < config.maxConnections { open += 1; return .serve }
        if rejected < 64 { rejected += 1; return .reject }
        return .drop
    }

    func release(rejected wasRejected: Bool) {
        lock.lock(); defer { lock.unlock() }
        if wasRejected { rejected -= 1 } else { open -= 1 }
    }

    var openConnections: Int { lock.lock(); defer { lock.unlock() }; return open }

    func loopsStarted(_ n: Int, onStopped: @escaping @Sendable () -> Void) {
        lock.lock(); defer { lock.unlock() }
        runningLoops = n
        self.onStopped = onStopped
    }

    func loopStopped() {
        lock.lock()
        runningLoops -= 1
        let done = runningLoops == 0 ? onStopped : nil
        lock.unlock()
        done?()
    }
}
