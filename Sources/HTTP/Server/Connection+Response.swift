// Writing responses on a connection: the head with framing, Date, Connection and security headers;
// byte bodies at once, streamed bodies with backpressure; then keep-alive or a lingering close (stop
// writing, drain what the client still sends, then close, so it sees the response and not a reset).
import Foundation
import Glibc

struct ConnectionClosedError: Error, CustomStringConvertible {
    var description: String { "the client closed the connection" }
}

extension Connection {
    func startResponse(_ response: Response) {
        guard phase != .closed, var ex = exchange else {
            removeTemporaryFile()
            return
        }
        phase = .writing
        deadline = 0
        ex.status = response.status.code
        let noBody = ex.isHead || response.status.forbidsBody
        var framing = ""
        var stream: BodyStream?
        switch response.body {
        case .empty:
            framing = response.status.forbidsBody ? "" : "Content-Length: 0\r\n"
        case .bytes(let data):
            framing = response.status.forbidsBody ? "" : "Content-Length: \(data.count)\r\n"
        case .stream(let s):
            if let length = s.length {
                framing = response.status.forbidsBody ? "" : "Content-Length: \(length)\r\n"
                ex.expectedLength = length
            } else if ex.version == .http1_1 {
                framing = noBody ? "" : "Transfer-Encoding: chunked\r\n"
                ex.responseChunked = true
            } else {
                keepAlive = false  // HTTP/1.0 without a length: the body ends when the connection closes
            }
            if !noBody { stream = s }
        }
        writeHead(response, framing: framing)
        if !noBody, case .bytes(let data) = response.body {
            output.append(contentsOf: data)
            ex.bodySent = data.count
        }
        ex.responseDone = stream == nil
        exchange = ex
        if let stream { startStream(stream) }
        flush()
    }

    private func writeHead(_ response: Response, framing: String) {
        var head = "HTTP/1.1 \(response.status.code) \(response.status.reason)\r\n"
        for (name, value) in response.headers {
            // Framing is the server's business, and a name that is not a token cannot be written safely.
            guard HTTPGrammar.isToken(name), !asciiCaseInsensitiveEqual(name, "Content-Length"),
                  !asciiCaseInsensitiveEqual(name, "Transfer-Encoding"),
                  !asciiCaseInsensitiveEqual(name, "Connection") else { continue }
            head += name + ": " + Self.sanitized(value) + "\r\n"
        }
        for (name, value) in core.securityHeaders where !response.headers.contains(name) {
            head += name + ": " + value + "\r\n"
        }
        head += "Date: " + loop.httpDate() + "\r\n" + framing
        if !keepAlive {
            head += "Connection: close\r\n"
        } else if exchange?.version == .http1_0 {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        output.append(contentsOf: head.utf8)
    }

    /// Header values from handlers may hold user text: controls become spaces, so no CR/LF injection.
    static func sanitized(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) else { return value }
        return String(decoding: value.utf8.map { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Writes as much output as the socket takes; on completion resumes a waiting producer or ends the exchange.
    func flush() {
        while outputStart < output.count {
            let n = output.withUnsafeBytes {
                send(fd, $0.baseAddress! + outputStart, $0.count - outputStart, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                outputStart += n
                if phase == .writing { deadline = loop.now + seconds(core.config.writeTimeout) }
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && errno == EAGAIN {
                if deadline == 0 { deadline = loop.now + seconds(core.config.writeTimeout) }
                updateInterest()
                if output.count - outputStart < 256 * 1024, let waiting = pendingWrite {
                    pendingWrite = nil
                    waiting.resume()
                }
                return
            } else {
                close()
                return
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        outputStart = 0
        guard phase == .writing else { updateInterest(); return }
        deadline = 0
        if let waiting = pendingWrite {
            pendingWrite = nil
            waiting.resume()
        }
        if exchange?.responseDone == true { finishExchange() } else { updateInterest() }
    }

    func updateInterest() {
        guard phase != .closed else { return }
        var wanted: UInt32 = 0
        switch phase {
        case .head, .body, .lingering: wanted = peerClosed ? 0 : Epoll.readable | Epoll.readHangup
        case .handling, .writing, .closed: wanted = 0
        }
        if outputStart < output.count { wanted |= Epoll.writable }
        if wanted != interest {
            interest = wanted
            loop.epoll.modify(fd, wanted)
        }
    }

    private func finishExchange() {
        logExchange()
        removeTemporaryFile()
        exchange = nil
        if keepAlive && !peerClosed && !loop.isShuttingDown {
            phase = .head
            deadline = loop.now + seconds(core.config.idleTimeout)
            updateInterest()
            advance()
        } else {
            lingerClose()
        }
    }

    func logExchange() {
        guard var ex = exchange, !ex.logged, ex.status != 0 else { return }
        ex.logged = true
        exchange = ex
        core.logger.access(AccessLogEntry(method: ex.method, path: ex.path, route: ex.route, status: ex.status,
                                          bytes: ex.bodySent, duration: Double(Socket.now() &- ex.started) / 1e9))
    }

    func removeTemporaryFile() {
        guard let file = exchange?.bodyFile else { return }
        if file.fd >= 0 { Glibc.close(file.fd) }
        unlink(file.path)
        exchange?.bodyFile = nil
    }

    private func lingerClose() {
        phase = .lingering
        shutdown(fd, Int32(SHUT_WR))
        input = []
        inputStart = 0
        deadline = loop.now + seconds(min(2, core.config.idleTimeout))
        updateInterest()
        if peerClosed { close() }
    }

    func close() {
        guard phase != .closed else { return }
        let wasHandling = phase == .handling
        phase = .closed
        Glibc.close(fd)
        if let waiting = pendingWrite {
            pendingWrite = nil
            waiting.resume(throwing: ConnectionClosedError())
        }
        logExchange()
        // A running handler may still read its body file; startResponse removes it when it returns.
        if !wasHandling { removeTemporaryFile() }
        loop.forget(self)
    }

    func checkDeadline(_ now: UInt64) {
        guard deadline != 0, now >= deadline else { return }
        switch phase {
        case .head:
            if headStarted { fail(.requestTimeout, "request head not received in time") } else { close() }
        case .body:
            fail(.requestTimeout, "request body not received in time")
        case .writing, .lingering:
            close()
        case .handling, .closed:
            break
        }
    }

    /// Server shutdown: idle connections close now, busy ones after their current response.
    func shutdownRequested() {
        closeAfterResponse = true
        keepAlive = false
        if phase == .head && !headStarted { close() }
    }

    // MARK: streamed bodies

    private func startStream(_ stream: BodyStream) {
        let writer = ConnectionBodyWriter(connection: self)
        let loop = self.loop
        Task {
            do {
                try await stream.produce(writer)
                loop.execute { self.streamFinished(nil) }
            } catch {
                loop.execute { self.streamFinished(error) }
            }
        }
    }

    func streamWrite(_ data: Data, _ continuation: CheckedContinuation<Void, any Error>) {
        guard phase == .writing, var ex = exchange, !ex.responseDone else {
            continuation.resume(throwing: ConnectionClosedError())
            return
        }
        if let length = ex.expectedLength, ex.bodySent + data.count > length {
            continuation.resume(throwing: HTTPError(.internalServerError, "stream wrote more than its length"))
            core.logger.message("error: \(ex.method) \(ex.path): streamed body longer than its Content-Length")
            close()
            return
        }
        if ex.responseChunked {
            output.append(contentsOf: (String(data.count, radix: 16) + "\r\n").utf8)
            output.append(contentsOf: data)
            output.append(contentsOf: "\r\n".utf8)
        } else {
            output.append(contentsOf: data)
        }
        ex.bodySent += data.count
        exchange = ex
        pendingWrite = continuation
        flush()
    }

    private func streamFinished(_ error: (any Error)?) {
        guard phase == .writing, var ex = exchange, !ex.responseDone else { return }
        if let error {
            if !(error is ConnectionClosedError) {
                core.logger.message("error: \(ex.method) \(ex.path): streamed body failed: \(error)")
            }
            close()
            return
        }
        if let length = ex.expectedLength, ex.bodySent != length {
            core.logger.message("error: \(ex.method) \(ex.path): streamed \(ex.bodySent) of \(length) bytes")
            close()
            return
        }
        if ex.responseChunked { output.append(contentsOf: "0\r\n\r\n".utf8) }
        ex.responseDone = true
        exchange = ex
        flush()
    }
}

/// The writer a stream producer gets: each write hops to the loop and returns once the bytes are
/// queued below the high-water mark, or throws when the client has gone.
final class ConnectionBodyWriter: BodyWriter, @unchecked Sendable {
    // Holds only an immutable reference; the connection is used only inside loop.execute.
    let connection: Connection

    init(connection: Connection) { self.connection = connection }

    func write(_ data: Data) async throws {
        guard !data.isEmpty else { return }
        let connection = self.connection
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            connection.loop.execute { connection.streamWrite(data, continuation) }
        }
    }
}
