// The Python methods templates call on values (`content.strip()`, `text.split('</think>')`,
// `message.items()`, `d.get('k')`) with Python's semantics. Mutating methods (`append`, `update`, `pop`)
// are refused, as transformers' ImmutableSandboxedEnvironment refuses them.

extension JinjaEvaluator {
    func method(of value: JinjaValue, _ name: String) -> JinjaValue? {
        let body: (([JinjaValue], [(String, JinjaValue)]) throws -> JinjaValue)?
        switch value {
        case .string(let s): body = stringMethod(s, name)
        case .dict(let d): body = dictMethod(d, name)
        case .list(let a), .tuple(let a):
            switch name {
            case "index": body = { args, _ in
                guard let i = a.firstIndex(where: { $0.pythonEquals(args.first ?? .none) }) else { throw JinjaError("value is not in list") }
                return .int(i)
            }
            case "count": body = { args, _ in .int(a.filter { $0.pythonEquals(args.first ?? .none) }.count) }
            case "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse":
                body = { _, _ in throw JinjaError("access to attribute '\(name)' of '\(value.typeName)' object is unsafe") }
            default: body = nil
            }
        default: body = nil
        }
        return body.map { .function(JinjaFunction(name, $0)) }
    }

    private func dictMethod(_ d: JinjaDict, _ name: String) -> (([JinjaValue], [(String, JinjaValue)]) throws -> JinjaValue)? {
        switch name {
        case "items": return { _, _ in .list(d.map { .tuple([$0.key.value, $0.value]) }) }
        case "keys": return { _, _ in .list(d.keys.map(\.value)) }
        case "values": return { _, _ in .list(d.map(\.value)) }
        case "get": return { args, _ in
            guard let k = JinjaKey(args.first ?? .none), let v = d[k] else { return args.count > 1 ? args[1] : .none }
            return v
        }
        case "copy": return { _, _ in .dict(d) }
        case "pop", "popitem", "update", "setdefault", "clear":
            return { _, _ in throw JinjaError("access to attribute '\(name)' of 'dict' object is unsafe") }
        default: return nil
        }
    }

    private func stringMethod(_ s: String, _ name: String) -> (([JinjaValue], [(String, JinjaValue)]) throws -> JinjaValue)? {
        func text(_ args: [JinjaValue], _ i: Int) -> String? {
            if i < args.count, case .string(let t) = args[i] { return t }
            return nil
        }
        switch name {
        case "strip", "lstrip", "rstrip":
            return { args, _ in .string(pythonStrip(s, chars: text(args, 0), leading: name != "rstrip", trailing: name != "lstrip")) }
        case "split", "rsplit":
            return { args, kwargs in
                let sep = text(args, 0) ?? kwargs.first { $0.0 == "sep" }.flatMap { if case .string(let t) = $0.1 { return t } else { return nil } }
                var maxSplit = -1
                if args.count > 1, case .int(let m) = args[1] { maxSplit = m }
                if let m = kwargs.first(where: { $0.0 == "maxsplit" }), case .int(let v) = m.1 { maxSplit = v }
                if sep == "" { throw JinjaError("empty separator") }
                return .list(pythonSplit(s, separator: sep, maxSplit: maxSplit, fromRight: name == "rsplit").map { .string($0) })
            }
        case "splitlines":
            return { _, _ in .list(s.split(omittingEmptySubsequences: false) { $0 == "\n" }.map { .string(String($0)) }.dropLast(s.hasSuffix("\n") ? 1 : 0)) }
        case "startswith", "endswith":
            return { args, _ in
                let candidates: [JinjaValue] = args.first?.sequence ?? [args.first ?? .none]
                for c in candidates {
                    guard case .string(let p) = c else { throw JinjaError("\(name) first arg must be str or a tuple of str, not \(c.typeName)") }
                    if name == "startswith" ? s.unicodeScalars.starts(with: p.unicodeScalars)
                        : s.unicodeScalars.reversed().starts(with: p.unicodeScalars.reversed()) { return .bool(true) }
                }
                return .bool(false)
            }
        case "replace":
            return { args, _ in
                guard let old = text(args, 0), let new = text(args, 1) else { throw JinjaError("replace() takes two strings") }
                var count = -1
                if args.count > 2, case .int(let c) = args[2] { count = c }
                return .string(pythonReplace(s, old, new, count: count))
            }
        case "upper": return { _, _ in .string(s.uppercased()) }
        case "lower": return { _, _ in .string(s.lowercased()) }
        case "title": return { _, _ in .string(pythonTitle(s)) }
        case "capitalize": return { _, _ in .string(pythonCapitalize(s)) }
        case "find", "rfind", "index", "rindex", "count":
            return { args, _ in
                guard let needle = text(args, 0) else { throw JinjaError("\(name)() argument must be str") }
                let hay = Array(s.unicodeScalars), n = Array(needle.unicodeScalars)
                var hits: [Int] = []
                var i = 0
                while i + n.count <= hay.count {
                    if Array(hay[i..<(i + n.count)]) == n { hits.append(i); i += max(n.count, 1) } else { i += 1 }
                }
                if name == "count" { return .int(hits.count) }
                guard let hit = name.hasPrefix("r") ? hits.last : hits.first else {
                    if name.hasSuffix("index") { throw JinjaError("substring not found") }
                    return .int(-1)
                }
                return .int(hit)
            }
        case "format":
            return { args, kwargs in .string(try pythonStringFormat(s, args, kwargs)) }
        case "join":
            return { args, _ in .string(try self.iterate(args.first ?? .none).map(\.pythonString).joined(separator: s)) }
        case "isdigit", "isalpha", "isspace", "isalnum", "islower", "isupper":
            return { _, _ in .bool(pythonCharacterTest(s, name)) }
        default: return nil
        }
    }
}

/// Python's `str.strip(chars)`: whitespace when chars is nil.
func pythonStrip(_ s: String, chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
    let set = chars.map { Set($0.unicodeScalars) }
    let strip: (Unicode.Scalar) -> Bool = { set?.contains($0) ?? isPythonSpace($0) }
    var scalars = Substring(s).unicodeScalars[...]
    if leading { while let f = scalars.first, strip(f) { scalars.removeFirst() } }
    if trailing { while let l = scalars.last, strip(l) { scalars.removeLast() } }
    return String(String.UnicodeScalarView(scalars))
}

/// Python's `str.split(sep, maxsplit)` and `rsplit`: runs of whitespace when sep is nil.
func pythonSplit(_ s: String, separator: String?, maxSplit: Int, fromRight: Bool) -> [String] {
    let scalars = Array(s.unicodeScalars)
    func string(_ r: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(r)) }
    guard let separator else {
        var words: [Range<Int>] = []
        var i = 0
        while i < scalars.count {
            while i < scalars.count, isPythonSpace(scalars[i]) { i += 1 }
            guard i < scalars.count else { break }
            let start = i
            while i < scalars.count, !isPythonSpace(scalars[i]) { i += 1 }
            words.append(start..<i)
        }
        guard maxSplit >= 0, words.count > maxSplit + 1 else { return words.map { string(scalars[$0]) } }
        if fromRight {
            let kept = words.suffix(maxSplit)
            var head = string(scalars[..<kept.first.map(\.lowerBound)!])
            head = pythonStrip(head, chars: nil, leading: false)
            return [head] + kept.map { string(scalars[$0]) }
        }
        let kept = words.prefix(maxSplit)
        let tail = pythonStrip(string(scalars[words[maxSplit].lowerBound...]), chars: nil, trailing: false)
        return kept.map { string(scalars[$0]) } + [tail]
    }
    let sep = Array(separator.unicodeScalars)
    var cuts: [Int] = []
    var i = 0
    while i + sep.count <= scalars.count {
        if Array(scalars[i..<(i + sep.count)]) == sep { cuts.append(i); i += sep.count } else { i += 1 }
    }
    if maxSplit >= 0, cuts.count > maxSplit { cuts = fromRight ? Array(cuts.suffix(maxSplit)) : Array(cuts.prefix(maxSplit)) }
    var parts: [String] = []
    var start = 0
    for c in cuts { parts.append(string(scalars[start..<c])); start = c + sep.count }
    parts.append(string(scalars[start...]))
    return parts
}

/// Python's `str.replace(old, new, count)`; an empty `old` inserts `new` between characters.
func pythonReplace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
    if old.isEmpty {
        var out = "", done = 0
        for u in s.unicodeScalars {
            if count < 0 || done < count { out += new; done += 1 }
            out.unicodeScalars.append(u)
        }
        if count < 0 || done < count { out += new }
        return out
    }
    let parts = pythonSplit(s, separator: old, maxSplit: count, fromRight: false)
    return parts.joined(separator: new)
}

/// Python's `str.title()`: a letter after a cased letter is lowered, any other letter uppered.
func pythonTitle(_ s: String) -> String {
    var out = ""
    var previousCased = false
    for u in s.unicodeScalars {
        let cased = u.properties.isCased
        out += previousCased ? String(u).lowercased() : String(u).uppercased()
        previousCased = cased
    }
    return out
}

/// Python's `str.capitalize()`: the first character uppered (title case), the rest lowered.
func pythonCapitalize(_ s: String) -> String {
    guard let first = s.unicodeScalars.first else { return s }
    return first.properties.titlecaseMapping + String(String.UnicodeScalarView(s.unicodeScalars.dropFirst())).lowercased()
}

private func pythonCharacterTest(_ s: String, _ name: String) -> Bool {
    let scalars = Array(s.unicodeScalars)
    switch name {
    case "isdigit": return !scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit }
    case "isalpha": return !scalars.isEmpty && scalars.allSatisfy(\.properties.isAlphabetic)
    case "isalnum": return !scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil }
    case "isspace": return !scalars.isEmpty && scalars.allSatisfy(isPythonSpace)
    case "islower": return scalars.contains(where: \.properties.isCased) && !scalars.contains(where: \.properties.isUppercase)
    default: return scalars.contains(where: \.properties.isCased) && !scalars.contains(where: \.properties.isLowercase)
    }
}
