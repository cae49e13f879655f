// The HTTP server: binds, runs `config.eventLoops` event-loop threads over one listening socket, and
// stops gracefully: `shutdown()` stops accepting, closes idle connections, lets in-flight requests
// finish (up to `shutdownTimeout`), and then `run()`/`waitUntilStopped()` return so the caller can
// close its database. Signals are the caller's business (see `hilo serve`).
import Foundation
import Glibc
import Support

public final class Server: @unchecked Sendable {
    // `core` is immutable; everything under "guarded" is read and written only while holding `lock`.
    private let core: ServerCore
    private let lock = NSLock()
    // guarded:
    private var listenFD: Int32 = -1
    private var loops: [EventLoop] = []
    private var boundPort = 0
    private var started = false
    private var stopped = false
    private var shutdownRequested = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(config: ServerConfig, router: Router, logger: HTTPLogger = .standardOutput) {
        precondition(config.eventLoops >= 1, "eventLoops must be at least 1")
        precondition(config.maxConnections >= 1, "maxConnections must be at least 1")
        core = ServerCore(config: config, router: router, logger: logger)
    }

    public var config: ServerConfig { core.config }

    /// The bound port (useful with port 0); 0 before start().
    public var port: Int { lock.lock(); defer { lock.unlock() }; return boundPort }

    /// Connections open right now (served ones, not those being refused with 503).
    public var openConnections: Int { core.openConnections }

    /// "http://127.0.0.1:8080" or "http://[::1]:8080".
    public var url: String {
        let host = core.config.host.contains(":") && !core.config.host.hasPrefix("[") ? "[\(core.config.host)]" : core.config.host
        return "http://\(host):\(port)"
    }

    /// Binds the socket and starts the event loops; returns at once. Throws when the address cannot be bound.
    public func start() throws {
        lock.lock(); defer { lock.unlock() }
        precondition(!started, "a Server starts once")
        started = true
        let config = core.config
        Socket.raiseFileLimit(to: config.maxConnections + 256)
        let fd = try Socket.listen(host: config.host, port: config.port)
        listenFD = fd
        boundPort = Socket.localPort(fd)
        do {
            loops = try (0..<config.eventLoops).map { _ in try EventLoop(core: core, listenFD: fd) }
        } catch {
            Glibc.close(fd)
            throw error
        }
        core.loopsStarted(loops) { [weak self] in self?.loopsEnded() }
        for (i, loop) in loops.enumerated() {
            // Named from inside: on Linux a name set before start() does not reach the thread (ps, perf).
            let thread = Thread {
                ThreadName.setCurrent("http-loop-\(i)")
                loop.run()
            }
            thread.start()
        }
    }

    /// Starts (unless started) and returns once the server has shut down.
    public func run() async throws {
        if !isStarted { try start() }
        await waitUntilStopped()
    }

    private var isStarted: Bool { lock.lock(); defer { lock.unlock() }; return started }

    /// Begins a graceful shutdown; safe to call from any thread, more than once.
    public func shutdown() {
        lock.lock()
        let first = !shutdownRequested
        shutdownRequested = true
        let loops = self.loops
        let neverStarted = !started
        lock.unlock()
        guard first else { return }
        if neverStarted { loopsEnded(); return }
        for loop in loops { loop.execute { loop.beginShutdown() } }
    }

    /// Returns once every loop has stopped (after shutdown()).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if stopped { lock.unlock(); continuation.resume(); return }
            waiters.append(continuation)
            lock.unlock()
        }
    }

    private func loopsEnded() {
        lock.lock()
        stopped = true
        if listenFD >= 0 { Glibc.close(listenFD); listenFD = -1 }
        let waiting = waiters
        waiters = []
        lock.unlock()
        core.logger.flush() // every request is answered and logged by now: no access line stays behind
        for w in waiting { w.resume() }
    }
}
