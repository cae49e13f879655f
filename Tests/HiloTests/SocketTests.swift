// The app behind the real server over TCP: a login link, the cookie, keep-alive annotation, the body
// limit, and several annotators labelling at once on their own connections.
import Foundation
import Glibc
import Support
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

/// A blocking keep-alive HTTP/1.1 client for one connection (enough for JSON and Content-Length).
final class WireClient {
    let fd: Int32
    let port: Int
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        self.port = port
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw HTTPError(.internalServerError, "connect failed") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Sends a request and reads the response: (status, headers lowercased, body).
    func request(_ method: String, _ target: String, cookie: String? = nil, json: String? = nil,
                 extra: [String] = []) -> (status: Int, headers: [String: String], body: String)? {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if let cookie { head += "Cookie: hilo_session=\(cookie)\r\n" }
        if method != "GET" { head += "Origin: http://127.0.0.1:\(port)\r\n" }
        for e in extra { head += e + "\r\n" }
        let body = Array((json ?? "").utf8)
        if json != nil { head += "Content-Type: application/json\r\n" }
        if json != nil || method != "GET" { head += "Content-Length: \(body.count)\r\n" }
        send(Array((head + "\r\n").utf8) + body)
        return readResponse()
    }

    func readResponse() -> (status: Int, headers: [String: String], body: String)? {
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        var end: Int? = nil
        while end == nil {
            if let r = (0..<max(0, buffer.count - 3)).first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10 }) { end = r; break }
            guard fill() else { return nil }
        }
        let lines = String(decoding: buffer[0..<end!], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        buffer.removeFirst(end! + 4)
        while buffer.count < length { guard fill() else { return nil } }
        let body = String(decoding: buffer[0..<length], as: UTF8.self)
        buffer.removeFirst(length)
        return (status, headers, body)
    }
}

func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in Thread { c.resume(with: Result { try body() }) }.start() }
}

func withAppServer(_ t: TestApp, _ body: (Int) async throws -> Void) async throws {
    var config = ServerConfig(host: "127.0.0.1", port: 0)
    config.runHandlersOnEventLoop = true   // the blocking WireClients hold pool threads (see HTTPTests' withServer)
    let server = Server(config: config, router: t.router, logger: .discard)
    try server.start()
    do { try await body(server.port) } catch { server.shutdown(); await server.waitUntilStopped(); throw error }
    server.shutdown()
    await server.waitUntilStopped()
}

func json(_ s: String) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(s.utf8))) as? [String: Any] ?? [:] }

@Test func overRealSocketsALoginLinkGivesACookieThatLabelsOnOneKeepAliveConnection() async throws {
    let t = try TestApp { $0.clock = { currentTimeMs() } }
    try t.seedPrompts(3)
    let link = try #require(try t.app.bootstrap(baseURL: "http://x"))
    let token = String(link.split(separator: "=")[1])
    try await withAppServer(t) { port in
        let results = try await onThread { () throws -> [Int] in
            let c = try WireClient(port: port)
            guard let login = c.request("GET", "/login?token=\(token)"), let setCookie = login.headers["set-cookie"] else { return [-1] }
            let cookie = String(setCookie.split(separator: ";")[0].dropFirst("hilo_session=".count))
            var statuses = [login.status]
            for i in 0..<3 {
                guard let next = c.request("GET", "/api/v1/leases/next", cookie: cookie) else { return statuses + [-2] }
                statuses.append(next.status)
                let task = json(next.body)["lease"] as! [String: Any]
                let lease = task["id"] as! Int
                let ids = (task["responses"] as! [[String: Any]]).map { $0["id"] as! Int }
                let body = #"{"lease_id":\#(lease),"kind":"pairwise","idempotency_key":"w\#(i)","ranks":[{"response_id":\#(ids[0]),"rank":1},{"response_id":\#(ids[1]),"rank":2}]}"#
                statuses.append(c.request("POST", "/api/v1/judgments", cookie: cookie, json: body)?.status ?? -3)
            }
            statuses.append(c.request("GET", "/api/v1/me/progress", cookie: cookie).map { json($0.body)["done_total"] as? Int ?? -4 } ?? -5)
            // A JSON body over 1 MiB is refused before it is read.
            c.send(Array("POST /api/v1/judgments HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nCookie: hilo_session=\(cookie)\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n".utf8))
            statuses.append(c.readResponse()?.status ?? -6)
            return statuses
        }
        #expect(results == [303, 200, 201, 200, 201, 200, 201, 3, 413])
    }
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 3)
}

@Test func eightAnnotatorsLabellingAtOnceOverTheirOwnConnectionsStayWithinOverlap() async throws {
    let t = try TestApp { $0.clock = { currentTimeMs() } }
    try t.seedPrompts(40)
    try t.db.write { c in var s = AppSettings(); s.overlap = 2; try s.save(c, now: 0) }
    var cookies: [String] = []
    for i in 0..<8 { cookies.append(try await t.user("w\(i)").cookie) }
    try await withAppServer(t) { port in
        try await withThrowingTaskGroup(of: Int.self) { group in
            for cookie in cookies {
                group.addTask {
                    try await onThread {
                        let c = try WireClient(port: port)
                        var done = 0
                        while let next = c.request("GET", "/api/v1/leases/next", cookie: cookie), let task = json(next.body)["lease"] as? [String: Any] {
                            let lease = task["id"] as! Int
                            let ids = (task["responses"] as! [[String: Any]]).map { $0["id"] as! Int }
                            let body = #"{"lease_id":\#(lease),"kind":"pairwise","idempotency_key":"l\#(lease)","ranks":[{"response_id":\#(ids[0]),"rank":1},{"response_id":\#(ids[1]),"rank":2}]}"#
                            guard c.request("POST", "/api/v1/judgments", cookie: cookie, json: body)?.status == 201 else { break }
                            done += 1
                        }
                        return done
                    }
                }
            }
            let total = try await group.reduce(0, +)
            #expect(total == 80)
        }
    }
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 80)
    #expect(try t.scalar("SELECT count(*) FROM (SELECT prompt_id FROM judgments GROUP BY prompt_id HAVING count(*) = 2)") == 40)
    #expect(try t.scalar("SELECT count(*) FROM (SELECT 1 FROM judgments GROUP BY prompt_id, annotator_id HAVING count(*) > 1)") == 0)
}
