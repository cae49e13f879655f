// The request-head parser as a table of cases: each row is raw bytes and the outcome the state
// machine must reach (a head with these properties, or an error with this status). Every row is also
// fed one byte at a time, which must give the same outcome.
import Testing
@testable import HTTP

struct ParserCase: CustomTestStringConvertible, Sendable {
    enum Outcome: Sendable { case ok(@Sendable (RequestHead) -> Bool), status(Int) }
    var name: String
    var raw: String
    var outcome: Outcome
    var limits = ParserLimits(maxRequestLineBytes: 64, maxHeaderBytes: 128, maxHeaderCount: 4)
    var testDescription: String { name }
}

func parseAll(_ bytes: [UInt8], limits: ParserLimits, byteByByte: Bool) -> Result<(RequestHead, Int), HTTPParseError> {
    var parser = RequestHeadParser(limits: limits)
    do {
        let ends = byteByByte ? Array(1...max(1, bytes.count)) : [bytes.count]
        for end in ends where end <= bytes.count {
            let progress = try bytes.withUnsafeBufferPointer {
                try parser.parse(UnsafeBufferPointer(rebasing: $0[0..<end]))
            }
            if case .complete(let head, let consumed) = progress { return .success((head, consumed)) }
        }
        return .failure(HTTPParseError(.badRequest, "incomplete"))
    } catch let e as HTTPParseError {
        return .failure(e)
    } catch {
        return .failure(HTTPParseError(.internalServerError, "unexpected"))
    }
}

let ok200: ParserCase.Outcome = .ok { _ in true }

let parserCases: [ParserCase] = [
    // Accepted heads, with what they must mean.
    ParserCase(name: "simple GET", raw: "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
               outcome: .ok { $0.method == .get && $0.path == "/" && $0.keepAlive && $0.framing == .none }),
    ParserCase(name: "query split from path", raw: "GET /p/q?x=1&y=%20 HTTP/1.1\r\nHost: a\r\n\r\n",
               outcome: .ok { $0.path == "/p/q" && $0.query == "x=1&y=%20" }),
    ParserCase(name: "absolute-form target", raw: "GET http://a.example/x?y HTTP/1.1\r\nHost: a\r\n\r\n",
               outcome: .ok { $0.path == "/x" && $0.query == "y" }),
    ParserCase(name: "OWS around value trimmed", raw: "GET / HTTP/1.1\r\nHost: \t a b \t\r\n\r\n",
               outcome: .ok { $0.headers["host"] == "a b" }),
    ParserCase(name: "empty header value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n",
               outcome: .ok { $0.headers["X-Empty"] == "" }),
    ParserCase(name: "leading empty line tolerated", raw: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", outcome: ok200),
    ParserCase(name: "Content-Length body framing", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n",
               outcome: .ok { $0.framing == .length(12) }),
    ParserCase(name: "chunked framing", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
               outcome: .ok { $0.framing == .chunked }),
    ParserCase(name: "Connection close", raw: "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n",
               outcome: .ok { !$0.keepAlive }),
    ParserCase(name: "HTTP/1.0 closes by default", raw: "GET / HTTP/1.0\r\n\r\n",
               outcome: .ok { !$0.keepAlive && $0.version == .http1_0 }),
    ParserCase(name: "HTTP/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
               outcome: .ok { $0.keepAlive }),
    ParserCase(name: "HTTP/1.2 answered as 1.1", raw: "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
               outcome: .ok { $0.version == .http1_1 }),
    ParserCase(name: "Expect 100-continue", raw: "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n",
               outcome: .ok { $0.expectsContinue }),
    ParserCase(name: "obs-text allowed in values", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: caf\u{e9}\r\n\r\n",
               outcome: .ok { $0.headers["x"] == "caf\u{e9}" }),
    ParserCase(name: "OPTIONS asterisk", raw: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .ok { $0.path == "*" }),

    // Request line.
    ParserCase(name: "lowercase version is malformed", raw: "GET / http/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "HTTP/2.0 is not supported", raw: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", outcome: .status(505)),
    ParserCase(name: "version with letters", raw: "GET / HTTP/1.x\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "missing version", raw: "GET /\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "two spaces after method", raw: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "space inside target", raw: "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "tab as separator", raw: "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "non-token method", raw: "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "non-ASCII in target", raw: "GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "fragment in target", raw: "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "target not starting with slash", raw: "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "asterisk with GET", raw: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "bad percent escape", raw: "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "truncated percent escape", raw: "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "bad escape in query", raw: "GET /?q=%4 HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "bare LF ends request line", raw: "GET / HTTP/1.1\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "bare CR in request line", raw: "GET / HTTP/1.1\rHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "bare LF before request line", raw: "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "request line too long", raw: "GET /" + String(repeating: "a", count: 80) + " HTTP/1.1\r\nHost: a\r\n\r\n",
               outcome: .status(414)),

    // Header fields.
    ParserCase(name: "obs-fold", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "whitespace before first header", raw: "GET / HTTP/1.1\r\n Host: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "space before colon", raw: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "non-ASCII header name", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-\u{e9}: b\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "non-token header name", raw: "GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "header without colon", raw: "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "empty header name", raw: "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "bare LF ends header", raw: "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "bare CR inside value", raw: "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "NUL in value", raw: "GET / HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "DEL in value", raw: "GET / HTTP/1.1\r\nHost: a\u{7f}\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "bare LF ends head", raw: "GET / HTTP/1.1\r\nHost: a\r\n\n", outcome: .status(400)),
    ParserCase(name: "bare CR ends head", raw: "GET / HTTP/1.1\r\nHost: a\r\n\rX", outcome: .status(400)),
    ParserCase(name: "too many headers", raw: "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
               outcome: .status(431)),
    ParserCase(name: "headers too large", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 200) + "\r\n\r\n",
               outcome: .status(431)),

    // Semantics: Host, framing (request smuggling), Expect.
    ParserCase(name: "missing Host in 1.1", raw: "GET / HTTP/1.1\r\nX: a\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "two Host headers", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "duplicate Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
               outcome: .status(400)),
    ParserCase(name: "Content-Length list", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "signed Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "hex Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "huge Content-Length", raw: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
               outcome: .status(400)),
    ParserCase(name: "Transfer-Encoding with Content-Length",
               raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", outcome: .status(400)),
    ParserCase(name: "chunked not last", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
               outcome: .status(400)),
    ParserCase(name: "unknown coding before chunked", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
               outcome: .status(501)),
    ParserCase(name: "Transfer-Encoding in HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
               outcome: .status(400)),
    ParserCase(name: "Transfer-Encoding identity", raw: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
               outcome: .status(400)),
    ParserCase(name: "unknown expectation", raw: "GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", outcome: .status(417)),
]

@Test("parser outcome matches the table, whole and byte by byte", arguments: parserCases)
func parserCase(_ c: ParserCase) {
    let bytes = Array(c.raw.utf8)
    for byteByByte in [false, true] {
        let result = parseAll(bytes, limits: c.limits, byteByByte: byteByByte)
        switch (c.outcome, result) {
        case (.ok(let check), .success(let (head, consumed))):
            #expect(check(head), "\(c.name): head does not have the expected properties")
            #expect(consumed == bytes.count, "\(c.name): consumed \(consumed) of \(bytes.count)")
        case (.status(let code), .failure(let error)):
            #expect(error.status.code == code, "\(c.name): got \(error) instead of \(code)")
        case (.ok, .failure(let error)):
            Issue.record("\(c.name): rejected with \(error)")
        case (.status(let code), .success):
            Issue.record("\(c.name): accepted, expected \(code)")
        }
    }
}

@Test func parserStopsAtEndOfHeadAndLeavesPipelinedBytes() throws {
    let raw = Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
    var parser = RequestHeadParser()
    let first = try raw.withUnsafeBufferPointer { try parser.parse($0) }
    guard case .complete(let a, let consumed) = first else { Issue.record("first head incomplete"); return }
    #expect(a.path == "/a")
    let rest = Array(raw[consumed...])
    let second = try rest.withUnsafeBufferPointer { try parser.parse($0) }
    guard case .complete(let b, let consumed2) = second else { Issue.record("second head incomplete"); return }
    #expect(b.path == "/b")
    #expect(consumed2 == rest.count)
}

@Test func parserNeedsMoreOnPartialHead() throws {
    var parser = RequestHeadParser()
    let raw = Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8)
    let progress = try raw.withUnsafeBufferPointer { try parser.parse($0) }
    guard case .needMore = progress else { Issue.record("a head without its empty line completed"); return }
}
