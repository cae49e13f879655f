// The request-line and header parser: a byte-at-a-time state machine (RFC 9112 §2-§5) that is fed the
// bytes received so far and resumes where it stopped. It is strict on purpose: bare CR or LF, obs-fold,
// whitespace before a colon, non-token bytes in names, controls in values, malformed percent-escapes
// and unknown versions are errors, never guessed at. Meaning (framing, Host, keep-alive) is checked in
// RequestHeadParser+Semantics.swift once the head is complete.

public struct RequestHeadParser: Sendable {
    enum State: Sendable, Equatable {
        case start          // before the method; tolerates empty lines (RFC 9112 §2.2)
        case startLF        // saw CR of a leading empty line
        case method
        case target
        case version
        case requestLineLF  // saw CR after the version
        case fieldStart     // at the start of a header line or the empty line
        case fieldName
        case fieldValue
        case fieldLF        // saw CR after a value
        case endLF          // saw CR of the empty line ending the head
    }

    public enum Progress: Sendable {
        case needMore
        /// The head is complete; `consumed` bytes of the buffer belong to it.
        case complete(RequestHead, consumed: Int)
    }

    public let limits: ParserLimits
    private(set) var state: State = .start
    private var position = 0
    private var lineStart = 0
    private var methodStart = 0, methodEnd = 0
    private var targetStart = 0, targetEnd = 0
    private var versionStart = 0
    private var percentDigitsPending = 0
    private var headersStart = 0
    private var nameStart = 0, nameEnd = 0
    private var valueStart = -1, valueEnd = 0
    private var fieldRanges: [(name: Range<Int>, value: Range<Int>)] = []

    public init(limits: ParserLimits = ParserLimits()) {
        self.limits = limits
        fieldRanges.reserveCapacity(16)
    }

    /// Forgets the current request so the next bytes start a new one.
    public mutating func reset() { self = RequestHeadParser(limits: limits) }

    /// Parses `bytes`, which must hold every byte of this request received so far, starting at the
    /// request's first byte (the same prefix as the previous call, possibly longer).
    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Progress {
        var i = position
        defer { position = i }
        while i < bytes.count {
            let b = bytes[i]
            switch state {
            case .start:
                if b == 0x0D {
                    guard i < 8 else { throw .bad("too many empty lines before the request line") }
                    state = .startLF
                } else if b == 0x0A { throw .bad("bare LF before the request line") }
                else if HTTPGrammar.isToken(b) { state = .method; lineStart = i; methodStart = i }
                else { throw .bad("invalid character in method") }
            case .startLF:
                guard b == 0x0A else { throw .bad("bare CR before the request line") }
                state = .start
            case .method:
                if b == 0x20 { methodEnd = i; state = .target; targetStart = i + 1 }
                else if !HTTPGrammar.isToken(b) { throw .bad("invalid character in method") }
            case .target:
                if b == 0x20 {
                    guard i > targetStart else { throw .bad("empty request target") }
                    guard percentDigitsPending == 0 else { throw .bad("invalid percent-encoding in target") }
                    targetEnd = i; state = .version; versionStart = i + 1
                } else if b == UInt8(ascii: "%") {
                    guard percentDigitsPending == 0 else { throw .bad("invalid percent-encoding in target") }
                    percentDigitsPending = 2
                } else if percentDigitsPending > 0 {
                    guard HTTPGrammar.hexValue(b) != nil else { throw .bad("invalid percent-encoding in target") }
                    percentDigitsPending -= 1
                } else if b == UInt8(ascii: "#") {
                    throw .bad("fragment in request target")
                } else if !HTTPGrammar.isTargetByte(b) {
                    throw .bad(b == 0x0D || b == 0x0A ? "request line without version" : "invalid character in target")
                }
            case .version:
                if b == 0x0D {
                    try Self.checkVersion(bytes, versionStart..<i)
                    state = .requestLineLF
                } else if b == 0x0A {
                    throw .bad("bare LF in request line")
                } else if i - versionStart >= 8 {
                    throw .bad("malformed HTTP version")
                }
            case .requestLineLF:
                guard b == 0x0A else { throw .bad("bare CR in request line") }
                state = .fieldStart; headersStart = i + 1; lineStart = i + 1
            case .fieldStart:
                if b == 0x0D { state = .endLF }
                else if b == 0x20 || b == 0x09 {
                    throw .bad(fieldRanges.isEmpty ? "whitespace before the first header" : "obsolete line folding")
                } else if HTTPGrammar.isToken(b) {
                    guard fieldRanges.count < limits.maxHeaderCount else {
                        throw HTTPParseError(.requestHeaderFieldsTooLarge, "too many header fields")
                    }
                    state = .fieldName; nameStart = i; lineStart = i
                } else if b == 0x0A { throw .bad("bare LF in headers") }
                else { throw .bad("invalid character in header name") }
            case .fieldName:
                if b == UInt8(ascii: ":") { nameEnd = i; valueStart = -1; state = .fieldValue }
                else if b == 0x20 || b == 0x09 { throw .bad("whitespace between header name and colon") }
                else if !HTTPGrammar.isToken(b) { throw .bad("invalid character in header name") }
            case .fieldValue:
                if b == 0x0D {
                    if valueStart < 0 { valueStart = i; valueEnd = i }
                    state = .fieldLF
                } else if b == 0x20 || b == 0x09 {
                    // Optional whitespace: leading is skipped, trailing is trimmed by valueEnd.
                } else if HTTPGrammar.isFieldValueByte(b) {
                    if valueStart < 0 { valueStart = i }
                    valueEnd = i + 1
                } else if b == 0x0A { throw .bad("bare LF in header value") }
                else { throw .bad("control character in header value") }
            case .fieldLF:
                guard b == 0x0A else { throw .bad("bare CR in header value") }
                fieldRanges.append((nameStart..<nameEnd, valueStart..<valueEnd))
                state = .fieldStart
            case .endLF:
                guard b == 0x0A else { throw .bad("bare CR at end of headers") }
                let head = try makeHead(bytes)
                let consumed = i + 1
                self.reset()
                i = 0
                return .complete(head, consumed: consumed)
            }
            i += 1
            try checkLimits(i)
        }
        return .needMore
    }

    private func checkLimits(_ i: Int) throws(HTTPParseError) {
        switch state {
        case .start, .startLF:
            break
        case .method, .target, .version, .requestLineLF:
            if i - lineStart > limits.maxRequestLineBytes {
                throw HTTPParseError(.uriTooLong, "request line longer than \(limits.maxRequestLineBytes) bytes")
            }
        case .fieldStart, .fieldName, .fieldValue, .fieldLF, .endLF:
            if i - headersStart > limits.maxHeaderBytes {
                throw HTTPParseError(.requestHeaderFieldsTooLarge, "headers longer than \(limits.maxHeaderBytes) bytes")
            }
        }
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT; 1.0 and 1.1 are served, other well-formed versions get 505.
    private static func checkVersion(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) throws(HTTPParseError) {
        let v = bytes[r]
        let prefix: [UInt8] = Array("HTTP/".utf8)
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        guard v.count == 8, v.prefix(5).elementsEqual(prefix), isDigit(v[r.lowerBound + 5]),
              v[r.lowerBound + 6] == UInt8(ascii: "."), isDigit(v[r.lowerBound + 7]) else {
            throw .bad("malformed HTTP version")
        }
        guard v[r.lowerBound + 5] == UInt8(ascii: "1") else {
            throw HTTPParseError(.httpVersionNotSupported, "only HTTP/1.x is supported")
        }
    }

    private func string(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    private func makeHead(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> RequestHead {
        let method = HTTPMethod(string(bytes, methodStart..<methodEnd))
        let target = string(bytes, targetStart..<targetEnd)
        // HTTP/1.2 and later minors are answered as 1.1 (RFC 9110 §2.5).
        let minor = min(1, Int(bytes[targetEnd + 8] - UInt8(ascii: "0")))
        var headers = HTTPHeaders()
        for field in fieldRanges {
            headers.add(string(bytes, field.name), string(bytes, field.value))
        }
        return try RequestHead.interpret(method: method, target: target,
                                         version: HTTPVersion(major: 1, minor: minor), headers: headers)
    }
}
