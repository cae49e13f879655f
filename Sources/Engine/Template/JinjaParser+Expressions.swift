// Expressions with jinja2's precedence, loosest first: `a if c else b`, or, and, not, comparisons and
// `in`, + -, ~, * / // %, **, unary -, then postfix `.attr` `[i]` `[a:b:c]` `(args)`, `|filter` and `is test`.

extension JinjaParser {
    /// A comma list without brackets becomes a tuple (`{% set a, b = 1, 2 %}`, `{{ a, b }}`).
    mutating func parseTuple(withConditional: Bool = true) throws -> JinjaExpr {
        let first = try parseExpression(withConditional: withConditional)
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if current == .blockEnd || current == .variableEnd || isOp(")") { break }
            items.append(try parseExpression(withConditional: withConditional))
        }
        return .tuple(items)
    }

    mutating func parseExpression(withConditional: Bool = true) throws -> JinjaExpr {
        let mark = unknownNames.count
        var e = try parseOr()
        guard withConditional else { return e }
        while skipName("if") {
            // A conditional expression is a soft frame too: its unknown filters wait until they run.
            unknownNames.removeSubrange(mark...)
            let outerSoft = softFrame
            softFrame = true
            defer { softFrame = outerSoft }
            let condition = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            e = .conditional(then: e, condition: condition, otherwise: otherwise)
        }
        return e
    }

    private mutating func parseOr() throws -> JinjaExpr {
        var e = try parseAnd()
        while isName("or") { let l = line; index += 1; e = .binary("or", e, try parseAnd(), line: l) }
        return e
    }

    private mutating func parseAnd() throws -> JinjaExpr {
        var e = try parseNot()
        while isName("and") { let l = line; index += 1; e = .binary("and", e, try parseNot(), line: l) }
        return e
    }

    private mutating func parseNot() throws -> JinjaExpr {
        if isName("not") { let l = line; index += 1; return .unary("not", try parseNot(), line: l) }
        return try parseCompare()
    }

    /// Comparisons chain as Python's do: `a < b < c` is `a < b and b < c`.
    private mutating func parseCompare() throws -> JinjaExpr {
        var left = try parseMath1()
        var result: JinjaExpr?
        while true {
            let l = line
            var op: String
            if case .op(let o) = current, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                op = o
                index += 1
            } else if isName("in") {
                op = "in"
                index += 1
            } else if isName("not"), index + 1 < tokens.count, tokens[index + 1].token == .name("in") {
                op = "not in"
                index += 2
            } else {
                break
            }
            let right = try parseMath1()
            let comparison = JinjaExpr.binary(op, left, right, line: l)
            result = result.map { .binary("and", $0, comparison, line: l) } ?? comparison
            left = right
        }
        return result ?? left
    }

    private mutating func parseMath1() throws -> JinjaExpr {
        var e = try parseConcat()
        while case .op(let o) = current, o == "+" || o == "-" { let l = line; index += 1; e = .binary(o, e, try parseConcat(), line: l) }
        return e
    }

    private mutating func parseConcat() throws -> JinjaExpr {
        var e = try parseMath2()
        while isOp("~") { let l = line; index += 1; e = .binary("~", e, try parseMath2(), line: l) }
        return e
    }

    private mutating func parseMath2() throws -> JinjaExpr {
        var e = try parsePow()
        while case .op(let o) = current, ["*", "/", "//", "%"].contains(o) { let l = line; index += 1; e = .binary(o, e, try parsePow(), line: l) }
        return e
    }

    private mutating func parsePow() throws -> JinjaExpr {
        var e = try parseUnary()
        while isOp("**") { let l = line; index += 1; e = .binary("**", e, try parseUnary(), line: l) }
        return e
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> JinjaExpr {
        var e: JinjaExpr
        if case .op(let o) = current, o == "-" || o == "+" {
            let l = line
            index += 1
            e = .unary(o, try parseUnary(withFilter: false), line: l)
        } else {
            e = try parsePostfix(try parsePrimary())
        }
        return withFilter ? try parseFilterExpression(e) : e
    }

    private mutating func parsePrimary() throws -> JinjaExpr {
        let l = line
        switch next() {
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n, line: l)
            }
        case .string(var s):
            while case .string(let more) = current { s += more; index += 1 }  // "a" "b" is "ab"
            return .literal(.string(s))
        case .integer(let i): return .literal(.int(i))
        case .float(let d): return .literal(.float(d))
        case .op("("):
            if skipOp(")") { return .tuple([]) }
            let first = try parseExpression()
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") {
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            var items: [JinjaExpr] = []
            while !skipOp("]") {
                if !items.isEmpty { try expectOp(","); if skipOp("]") { break } }
                items.append(try parseExpression())
            }
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !skipOp("}") {
                if !pairs.isEmpty { try expectOp(","); if skipOp("}") { break } }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            return .dict(pairs)
        case let t:
            throw JinjaError("unexpected \(describe(t)) in an expression", line: l)
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpr) throws -> JinjaExpr {
        var e = base
        while true {
            let l = line
            if skipOp(".") {
                switch next() {
                case .name(let n): e = .attribute(e, n, line: l)
                case .integer(let i): e = .item(e, .literal(.int(i)), line: l)
                case let t: throw JinjaError("expected an attribute name after '.', got \(describe(t))", line: l)
                }
            } else if skipOp("[") {
                e = try parseSubscript(e, line: l)
            } else if isOp("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    /// `[i]` or a slice `[start:stop:step]` with any part left out.
    private mutating func parseSubscript(_ base: JinjaExpr, line l: Int) throws -> JinjaExpr {
        var parts: [JinjaExpr?] = [isOp(":") ? nil : try parseExpression()]
        if skipOp("]") { return .item(base, parts[0]!, line: l) }
        while parts.count < 3, skipOp(":") {
            parts.append(isOp(":") || isOp("]") ? nil : try parseExpression())
        }
        try expectOp("]")
        return .slice(base, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil, line: l)
    }

    private mutating func parseCall(_ callee: JinjaExpr) throws -> JinjaExpr {
        let l = line
        let (args, kwargs) = try parseArguments()
        return .call(callee, args: args, kwargs: kwargs, line: l)
    }

    /// `(a, b, key=value)`.
    private mutating func parseArguments() throws -> ([JinjaExpr], [(String, JinjaExpr)]) {
        try expectOp("(")
        var args: [JinjaExpr] = []
        var kwargs: [(String, JinjaExpr)] = []
        while !skipOp(")") {
            if !args.isEmpty || !kwargs.isEmpty { try expectOp(","); if skipOp(")") { break } }
            if case .name(let n) = current, index + 1 < tokens.count, tokens[index + 1].token == .op("=") {
                index += 2
                kwargs.append((n, try parseExpression()))
            } else {
                guard kwargs.isEmpty else { throw JinjaError("a positional argument after a keyword argument", line: line) }
                args.append(try parseExpression())
            }
        }
        return (args, kwargs)
    }

    /// `|name(args)` filters, `is [not] name` tests and calls, applied left to right.
    private mutating func parseFilterExpression(_ base: JinjaExpr) throws -> JinjaExpr {
        var e = base
        while true {
            if isOp("|") {
                for f in try parseFilterChain(stopAfterOne: true) { e = .filter(e, f) }
            } else if isName("is") {
                let l = line
                index += 1
                let negated = skipName("not")
                let name = try expectName()
                if !JinjaEvaluator.testNames.contains(name), !softFrame { unknownNames.append(JinjaError("no test named '\(name)'", line: l)) }
                var args: [JinjaExpr] = []
                if isOp("(") {
                    let (a, _) = try parseArguments()
                    args = a
                } else if startsTestArgument {
                    args = [try parsePostfix(try parsePrimary())]
                }
                e = .test(e, name: name, args: args, negated: negated, line: l)
            } else if isOp("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    /// `x is divisibleby 3`: a test may take one argument without parentheses.
    private var startsTestArgument: Bool {
        switch current {
        case .name(let n): return !["else", "or", "and", "if", "in", "not", "is"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "[" || o == "{"
        default: return false
        }
    }

    /// One or more `|name(args)`; the filter tag's first name comes without a pipe.
    mutating func parseFilterChain(firstWithoutPipe: Bool = false, stopAfterOne: Bool = false) throws -> [JinjaFilterCall] {
        var filters: [JinjaFilterCall] = []
        var needsPipe = !firstWithoutPipe
        while !needsPipe || skipOp("|") {
            needsPipe = true
            let l = line
            let name = try expectName()
            if !JinjaEvaluator.filterNames.contains(name), !softFrame { unknownNames.append(JinjaError("no filter named '\(name)'", line: l)) }
            let (args, kwargs) = isOp("(") ? try parseArguments() : ([], [])
            filters.append(JinjaFilterCall(name: name, args: args, kwargs: kwargs, line: l))
            if stopAfterOne { break }
        }
        return filters
    }
}
