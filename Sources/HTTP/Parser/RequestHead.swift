// The parsed and validated request line and headers, plus what they mean for the connection:
// how the body is framed, whether to keep the connection open, whether the client waits for 100;
// and the request method and HTTP version they carry.

public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) { self.major = major; self.minor = minor }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// How the request body is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    /// No Content-Length and no Transfer-Encoding: no body.
    case none
    /// Content-Length: exactly this many bytes follow.
    case length(Int)
    /// Transfer-Encoding: chunked.
    case chunked
}

public struct RequestHead: Sendable {
    public var method: HTTPMethod
    /// The request-target exactly as sent (origin-form, absolute-form or "*").
    public var target: String
    /// The path part of the target, still percent-encoded, always starting with "/" (or "*").
    public var path: String
    /// The query string without "?", still encoded; nil when the target has none.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: BodyFraming
    /// False when the client asked to close (Connection: close, or HTTP/1.0 without keep-alive).
    public var keepAlive: Bool
    /// True for `Expect: 100-continue`: the client waits for an interim 100 before sending the body.
    public var expectsContinue: Bool
}

// The request method: a case-sensitive token (RFC 9110 §9.1). Unknown tokens are kept as they are,
// so the router can answer 405 with the methods it does know.
public struct HTTPMethod: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static let get: HTTPMethod = "GET"
    public static let head: HTTPMethod = "HEAD"
    public static let post: HTTPMethod = "POST"
    public static let put: HTTPMethod = "PUT"
    public static let patch: HTTPMethod = "PATCH"
    public static let delete: HTTPMethod = "DELETE"
    public static let options: HTTPMethod = "OPTIONS"
}
