// JSON to Jinja values with what Python's json.loads keeps and Foundation's parser loses: the key
// order of objects (it decides `tojson` and `items()` output) and int versus float (`1` vs `1.0`).

extension JinjaValue {
    /// Parses a JSON document; an error names the line and column.
    public static func parseJSON(_ bytes: [UInt8]) throws -> JinjaValue {
        var reader = JSONReader(bytes: bytes)
        reader.skipSpace()
        let value = try reader.value()
        reader.skipSpace()
        guard reader.pos == bytes.count else { throw reader.error("extra data after the JSON value") }
        return value
    }

    public static func parseJSON(_ text: String) throws -> JinjaValue { try parseJSON(Array(text.utf8)) }
}

private struct JSONReader {
    let bytes: [UInt8]
    var pos = 0

    func error(_ what: String) -> JinjaError {
        let before = bytes[..<min(pos, bytes.count)]
        let line = before.filter { $0 == 0x0A }.count + 1
        let column = pos - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
        return JinjaError("JSON line \(line), column \(column): \(what)")
    }

    mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
    }

    mutating func expect(_ literal: String) throws {
        for b in literal.utf8 {
            guard pos < bytes.count, bytes[pos] == b else { throw error("expected '\(literal)'") }
            pos += 1
        }
    }

    mutating func value() throws -> JinjaValue {
        guard pos < bytes.count else { throw error("unexpected end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"):
            pos += 1
            var d = JinjaDict()
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .dict(d) }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try string()
                skipSpace()
                try expect(":")
                skipSpace()
                d[key] = try value()
                skipSpace()
                guard pos < bytes.count else { throw error("unterminated object") }
                pos += 1
                if bytes[pos - 1] == UInt8(ascii: "}") { return .dict(d) }
                guard bytes[pos - 1] == UInt8(ascii: ",") else { pos -= 1; throw error("expected ',' or '}'") }
            }
        case UInt8(ascii: "["):
            pos += 1
            var a: [JinjaValue] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .list(a) }
            while true {
                skipSpace()
                a.append(try value())
                skipSpace()
                guard pos < bytes.count else { throw error("unterminated array") }
                pos += 1
                if bytes[pos - 1] == UInt8(ascii: "]") { return .list(a) }
                guard bytes[pos - 1] == UInt8(ascii: ",") else { pos -= 1; throw error("expected ',' or ']'") }
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .none
        default: return try number()
        }
    }

    mutating func number() throws -> JinjaValue {
        let start = pos
        var isFloat = false
        while pos < bytes.count {
            let b = bytes[pos]
            if (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") {
                pos += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                isFloat = true
                pos += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if !isFloat, let i = Int(text) { return .int(i) }
        guard !text.isEmpty, let d = Double(text) else { throw error("unexpected character") }
        return .float(d)
    }

    mutating func string() throws -> String {
        pos += 1
        var out = [UInt8]()
        while pos < bytes.count {
            let b = bytes[pos]
            pos += 1
            if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard b == UInt8(ascii: "\\") else { out.append(b); continue }
            guard pos < bytes.count else { break }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), pos + 6 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                    pos += 2
                    let low = try hex4()
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(contentsOf: Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8))
            default: out.append(e)
            }
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[pos..<(pos + 4)], as: UTF8.self), radix: 16) else {
            throw error("bad \\u escape")
        }
        pos += 4
        return v
    }
}
