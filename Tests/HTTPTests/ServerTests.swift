// The server over real sockets on 127.0.0.1 (and ::1) with ephemeral ports and short timeouts:
// keep-alive, concurrent clients, pipelining, bodies, limits, timeouts, streaming and shutdown.
// Blocking clients run on their own threads so they never starve the pool that runs handlers.
import Foundation
import Glibc
import Support
import TestHelpers
import Testing
@testable import HTTP

/// Runs blocking client code on a fresh thread and returns its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}

func testRouter() -> Router {
    var r = Router()
    r.get("/hello") { _ in .text("hello") }
    r.get("/p/:n") { req in
        let n = Int(req.parameters["n"]!)!
        try await Task.sleep(for: .milliseconds(60 / n))   // later requests finish first unless kept in order
        return .text("p\(n)")
    }
    r.post("/echo", options: RouteOptions(maxBodyBytes: 64)) { req in
        Response(headers: ["Content-Type": "application/octet-stream"], body: .bytes(try req.body.data()))
    }
    r.post("/upload", options: .upload(maxBytes: 1 << 20)) { req in
        guard case .file(let url, let n) = req.body else { throw HTTPError.badRequest("body not in a file") }
        return .text("\(n) \(url.path) \(String(decoding: try Data(contentsOf: url).prefix(5), as: UTF8.self))")
    }
    r.get("/slow") { _ in
        try await Task.sleep(for: .milliseconds(400))
        return .text("finished")
    }
    r.get("/boom") { _ in throw CocoaError(.fileNoSuchFile) }
    r.get("/stream") { _ in
        Response(headers: ["Content-Type": "text/plain"], body: .stream(BodyStream { w in
            for i in 0..<3 { try await w.write(Data("part\(i);".utf8)) }
        }))
    }
    r.get("/big") { _ in
        let piece = Data(repeating: UInt8(ascii: "x"), count: 100_000)
        return Response(body: .stream(BodyStream(length: 3_000_000) { w in
            for _ in 0..<30 { try await w.write(piece) }
        }))
    }
    return r
}

func withServer(_ tweak: (inout ServerConfig) -> Void = { _ in }, router: Router = testRouter(),
                log: LockedBox<[AccessLogEntry]>? = nil,
                _ body: (Server) async throws -> Void) async throws {
    var config = ServerConfig(host: "127.0.0.1", port: 0)
    config.headerTimeout = 2
    config.bodyTimeout = 2
    config.idleTimeout = 5
    // In a parallel `swift test`, other suites' long synchronous tests (the engine's) hold the
    // concurrency pool's threads, as many as there are cores, for seconds at a time; handlers on the
    // pool would wait for them and the clients' receive timeouts would fire. On the event loop the
    // server needs no pool thread. The pool path, `hilo serve`'s default, has its own test below
    // (with a patient client) and the e2e suite drives it over real sockets.
    config.runHandlersOnEventLoop = true
    tweak(&config)
    let logger = HTTPLogger(message: { _ in }, access: { entry in log?.mutate { $0.append(entry) } })
    let server = Server(config: config, router: router, logger: logger)
    try server.start()
    do { try await body(server) } catch { server.shutdown(); await server.waitUntilStopped(); throw error }
    server.shutdown()
    await server.waitUntilStopped()
}

@Test func keepAliveServesSeveralRequestsOnOneConnectionWithSecurityHeaders() async throws {
    try await withServer { server in
        let port = server.port
        let responses = try await onThread {
            let c = try TestClient(port: port)
            return (0..<5).map { _ in c.get("/hello") }
        }
        #expect(responses.map { $0?.body } == Array(repeating: "hello", count: 5))
        let r = try #require(responses.last ?? nil)
        #expect(r.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'")
        #expect(r.headers["X-Content-Type-Options"] == "nosniff")
        #expect(r.headers["Referrer-Policy"] == "no-referrer")
        #expect(r.headers["Connection"] == nil)
        #expect(r.headers["Date"]?.hasSuffix(" GMT") == true)
    }
}

@Test func concurrentKeepAliveClientsAllGetTheirAnswers() async throws {
    try await withServer { server in
        let port = server.port
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await onThread {
                        let c = try TestClient(port: port)
                        return (0..<25).filter { _ in c.get("/hello")?.body == "hello" }.count
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts == Array(repeating: 25, count: 16))
    }
}

@Test func pipelinedRequestsAreAnsweredInOrder() async throws {
    try await withServer { server in
        let port = server.port
        let bodies = try await onThread {
            let c = try TestClient(port: port)
            c.send((1...3).map { "GET /p/\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined() + "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            return (0..<4).map { _ in c.readResponse()?.body }
        }
        #expect(bodies == ["p1", "p2", "p3", "hello"])
    }
}

@Test func malformedRequestGets400JSONAndTheConnectionCloses() async throws {
    try await withServer { server in
        let port = server.port
        let (response, closed) = try await onThread {
            let c = try TestClient(port: port)
            c.send("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")
            return (c.readResponse(), c.isClosedByServer())
        }
        #expect(response?.status == 400)
        #expect(response?.body == #"{"error":{"message":"more than one Content-Length header"}}"#)
        #expect(response?.headers["Connection"] == "close")
        #expect(closed)
    }
}

@Test func slowHeadersGet408AndClose() async throws {
    try await withServer({ $0.headerTimeout = 0.3 }) { server in
        let port = server.port
        let (response, closed) = try await onThread {
            let c = try TestClient(port: port)
            c.send("GET /hello HTTP/1.1\r\nHo")
            return (c.readResponse(), c.isClosedByServer())
        }
        #expect(response?.status == 408)
        #expect(closed)
    }
}

@Test func aConnectionThatNeverSendsAByteIsClosedAtTheHeadTimeoutNotTheIdleTimeout() async throws {
    // 4,096 such sockets used to hold every slot for the 60 s idle timeout.
    try await withServer({ $0.headerTimeout = 0.3; $0.idleTimeout = 600 }) { server in
        let port = server.port
        let (closed, openAfter) = try await onThread {
            let silent = try TestClient(port: port, timeout: 20)
            let closed = silent.isClosedByServer()   // false if the server held it for the 20 s receive timeout
            // The loop releases the slot right after closing the socket.
            return (closed, eventually { server.openConnections == 0 } ? 0 : server.openConnections)
        }
        #expect(closed)
        #expect(openAfter == 0)
    }
}

@Test func oneAddressFloodingConnectionsGets503WhileOtherAddressesAreServed() async throws {
    try await withServer({ $0.maxConnections = 64; $0.maxConnectionsPerAddress = 8; $0.headerTimeout = 30; $0.idleTimeout = 30 }) { server in
        let port = server.port
        let (flooded, refused, other, floodAgain) = try await onThread {
            let flood = try (0..<8).map { _ in try TestClient(port: port, source: "127.0.0.2") }
            eventually { server.openConnections == 8 }
            let flooded = server.openConnections
            let refused = try TestClient(port: port, source: "127.0.0.2").get("/hello")
            let other = try TestClient(port: port, source: "127.0.0.3").get("/hello")
            // One of the flood's sockets closes: that address may connect again.
            Glibc.shutdown(flood[0].fd, Int32(SHUT_RDWR))
            var again: Int?
            eventually {
                again = (try? TestClient(port: port, source: "127.0.0.2"))?.get("/hello")?.status
                return again == 200
            }
            return withExtendedLifetime(flood) { (flooded, refused, other, again) }
        }
        #expect(flooded == 8)
        #expect(refused?.status == 503)
        #expect(refused?.body.contains("too many connections from your address") == true)
        #expect(other?.status == 200, "another address is served while the first one is at its cap")
        #expect(floodAgain == 200)
    }
}

@Test func slowBodyGets408() async throws {
    try await withServer({ $0.bodyTimeout = 0.3 }) { server in
        let port = server.port
        let response = try await onThread {
            let c = try TestClient(port: port)
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
            return c.readResponse()
        }
        #expect(response?.status == 408)
    }
}

@Test func idleKeepAliveConnectionIsClosedAfterIdleTimeout() async throws {
    try await withServer({ $0.idleTimeout = 0.3 }) { server in
        let port = server.port
        let (first, closed, openAfter) = try await onThread {
            let c = try TestClient(port: port)
            let first = c.get("/hello")
            let closed = c.isClosedByServer()
            eventually { server.openConnections == 0 }   // the server forgets it right after closing
            return (first, closed, server.openConnections)
        }
        #expect(first?.status == 200)
        #expect(closed)
        #expect(openAfter == 0)
    }
}

@Test func bodiesByLengthAndChunkedAreReadAndLimitsGive413() async throws {
    try await withServer { server in
        let port = server.port
        let (plain, chunked, tooLarge, closedAfter413, chunkedTooLarge) = try await onThread {
            let c = try TestClient(port: port)
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
            let plain = c.readResponse()
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            let chunked = c.readResponse()
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n\r\n")
            let tooLarge = c.readResponse()
            let closed = c.isClosedByServer()
            let d = try TestClient(port: port)
            d.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n" + String(repeating: "a", count: 65) + "\r\n")
            return (plain, chunked, tooLarge, closed, d.readResponse())
        }
        #expect(plain?.body == "hello")
        #expect(chunked?.body == "abcde")
        #expect(tooLarge?.status == 413)
        #expect(closedAfter413)
        #expect(chunkedTooLarge?.status == 413)
    }
}

@Test func uploadRouteStreamsBodyToATemporaryFileThatIsRemovedAfterwards() async throws {
    try await withServer { server in
        let port = server.port
        let payload = String(repeating: "0123456789", count: 50_000)   // 500 kB
        let response = try await onThread {
            let c = try TestClient(port: port)
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(payload.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            c.send(payload)
            return c.readResponse()
        }
        let parts = try #require(response?.body.split(separator: " "))
        #expect(parts.count == 3)
        #expect(parts[0] == "500000")
        #expect(parts[2] == "01234")
        try await eventually { !FileManager.default.fileExists(atPath: String(parts[1])) }   // removed after the reply
        #expect(!FileManager.default.fileExists(atPath: String(parts[1])))
    }
}

@Test func anUploadRefusedByItsHeadCheckGetsNo100ContinueAndNoBodyIsStored() async throws {
    // The finding: unauthenticated uploads were streamed to a temporary file (up to the route's
    // limit) after 100 Continue, and only then refused by the handler's middleware.
    let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-headcheck-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: temporary) }
    let handled = LockedBox(0)
    var router = Router()
    let check: HeadCheck = { request in
        guard request.headers["Authorization"] == "Bearer yes" else { throw HTTPError.unauthorized() }
        request.context[UserKey.self] = "checked"
    }
    router.post("/upload", options: RouteOptions(maxBodyBytes: 1 << 20, streamBodyToFile: true, headCheck: check)) { req in
        handled.mutate { $0 += 1 }
        guard case .file(_, let n) = req.body else { throw HTTPError.badRequest("body not in a file") }
        return .text("\(n) \(req.context[UserKey.self] ?? "none")")
    }
    try await withServer({ $0.temporaryDirectory = temporary.path }, router: router) { server in
        let port = server.port
        let (reply, closed, filesDuringRefusal, allowed) = try await onThread {
            let c = try TestClient(port: port)
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 500000\r\nExpect: 100-continue\r\n\r\n")
            // Everything the server sends until it closes (the receive timeout bounds a failure).
            var reply: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096), closed = false
            while true {
                let n = recv(c.fd, &chunk, chunk.count, 0)
                if n > 0 { reply += chunk[0..<n] } else { closed = n == 0 || errno == ECONNRESET; break }
            }
            let files = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
            let ok = try TestClient(port: port)
            ok.send("POST /upload HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer yes\r\nContent-Length: 3\r\n\r\nabc")
            return (String(decoding: reply, as: UTF8.self), closed, files, ok.readResponse())
        }
        #expect(reply.hasPrefix("HTTP/1.1 401"), "the first bytes are the refusal: \(reply.prefix(40))")
        #expect(!reply.contains("100 Continue"))
        #expect(closed, "the connection closes: the unread body is never taken as the next request")
        #expect(filesDuringRefusal.isEmpty, "no temporary file for a refused upload")
        #expect(allowed?.status == 200)
        #expect(allowed?.body == "3 checked", "what the head check puts in the context reaches the handler")
        #expect(handled.value == 1, "the handler ran for the allowed upload only")
    }
}

@Test func expectContinueGetsInterim100BeforeTheBodyIsSent() async throws {
    try await withServer { server in
        let port = server.port
        let (interim, final) = try await onThread {
            let c = try TestClient(port: port)
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            var line = [UInt8](repeating: 0, count: 25)
            let n = recv(c.fd, &line, 25, Int32(MSG_WAITALL))
            c.send("ok")
            return (String(decoding: line[0..<max(0, n)], as: UTF8.self), c.readResponse())
        }
        #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(final?.body == "ok")
    }
}

@Test func streamedBodiesAreChunkedOrLengthFramedAndHeadSendsNoBody() async throws {
    try await withServer { server in
        let port = server.port
        let (stream, big, head, after) = try await onThread {
            let c = try TestClient(port: port)
            let stream = c.get("/stream")
            let big = c.get("/big")
            c.send("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = c.readResponse(head: true)
            return (stream, big, head, c.get("/hello"))
        }
        #expect(stream?.headers["Transfer-Encoding"] == "chunked")
        #expect(stream?.body == "part0;part1;part2;")
        #expect(big?.headers["Content-Length"] == "3000000")
        #expect(big?.body.utf8.count == 3_000_000)
        #expect(head?.status == 200)
        #expect(after?.body == "hello")   // the HEAD response carried no body bytes
    }
}

@Test func handlerErrorIsA500AndTheAccessLogHasNoQueryString() async throws {
    let log = LockedBox<[AccessLogEntry]>([])
    try await withServer(log: log) { server in
        let port = server.port
        let response = try await onThread {
            let c = try TestClient(port: port)
            _ = c.get("/hello?token=SECRET", extra: "Cookie: sid=SECRET\r\n")
            return c.get("/boom")
        }
        #expect(response?.status == 500)
        #expect(response?.body == #"{"error":{"message":"internal server error"}}"#)
    }
    let lines = log.value.map(\.line)
    #expect(lines.count == 2)
    #expect(lines.first?.hasPrefix("GET /hello 200 5B ") == true)
    #expect(!lines.joined().contains("SECRET"))
    #expect(log.value.last?.route == "/boom")
}

@Test func connectionsPastTheLimitGet503WithRetryAfter() async throws {
    try await withServer({ $0.maxConnections = 2; $0.retryAfterSeconds = 7 }) { server in
        let port = server.port
        let (held, refused, closed, afterRelease) = try await onThread {
            let a = try TestClient(port: port), b = try TestClient(port: port)
            let held = [a.get("/hello")?.status, b.get("/hello")?.status]
            let c = try TestClient(port: port)
            let refused = c.get("/hello")
            let closed = c.isClosedByServer()
            var after: Int?
            withExtendedLifetime(b) {
                Glibc.shutdown(a.fd, Int32(SHUT_RDWR))
                eventually(every: 0.02) {
                    after = (try? TestClient(port: port))?.get("/hello")?.status
                    return after == 200
                }
            }
            return (held, refused, closed, after)
        }
        #expect(held == [200, 200])
        #expect(refused?.status == 503)
        #expect(refused?.headers["Retry-After"] == "7")
        #expect(closed)
        #expect(afterRelease == 200)
    }
}

@Test func shutdownFinishesTheInFlightRequestThenStopsAccepting() async throws {
    var config = ServerConfig(host: "127.0.0.1", port: 0)
    config.shutdownTimeout = 30  // the in-flight handler may wait seconds for a pool thread when suites run in parallel
    let started = DispatchSemaphore(value: 0)
    var router = Router()
    router.get("/slow") { _ in
        started.signal()
        try await Task.sleep(for: .milliseconds(300))
        return .text("finished")
    }
    let server = Server(config: config, router: router, logger: .discard)
    try server.start()
    let port = server.port
    let (response, idleClosed) = try await onThread { () -> (ClientResponse?, Bool) in
        let busy = try TestClient(port: port)
        let idle = try TestClient(port: port)
        busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        // Shut down whatever happens: without it waitUntilStopped below would wait for ever (a busy
        // machine running the suite in parallel can keep the handler from starting for seconds).
        guard started.wait(timeout: .now() + 30) == .success else { server.shutdown(); return (nil, false) }
        server.shutdown()
        return (busy.readResponse(), idle.isClosedByServer())
    }
    await server.waitUntilStopped()
    #expect(idleClosed)   // idle keep-alive connections are closed at once
    #expect(response?.status == 200)
    #expect(response?.body == "finished")
    #expect(response?.headers["Connection"] == "close")
    #expect(throws: (any Error).self) { try TestClient(port: port) }
}

@Test func serverListensOnIPv6Loopback() async throws {
    try await withServer({ $0.host = "::1" }) { server in
        let port = server.port
        #expect(server.url == "http://[::1]:\(port)")
        let r = try await onThread { try TestClient(port: port, host: "::1").get("/hello") }
        #expect(r?.body == "hello")
    }
}

@Test func bindingAnAddressInUseThrows() async throws {
    try await withServer { server in
        let other = Server(config: ServerConfig(host: "127.0.0.1", port: server.port), router: Router(), logger: .discard)
        #expect(throws: (any Error).self) { try other.start() }
    }
}

@Test func handlersOnTheConcurrencyPoolServeConcurrentClientsStreamsAndSleeps() async throws {
    try await withServer({ $0.runHandlersOnEventLoop = false }) { server in
        let port = server.port
        let results = try await withThrowingTaskGroup(of: [String?].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await onThread {
                        let c = try TestClient(port: port, timeout: 120)   // the pool may be busy with other suites
                        return [c.get("/hello")?.body, c.get("/stream")?.body, c.get("/p/2")?.body]
                    }
                }
            }
            return try await group.reduce(into: [[String?]]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: ["hello", "part0;part1;part2;", "p2"], count: 4))
    }
}

@Test func tricklingHeadersCannotExtendTheHeaderDeadline() async throws {
    try await withServer({ $0.headerTimeout = 0.5 }) { server in
        let port = server.port
        // A byte every 50 ms: the whole head would take 12.5 s, 25 times the header deadline, so a
        // server that let each byte extend the deadline holds the connection far past the budget below,
        // while a loaded machine's scheduling delays stay well within it.
        let head = Array(("GET /hello HTTP/1.1\r\nX-Slow: " + String(repeating: "a", count: 220)).utf8)
        let (response, elapsed, sent) = try await onThread { () -> (ClientResponse?, Double, Int) in
            let c = try TestClient(port: port)
            let start = Date()
            var sent = 0
            for byte in head {
                c.send([byte])
                sent += 1
                usleep(50_000)
                var pfd = pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)
                if poll(&pfd, 1, 0) > 0 { break }   // the server has answered
            }
            return (c.readResponse(), Date().timeIntervalSince(start), sent)
        }
        #expect(response?.status == 408)
        #expect(sent < head.count, "the server answered before the head was complete")
        #expect(elapsed < 8, "the connection was held for \(elapsed) s")
    }
}

@Test func oversizedHeadersOverTheSocketGet431() async throws {
    try await withServer({ $0.limits.maxHeaderBytes = 256 }) { server in
        let port = server.port
        let response = try await onThread {
            try TestClient(port: port).get("/hello", extra: "X-Big: " + String(repeating: "b", count: 300) + "\r\n")
        }
        #expect(response?.status == 431)
    }
}

@Test func thousandsOfPipelinedRequestsAnsweredInlineDoNotExhaustTheStack() async throws {
    try await withServer { server in
        let port = server.port
        let statuses = try await onThread { () -> [Int] in
            let c = try TestClient(port: port)
            c.send(String(repeating: "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", count: 3000) + "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            return (0..<3001).compactMap { _ in c.readResponse()?.status }
        }
        #expect(statuses.count == 3001)
        #expect(statuses.filter { $0 == 404 }.count == 3000)
        #expect(statuses.last == 200)
    }
}

@Test func twoEventLoopsShareTheConnectionsAndServeConcurrentKeepAliveClients() async throws {
    var router = testRouter()
    router.get("/loop") { _ in .text(currentThreadName()) }   // handlers on the loop: its thread's name
    try await withServer({ $0.eventLoops = 2; $0.runHandlersOnEventLoop = true }, router: router) { server in
        let port = server.port
        let answers = try await onThread { () throws -> [String?] in
            let clients = try (0..<8).map { _ in try TestClient(port: port) }
            return (0..<3).flatMap { _ in clients.map { $0.get("/loop")?.body } }
        }
        #expect(answers.count == 24)
        #expect(Set(answers) == ["http-loop-0", "http-loop-1"], "connections spread over both loops: \(answers)")
    }
}

/// The calling thread's kernel name (set by Server for its loops), callable from async code.
func currentThreadName() -> String { ThreadName.current }
