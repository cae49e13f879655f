// The one error type handlers throw for bad input and refusals. It renders as
// `{"error":{"message":"…"}}` with its status; any other error a handler throws becomes a 500 whose
// message is generic (the details go to the server log, never to the client).
import Foundation

public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    /// Shown to the client: say what was wrong with the request, never echo secrets.
    public var message: String
    /// Extra headers such as `Allow` for 405 or `Retry-After` for 429/503.
    public var headers: HTTPHeaders

    public init(_ status: HTTPStatus, _ message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(message)" }

    public var response: Response {
        var r = Response(status: status, headers: headers, body: .bytes(Self.body(message)))
        r.headers.set("Content-Type", "application/json")
        return r
    }

    static func body(_ message: String) -> Data {
        struct Envelope: Encodable { struct Inner: Encodable { var message: String }; var error: Inner }
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return (try? e.encode(Envelope(error: .init(message: message)))) ?? Data(#"{"error":{"message":"error"}}"#.utf8)
    }

    public static func badRequest(_ message: String) -> HTTPError { HTTPError(.badRequest, message) }
    public static func unauthorized(_ message: String = "sign in required") -> HTTPError { HTTPError(.unauthorized, message) }
    public static func forbidden(_ message: String = "not allowed") -> HTTPError { HTTPError(.forbidden, message) }
    public static func notFound(_ message: String = "not found") -> HTTPError { HTTPError(.notFound, message) }
    public static func conflict(_ message: String) -> HTTPError { HTTPError(.conflict, message) }
    public static func unprocessable(_ message: String) -> HTTPError { HTTPError(.unprocessableContent, message) }
    public static func tooManyRequests(retryAfter seconds: Int, _ message: String = "too many requests") -> HTTPError {
        HTTPError(.tooManyRequests, message, headers: ["Retry-After": String(seconds)])
    }
    public static func methodNotAllowed(allow: [HTTPMethod]) -> HTTPError {
        HTTPError(.methodNotAllowed, "method not allowed",
                  headers: ["Allow": allow.map(\.rawValue).joined(separator: ", ")])
    }
}
