// One event-loop thread: an epoll set holding the listening socket (shared by all loops with
// EPOLLEXCLUSIVE) and this loop's connections, an eventfd for jobs posted from other threads (handler
// results, streamed chunks, connections handed over by another loop), and a periodic sweep that
// enforces every connection's deadline. Whichever loop accepts a connection hands it to the loops in
// turn (ServerCore.loopForNextConnection), so a burst of connects does not all land on one loop.
import Foundation
import Glibc

final class EventLoop: @unchecked Sendable {
    // Thread confinement: everything except `lock`, `jobs`, `stopped`, `sleeping` and `wakePosted` is
    // touched only on the loop's own thread (inside run()); those five are guarded by `lock`.
    let core: ServerCore
    let epoll: Epoll
    let wakeFD: Int32
    let listenFD: Int32
    var connections: [Int32: Connection] = [:]
    var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    private(set) var now: UInt64 = Socket.now()
    private var lastSweep: UInt64 = 0
    private let tickNs: UInt64
    private var shuttingDown = false
    private var shutdownDeadline: UInt64 = 0
    private var dateSecond: Int = -1
    private(set) var dateHeader = ""

    private let lock = NSLock()
    private var jobs: [@Sendable () -> Void] = []
    private var stopped = false
    /// The loop is in (or about to enter) epoll_wait with no job queued: a new job must wake it.
    /// While it runs, jobs need no wake-up (it drains them after every pass), which saves a write(2)
    /// to the eventfd, and the kernel's wake-up path, per handler result under load.
    private var sleeping = false
    /// The eventfd was written and not read yet: one pending wake-up is enough.
    private var wakePosted = false

    init(core: ServerCore, listenFD: Int32) throws {
        guard let epoll = Epoll(), let wake = Epoll.makeEventFD() else { throw Socket.Failure("epoll") }
        self.core = core
        self.epoll = epoll
        self.wakeFD = wake
        self.listenFD = listenFD
        let c = core.config
        let smallest = min(c.headerTimeout, c.bodyTimeout, c.idleTimeout, c.writeTimeout)
        // Deadlines are checked every tick: a quarter of the shortest timeout, between 10 and 250 ms.
        tickNs = UInt64(max(0.01, min(0.25, smallest / 4)) * 1e9)
        epoll.add(wake, Epoll.readable)
        epoll.add(listenFD, Epoll.readable | Epoll.exclusive)
    }

    /// Runs `job` on the loop thread (or right away if the loop has stopped: then every connection is
    /// closed and the job only observes that).
    func execute(_ job: @escaping @Sendable () -> Void) {
        lock.lock()
        if stopped { lock.unlock(); job(); return }
        jobs.append(job)
        let wake = sleeping && !wakePosted
        if wake { wakePosted = true }
        lock.unlock()
        if wake {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    func run() {
        var buffer = [UInt8](repeating: 0, count: 512 * Epoll.eventSize)
        while true {
            // Sleep only with no job queued; from here until epoll_wait returns, execute() wakes us.
            lock.lock()
            let idle = jobs.isEmpty
            sleeping = idle
            lock.unlock()
            let ready = epoll.wait(&buffer, timeoutMs: idle ? Int32(tickNs / 1_000_000) : 0)
            lock.lock()
            sleeping = false
            lock.unlock()
            now = Socket.now()
            for (fd, events) in ready {
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                    lock.lock()
                    wakePosted = false
                    lock.unlock()
                    runJobs()
                } else if fd == listenFD {
                    acceptConnections()
                } else if let connection = connections[fd] {
                    connection.handle(events: events)
                }
            }
            runJobs()
            if now &- lastSweep >= tickNs {
                lastSweep = now
                for connection in Array(connections.values) { connection.checkDeadline(now) }
            }
            if shuttingDown && (connections.isEmpty || now >= shutdownDeadline) { break }
        }
        for connection in Array(connections.values) { connection.close() }
        lock.lock()
        stopped = true
        let remaining = jobs
        jobs = []
        lock.unlock()
        for job in remaining { job() }
        epoll.close()
        Glibc.close(wakeFD)
        core.loopStopped()
    }

    /// Runs the jobs queued so far (not those they queue: the next pass does, without sleeping).
    private func runJobs() {
        lock.lock()
        let batch = jobs
        jobs.removeAll(keepingCapacity: true)
        lock.unlock()
        guard !batch.isEmpty else { return }
        now = Socket.now()
        for job in batch { job() }
    }

    private func acceptConnections() {
        while !shuttingDown, let (fd, address) = Socket.accept(listenFD) {
            let rejecting: String?
            switch core.admit(address: address) {
            case .drop: Glibc.close(fd); continue
            case .serve: rejecting = nil
            case .reject(let message): rejecting = message
            }
            let target = core.loopForNextConnection() ?? self
            if target === self {
                adopt(fd: fd, address: address, rejecting: rejecting)
            } else {
                target.execute { target.adopt(fd: fd, address: address, rejecting: rejecting) }
            }
        }
    }

    /// Starts serving an accepted socket on this loop. Runs on the loop's thread, or on another one
    /// once the loop has stopped (then the socket is closed at once, like every other connection).
    private func adopt(fd: Int32, address: String, rejecting: String?) {
        lock.lock()
        let hasStopped = stopped
        lock.unlock()
        if hasStopped || shuttingDown {
            Glibc.close(fd)
            core.release(address: address, rejected: rejecting != nil)
            return
        }
        let connection = Connection(fd: fd, remoteAddress: address, loop: self, rejecting: rejecting)
        connections[fd] = connection
        epoll.add(fd, Epoll.readable | Epoll.readHangup)
        connection.start()
    }

    /// Called by a connection once its fd is closed.
    func forget(_ connection: Connection) {
        connections[connection.fd] = nil
        core.release(address: connection.remoteAddress, rejected: connection.rejecting != nil)
    }

    /// Stops accepting, closes idle connections and lets the others finish their current request.
    func beginShutdown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        shutdownDeadline = now + UInt64(core.config.shutdownTimeout * 1e9)
        epoll.remove(listenFD)
        for connection in Array(connections.values) { connection.shutdownRequested() }
    }

    var isShuttingDown: Bool { shuttingDown }

    /// The Date header value (RFC 9110 §5.6.7), formatted once per second.
    func httpDate() -> String {
        var t = time(nil)
        if Int(t) != dateSecond {
            dateSecond = Int(t)
            var tm = tm()
            gmtime_r(&t, &tm)
            let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
            dateHeader = "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
                + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
        }
        return dateHeader
    }
}

/// With `ServerConfig.runHandlersOnEventLoop`, handler tasks prefer the loop as their executor: a handler
/// that does not suspend runs start to finish on the loop thread, with no hop to another thread and back.
extension EventLoop: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
