// What a syntactically valid head means: the target's form, exactly one Host, the body framing
// (rejecting every Content-Length / Transfer-Encoding combination that allows request smuggling),
// keep-alive and Expect. Errors here are still answered before any body byte is read.

extension RequestHead {
    static func interpret(method: HTTPMethod, target: String, version: HTTPVersion,
                          headers: HTTPHeaders) throws(HTTPParseError) -> RequestHead {
        let (path, query) = try splitTarget(target, method: method)

        // Host: exactly one in HTTP/1.1 (RFC 9112 §3.2); more than one is always an error.
        let hosts = headers.values("Host")
        if hosts.count > 1 { throw .bad("more than one Host header") }
        if version == .http1_1 && hosts.isEmpty { throw .bad("missing Host header") }

        let framing = try bodyFraming(headers, version: version)

        // Connection: close wins; HTTP/1.0 stays open only when it asks for keep-alive.
        let tokens = headers.values("Connection").flatMap { HTTPGrammar.commaList($0) }.map { $0.lowercased() }
        let keepAlive = !tokens.contains("close") && (version == .http1_1 || tokens.contains("keep-alive"))

        var expectsContinue = false
        let expects = headers.values("Expect")
        if !expects.isEmpty {
            guard expects.count == 1, asciiCaseInsensitiveEqual(expects[0], "100-continue") else {
                throw HTTPParseError(.expectationFailed, "only Expect: 100-continue is supported")
            }
            expectsContinue = version == .http1_1
        }

        return RequestHead(method: method, target: target, path: path, query: query, version: version,
                           headers: headers, framing: framing, keepAlive: keepAlive,
                           expectsContinue: expectsContinue)
    }

    /// origin-form ("/p?q"), absolute-form ("http://host/p?q", RFC 9112 §3.2.2) or asterisk-form for OPTIONS.
    static func splitTarget(_ target: String, method: HTTPMethod) throws(HTTPParseError) -> (String, String?) {
        var rest = Substring(target)
        if rest == "*" {
            guard method == .options else { throw .bad("asterisk-form target is only for OPTIONS") }
            return ("*", nil)
        }
        if !rest.hasPrefix("/") {
            let lower = rest.prefix(8).lowercased()
            let scheme = lower.hasPrefix("http://") ? 7 : lower.hasPrefix("https://") ? 8 : 0
            guard scheme > 0 else { throw .bad("request target must start with /") }
            rest = rest.dropFirst(scheme)
            guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return ("/", nil) }
            guard slash > rest.startIndex else { throw .bad("absolute-form target without host") }
            rest = rest[slash...]
            if rest.hasPrefix("?") { rest = "/" + rest }
        }
        if let q = rest.firstIndex(of: "?") {
            return (String(rest[..<q]), String(rest[rest.index(after: q)...]))
        }
        return (String(rest), nil)
    }

    /// RFC 9112 §6.3: Transfer-Encoding and Content-Length together, duplicate or list-valued
    /// Content-Length, and a Transfer-Encoding whose last coding is not chunked are all rejected.
    static func bodyFraming(_ headers: HTTPHeaders, version: HTTPVersion) throws(HTTPParseError) -> BodyFraming {
        let lengths = headers.values("Content-Length")
        let encodings = headers.values("Transfer-Encoding")
        if !encodings.isEmpty {
            guard lengths.isEmpty else { throw .bad("both Transfer-Encoding and Content-Length") }
            guard version == .http1_1 else { throw .bad("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = encodings.flatMap { HTTPGrammar.commaList($0) }
            guard let last = codings.last, asciiCaseInsensitiveEqual(String(last), "chunked") else {
                throw .bad("Transfer-Encoding must end with chunked")
            }
            guard codings.count == 1 else {
                throw HTTPParseError(.notImplemented, "only the chunked transfer coding is supported")
            }
            return .chunked
        }
        guard !lengths.isEmpty else { return .none }
        guard lengths.count == 1 else { throw .bad("more than one Content-Length header") }
        let v = lengths[0]
        guard !v.isEmpty, v.utf8.count <= 18,
              v.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let n = Int(v) else {
            throw .bad("invalid Content-Length")
        }
        return n == 0 ? .none : .length(n)
    }
}
