// Cookie parsing (RFC 6265 §5.4, lenient on spacing, strict on nothing the server relies on) and
// Set-Cookie building with safe defaults: HttpOnly, SameSite=Strict, Path=/.
import Foundation

enum Cookies {
    static func parse(_ headerValues: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for header in headerValues {
            for pair in header.split(separator: ";") {
                let trimmed = HTTPGrammar.trimOWS(pair)
                guard let eq = trimmed.firstIndex(of: "=") else { continue }
                let name = trimmed[..<eq]
                var value = trimmed[trimmed.index(after: eq)...]
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
                guard HTTPGrammar.isToken(name), out[String(name)] == nil else { continue }
                out[String(name)] = String(value)
            }
        }
        return out
    }

    /// The value of the first pair named `name` in one Cookie header, by `parse`'s rules. An ASCII
    /// header (what browsers send) is scanned byte by byte; any other goes through `parse`.
    static func value(of name: String, in header: String) -> String? {
        guard HTTPGrammar.isToken(name) else { return nil }
        var header = header
        let fast: String?? = header.withUTF8 { bytes -> String?? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return .none } // not decided here
            let target = Array(name.utf8)
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: ";") { end += 1 }
                var lo = start, hi = end
                while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
                while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
                if let eq = (lo..<hi).first(where: { bytes[$0] == UInt8(ascii: "=") }),
                   eq - lo == target.count, (0..<target.count).allSatisfy({ bytes[lo + $0] == target[$0] }) {
                    var v = (eq + 1)..<hi
                    if v.count >= 2, bytes[v.lowerBound] == UInt8(ascii: "\""), bytes[v.upperBound - 1] == UInt8(ascii: "\"") {
                        v = (v.lowerBound + 1)..<(v.upperBound - 1)
                    }
                    return .some(String(decoding: UnsafeBufferPointer(rebasing: bytes[v]), as: UTF8.self))
                }
                start = end + 1
            }
            return .some(nil)
        }
        if let decided = fast { return decided }
        return parse([header])[name]
    }

    /// cookie-octet: visible ASCII except DQUOTE, comma, semicolon and backslash.
    static func isValidValue(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x2C && $0 != 0x3B && $0 != 0x5C }
    }
}

public struct SetCookie: Sendable, Equatable {
    public enum SameSite: String, Sendable { case strict = "Strict", lax = "Lax", none = "None" }

    public var name: String
    public var value: String
    public var path: String? = "/"
    public var domain: String? = nil
    /// Seconds until it expires; nil for a session cookie, 0 to delete.
    public var maxAge: Int? = nil
    public var secure: Bool = false
    public var httpOnly: Bool = true
    public var sameSite: SameSite? = .strict

    /// Names must be tokens and values cookie-octets; anything else is a programmer error.
    public init(name: String, value: String, path: String? = "/", domain: String? = nil, maxAge: Int? = nil,
                secure: Bool = false, httpOnly: Bool = true, sameSite: SameSite? = .strict) {
        precondition(HTTPGrammar.isToken(name), "cookie name must be a token")
        precondition(Cookies.isValidValue(value), "cookie value has characters outside cookie-octet")
        self.name = name; self.value = value; self.path = path; self.domain = domain
        self.maxAge = maxAge; self.secure = secure; self.httpOnly = httpOnly; self.sameSite = sameSite
    }

    /// A cookie that tells the browser to drop `name` now.
    public static func expired(_ name: String, path: String? = "/") -> SetCookie {
        SetCookie(name: name, value: "", path: path, maxAge: 0)
    }

    public var headerValue: String {
        var parts = ["\(name)=\(value)"]
        if let path { parts.append("Path=\(path)") }
        if let domain { parts.append("Domain=\(domain)") }
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        if secure { parts.append("Secure") }
        if httpOnly { parts.append("HttpOnly") }
        if let sameSite { parts.append("SameSite=\(sameSite.rawValue)") }
        return parts.joined(separator: "; ")
    }
}
