// One background thread of the loop (the retraining scheduler, the candidate generator, the campaign
// preparer): it runs a pass, sleeps until woken, stopped or its poll interval has passed, and runs the
// next. `stop()` returns only once the thread has ended, for every caller (also when two callers stop
// it at once), so nothing a pass touches — the database, OpenBLAS's threads — is still in use when
// `hilo serve` closes the database and the process exits. (OpenBLAS's exit handler joins its server
// threads; a BLAS call still running on another thread at that moment leaves one of them asleep for
// ever, and the process hangs, or the call touches freed buffers and crashes.)
//
//     let worker = BackgroundWorker(.init(name: "hilo-candidates", pollSeconds: 30))
//     worker.start { runOnce(); return nil }   // the pass; returns the seconds to sleep (nil: pollSeconds)
//     worker.wake()                            // a pass now, or right after the current one
//     worker.stop()                            // no new pass; waits for the thread to end
import Foundation
import Glibc
import Support

public final class BackgroundWorker: @unchecked Sendable {
    public struct Config: Sendable {
        /// The thread's name, for ps and gdb (Linux keeps the first 15 characters).
        public var name: String
        /// Seconds between passes when nobody wakes it (a pass may ask for another interval).
        public var pollSeconds: Double
        /// The nice value the thread lowers itself to, so the HTTP threads win the CPU (nil: unchanged).
        public var niceness: Int32? = 10
        /// The thread's stack in bytes (nil: the system's default); model code keeps large frames.
        public var stackSize: Int? = nil

        public init(name: String, pollSeconds: Double, niceness: Int32? = 10, stackSize: Int? = nil) {
            self.name = name; self.pollSeconds = pollSeconds; self.niceness = niceness; self.stackSize = stackSize
        }
    }

    public let config: Config
    /// `@unchecked Sendable`: everything below is read and written only while holding `condition`.
    private let condition = NSCondition()
    private var started = false
    private var stopping = false
    private var woken = false
    /// The thread to join; the first stop() takes it, later ones wait for `ended`.
    private var thread: pthread_t?
    private var ended = false

    public init(_ config: Config) { self.config = config }

    /// Starts the thread (once; not after stop()). `pass` runs on it, first at once and then after each
    /// wake-up or poll interval; it returns the seconds to sleep next (nil: `config.pollSeconds`).
    public func start(_ pass: @escaping @Sendable () -> Double?) {
        condition.lock(); defer { condition.unlock() }
        guard !started, !stopping else { return }
        started = true
        let body = Body { [self] in run(pass) }
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if let size = config.stackSize { pthread_attr_setstacksize(&attr, size) }
        var id = pthread_t()
        let context = Unmanaged.passRetained(body).toOpaque()
        let rc = pthread_create(&id, &attr, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
        precondition(rc == 0, "cannot start the \(config.name) thread: error \(rc)")
        thread = id
    }

    /// Asks for a pass now (or right after the one running).
    public func wake() {
        condition.lock(); woken = true; condition.broadcast(); condition.unlock()
    }

    /// Lets the current pass finish, runs no other, and returns once the thread has ended. Safe from
    /// any thread but the worker's own, more than once and at the same time; a no-op before start().
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        if let id = thread {
            thread = nil
            condition.unlock()
            pthread_join(id, nil)
            condition.lock()
            ended = true
            condition.broadcast()
        } else {
            while started && !ended { condition.wait() }
        }
        condition.unlock()
    }

    /// True once stop() was called: a long pass checks it between batches.
    public var isStopping: Bool { condition.lock(); defer { condition.unlock() }; return stopping }

    /// A wake-up arrived during the current pass (a pass may cut optional work short for the next one).
    public var hasPendingWake: Bool { condition.lock(); defer { condition.unlock() }; return woken }

    private func run(_ pass: () -> Double?) {
        ThreadName.setCurrent(config.name)   // the kernel's name too (gdb, top -H, perf)
        if let n = config.niceness { ThreadPriority.lowerCurrentThread(niceness: n) }
        while true {
            condition.lock()
            if stopping { condition.unlock(); return }
            woken = false
            condition.unlock()
            let seconds = pass() ?? config.pollSeconds
            condition.lock()
            let deadline = Date(timeIntervalSinceNow: seconds)
            while !woken && !stopping { if !condition.wait(until: deadline) { break } }
            condition.unlock()
        }
    }

    /// The closure handed to pthread_create (retained until the thread takes it).
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
}
