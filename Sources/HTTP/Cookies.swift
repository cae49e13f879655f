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

    /// The value of the first pair named `name` in one Cookie header, by `parse`'s rules.
    static func value(of name: String, in header: String) -> String? {
        for pair in header.split(separator: ";") {
            let trimmed = HTTPGrammar.trimOWS(pair)
            guard let eq = trimmed.utf8.firstIndex(of: UInt8(ascii: "=")) else { continue }
            guard trimmed[..<eq] == name, HTTPGrammar.isToken(name) else { continue }
            var value = trimmed[trimmed.index(after: eq)...]
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
            return String(value)
        }
        return nil
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
