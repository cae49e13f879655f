// A small blocking HTTP/1.1 client over a raw socket for the server tests: it sends exactly the bytes
// a test gives it (pipelined, partial, malformed) and reads responses framed by Content-Length or
// chunked, or everything until the server closes.
import Foundation
import Glibc
@testable import HTTP

struct ClientResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: String
}

final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to host:port with a receive timeout so a test can never hang. 30 s: with the suites
    /// in parallel on a loaded 2-core machine a handler can wait seconds for a thread of the pool; every
    /// test expects an answer or a close, so the timeout only bounds a failure.
    /// `source` binds the client's end to another loopback address (127.0.0.2 …), so a test can play
    /// several client addresses on one machine.
    init(port: Int, host: String = "127.0.0.1", timeout: Double = 30, source: String? = nil) throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - floor(timeout)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { Glibc.close(fd); throw Socket.Failure("bind \(source)") }
        }
        var rc: Int32
        if v6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &addr.sin6_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &addr.sin_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard rc == 0 else { Glibc.close(fd); throw Socket.Failure("connect") }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Reads more bytes; false on EOF, error or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readLine() -> String? {
        while true {
            if let i = buffer.firstIndex(of: 0x0A), i > 0, buffer[i - 1] == 0x0D {
                let line = String(decoding: buffer[0..<(i - 1)], as: UTF8.self)
                buffer.removeFirst(i + 1)
                return line
            }
            guard fill() else { return nil }
        }
    }

    private func readBytes(_ n: Int) -> [UInt8]? {
        while buffer.count < n { guard fill() else { return nil } }
        let out = Array(buffer[0..<n])
        buffer.removeFirst(n)
        return out
    }

    /// Reads one response; nil if the connection closed (or timed out) before a complete one.
    func readResponse(head: Bool = false) -> ClientResponse? {
        guard let statusLine = readLine() else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers = HTTPHeaders()
        while let line = readLine(), !line.isEmpty {
            let kv = line.split(separator: ":", maxSplits: 1)
            headers.add(String(kv[0]), String(kv.count > 1 ? kv[1] : "").trimmingCharacters(in: .whitespaces))
        }
        if status == 100 { return readResponse(head: head) }
        var body: [UInt8] = []
        if head || status == 204 || status == 304 {
        } else if let length = headers["Content-Length"].flatMap(Int.init) {
            guard let b = readBytes(length) else { return nil }
            body = b
        } else if headers["Transfer-Encoding"] == "chunked" {
            while let sizeLine = readLine(), let size = Int(sizeLine, radix: 16) {
                if size == 0 { _ = readLine(); break }
                guard let b = readBytes(size) else { return nil }
                body += b
                _ = readLine()
            }
        } else {
            while fill() {}
            body = buffer
            buffer = []
        }
        return ClientResponse(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    /// True when the server has closed the connection (EOF, or reset) within the receive timeout.
    func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    func get(_ path: String, extra: String = "") -> ClientResponse? {
        send("GET \(path) HTTP/1.1\r\nHost: test\r\n\(extra)\r\n")
        return readResponse()
    }
}
