// One client connection, driven by its event loop: read bytes, parse a head, pick the route, read the
// body (into memory or a temporary file) under the route's limit, run the handler off the loop, write
// the response, then either wait for the next request (keep-alive, pipelined bytes in order) or close.
// Deadlines for the head, the body, idle keep-alive and stalled writes are checked by the loop's sweep.
import Foundation
import Glibc

final class Connection: @unchecked Sendable {
    // Thread confinement: every property is used only on `loop`'s thread. Handler tasks and stream
    // producers reach a connection only through `loop.execute`, which runs their job on that thread.
    enum Phase { case head, body, handling, writing, lingering, closed }

    /// The request/response in progress.
    struct Exchange {
        var started: UInt64
        var method = "-"
        var path = "-"
        var route: String?
        var isHead = false
        var version = HTTPVersion.http1_1
        var request: Request?
        var handler: Handler?
        var bodyLimit = 0
        var bodyBytes: [UInt8] = []
        var bodyFile: (fd: Int32, path: String)?
        var bodyReceived = 0
        var remaining = 0
        var chunked: ChunkedDecoder?
        var status = 0
        var responseChunked = false
        var expectedLength: Int?
        var bodySent = 0
        var responseDone = false
        var logged = false
    }

    let fd: Int32
    let remoteAddress: String
    let loop: EventLoop
    /// Accepted past maxConnections or maxConnectionsPerAddress: the first request is answered 503
    /// with this message and the connection closed.
    let rejecting: String?
    var core: ServerCore { loop.core }

    var phase: Phase = .head
    var parser: RequestHeadParser
    var headStarted = false
    var input: [UInt8] = []
    var inputStart = 0
    var output: [UInt8] = []
    var outputStart = 0
    var interest: UInt32 = Epoll.readable | Epoll.readHangup
    var deadline: UInt64 = 0
    var keepAlive = true
    var peerClosed = false
    var closeAfterResponse = false
    var exchange: Exchange?
    var pendingWrite: CheckedContinuation<Void, any Error>?
    /// Set while advance() runs, so a response finished inside it (a 404 for a pipelined request) does
    /// not recurse into advance() again; the running loop picks up the next request instead.
    var advancing = false

    init(fd: Int32, remoteAddress: String, loop: EventLoop, rejecting: String?) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.loop = loop
        self.rejecting = rejecting
        self.parser = RequestHeadParser(limits: loop.core.config.limits)
    }

    /// A new connection has the head timeout to send its first request (idle keep-alive, the longer
    /// idle timeout, is for connections that have been served): sockets that never send a byte are
    /// closed as soon as a slow head would be.
    func start() { deadline = loop.now + seconds(core.config.headerTimeout) }

    func seconds(_ s: Double) -> UInt64 { UInt64(max(0, s) * 1e9) }

    // MARK: events

    func handle(events: UInt32) {
        if events & Epoll.error != 0 { close(); return }
        if events & Epoll.writable != 0 {
            flush()
            if phase == .closed { return }
        }
        if events & Epoll.hangup != 0 && (phase == .handling || phase == .writing) { close(); return }
        if events & (Epoll.readable | Epoll.readHangup | Epoll.hangup) != 0 { readable() }
    }

    private func readable() {
        let n = loop.scratch.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            close(); return
        }
        if n == 0 { peerClosed = true }
        if phase == .lingering {
            if n == 0 { close() }
            return
        }
        if n > 0 { input.append(contentsOf: loop.scratch[0..<n]) }
        advance()
        if peerClosed {
            switch phase {
            case .head, .body: close()
            case .handling, .writing: keepAlive = false; updateInterest()
            case .lingering, .closed: break
            }
        }
    }

    /// Parses and reads as far as the buffered bytes allow.
    func advance() {
        guard !advancing else { return }
        advancing = true
        defer { advancing = false }
        while true {
            switch phase {
            case .head:
                guard inputStart < input.count else {
                    input.removeAll(keepingCapacity: input.capacity <= 64 * 1024)
                    inputStart = 0
                    return
                }
                if !headStarted {
                    // Parsing works on the bytes from inputStart on; compact only now and then, so
                    // many small pipelined requests do not each move the rest of the buffer.
                    if inputStart >= 64 * 1024 { input.removeFirst(inputStart); inputStart = 0 }
                    headStarted = true
                    deadline = loop.now + seconds(core.config.headerTimeout)
                }
                let progress: RequestHeadParser.Progress
                do {
                    progress = try input.withUnsafeBufferPointer {
                        try parser.parse(UnsafeBufferPointer(rebasing: $0[inputStart...]))
                    }
                } catch let error as HTTPParseError {
                    fail(error.status, error.message)
                    return
                } catch {
                    preconditionFailure("the parser throws only HTTPParseError")
                }
                guard case .complete(let head, let consumed) = progress else { return }
                inputStart += consumed
                headStarted = false
                begin(head)
            case .body:
                guard receiveBody() else { return }
            case .handling, .writing, .lingering, .closed:
                return
            }
        }
    }

    // MARK: requests

    private func begin(_ head: RequestHead) {
        var ex = Exchange(started: loop.now)
        ex.method = head.method.rawValue
        ex.path = head.path
        ex.isHead = head.method == .head
        ex.version = head.version
        exchange = ex
        keepAlive = head.keepAlive && !closeAfterResponse && !loop.isShuttingDown
        if let rejecting {
            fail(.serviceUnavailable, rejecting,
                 headers: ["Retry-After": String(core.config.retryAfterSeconds)])
            return
        }
        var request: Request
        do {
            request = try Request(method: head.method, path: head.path, query: head.query, version: head.version,
                                  headers: head.headers, remoteAddress: remoteAddress)
        } catch {
            fail(error.status, error.message)
            return
        }
        let (match, handler) = core.router.lookup(head.method, request.pathSegments)
        switch match {
        case .notFound:
            if head.framing != .none { keepAlive = false }
            startResponse(HTTPError.notFound().response)
        case .methodNotAllowed(let allow):
            if head.framing != .none { keepAlive = false }
            startResponse(HTTPError.methodNotAllowed(allow: allow).response)
        case .found(let pattern, let options, let parameters, let wildcard):
            request.route = pattern
            request.parameters = parameters
            request.wildcard = wildcard
            exchange?.route = pattern
            exchange?.handler = handler
            exchange?.bodyLimit = options.maxBodyBytes
            switch head.framing {
            case .none:
                dispatch(request)
                return
            case .length(let n):
                guard n <= options.maxBodyBytes else {
                    fail(.contentTooLarge, "request body larger than \(options.maxBodyBytes) bytes")
                    return
                }
                exchange?.remaining = n
            case .chunked:
                exchange?.chunked = ChunkedDecoder(maxBodyBytes: options.maxBodyBytes,
                                                   maxMetadataBytes: core.config.limits.maxHeaderBytes)
            }
            // A request without a body runs its head check inside the handler; one with a body runs
            // it here, before 100 Continue and before any body byte is read or stored. A refusal is
            // answered by the handler, which runs the check again and throws its error through the
            // middleware; the unread body closes the connection.
            if let check = options.headCheck {
                do {
                    try check(&request)
                    request.headChecked = true
                } catch {
                    exchange?.remaining = 0
                    exchange?.chunked = nil
                    keepAlive = false
                    dispatch(request)
                    return
                }
            }
            if options.streamBodyToFile {
                guard let file = makeTemporaryFile() else {
                    fail(.internalServerError, "could not store the request body")
                    return
                }
                exchange?.bodyFile = file
            }
            exchange?.request = request
            if head.expectsContinue {
                output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
                flush()
            }
            phase = .body
            deadline = loop.now + seconds(core.config.bodyTimeout)
        }
    }

    /// Moves buffered body bytes into the body; true when the body is complete (and dispatched).
    private func receiveBody() -> Bool {
        guard var ex = exchange else { return false }
        let available = input.count - inputStart
        guard available > 0 else { return false }
        var failure: HTTPParseError?
        var writeFailed = false
        input.withUnsafeBufferPointer { all in
            let slice = UnsafeBufferPointer(rebasing: all[inputStart...])
            func sink(_ bytes: UnsafeBufferPointer<UInt8>) {
                ex.bodyReceived += bytes.count
                if let file = ex.bodyFile {
                    var done = 0
                    while done < bytes.count {
                        let n = Glibc.write(file.fd, bytes.baseAddress! + done, bytes.count - done)
                        if n <= 0 { if errno == EINTR { continue }; writeFailed = true; return }
                        done += n
                    }
                } else {
                    ex.bodyBytes.append(contentsOf: bytes)
                }
            }
            if var decoder = ex.chunked {
                // The decoder is a separate variable: the sink mutates `ex` while it runs.
                defer { ex.chunked = decoder }
                do {
                    inputStart += try decoder.decode(slice, sink: sink)
                } catch let error as HTTPParseError {
                    failure = error
                } catch {
                    preconditionFailure("the chunked decoder throws only HTTPParseError")
                }
            } else {
                let n = min(ex.remaining, available)
                sink(UnsafeBufferPointer(rebasing: slice[0..<n]))
                ex.remaining -= n
                inputStart += n
            }
        }
        exchange = ex
        if let failure {
            fail(failure.status, failure.message)
            return false
        }
        if writeFailed {
            fail(.internalServerError, "could not store the request body")
            return false
        }
        deadline = loop.now + seconds(core.config.bodyTimeout)
        let complete = ex.chunked.map(\.isDone) ?? (ex.remaining == 0)
        guard complete, var request = ex.request else { return false }
        if let file = ex.bodyFile {
            Glibc.close(file.fd)
            exchange?.bodyFile = (-1, file.path)
            request.body = .file(URL(fileURLWithPath: file.path), byteCount: ex.bodyReceived)
        } else {
            request.body = .bytes(Data(ex.bodyBytes))
            exchange?.bodyBytes = []
        }
        exchange?.request = nil
        dispatch(request)
        return true
    }

    /// Runs the route's middleware and handler on the concurrency pool; the result comes back to the loop.
    private func dispatch(_ request: Request) {
        guard let handler = exchange?.handler else { preconditionFailure("dispatch without a matched route") }
        phase = .handling
        deadline = 0
        updateInterest()
        let router = core.router
        let logger = core.logger
        let loop = self.loop
        let work: @Sendable () async -> Void = {
            let response = await router.respond(to: request, handler: handler) { error in
                logger.message("error: \(request.method) \(request.path): \(error)")
            }
            loop.execute { self.startResponse(response) }
        }
        if core.config.runHandlersOnEventLoop {
            Task(executorPreference: loop, operation: work)
        } else {
            Task(operation: work)
        }
    }

    private func makeTemporaryFile() -> (fd: Int32, path: String)? {
        var template = Array((core.temporaryDirectory + "/hilo-body-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return (fd, String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Answers with an error and closes the connection afterwards.
    func fail(_ status: HTTPStatus, _ message: String, headers: HTTPHeaders = HTTPHeaders()) {
        if exchange == nil { exchange = Exchange(started: loop.now) }
        keepAlive = false
        startResponse(HTTPError(status, message, headers: headers).response)
    }
}
