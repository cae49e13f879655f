// A JSON parser for tokenizer.json that keeps every string exactly as written. Foundation's
// JSONSerialization cannot be used for vocabularies: it drops U+FEFF from strings, and its
// Dictionary<String, Any> merges keys that are canonically equivalent (Llama 2 has both "ά"
// U+03AC and "ά" U+1F71 as tokens). Objects come out as ordered key/value pairs (JSONObject).

/// A JSON object: its members in file order.
struct JSONObject {
    var members: [(key: String, value: Any)]

    /// The value of the first member named `key` (linear: component objects are small).
    subscript(key: String) -> Any? {
        for m in members where m.key.utf8.elementsEqual(key.utf8) { return m.value }
        return nil
    }
}

/// JSON null.
struct JSONNull {}

/// Parses JSON bytes into String, Int, Double, Bool, JSONNull, [Any] and JSONObject values.
struct TokenizerJSONParser {
    private let p: UnsafeBufferPointer<UInt8>
    private var i = 0

    /// Parses a whole document; throws a message with the byte offset of the first error.
    static func parse(_ bytes: [UInt8]) throws -> Any {
        try bytes.withUnsafeBufferPointer { p in
            var parser = TokenizerJSONParser(p: p)
            if p.starts(with: [0xEF, 0xBB, 0xBF]) { parser.i = 3 }  // a byte-order mark before the document
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.i == p.count else { throw parser.fail("text after the end of the document") }
            return value
        }
    }

    private init(p: UnsafeBufferPointer<UInt8>) { self.p = p }

    private func fail(_ why: String) -> EngineError { .invalidInput("not valid JSON (truncated or corrupt): \(why) at byte \(i)") }

    private mutating func skipSpace() {
        while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws -> Any {
        guard depth < 512 else { throw fail("nesting deeper than 512") }
        skipSpace()
        guard i < p.count else { throw fail("unexpected end") }
        switch p[i] {
        case 0x7B:  // {
            i += 1
            var members: [(key: String, value: Any)] = []
            skipSpace()
            if i < p.count, p[i] == 0x7D { i += 1; return JSONObject(members: members) }
            while true {
                skipSpace()
                guard i < p.count, p[i] == 0x22 else { throw fail("expected a string key") }
                let key = try string()
                skipSpace()
                guard i < p.count, p[i] == 0x3A else { throw fail("expected ':'") }
                i += 1
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard i < p.count else { throw fail("unexpected end") }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x7D { i += 1; return JSONObject(members: members) }
                throw fail("expected ',' or '}'")
            }
        case 0x5B:  // [
            i += 1
            var items: [Any] = []
            skipSpace()
            if i < p.count, p[i] == 0x5D { i += 1; return items }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < p.count else { throw fail("unexpected end") }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x5D { i += 1; return items }
                throw fail("expected ',' or ']'")
            }
        case 0x22: return try string()
        case 0x74: try literal("true"); return true
        case 0x66: try literal("false"); return false
        case 0x6E: try literal("null"); return JSONNull()
        default: return try number()
        }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= p.count, (0..<w.count).allSatisfy({ p[i + $0] == w[$0] }) else { throw fail("unexpected character") }
        i += w.count
    }

    private mutating func number() throws -> Any {
        let start = i
        var integral = true
        while i < p.count {
            let b = p[i]
            if b == 0x2E || b == 0x65 || b == 0x45 { integral = false } else if !(b == 0x2D || b == 0x2B || (b >= 0x30 && b <= 0x39)) { break }
            i += 1
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
        if integral, let n = Int(text) { return n }
        guard !text.isEmpty, let d = Double(text) else { throw fail("unexpected character") }
        return d
    }

    /// A string starting at the opening quote, escapes decoded, bytes otherwise kept as they are.
    private mutating func string() throws -> String {
        i += 1
        let start = i
        while i < p.count, p[i] != 0x22, p[i] != 0x5C { i += 1 }  // the common case: no escapes
        if i < p.count, p[i] == 0x22 {
            defer { i += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
        }
        var out = Array(p[start..<i])
        while true {
            guard i < p.count else { throw fail("unterminated string") }
            let b = p[i]
            if b == 0x22 { i += 1; return String(decoding: out, as: UTF8.self) }
            if b != 0x5C { out.append(b); i += 1; continue }
            guard i + 1 < p.count else { throw fail("unterminated string") }
            let e = p[i + 1]
            i += 2
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var unit = try hex4()
                if (0xD800..<0xDC00).contains(unit), i + 1 < p.count, p[i] == 0x5C, p[i + 1] == 0x75 {
                    let save = i
                    i += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) { unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00) } else { i = save }
                }
                let scalar = Unicode.Scalar(unit) ?? "\u{FFFD}"  // a lone surrogate, as Python's json reads it, cannot be UTF-8
                out.append(contentsOf: Array(String(scalar).utf8))
            default: throw fail("bad escape")
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= p.count else { throw fail("bad \\u escape") }
        var v: UInt32 = 0
        for k in 0..<4 {
            let b = p[i + k]
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x37
            case 0x61...0x66: d = b - 0x57
            default: throw fail("bad \\u escape")
            }
            v = v << 4 | UInt32(d)
        }
        i += 4
        return v
    }
}
