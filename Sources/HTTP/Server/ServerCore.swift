// What all event loops of one server share: configuration, routes, logger, the connection count
// that enforces maxConnections, the turn that spreads new connections over the loops, and the
// bookkeeping that tells Server when every loop has stopped.
import Foundation

final class ServerCore: @unchecked Sendable {
    // `config`, `router`, `logger` and `temporaryDirectory` are immutable; the counters, `loops`,
    // `nextLoop` and `onStopped` are guarded by `lock`.
    let config: ServerConfig
    let router: Router
    let logger: HTTPLogger
    let temporaryDirectory: String
    /// config.securityHeaders in a fixed (sorted) order, so every response lists them the same way.
    let securityHeaders: [(name: String, value: String)]

    private let lock = NSLock()
    private var open = 0
    private var rejected = 0
    /// Open and refused connections per client address, for maxConnectionsPerAddress.
    private var byAddress: [String: Int] = [:]
    private var runningLoops = 0
    private var onStopped: (@Sendable () -> Void)?
    private var loops: [EventLoop] = []
    private var nextLoop = 0

    /// `reject` carries what the 503 says: the whole server is full, or this address has too many.
    enum Admission: Equatable { case serve, reject(String), drop }

    init(config: ServerConfig, router: Router, logger: HTTPLogger) {
        self.config = config
        self.router = router
        self.logger = logger
        self.temporaryDirectory = config.temporaryDirectory ?? NSTemporaryDirectory()
        self.securityHeaders = config.securityHeaders.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// Counts a new connection from `address`. Past maxConnections, or past maxConnectionsPerAddress
    /// for that address, a few more are accepted only to be answered 503 with Retry-After; past that
    /// they are closed at once. Every admitted connection is released once, with its admission.
    func admit(address: String) -> Admission {
        lock.lock(); defer { lock.unlock() }
        let fromAddress = byAddress[address, default: 0]
        let decision: Admission
        if fromAddress >= config.maxConnectionsPerAddress {
            decision = rejected < 64 ? .reject("too many connections from your address, retry later") : .drop
        } else if open < config.maxConnections {
            decision = .serve
        } else {
            decision = rejected < 64 ? .reject("server is at its connection limit, retry later") : .drop
        }
        switch decision {
        case .serve: open += 1
        case .reject: rejected += 1
        case .drop: return .drop
        }
        byAddress[address] = fromAddress + 1
        return decision
    }

    func release(address: String, rejected wasRejected: Bool) {
        lock.lock(); defer { lock.unlock() }
        if wasRejected { rejected -= 1 } else { open -= 1 }
        let left = byAddress[address, default: 1] - 1
        byAddress[address] = left > 0 ? left : nil
    }

    var openConnections: Int { lock.lock(); defer { lock.unlock() }; return open }

    func loopsStarted(_ loops: [EventLoop], onStopped: @escaping @Sendable () -> Void) {
        lock.lock(); defer { lock.unlock() }
        self.loops = loops
        runningLoops = loops.count
        self.onStopped = onStopped
    }

    /// The loop that serves the next accepted connection: each in turn, so connections spread evenly
    /// whichever loop the kernel woke to accept them. nil with a single loop (the accepting one keeps it).
    func loopForNextConnection() -> EventLoop? {
        lock.lock(); defer { lock.unlock() }
        guard loops.count > 1 else { return nil }
        nextLoop = (nextLoop + 1) % loops.count
        return loops[nextLoop]
    }

    func loopStopped() {
        lock.lock()
        runningLoops -= 1
        let done = runningLoops == 0 ? onStopped : nil
        if runningLoops == 0 { loops = [] } // the loops refer to this core: break the cycle
        lock.unlock()
        done?()
    }
}
