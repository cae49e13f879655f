// The route table: method + path pattern -> handler, with `:name` parameters and a trailing `*name`
// catch-all. The most specific pattern that matches the path wins (literal > parameter > catch-all,
// segment by segment); if it has no handler for the method the answer is 405 with Allow, and a path no
// pattern matches is 404. Middleware wraps handlers, for auth checks before them. HEAD runs GET.

public typealias Handler = @Sendable (Request) async throws -> Response
/// Runs around a handler: check or decorate the request, call `next` (or throw/return early).
public typealias Middleware = @Sendable (_ request: Request, _ next: Handler) async throws -> Response
/// Decides from the request head alone (who is asking, may they): throwing refuses the request. The
/// server runs it before it sends `100 Continue` or reads a body byte, so a refused upload is never
/// stored; what it puts in the request's context reaches the handler.
public typealias HeadCheck = @Sendable (_ request: inout Request) throws -> Void

/// What a route accepts, decided before its body is read.
public struct RouteOptions: Sendable {
    /// Largest body accepted; a bigger Content-Length (or chunked body) gives 413. 1 MiB suits JSON.
    public var maxBodyBytes: Int
    /// Write the body to a temporary file instead of memory (uploads, imports).
    public var streamBodyToFile: Bool
    /// Authentication and authorisation from the head, before the body (see HeadCheck). It runs
    /// first inside the route's handler too, so in-process callers of `respond` get the same answer.
    public var headCheck: HeadCheck?

    public init(maxBodyBytes: Int = 1 << 20, streamBodyToFile: Bool = false, headCheck: HeadCheck? = nil) {
        precondition(maxBodyBytes >= 0, "maxBodyBytes must not be negative")
        self.maxBodyBytes = maxBodyBytes
        self.streamBodyToFile = streamBodyToFile
        self.headCheck = headCheck
    }

    public static let json = RouteOptions()
    /// A large upload streamed to disk, e.g. `.upload(maxBytes: 1 << 30)` for dataset imports.
    public static func upload(maxBytes: Int) -> RouteOptions { RouteOptions(maxBodyBytes: maxBytes, streamBodyToFile: true) }
}

public struct Router: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String), parameter(String), wildcard(String)
        var rank: Int { switch self { case .literal: 0; case .parameter: 1; case .wildcard: 2 } }
    }

    struct Route: Sendable {
        var method: HTTPMethod
        var options: RouteOptions
        var handler: Handler
    }

    struct Pattern: Sendable {
        var text: String
        var segments: [Segment]
        var routes: [Route]
    }

    /// The result of looking up a request's method and path.
    public enum Match: Sendable {
        case found(pattern: String, options: RouteOptions, parameters: [String: String], wildcard: [String])
        case methodNotAllowed(allow: [HTTPMethod])
        case notFound
    }

    private var patterns: [Pattern] = []
    /// Run, in order, around every matched route's handler (after any route-level middleware is added).
    public private(set) var middleware: [Middleware] = []

    public init() {}

    /// Adds middleware that runs for every route (routes added before and after alike).
    public mutating func use(_ m: @escaping Middleware) { middleware.append(m) }

    /// Registers a handler. `middleware` runs for this route only, inside the router-wide middleware.
    /// A duplicate method + pattern, or a malformed pattern, is a programmer error.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, options: RouteOptions = .json,
                             middleware: [Middleware] = [], _ handler: @escaping Handler) {
        let segments = Self.parsePattern(pattern)
        let chain: Handler = middleware.reversed().reduce(handler) { next, m in { try await m($0, next) } }
        let wrapped: Handler
        if let check = options.headCheck {
            wrapped = { request in
                var request = request
                if !request.headChecked { try check(&request) }
                return try await chain(request)
            }
        } else {
            wrapped = chain
        }
        let route = Route(method: method, options: options, handler: wrapped)
        if let i = patterns.firstIndex(where: { $0.segments == segments }) {
            precondition(!patterns[i].routes.contains { $0.method == method }, "duplicate route \(method) \(pattern)")
            patterns[i].routes.append(route)
        } else {
            patterns.append(Pattern(text: pattern, segments: segments, routes: [route]))
        }
    }

    public mutating func get(_ p: String, options: RouteOptions = .json, middleware: [Middleware] = [], _ h: @escaping Handler) { add(.get, p, options: options, middleware: middleware, h) }
    public mutating func post(_ p: String, options: RouteOptions = .json, middleware: [Middleware] = [], _ h: @escaping Handler) { add(.post, p, options: options, middleware: middleware, h) }
    public mutating func put(_ p: String, options: RouteOptions = .json, middleware: [Middleware] = [], _ h: @escaping Handler) { add(.put, p, options: options, middleware: middleware, h) }
    public mutating func patch(_ p: String, options: RouteOptions = .json, middleware: [Middleware] = [], _ h: @escaping Handler) { add(.patch, p, options: options, middleware: middleware, h) }
    public mutating func delete(_ p: String, options: RouteOptions = .json, middleware: [Middleware] = [], _ h: @escaping Handler) { add(.delete, p, options: options, middleware: middleware, h) }

    /// Every registered (method, pattern), e.g. to check an OpenAPI document covers them all.
    public var routes: [(method: HTTPMethod, pattern: String)] {
        patterns.flatMap { p in p.routes.map { (method: $0.method, pattern: p.text) } }
    }

    static func parsePattern(_ pattern: String) -> [Segment] {
        precondition(pattern.hasPrefix("/"), "route pattern must start with /: \(pattern)")
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var segments: [Segment] = []
        for (i, part) in parts.enumerated() {
            if part.hasPrefix(":") {
                precondition(part.count > 1, "empty parameter name in \(pattern)")
                segments.append(.parameter(String(part.dropFirst())))
            } else if part.hasPrefix("*") {
                precondition(i == parts.count - 1, "catch-all must be the last segment in \(pattern)")
                segments.append(.wildcard(String(part.dropFirst())))
            } else {
                segments.append(.literal(String(part)))
            }
        }
        return segments
    }

    /// Finds the route for a method and decoded path segments ("/" is [""]).
    public func match(_ method: HTTPMethod, _ path: [String]) -> Match { lookup(method, path).match }

    /// `match` and the matched route's handler (nil unless found), in one search of the table.
    func lookup(_ method: HTTPMethod, _ path: [String]) -> (match: Match, handler: Handler?) {
        var best: (index: Int, ranks: [Int])? = nil
        for (index, pattern) in patterns.enumerated() {
            // Most patterns fail on a literal: checked first without building their ranks.
            guard Self.matches(pattern.segments, path), let ranks = Self.ranks(pattern.segments, path) else { continue }
            if best == nil || ranks.lexicographicallyPrecedes(best!.ranks) { best = (index, ranks) }
        }
        guard let best else { return (.notFound, nil) }
        let pattern = patterns[best.index]
        let lookup = method == .head && !pattern.routes.contains { $0.method == .head } ? .get : method
        guard let route = pattern.routes.first(where: { $0.method == lookup }) else {
            var allow = pattern.routes.map(\.method)
            if allow.contains(.get) && !allow.contains(.head) { allow.append(.head) }
            return (.methodNotAllowed(allow: allow), nil)
        }
        var parameters: [String: String] = [:]
        var wildcard: [String] = []
        for (i, segment) in pattern.segments.enumerated() {
            switch segment {
            case .literal: break
            case .parameter(let name): parameters[name] = path[i]
            case .wildcard(let name):
                wildcard = Array(path[i...])
                parameters[name] = wildcard.joined(separator: "/")
            }
        }
        return (.found(pattern: pattern.text, options: route.options, parameters: parameters, wildcard: wildcard), route.handler)
    }

    /// Whether `segments` matches `path` (what `ranks` decides, without allocating).
    static func matches(_ segments: [Segment], _ path: [String]) -> Bool {
        for (i, segment) in segments.enumerated() {
            switch segment {
            case .wildcard: return true
            case .literal(let s): guard i < path.count, path[i] == s else { return false }
            case .parameter: guard i < path.count, !path[i].isEmpty else { return false }
            }
        }
        return segments.count == path.count
    }

    /// Per-segment specificity ranks when `segments` matches `path`, else nil.
    static func ranks(_ segments: [Segment], _ path: [String]) -> [Int]? {
        var ranks: [Int] = []
        for (i, segment) in segments.enumerated() {
            switch segment {
            case .wildcard:
                ranks.append(2)
                return ranks
            case .literal(let s):
                guard i < path.count, path[i] == s else { return nil }
            case .parameter:
                guard i < path.count, !path[i].isEmpty else { return nil }
            }
            ranks.append(segment.rank)
        }
        return segments.count == path.count ? ranks : nil
    }

    func handler(pattern: String, method: HTTPMethod) -> Handler? {
        guard let p = patterns.first(where: { $0.text == pattern }) else { return nil }
        let lookup = method == .head && !p.routes.contains { $0.method == .head } ? .get : method
        return p.routes.first { $0.method == lookup }?.handler
    }
}
