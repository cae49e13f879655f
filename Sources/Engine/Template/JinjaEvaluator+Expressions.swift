// Expression evaluation with Python's operators: + - * / // % ** on ints and floats (and + on strings
// and lists, % as string formatting), `~` through str(), comparisons, `in`, and jinja2's lookup rules
// (`a.b` tries the attribute then the item, `a['b']` the item then the attribute; a missing one is undefined).
import Foundation

extension JinjaEvaluator {
    func evaluate(_ e: JinjaExpr, _ scope: JinjaScope) throws -> JinjaValue {
        switch e {
        case .literal(let v): return v
        case .name(let n, _): return scope.lookup(n) ?? .undefined(hint: "'\(n)' is undefined")
        case .list(let items): return .list(try items.map { try evaluate($0, scope) })
        case .tuple(let items): return .tuple(try items.map { try evaluate($0, scope) })
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs {
                let keyValue = try evaluate(k, scope)
                guard let key = JinjaKey(keyValue) else { throw JinjaError("unsupported dict key type '\(keyValue.typeName)'") }
                d[key] = try evaluate(v, scope)
            }
            return .dict(d)
        case .attribute(let base, let name, _): return try attribute(of: try evaluate(base, scope).plain, name)
        case .item(let base, let key, _): return try item(of: try evaluate(base, scope).plain, try evaluate(key, scope).plain)
        case .slice(let base, let start, let stop, let step, _):
            let value = try evaluate(base, scope).plain
            func bound(_ e: JinjaExpr?) throws -> Int? {
                guard let e else { return nil }
                let v = try evaluate(e, scope)
                if case .none = v { return nil }
                guard case .int(let i) = v.number else { throw JinjaError("slice indices must be integers or None") }
                return i
            }
            return try slice(value, try bound(start), try bound(stop), try bound(step))
        case .call(let callee, let args, let kwargs, _):
            let f = try evaluate(callee, scope)
            guard case .function(let function) = f else {
                if case .undefined(let hint) = f { throw JinjaError(hint) }
                throw JinjaError("'\(f.typeName)' object is not callable")
            }
            return try function.call(try args.map { try evaluate($0, scope) }, try kwargs.map { ($0.0, try evaluate($0.1, scope)) })
        case .filter(let base, let call): return try applyFilter(call, to: try evaluate(base, scope), scope)
        case .test(let base, let name, let args, let negated, _):
            let subject = try evaluate(base, scope)
            if name == "escaped" { return .bool(subject.isMarkup != negated) }
            let result = try applyTest(name, subject.plain, try args.map { try evaluate($0, scope).plain })
            return .bool(result != negated)
        case .unary(let op, let operand, _):
            let v = try evaluate(operand, scope)
            switch op {
            case "not": return .bool(!v.truthy)
            case "-":
                switch v.number {
                case .int(let i): return .int(-i)
                case .float(let d): return .float(-d)
                case nil: throw undefinedOr(v, "bad operand type for unary -: '\(v.typeName)'")
                }
            default:
                guard v.number != nil else { throw undefinedOr(v, "bad operand type for unary +: '\(v.typeName)'") }
                return v
            }
        case .binary("and", let a, let b, _):
            let left = try evaluate(a, scope)
            return left.truthy ? try evaluate(b, scope) : left
        case .binary("or", let a, let b, _):
            let left = try evaluate(a, scope)
            return left.truthy ? left : try evaluate(b, scope)
        case .binary(let op, let a, let b, _): return try binary(op, try evaluate(a, scope), try evaluate(b, scope))
        case .conditional(let then, let condition, let otherwise):
            if try evaluate(condition, scope).truthy { return try evaluate(then, scope) }
            return try otherwise.map { try evaluate($0, scope) } ?? .undefined(hint: "the inline if had no else")
        }
    }

    /// An operation on undefined raises UndefinedError with the lookup that failed; otherwise `message`.
    func undefinedOr(_ v: JinjaValue, _ message: String) -> JinjaError {
        if case .undefined(let hint) = v { return JinjaError(hint) }
        return JinjaError(message)
    }

    func binary(_ op: String, _ left: JinjaValue, _ right: JinjaValue) throws -> JinjaValue {
        if op == "+", left.isMarkup || right.isMarkup, case .string(let x) = left.plain, case .string(let y) = right.plain {
            return .markup((left.isMarkup ? x : htmlEscape(x)) + (right.isMarkup ? y : htmlEscape(y)))
        }
        let (a, b) = (left.plain, right.plain)
        switch op {
        case "==": return .bool(a.pythonEquals(b))
        case "!=": return .bool(!a.pythonEquals(b))
        case "<", ">", "<=", ">=":
            let (x, y) = op.hasPrefix("<") ? (a, b) : (b, a)
            guard let less = x.pythonLess(y) else {
                throw undefinedOr(a.isUndefined ? a : b, "'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
            }
            return .bool(op.count == 1 ? less : less || a.pythonEquals(b))
        case "in", "not in": return .bool(try contains(b, a) == (op == "in"))
        case "~": return .string(a.pythonString + b.pythonString)
        default: break
        }
        if case .undefined = a { throw undefinedOr(a, "") }
        if case .undefined = b { throw undefinedOr(b, "") }
        let mismatch = JinjaError("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)): return .string(x + y)
        case ("+", .list(let x), .list(let y)): return .list(x + y)
        case ("+", .tuple(let x), .tuple(let y)): return .tuple(x + y)
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard case .int(let n) = (a.number != nil ? a : b).number else { throw mismatch }
            return .string(String(repeating: s, count: max(n, 0)))
        case ("*", .list(let l), _), ("*", _, .list(let l)):
            guard case .int(let n) = (a.number != nil ? a : b).number else { throw mismatch }
            return .list(Array([[JinjaValue]](repeating: l, count: max(n, 0)).joined()))
        case ("%", .string(let format), _): return .string(try pythonPercentFormat(format, b))
        default: break
        }
        guard let x = a.number, let y = b.number else { throw mismatch }
        if case .int(let i) = x, case .int(let j) = y {
            switch op {
            case "+": return .int(i &+ j)
            case "-": return .int(i &- j)
            case "*": return .int(i &* j)
            case "/": guard j != 0 else { throw JinjaError("division by zero") }; return .float(Double(i) / Double(j))
            case "//", "%":
                guard j != 0 else { throw JinjaError("integer division or modulo by zero") }
                var q = i / j
                if (i % j != 0) && ((i < 0) != (j < 0)) { q -= 1 }  // Python floors toward minus infinity
                return .int(op == "//" ? q : i - q * j)
            case "**":
                guard j >= 0 else { return .float(pow(Double(i), Double(j))) }
                var r = 1
                for _ in 0..<j { r = r &* i }
                return .int(r)
            default: throw mismatch
            }
        }
        let (p, q) = (x.double, y.double)
        switch op {
        case "+": return .float(p + q)
        case "-": return .float(p - q)
        case "*": return .float(p * q)
        case "/": guard q != 0 else { throw JinjaError("float division by zero") }; return .float(p / q)
        case "//": guard q != 0 else { throw JinjaError("float floor division by zero") }; return .float((p / q).rounded(.down))
        case "%":
            guard q != 0 else { throw JinjaError("float modulo") }
            let r = p.truncatingRemainder(dividingBy: q)
            return .float(r != 0 && (r < 0) != (q < 0) ? r + q : r)
        case "**": return .float(pow(p, q))
        default: throw mismatch
        }
    }

    /// Python's `needle in haystack`.
    func contains(_ markupHaystack: JinjaValue, _ markupNeedle: JinjaValue) throws -> Bool {
        let (haystack, needle) = (markupHaystack.plain, markupNeedle.plain)
        switch haystack {
        case .string(let s):
            guard case .string(let n) = needle else {
                throw undefinedOr(needle, "'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return n.isEmpty || s.contains(n)
        case .list(let a), .tuple(let a): return a.contains { $0.pythonEquals(needle) }
        case .dict(let d):
            return JinjaKey(needle).map { d[$0] != nil } ?? false
        case .undefined: return false
        default: throw JinjaError("argument of type '\(haystack.typeName)' is not iterable")
        }
    }

    /// `a.b`: a method or attribute first (dict methods win over keys, as in jinja2), then the item.
    func attribute(of value: JinjaValue, _ name: String) throws -> JinjaValue {
        switch value {
        case .undefined(let hint): throw JinjaError(hint)
        case .namespace(let ns): return ns.attributes[name] ?? .undefined(hint: "'Namespace' object has no attribute '\(name)'")
        default:
            if let method = method(of: value, name) { return method }
            return try item(of: value, .string(name), attributeFallback: false)
        }
    }

    /// `a[k]`: the item first (negative list indices count from the end), then the attribute.
    func item(of value: JinjaValue, _ key: JinjaValue, attributeFallback: Bool = true) throws -> JinjaValue {
        let missing = JinjaValue.undefined(hint: "'\(value.typeName) object' has no attribute \(key.pythonRepr)")
        switch (value, key) {
        case (.undefined(let hint), _): throw JinjaError(hint)
        case (.dict(let d), _): if let k = JinjaKey(key), let v = d[k] { return v }
        case (.namespace(let ns), .string(let k)): return ns.attributes[k] ?? missing
        case (.list(let a), _), (.tuple(let a), _):
            if case .int(let i) = key.number, !(key.isBool) {
                let j = i < 0 ? a.count + i : i
                return j >= 0 && j < a.count ? a[j] : missing
            }
        case (.string(let s), _):
            if case .int(let i) = key.number, !(key.isBool) {
                let scalars = Array(s.unicodeScalars)
                let j = i < 0 ? scalars.count + i : i
                return j >= 0 && j < scalars.count ? .string(String(scalars[j])) : missing
            }
        default: break
        }
        if attributeFallback, case .string(let name) = key, let method = method(of: value, name) { return method }
        return missing
    }

    /// Python's `seq[start:stop:step]` on lists, tuples and strings.
    func slice(_ value: JinjaValue, _ start: Int?, _ stop: Int?, _ step: Int?) throws -> JinjaValue {
        let step = step ?? 1
        guard step != 0 else { throw JinjaError("slice step cannot be zero") }
        func indices(_ n: Int) -> [Int] {
            func clamp(_ i: Int?, _ fallback: Int) -> Int {
                guard var i else { return fallback }
                if i < 0 { i += n }
                return step > 0 ? min(max(i, 0), n) : min(max(i, -1), n - 1)
            }
            let from = clamp(start, step > 0 ? 0 : n - 1), to = clamp(stop, step > 0 ? n : -1)
            return Array(stride(from: from, to: to, by: step))
        }
        switch value {
        case .list(let a): return .list(indices(a.count).map { a[$0] })
        case .tuple(let a): return .tuple(indices(a.count).map { a[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        default: throw undefinedOr(value, "'\(value.typeName)' object is not subscriptable")
        }
    }
}

extension JinjaValue.Number {
    var double: Double {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        }
    }
}

extension JinjaValue {
    var isBool: Bool { if case .bool = self { return true } else { return false } }
}
