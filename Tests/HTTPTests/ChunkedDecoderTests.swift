// The chunked body decoder as a table: encoded bytes in, decoded body or error status out, for whole
// input and for every split into one-byte pieces.
import Testing
@testable import HTTP

struct ChunkedCase: CustomTestStringConvertible, Sendable {
    var name: String
    var raw: String
    var body: String?      // expected body, nil when an error is expected
    var status: Int = 0
    var limit = 64
    var testDescription: String { name }
}

let chunkedCases: [ChunkedCase] = [
    ChunkedCase(name: "two chunks", raw: "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", body: "abcde"),
    ChunkedCase(name: "hex sizes and extensions", raw: "A;name=v\r\n0123456789\r\n0;x\r\n\r\n", body: "0123456789"),
    ChunkedCase(name: "trailers dropped", raw: "1\r\nz\r\n0\r\nX-Sum: 1\r\n\r\n", body: "z"),
    ChunkedCase(name: "empty body", raw: "0\r\n\r\n", body: ""),
    ChunkedCase(name: "missing size", raw: "\r\nabc\r\n0\r\n\r\n", body: nil, status: 400),
    ChunkedCase(name: "non-hex size", raw: "g\r\nabc\r\n0\r\n\r\n", body: nil, status: 400),
    ChunkedCase(name: "space after size", raw: "3 \r\nabc\r\n0\r\n\r\n", body: nil, status: 400),
    ChunkedCase(name: "bare LF after size", raw: "3\nabc\r\n0\r\n\r\n", body: nil, status: 400),
    ChunkedCase(name: "data longer than size", raw: "2\r\nabc\r\n0\r\n\r\n", body: nil, status: 400),
    ChunkedCase(name: "bare LF after data", raw: "3\r\nabc\n0\r\n\r\n", body: nil, status: 400),
    ChunkedCase(name: "obs-fold in trailer", raw: "0\r\n folded\r\n\r\n", body: nil, status: 400),
    ChunkedCase(name: "control in extension", raw: "1;\u{1}\r\na\r\n0\r\n\r\n", body: nil, status: 400),
    ChunkedCase(name: "over the body limit", raw: "41\r\n" + String(repeating: "a", count: 65) + "\r\n0\r\n\r\n",
                body: nil, status: 413),
    ChunkedCase(name: "absurd chunk size", raw: "ffffffffffffffffff\r\n", body: nil, status: 413),
]

func decodeChunked(_ raw: [UInt8], limit: Int, pieces: Int) -> Result<String, HTTPParseError> {
    var decoder = ChunkedDecoder(maxBodyBytes: limit, maxMetadataBytes: 64)
    var body: [UInt8] = []
    var offset = 0
    do {
        while offset < raw.count && !decoder.isDone {
            let end = min(raw.count, offset + pieces)
            let consumed = try raw.withUnsafeBufferPointer {
                try decoder.decode(UnsafeBufferPointer(rebasing: $0[offset..<end])) { body.append(contentsOf: $0) }
            }
            offset += consumed
        }
    } catch let e as HTTPParseError {
        return .failure(e)
    } catch {
        return .failure(HTTPParseError(.internalServerError, "\(error)"))
    }
    guard decoder.isDone else { return .failure(HTTPParseError(.badRequest, "incomplete")) }
    return .success(String(decoding: body, as: UTF8.self))
}

@Test("chunked decoding matches the table, whole and byte by byte", arguments: chunkedCases)
func chunkedCase(_ c: ChunkedCase) {
    let raw = Array(c.raw.utf8)
    for pieces in [raw.count, 1] {
        switch decodeChunked(raw, limit: c.limit, pieces: pieces) {
        case .success(let body):
            #expect(body == c.body, "\(c.name): decoded \(body.debugDescription)")
        case .failure(let e):
            #expect(c.body == nil && e.status.code == c.status, "\(c.name): \(e)")
        }
    }
}

@Test func chunkedDecoderLeavesBytesAfterTheBody() throws {
    let raw = Array("1\r\na\r\n0\r\n\r\nGET /next".utf8)
    var decoder = ChunkedDecoder(maxBodyBytes: 10)
    let consumed = try raw.withUnsafeBufferPointer { try decoder.decode($0) { _ in } }
    #expect(decoder.isDone)
    #expect(String(decoding: raw[consumed...], as: UTF8.self) == "GET /next")
}
