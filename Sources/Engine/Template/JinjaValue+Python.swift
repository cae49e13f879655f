// Python's exact text forms, which decide a rendered template's bytes: `repr` of floats and strings,
// `json.dumps` as transformers' `tojson` calls it, and `%`-formatting of strings.

/// Python's `repr(float)`: the shortest digits that round-trip, positional for 1e-4 <= |x| < 1e16,
/// scientific outside (`1e-05`, `1e+16`), and always a `.0` on a whole positional value.
func pythonFloatRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    // Swift's description has the same shortest round-trip digits; only the layout differs.
    var text = d.description
    var sign = ""
    if text.hasPrefix("-") { sign = "-"; text.removeFirst() }
    var digits: [Character]
    var pointPosition: Int  // the value is 0.d1d2d3… × 10^pointPosition
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        let mantissa = text[..<e].filter { $0 != "." }
        digits = Array(mantissa)
        pointPosition = Int(text[text.index(after: e)...])! + 1
    } else {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts[0], fraction = parts.count > 1 ? parts[1] : ""
        digits = Array(whole + fraction)
        pointPosition = whole.count
    }
    while digits.count > 1, digits.first == "0" { digits.removeFirst(); pointPosition -= 1 }
    while digits.count > 1, digits.last == "0" { digits.removeLast() }
    if digits == ["0"] { return sign + "0.0" }
    let n = digits.count
    if pointPosition > 16 || pointPosition < -3 {
        var mantissa = String(digits[0])
        if n > 1 { mantissa += "." + String(digits[1...]) }
        let exponent = pointPosition - 1
        let magnitude = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
    }
    if pointPosition <= 0 { return sign + "0." + String(repeating: "0", count: -pointPosition) + String(digits) }
    if pointPosition >= n { return sign + String(digits) + String(repeating: "0", count: pointPosition - n) + ".0" }
    return sign + String(digits[..<pointPosition]) + "." + String(digits[pointPosition...])
}

/// Python's `repr(str)`: single quotes unless the text has a ' and no ", escapes for the rest.
func pythonStringRepr(_ s: String) -> String {
    let quote: Unicode.Scalar = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for u in s.unicodeScalars {
        switch u {
        case quote, "\\": out += "\\" + String(u)
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if isPythonPrintable(u) { out.unicodeScalars.append(u); continue }
            let hex = String(u.value, radix: 16)
            let width = u.value < 0x100 ? 2 : u.value < 0x10000 ? 4 : 8
            out += (width == 2 ? "\\x" : width == 4 ? "\\u" : "\\U") + String(repeating: "0", count: width - hex.count) + hex
        }
    }
    return out + String(quote)
}

/// Python's `str.isprintable()` for one character: not a control, format, surrogate, private-use,
/// unassigned or separator character, except the plain space.
private func isPythonPrintable(_ u: Unicode.Scalar) -> Bool {
    if u == " " { return true }
    switch u.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned,
         .spaceSeparator, .lineSeparator, .paragraphSeparator: return false
    default: return true
    }
}

/// Python's `isspace()` for one character (what `str.strip()` and `split()` remove).
func isPythonSpace(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
}

extension JinjaValue {
    /// `json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sortKeys)`.
    /// Without indent Python separates with ", " and ": "; with one, "," and ": " plus newlines.
    public func pythonJSON(indent: String? = nil, separators: (item: String, key: String)? = nil, sortKeys: Bool = false) throws -> String {
        let itemSeparator = separators?.item ?? (indent == nil ? ", " : ",")
        let keySeparator = separators?.key ?? ": "
        func dump(_ v: JinjaValue, _ level: Int) throws -> String {
            switch v {
            case .none: return "null"
            case .bool(let b): return b ? "true" : "false"
            case .int(let i): return String(i)
            case .float(let d): return d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : pythonFloatRepr(d)
            case .string(let s), .markup(let s): return pythonJSONString(s)
            case .list(let a), .tuple(let a):
                return try wrap("[", "]", a.map { try dump($0, level + 1) }, level)
            case .dict(let d):
                var keys = d.keys
                if sortKeys {
                    var failed = false
                    keys.sort { a, b in
                        guard let less = a.value.pythonLess(b.value) else { failed = true; return false }
                        return less
                    }
                    if failed { throw JinjaError("'<' not supported between dict keys of different types") }
                }
                // json.dumps writes an integer key as its decimal string.
                return try wrap("{", "}", keys.map { pythonJSONString($0.value.pythonString) + keySeparator + (try dump(d[$0]!, level + 1)) }, level)
            case .namespace, .function, .undefined:
                throw JinjaError("Object of type \(v.typeName) is not JSON serializable")
            }
        }
        func wrap(_ open: String, _ close: String, _ items: [String], _ level: Int) throws -> String {
            if items.isEmpty { return open + close }
            guard let indent else { return open + items.joined(separator: itemSeparator) + close }
            let inner = "\n" + String(repeating: indent, count: level + 1)
            return open + inner + items.joined(separator: itemSeparator + inner) + "\n" + String(repeating: indent, count: level) + close
        }
        return try dump(self, 0)
    }
}

/// A JSON string as Python's json module writes it with ensure_ascii=False: only `"`, `\` and
/// control characters below U+0020 are escaped (DEL and non-ASCII stay as they are).
func pythonJSONString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
