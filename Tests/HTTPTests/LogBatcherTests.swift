// LogBatcher: access-log lines written in batches through a pipe, read back byte for byte. Every
// line appended comes out, in order, on flush, close, a full buffer, the flusher's interval, and
// when the server stops (HTTPLogger.buffered as the server's logger).
import Foundation
import Glibc
import TestHelpers
import Testing
@testable import HTTP

/// A pipe whose read end is non-blocking, so a test can read what is there now.
private final class Pipe: @unchecked Sendable {
    let read: Int32, write: Int32
    init() {
        var fds: [Int32] = [0, 0]
        precondition(Glibc.pipe(&fds) == 0)
        read = fds[0]; write = fds[1]
        _ = fcntl(read, F_SETFL, fcntl(read, F_GETFL) | O_NONBLOCK)
    }
    deinit { Glibc.close(read); Glibc.close(write) }

    /// Everything written so far.
    func drain() -> String {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

@Test func lineBufferHoldsLinesUntilFlushThenWritesThemAllInOrder() {
    let pipe = Pipe()
    let buffer = LogBatcher(fd: pipe.write, capacity: 4096, interval: 60)
    buffer.append("GET /a 200 2B 0.1ms")
    buffer.append("POST /b 201 10B 1.25ms")
    #expect(pipe.drain() == "")
    #expect(buffer.bufferedByteCount == 43)
    buffer.flush()
    #expect(pipe.drain() == "GET /a 200 2B 0.1ms\nPOST /b 201 10B 1.25ms\n")
    #expect(buffer.bufferedByteCount == 0)
    buffer.close()
}

@Test func lineBufferWritesTheBatchWhenTheNextLineWouldNotFit() {
    let pipe = Pipe()
    let buffer = LogBatcher(fd: pipe.write, capacity: 32, interval: 60)
    buffer.append("0123456789")       // 11 bytes held
    buffer.append("abcdefghij")       // 22 bytes held
    #expect(pipe.drain() == "")
    buffer.append("KLMNOPQRST")       // 33 > 32: the first two lines go out, this one waits
    #expect(pipe.drain() == "0123456789\nabcdefghij\n")
    #expect(buffer.bufferedByteCount == 11)
    // A line longer than the whole buffer is written through, after the line before it.
    let long = String(repeating: "x", count: 40)
    buffer.append(long)
    #expect(pipe.drain() == "KLMNOPQRST\n\(long)\n")
    buffer.close()
    #expect(pipe.drain() == "")
}

@Test func lineBufferCloseWritesEverythingAndLaterLinesGoOutAtOnce() {
    let pipe = Pipe()
    let buffer = LogBatcher(fd: pipe.write, capacity: 1 << 16, interval: 60)
    let lines = (0..<500).map { "GET /api/v1/leases/next 200 \($0)B 0.5ms" }
    for line in lines { buffer.append(line) }
    #expect(pipe.drain() == "")
    buffer.close()
    #expect(pipe.drain() == lines.map { $0 + "\n" }.joined())
    buffer.append("after close")
    #expect(pipe.drain() == "after close\n")
}

@Test func lineBufferFlusherWritesALineWithinItsInterval() async throws {
    let pipe = Pipe()
    let buffer = LogBatcher(fd: pipe.write, capacity: 1 << 16, interval: 0.02)
    buffer.append("waiting line")
    var seen = ""
    try await eventually {   // normally 20 ms
        seen += pipe.drain()
        return !seen.isEmpty
    }
    #expect(seen == "waiting line\n")
    buffer.close()
}

@Test func lineBufferDeallocationWritesWhatIsLeft() {
    let pipe = Pipe()
    do {
        let buffer = LogBatcher(fd: pipe.write, capacity: 1024, interval: 60)
        buffer.append("last words")
        #expect(pipe.drain() == "")
    }
    #expect(pipe.drain() == "last words\n")
}

@Test func bufferedLoggerWritesAccessLinesBeforeAMessageAndAllOfThemWhenTheServerStops() async throws {
    let pipe = Pipe()
    let logger = HTTPLogger.buffered(LogBatcher(fd: pipe.write, capacity: 1 << 16, interval: 60))
    var config = ServerConfig(host: "127.0.0.1", port: 0)
    config.runHandlersOnEventLoop = true
    let server = Server(config: config, router: testRouter(), logger: logger)
    try server.start()
    let port = server.port
    let bodies = try await onThread {
        let c = try TestClient(port: port)
        return (0..<20).map { _ in c.get("/hello")?.body }
    }
    #expect(bodies == Array(repeating: "hello", count: 20))
    logger.message("a message")
    let beforeMessage = pipe.drain()
    #expect(beforeMessage.hasSuffix("a message\n"))
    let served = beforeMessage.split(separator: "\n").filter { $0.hasPrefix("GET /hello 200 5B ") }.count
    #expect(served >= 19) // the last one may be logged just after its response reached the client
    _ = try await onThread {
        let c = try TestClient(port: port)
        return (0..<7).map { _ in c.get("/hello")?.body }
    }
    server.shutdown()
    await server.waitUntilStopped()
    // Nothing was flushed by time (interval 60 s): stopping the server wrote every remaining line.
    let rest = pipe.drain().split(separator: "\n")
    #expect(served + rest.count == 27)
    #expect(rest.allSatisfy { $0.hasPrefix("GET /hello 200 5B ") && $0.hasSuffix("ms") })
}
