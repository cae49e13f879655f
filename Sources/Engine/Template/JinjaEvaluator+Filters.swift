// jinja2's built-in filters with their Python semantics, plus transformers' `tojson`
// (json.dumps with ensure_ascii=False and its indent, separators and sort_keys arguments).
import Foundation

/// A filter's or test's arguments: positional, then by keyword, then the default.
struct JinjaArguments {
    let positional: [JinjaValue]
    let keyword: [(String, JinjaValue)]

    func get(_ index: Int, _ name: String) -> JinjaValue? {
        if index < positional.count { return positional[index] }
        return keyword.first { $0.0 == name }?.1
    }

    func string(_ index: Int, _ name: String) -> String? {
        if case .string(let s) = get(index, name) { return s }
        return nil
    }

    func bool(_ index: Int, _ name: String, _ fallback: Bool) -> Bool { get(index, name)?.truthy ?? fallback }

    func int(_ index: Int, _ name: String) -> Int? {
        if case .int(let i) = get(index, name)?.number { return i }
        return nil
    }
}

extension JinjaEvaluator {
    static let filterNames: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first",
        "float", "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min",
        "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum",
        "title", "tojson", "trim", "unique", "upper", "wordcount",
    ]

    func applyFilter(_ call: JinjaFilterCall, to value: JinjaValue, _ scope: JinjaScope) throws -> JinjaValue {
        let args = JinjaArguments(positional: try call.args.map { try evaluate($0, scope) },
                                  keyword: try call.kwargs.map { ($0.0, try evaluate($0.1, scope)) })
        return try filter(call.name, value, args)
    }

    func filter(_ name: String, _ markupValue: JinjaValue, _ args: JinjaArguments) throws -> JinjaValue {
        switch name {
        case "safe": return .markup(markupValue.pythonString)
        case "e", "escape": return markupValue.isMarkup ? markupValue : .markup(htmlEscape(markupValue.pythonString))
        default: break
        }
        let value = markupValue.plain
        switch name {
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .list(let a), .tuple(let a): return .int(a.count)
            case .dict(let d): return .int(d.count)
            case .undefined: return .int(0)
            default: throw JinjaError("object of type '\(value.typeName)' has no len()")
            }
        case "default", "d":
            let useDefault = value.isUndefined || (args.bool(1, "boolean", false) && !value.truthy)
            return useDefault ? args.get(0, "default_value") ?? .string("") : value
        case "trim": return .string(pythonStrip(value.pythonString, chars: args.string(0, "chars")))
        case "upper": return .string(value.pythonString.uppercased())
        case "lower": return .string(value.pythonString.lowercased())
        case "capitalize": return .string(pythonCapitalize(value.pythonString))
        case "title": return .string(jinjaTitle(value.pythonString))
        case "string": return .string(value.pythonString)
        case "replace":
            guard let old = args.get(0, "old"), let new = args.get(1, "new") else { throw JinjaError("replace needs old and new") }
            return .string(pythonReplace(value.pythonString, old.pythonString, new.pythonString, count: args.int(2, "count") ?? -1))
        case "tojson":
            var indent: String?
            switch args.get(0, "indent") {
            case .int(let n)?: indent = String(repeating: " ", count: n)
            case .string(let s)?: indent = s
            default: break
            }
            var separators: (String, String)?
            if let pair = args.get(1, "separators")?.sequence, pair.count == 2 {
                separators = (pair[0].pythonString, pair[1].pythonString)
            }
            return .string(try value.pythonJSON(indent: indent, separators: separators, sortKeys: args.bool(2, "sort_keys", false)))
        case "join":
            var items = try iterate(value)
            if let attribute = args.string(1, "attribute") { items = try items.map { try lookupPath($0, attribute) } }
            return .string(items.map(\.pythonString).joined(separator: args.get(0, "d")?.pythonString ?? ""))
        case "first":
            return try iterate(value).first ?? .undefined(hint: "No first item, sequence was empty.")
        case "last":
            return try iterate(value).last ?? .undefined(hint: "No last item, sequence was empty.")
        case "list": return .list(try iterate(value))
        case "reverse":
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .list(try iterate(value).reversed())
        case "items":
            if case .undefined = value { return .list([]) }
            guard case .dict(let d) = value else { throw JinjaError("items filter: expected a mapping, got \(value.typeName)") }
            return .list(d.map { .tuple([$0.key.value, $0.value]) })
        case "dictsort":
            guard case .dict(let d) = value else { throw JinjaError("dictsort: expected a mapping, got \(value.typeName)") }
            let byValue = args.string(1, "by") == "value"
            let caseSensitive = args.bool(0, "case_sensitive", false)
            var pairs = d.map { ($0.key.value, $0.value) }
            try sortStable(&pairs, reverse: args.bool(2, "reverse", false)) { sortKey(byValue ? $0.1 : $0.0, caseSensitive) }
            return .list(pairs.map { .tuple([$0.0, $0.1]) })
        case "sort":
            var items = try iterate(value)
            let attribute = args.string(2, "attribute")
            let caseSensitive = args.bool(1, "case_sensitive", false)
            try sortStable(&items, reverse: args.bool(0, "reverse", false)) { item in sortKey(try attribute.map { try lookupPath(item, $0) } ?? item, caseSensitive) }
            return .list(items)
        case "unique":
            var seen: [JinjaValue] = []
            var out: [JinjaValue] = []
            let attribute = args.string(1, "attribute")
            for item in try iterate(value) {
                let key = sortKey(try attribute.map { try lookupPath(item, $0) } ?? item, args.bool(0, "case_sensitive", false))
                if !seen.contains(where: { $0.pythonEquals(key) }) { seen.append(key); out.append(item) }
            }
            return .list(out)
        case "map":
            guard value.truthy else { return .list([]) }  // jinja2 maps nothing over a falsy value, None included
            let items = try iterate(value)
            if let attribute = args.keyword.first(where: { $0.0 == "attribute" })?.1.pythonString {
                let fallback = args.keyword.first { $0.0 == "default" }?.1
                return .list(try items.map { item in
                    let v = try lookupPath(item, attribute)
                    return v.isUndefined ? fallback ?? v : v
                })
            }
            guard case .string(let filterName)? = args.positional.first, Self.filterNames.contains(filterName) else {
                throw JinjaError("map needs a filter name or attribute=")
            }
            let rest = JinjaArguments(positional: Array(args.positional.dropFirst()), keyword: args.keyword)
            return .list(try items.map { try filter(filterName, $0, rest) })
        case "select", "reject", "selectattr", "rejectattr":
            guard value.truthy else { return .list([]) }
            let byAttribute = name.hasSuffix("attr")
            let offset = byAttribute ? 1 : 0
            let attribute = byAttribute ? args.positional.first?.pythonString : nil
            let testName = args.positional.count > offset ? args.positional[offset].pythonString : nil
            let testArgs = Array(args.positional.dropFirst(offset + 1))
            if let testName, !Self.testNames.contains(testName) { throw JinjaError("no test named '\(testName)'") }
            let keep = name.hasPrefix("select")
            return .list(try iterate(value).filter { item in
                let subject = try attribute.map { try lookupPath(item, $0) } ?? item
                let passed = try testName.map { try applyTest($0, subject, testArgs) } ?? subject.truthy
                return passed == keep
            })
        case "int":
            let fallback = args.get(0, "default") ?? .int(0)
            switch value {
            case .int, .bool: return .int(value.number!.int)
            case .float(let d): return d.isFinite ? .int(Int(d)) : fallback
            case .string(let s):
                let t = pythonStrip(s, chars: nil).replacingOccurrences(of: "_", with: "")
                if let i = Int(t, radix: args.int(1, "base") ?? 10) { return .int(i) }
                if let d = Double(t), d.isFinite { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            switch value {
            case .int, .bool, .float: return .float(value.number!.double)
            case .string(let s): return Double(pythonStrip(s, chars: nil)).map { .float($0) } ?? args.get(0, "default") ?? .float(0)
            default: return args.get(0, "default") ?? .float(0)
            }
        case "abs":
            switch value.number {
            case .int(let i): return .int(abs(i))
            case .float(let d): return .float(abs(d))
            case nil: throw JinjaError("bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            guard let n = value.number else { throw JinjaError("round: expected a number, got \(value.typeName)") }
            let precision = args.int(0, "precision") ?? 0
            let scale = pow(10.0, Double(precision))
            let method = args.string(1, "method") ?? "common"
            let x = n.double * scale
            let r = method == "ceil" ? x.rounded(.up) : method == "floor" ? x.rounded(.down) : x.rounded(.toNearestOrEven)
            return .float(r / scale)
        case "sum":
            var total = args.get(1, "start") ?? .int(0)
            let attribute = args.string(0, "attribute")
            for item in try iterate(value) { total = try binary("+", total, try attribute.map { try lookupPath(item, $0) } ?? item) }
            return total
        case "min", "max":
            let items = try iterate(value)
            let caseSensitive = args.bool(0, "case_sensitive", false)
            let attribute = args.string(1, "attribute")
            guard var best = items.first else { return .undefined(hint: "No aggregated item, sequence was empty.") }
            for item in items.dropFirst() {
                let a = sortKey(try attribute.map { try lookupPath(item, $0) } ?? item, caseSensitive)
                let b = sortKey(try attribute.map { try lookupPath(best, $0) } ?? best, caseSensitive)
                guard let less = a.pythonLess(b) else { throw JinjaError("cannot compare \(a.typeName) and \(b.typeName)") }
                if less == (name == "min") && !a.pythonEquals(b) { best = item }
            }
            return best
        case "attr":
            // Python's getattr only: a dict's keys are not attributes.
            let attributeName = args.string(0, "name") ?? ""
            if case .namespace(let ns) = value { return ns.attributes[attributeName] ?? .undefined(hint: "no attribute '\(attributeName)'") }
            return method(of: value, attributeName) ?? .undefined(hint: "'\(value.typeName) object' has no attribute '\(attributeName)'")
        case "format": return .string(try pythonPercentFormat(value.pythonString, .tuple(args.positional)))
        case "center":
            let width = args.int(0, "width") ?? 80
            let s = value.pythonString
            let pad = width - s.unicodeScalars.count
            guard pad > 0 else { return .string(s) }
            let left = pad / 2 + (pad & width & 1)  // Python puts the odd space on the right unless width is odd too
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: pad - left))
        case "indent":
            let indentation: String
            if case .string(let w)? = args.get(0, "width") { indentation = w } else { indentation = String(repeating: " ", count: args.int(0, "width") ?? 4) }
            let lines = (value.pythonString + "\n").split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            var rendered = args.bool(2, "blank", false)
                ? lines.joined(separator: "\n" + indentation)
                : ([lines[0]] + lines.dropFirst().map { $0.isEmpty ? $0 : indentation + $0 }).joined(separator: "\n")
            if args.bool(1, "first", false) { rendered = indentation + rendered }
            return .string(rendered)
        case "wordcount":
            return .int(pythonSplit(value.pythonString.unicodeScalars.map { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" ? String($0) : " " }.joined(), separator: nil, maxSplit: -1, fromRight: false).count)
        case "batch":
            guard let size = args.int(0, "linecount"), size > 0 else { throw JinjaError("batch needs a positive size") }
            let items = try iterate(value)
            var rows = stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
            if let fill = args.get(1, "fill_with"), let lastRow = rows.last, lastRow.count < size {
                rows[rows.count - 1] += Array(repeating: fill, count: size - lastRow.count)
            }
            return .list(rows.map { .list($0) })
        default: throw JinjaError("no filter named '\(name)' found")
        }
    }

    /// `attribute` may be a dotted path (`'function.name'`) or an integer index, as jinja2's make_attrgetter reads it.
    func lookupPath(_ value: JinjaValue, _ path: String) throws -> JinjaValue {
        var v = value
        for part in path.split(separator: ".") {
            if v.isUndefined { return v }
            v = try item(of: v, Int(part).map { .int($0) } ?? .string(String(part)))
        }
        return v
    }

    /// jinja2 sorts strings case-insensitively unless asked otherwise.
    func sortKey(_ v: JinjaValue, _ caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    /// Python's stable `sorted(key=…, reverse=…)`; incomparable keys raise TypeError as Python does.
    func sortStable<T>(_ items: inout [T], reverse: Bool, key: (T) throws -> JinjaValue) throws {
        let keyed = try items.enumerated().map { ($0.offset, try key($0.element), $0.element) }
        var failure: JinjaError?
        let sorted = keyed.sorted { a, b in
            let (x, y) = reverse ? (b.1, a.1) : (a.1, b.1)
            guard let less = x.pythonLess(y) else {
                failure = JinjaError("'<' not supported between instances of '\(x.typeName)' and '\(y.typeName)'")
                return false
            }
            if less { return true }
            if y.pythonLess(x) == true { return false }
            return a.0 < b.0
        }
        if let failure { throw failure }
        items = sorted.map(\.2)
    }

    /// jinja2's `title` filter: each word (split at spaces, dashes and opening brackets) gets an upper
    /// first letter and lower rest.
    private func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for u in s.unicodeScalars {
            let separator = isPythonSpace(u) || "-({[<".unicodeScalars.contains(u)
            out += separator ? String(u) : atWordStart ? String(u).uppercased() : String(u).lowercased()
            atWordStart = separator
        }
        return out
    }
}

/// markupsafe's escape: & < > " ' as HTML entities.
func htmlEscape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

extension JinjaValue {
    var isMarkup: Bool { if case .markup = self { return true } else { return false } }
}

extension JinjaValue.Number {
    var int: Int {
        switch self {
        case .int(let i): return i
        case .float(let d): return Int(d)
        }
    }
}
