// The parsed and validated request line and headers, plus what they mean for the connection:
// how the body is framed, whether to keep the connection open, whether the client waits for 100.

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
