// What handlers return: a status, headers and a body that is either bytes or a stream. Helpers build
// JSON (Codable), text and file responses. The server adds Date, Content-Length or chunked framing,
// Connection and the security headers when it writes the response.
import Foundation

public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: ResponseBody

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Encodes `value` as the JSON body with `Content-Type: application/json`.
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok,
                                          encoder: JSONEncoder = Response.jsonEncoder()) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: ["Content-Type": "application/json"], body: .bytes(data))
    }

    /// A plain-text body (UTF-8).
    public static func text(_ text: String, status: HTTPStatus = .ok,
                            contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: ["Content-Type": contentType], body: .bytes(Data(text.utf8)))
    }

    /// 204 with no body.
    public static var noContent: Response { Response(status: .noContent) }

    /// A redirect (303 by default, so a POST becomes a GET).
    public static func redirect(to location: String, status: HTTPStatus = .seeOther) -> Response {
        Response(status: status, headers: ["Location": location])
    }

    /// The encoder `json` uses unless given one: no escaped slashes, ISO 8601 dates.
    public static func jsonEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }

    public mutating func setCookie(_ cookie: SetCookie) { headers.add("Set-Cookie", cookie.headerValue) }
}

public enum ResponseBody: Sendable {
    case empty
    case bytes(Data)
    /// Written as it is produced: with Content-Length when `length` is known, else chunked.
    case stream(BodyStream)

    /// Bytes known up front, or nil for a stream of unknown length.
    public var knownLength: Int? {
        switch self {
        case .empty: 0
        case .bytes(let d): d.count
        case .stream(let s): s.length
        }
    }
}

/// A body produced after the head is sent: exports, large files. `produce` writes chunks through the
/// writer, which suspends while the client is slower than the producer (backpressure) and throws once
/// the client has gone away. With a known `length`, writing more or fewer bytes closes the connection.
public struct BodyStream: Sendable {
    public var length: Int?
    public var produce: @Sendable (any BodyWriter) async throws -> Void

    public init(length: Int? = nil, produce: @escaping @Sendable (any BodyWriter) async throws -> Void) {
        self.length = length
        self.produce = produce
    }

    /// Streams a file in 64 KiB pieces with its size as Content-Length.
    public static func file(_ url: URL) throws -> BodyStream {
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        return BodyStream(length: size) { writer in
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            var sent = 0
            while sent < size, let chunk = try handle.read(upToCount: min(64 * 1024, size - sent)), !chunk.isEmpty {
                try await writer.write(chunk)
                sent += chunk.count
            }
        }
    }
}

/// Where a streamed body goes. Implemented by the server's connection; tests can collect into memory.
public protocol BodyWriter: Sendable {
    func write(_ data: Data) async throws
}
