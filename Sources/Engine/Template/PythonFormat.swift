// Python's text formatting as templates reach it: `format % values`, `str.format`, and
// `datetime.strftime` (what `strftime_now` prints), each with the output Python gives.
import Foundation

/// Python's `format % values`: %s %r %d %i %f %e %g %x %o %c %% with flags, width and precision;
/// a tuple supplies one value per conversion, a dict feeds `%(name)s`.
func pythonPercentFormat(_ format: String, _ values: JinjaValue) throws -> String {
    let chars = Array(format.unicodeScalars)
    var args: [JinjaValue] = values.sequence.map { values.isTupleValue ? $0 : [values] } ?? [values]
    var out = ""
    var i = 0
    func scan(_ set: String) -> String {
        var s = ""
        while i < chars.count, set.unicodeScalars.contains(chars[i]) { s.unicodeScalars.append(chars[i]); i += 1 }
        return s
    }
    while i < chars.count {
        guard chars[i] == "%" else { out.unicodeScalars.append(chars[i]); i += 1; continue }
        i += 1
        var value: JinjaValue?
        if i < chars.count, chars[i] == "(" {
            var key = ""
            i += 1
            while i < chars.count, chars[i] != ")" { key.unicodeScalars.append(chars[i]); i += 1 }
            i += 1
            guard case .dict(let d) = values, let v = d[key] else { throw JinjaError("format requires a mapping with key '\(key)'") }
            value = v
        }
        let flags = scan("-+ #0"), width = scan("0123456789")
        var precision: String?
        if i < chars.count, chars[i] == "." { i += 1; precision = scan("0123456789") }
        guard i < chars.count else { throw JinjaError("incomplete format") }
        let conversion = chars[i]
        i += 1
        if conversion == "%" { out += "%"; continue }
        if value == nil {
            guard !args.isEmpty else { throw JinjaError("not enough arguments for format string") }
            value = args.removeFirst()
        }
        let v = value!
        var text: String
        switch conversion {
        case "s", "r", "a":
            text = conversion == "s" ? v.pythonString : v.pythonRepr
            if let p = precision.flatMap({ Int($0) }) { text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(p))) }
        case "d", "i", "u", "x", "X", "o":
            guard let n = v.number else { throw JinjaError("%\(conversion) format: a real number is required, not \(v.typeName)") }
            let k = n.int
            let radix = conversion == "x" || conversion == "X" ? 16 : conversion == "o" ? 8 : 10
            text = String(abs(k), radix: radix, uppercase: conversion == "X")
            if flags.contains("#"), radix != 10 { text = (radix == 16 ? "0" + String(conversion) : "0o") + text }
            text = (k < 0 ? "-" : flags.contains("+") ? "+" : flags.contains(" ") ? " " : "") + text
        case "f", "F", "e", "E", "g", "G":
            guard let n = v.number else { throw JinjaError("must be real number, not \(v.typeName)") }
            let spec = "%" + flags.filter { $0 != "0" && $0 != "-" } + "." + (precision.map { $0.isEmpty ? "0" : $0 } ?? "6") + String(conversion)
            text = String(format: spec, n.double)
        case "c":
            if case .int(let code) = v.number, let u = Unicode.Scalar(code) { text = String(u) } else { text = v.pythonString }
        default: throw JinjaError("unsupported format character '\(conversion)'")
        }
        let padding = max((Int(width) ?? 0) - text.unicodeScalars.count, 0)
        if flags.contains("-") {
            text += String(repeating: " ", count: padding)
        } else if flags.contains("0"), "dixXofFeEgGu".unicodeScalars.contains(conversion) {
            let signed = text.hasPrefix("-") || text.hasPrefix("+") || text.hasPrefix(" ")
            let sign = signed ? String(text.removeFirst()) : ""
            text = sign + String(repeating: "0", count: padding) + text
        } else {
            text = String(repeating: " ", count: padding) + text
        }
        out += text
    }
    guard args.isEmpty || !values.isTupleValue else { throw JinjaError("not all arguments converted during string formatting") }
    return out
}

/// Python's `str.format`: `{}`, `{0}`, `{name}`, `{{`/`}}`, `!r`/`!s`, and a format spec of
/// `[[fill]align][sign][0][width][.precision][type]`.
func pythonStringFormat(_ format: String, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> String {
    let chars = Array(format.unicodeScalars)
    var out = ""
    var i = 0, automatic = 0
    while i < chars.count {
        let c = chars[i]
        if c == "}" {
            guard i + 1 < chars.count, chars[i + 1] == "}" else { throw JinjaError("Single '}' encountered in format string") }
            out += "}"; i += 2; continue
        }
        guard c == "{" else { out.unicodeScalars.append(c); i += 1; continue }
        if i + 1 < chars.count, chars[i + 1] == "{" { out += "{"; i += 2; continue }
        guard let close = chars[i...].firstIndex(of: "}") else { throw JinjaError("Single '{' encountered in format string") }
        let field = String(String.UnicodeScalarView(chars[(i + 1)..<close]))
        i = close + 1
        var name = field, spec = "", conversion: Character?
        if let colon = name.firstIndex(of: ":") { spec = String(name[name.index(after: colon)...]); name = String(name[..<colon]) }
        if let bang = name.firstIndex(of: "!") { conversion = name[name.index(after: bang)...].first; name = String(name[..<bang]) }
        let value: JinjaValue
        if name.isEmpty {
            guard automatic < args.count else { throw JinjaError("Replacement index \(automatic) out of range for positional args tuple") }
            value = args[automatic]; automatic += 1
        } else if let index = Int(name) {
            guard index < args.count else { throw JinjaError("Replacement index \(index) out of range for positional args tuple") }
            value = args[index]
        } else {
            guard let v = kwargs.first(where: { $0.0 == name })?.1 else { throw JinjaError("KeyError: \(pythonStringRepr(name))") }
            value = v
        }
        let converted: JinjaValue = conversion == "r" ? .string(value.pythonRepr) : conversion == "s" ? .string(value.pythonString) : value
        out += try formatSpec(converted, spec)
    }
    return out
}

/// One value through a format spec, by way of the equivalent `%` conversion and then alignment.
private func formatSpec(_ value: JinjaValue, _ spec: String) throws -> String {
    guard !spec.isEmpty else { return value.pythonString }
    var s = Array(spec)
    var fill: Character = " ", align: Character?
    if s.count >= 2, "<>^=".contains(s[1]) { fill = s[0]; align = s[1]; s.removeFirst(2) } else if let f = s.first, "<>^=".contains(f) { align = f; s.removeFirst() }
    var sign = ""
    if let f = s.first, "+- ".contains(f) { sign = String(f); s.removeFirst() }
    if s.first == "0", align == nil { fill = "0"; align = "="; s.removeFirst() }
    var width = ""
    while let f = s.first, f.isNumber { width.append(f); s.removeFirst() }
    var precision = ""
    if s.first == "." { s.removeFirst(); while let f = s.first, f.isNumber { precision.append(f); s.removeFirst() } }
    let type = s.first
    var text: String
    if let type, "dfFeEgGxXo%".contains(type) {
        let conversion = type == "%" ? "f" : String(type)
        let number: JinjaValue = type == "%" ? .float((value.number?.double ?? 0) * 100) : value
        text = try pythonPercentFormat("%" + (sign == "-" ? "" : sign) + (precision.isEmpty ? "" : "." + precision) + conversion, number)
        if type == "%" { text += "%" }
    } else {
        text = value.pythonString
        if !precision.isEmpty, let p = Int(precision) { text = String(text.prefix(p)) }
    }
    let padding = max((Int(width) ?? 0) - text.count, 0)
    let pad = String(repeating: fill, count: padding)
    switch align ?? (value.number != nil && !value.isBool ? ">" : "<") {
    case ">": return pad + text
    case "^": return String(pad.prefix(padding / 2)) + text + String(pad.prefix(padding - padding / 2))
    case "=":
        let signed = text.first.map { "+- ".contains($0) } ?? false
        return signed ? String(text.first!) + pad + text.dropFirst() : pad + text
    default: return text + pad
    }
}

extension JinjaValue {
    var isTupleValue: Bool { if case .tuple = self { return true } else { return false } }
}

/// Python's `datetime.strftime` in the C locale for the codes chat templates use (`%d %b %Y`, …).
func pythonStrftime(_ format: String, _ date: Date) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone.current
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
    let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
    let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let (year, month, day) = (c.year ?? 1970, c.month ?? 1, c.day ?? 1)
    let (hour, minute, second, weekday) = (c.hour ?? 0, c.minute ?? 0, c.second ?? 0, (c.weekday ?? 1) - 1)
    var out = ""
    var chars = format.unicodeScalars.makeIterator()
    while let ch = chars.next() {
        guard ch == "%" else { out.unicodeScalars.append(ch); continue }
        guard let code = chars.next() else { out += "%"; break }
        switch code {
        case "d": out += two(day)
        case "e": out += day < 10 ? " \(day)" : "\(day)"
        case "m": out += two(month)
        case "Y": out += String(year)
        case "y": out += two(year % 100)
        case "b", "h": out += String(months[month - 1].prefix(3))
        case "B": out += months[month - 1]
        case "a": out += String(days[weekday].prefix(3))
        case "A": out += days[weekday]
        case "w": out += String(weekday)
        case "j": out += (dayOfYear < 100 ? "0" : "") + two(dayOfYear)
        case "H": out += two(hour)
        case "I": out += two(hour % 12 == 0 ? 12 : hour % 12)
        case "p": out += hour < 12 ? "AM" : "PM"
        case "M": out += two(minute)
        case "S": out += two(second)
        case "F": out += "\(year)-\(two(month))-\(two(day))"
        case "%": out += "%"
        default: out += "%" + String(code)
        }
    }
    return out
}
