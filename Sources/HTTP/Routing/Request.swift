// A request as handlers see it: method, decoded path segments and query, headers, the body (in memory
// or in a temporary file), the route's parameters and a typed context that middleware fills in
// (the signed-in user, say). Built by the server from a parsed head, or directly in tests.
import Foundation

public struct Request: Sendable {
    public var method: HTTPMethod
    /// The path as sent, still percent-encoded, without the query (what the access log shows).
    public var path: String
    /// The path split at "/" and percent-decoded: "/a/b%20c" is ["a", "b c"], "/" is [""].
    public var pathSegments: [String]
    /// The decoded query parameters.
    public var query: QueryParameters
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: RequestBody
    /// Values of the route's `:name` and `*name` segments, decoded.
    public var parameters: [String: String] = [:]
    /// The segments a trailing `*name` matched, decoded and unjoined (so an encoded "/" stays visible).
    public var wildcard: [String] = []
    /// The pattern of the matched route, e.g. "/api/v1/annotators/:id" (for metrics); nil before routing.
    public var route: String?
    /// The peer's address, e.g. "127.0.0.1" or "::1".
    public var remoteAddress: String
    /// Values middleware attaches for later handlers.
    public var context = RequestContext()
    /// Set by the connection once the route's head check passed before the body was read, so the
    /// handler does not run it twice.
    var headChecked = false

    /// Builds a request; throws 400 when the path or query decode to invalid UTF-8 or contain NUL.
    public init(method: HTTPMethod, path: String, query: String? = nil, version: HTTPVersion = .http1_1,
                headers: HTTPHeaders = HTTPHeaders(), body: RequestBody = .none,
                remoteAddress: String = "127.0.0.1") throws(HTTPError) {
        self.method = method
        self.path = path
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard let s = HTTPGrammar.percentDecode(raw), !s.utf8.contains(0) else {
                throw HTTPError(.badRequest, "invalid percent-encoding in path")
            }
            segments.append(s)
        }
        self.pathSegments = segments.isEmpty ? [""] : segments
        guard let q = QueryParameters(encoded: query) else {
            throw HTTPError(.badRequest, "invalid percent-encoding in query")
        }
        self.query = q
    }

    /// A route parameter converted to `T` (`try req.parameter("id", as: Int64.self)`). A value that does
    /// not convert is the client's mistake (400); a name the route does not declare is a programmer error.
    public func parameter<T: LosslessStringConvertible>(_ name: String, as type: T.Type = String.self) throws -> T {
        guard let raw = parameters[name] else { preconditionFailure("route \(route ?? "?") has no parameter :\(name)") }
        guard let value = T(raw) else { throw HTTPError(.badRequest, "invalid \(name) in path") }
        return value
    }

    /// Cookies from every Cookie header; the first of a repeated name wins.
    public var cookies: [String: String] { Cookies.parse(headers.values("Cookie")) }

    /// The value of one cookie, as `cookies[name]` gives it, without building the dictionary.
    public func cookie(_ name: String) -> String? {
        for field in headers.fields where asciiCaseInsensitiveEqual(field.name, "Cookie") {
            if let value = Cookies.value(of: name, in: field.value) { return value }
        }
        return nil
    }

    /// The media type of the body without parameters, lowercased ("application/json").
    public var contentType: String? {
        headers["Content-Type"].map { value in
            let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            // ASCII (every browser and client sends that): trimmed and lowercased byte by byte;
            // otherwise Foundation's Unicode-aware trimming, as before.
            guard type.utf8.allSatisfy({ $0 < 0x80 }) else {
                return String(type).trimmingCharacters(in: .whitespaces).lowercased()
            }
            return String(HTTPGrammar.trimOWS(type)).lowercased()
        }
    }
}

/// The body of a request, as the route asked for it.
public enum RequestBody: Sendable {
    case none
    /// Held in memory (routes with `streamBodyToFile == false`).
    case bytes(Data)
    /// Written to a temporary file that the server deletes once the response is sent; move it to keep it.
    case file(URL, byteCount: Int)

    public var byteCount: Int {
        switch self {
        case .none: 0
        case .bytes(let d): d.count
        case .file(_, let n): n
        }
    }

    /// The whole body in memory (reads the file for `.file`).
    public func data() throws -> Data {
        switch self {
        case .none: Data()
        case .bytes(let d): d
        case .file(let url, _): try Data(contentsOf: url)
        }
    }
}

// Typed per-request storage that middleware fills in for later handlers (the signed-in session, say).

/// A key for a value that middleware stores on a request: `enum SessionKey: RequestContextKey { typealias Value = Session }`.
public protocol RequestContextKey {
    associatedtype Value: Sendable
}

/// Typed per-request storage: `request.context[SessionKey.self] = session`.
public struct RequestContext: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]
    public init() {}
    public subscript<K: RequestContextKey>(_ key: K.Type) -> K.Value? {
        get { values[ObjectIdentifier(key)] as? K.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }
}
