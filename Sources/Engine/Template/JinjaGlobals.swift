// The functions a chat template can call: jinja2's `range`, `dict`, `namespace`, and transformers'
// `raise_exception` and `strftime_now`; plus Python's `%` string formatting and `strftime`.
import Foundation

extension JinjaEvaluator {
    /// The globals every render starts with; the context's variables shadow them.
    func globals() -> [String: JinjaValue] {
        [
            "range": .function(JinjaFunction("range") { args, _ in
                let bounds = try args.map { v -> Int in
                    guard case .int(let i) = v.number else { throw JinjaError("range() takes integers, not \(v.typeName)") }
                    return i
                }
                let (start, stop, step) = bounds.count == 1 ? (0, bounds[0], 1)
                    : (bounds[0], bounds.count > 1 ? bounds[1] : 0, bounds.count > 2 ? bounds[2] : 1)
                guard step != 0 else { throw JinjaError("range() arg 3 must not be zero") }
                let values = stride(from: start, to: stop, by: step)
                // jinja2's sandbox refuses ranges past 100000 items.
                guard values.underestimatedCount <= 100_000 else { throw JinjaError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).") }
                return .list(values.map { .int($0) })
            }),
            "dict": .function(JinjaFunction("dict") { args, kwargs in .dict(try self.dictionary(args, kwargs)) }),
            "namespace": .function(JinjaFunction("namespace") { args, kwargs in
                let attributes = try self.dictionary(args, kwargs)
                try attributes.keys.forEach(checkNamespaceName)
                return .namespace(JinjaNamespace(attributes))
            }),
            "raise_exception": .function(JinjaFunction("raise_exception") { args, _ in
                throw JinjaError(args.first?.pythonString ?? "", raisedByTemplate: true)
            }),
            "strftime_now": .function(JinjaFunction("strftime_now") { args, _ in
                .string(pythonStrftime(args.first?.pythonString ?? "", self.now))
            }),
        ]
    }

    /// `dict(mapping, key=value)` as Python builds it.
    private func dictionary(_ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaDict {
        var d = JinjaDict()
        if let first = args.first {
            guard case .dict(let base) = first else { throw JinjaError("expected a mapping, got \(first.typeName)") }
            d = base
        }
        for (k, v) in kwargs { d[k] = v }
        return d
    }
}

/// transformers' namespaces refuse underscore-prefixed names (a way into CPython internals).
func checkNamespaceName(_ name: String) throws {
    if name.hasPrefix("_") {
        throw JinjaError("Chat templates cannot store underscore-prefixed attributes on a namespace, but got \(pythonStringRepr(name)). Please rename the attribute.")
    }
}

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
