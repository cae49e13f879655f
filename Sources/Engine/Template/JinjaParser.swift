// Statements of a template from its tokens: text, `{{ }}` output, and the block tags chat templates
// use (if/elif/else, for/else with loop controls, set, macro, with, filter, generation, raw via the lexer).
// Expressions are in JinjaParser+Expressions.swift.

struct JinjaParser {
    var tokens: [(token: JinjaToken, line: Int)]
    var index = 0
    /// How many `for` bodies enclose the current position, so `break` outside one is an error.
    var loopDepth = 0
    /// Inside an `if` (jinja2's "soft frame") an unknown filter or test is an error only when it runs;
    /// elsewhere it is refused when the template is parsed.
    var softFrame = false
    /// Unknown filters and tests seen outside soft frames; the first one is the parse error.
    var unknownNames: [JinjaError] = []

    /// Parses a whole template; an error names the line it is on.
    static func parse(_ source: String) throws -> [JinjaNode] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        let (nodes, _) = try parser.parseBody(until: [], opened: nil)
        if let unknown = parser.unknownNames.first { throw unknown }
        return nodes
    }

    var current: JinjaToken { tokens[index].token }
    var line: Int { tokens[index].line }

    mutating func next() -> JinjaToken {
        let t = tokens[index].token
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func isName(_ name: String) -> Bool { current == .name(name) }
    func isOp(_ op: String) -> Bool { current == .op(op) }

    mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        index += 1
        return true
    }

    mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        index += 1
        return true
    }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw JinjaError("expected '\(op)', got \(describe(current))", line: line) }
    }

    mutating func expectName() throws -> String {
        guard case .name(let n) = current else { throw JinjaError("expected a name, got \(describe(current))", line: line) }
        index += 1
        return n
    }

    mutating func expectBlockEnd() throws {
        guard current == .blockEnd else { throw JinjaError("expected the end of the tag '%}', got \(describe(current))", line: line) }
        index += 1
    }

    func describe(_ t: JinjaToken) -> String {
        switch t {
        case .text: return "text"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string \(pythonStringRepr(s))"
        case .integer(let i): return "integer \(i)"
        case .float(let d): return "float \(pythonFloatRepr(d))"
        case .op(let o): return "'\(o)'"
        case .end: return "the end of the template"
        }
    }

    /// A body in a new frame (`for`, `set` block, `with`, `filter`): not soft even inside an `if`.
    mutating func parseInnerBody(until endTags: [String], opened: (tag: String, line: Int)) throws -> ([JinjaNode], String) {
        let outerSoft = softFrame
        softFrame = false
        defer { softFrame = outerSoft }
        return try parseBody(until: endTags, opened: opened)
    }

    /// Nodes up to one of `endTags` (whose name is consumed and returned) or the end of the template.
    mutating func parseBody(until endTags: [String], opened: (tag: String, line: Int)?) throws -> ([JinjaNode], String) {
        var nodes: [JinjaNode] = []
        while true {
            let tokenLine = line
            switch next() {
            case .text(let t): nodes.append(.text(t))
            case .variableBegin:
                let e = try parseTuple()
                guard current == .variableEnd else { throw JinjaError("expected the end of the output '}}', got \(describe(current))", line: line) }
                index += 1
                nodes.append(.output(e, line: tokenLine))
            case .blockBegin:
                guard case .name(let tag) = current else { throw JinjaError("expected a tag name after '{%', got \(describe(current))", line: line) }
                if endTags.contains(tag) { index += 1; return (nodes, tag) }
                nodes.append(try parseStatement(tokenLine))
            case .end:
                if let opened {
                    throw JinjaError("unclosed '\(opened.tag)' block opened on line \(opened.line): the template ended before {% \(endTags.last!) %}", line: opened.line)
                }
                return (nodes, "")
            default: throw JinjaError("unexpected \(describe(tokens[index - 1].token))", line: tokenLine)
            }
        }
    }

    private mutating func parseStatement(_ tagLine: Int) throws -> JinjaNode {
        let tag = try expectName()
        switch tag {
        case "if":
            let outerSoft = softFrame
            softFrame = true
            defer { softFrame = outerSoft }
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var condition = try parseExpression()
            while true {
                try expectBlockEnd()
                let (body, end) = try parseBody(until: ["elif", "else", "endif"], opened: ("if", tagLine))
                branches.append((condition, body))
                if end == "elif" { condition = try parseExpression(); continue }
                var otherwise: [JinjaNode] = []
                if end == "else" {
                    try expectBlockEnd()
                    (otherwise, _) = try parseBody(until: ["endif"], opened: ("if", tagLine))
                }
                try expectBlockEnd()
                return .ifChain(branches: branches, otherwise: otherwise, line: tagLine)
            }
        case "for":
            var targets = [try expectName()]
            while skipOp(",") { targets.append(try expectName()) }
            guard skipName("in") else { throw JinjaError("expected 'in' in the for tag, got \(describe(current))", line: line) }
            let iterable = try parseTuple(withConditional: false)
            let filter = skipName("if") ? try parseExpression() : nil
            if isName("recursive") { throw JinjaError("recursive loops are not supported", line: line) }
            try expectBlockEnd()
            loopDepth += 1
            let (body, end) = try parseInnerBody(until: ["else", "endfor"], opened: ("for", tagLine))
            loopDepth -= 1
            var otherwise: [JinjaNode] = []
            if end == "else" {
                try expectBlockEnd()
                (otherwise, _) = try parseBody(until: ["endfor"], opened: ("for", tagLine))
            }
            try expectBlockEnd()
            return .forLoop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: tagLine)
        case "set":
            let first = try expectName()
            var target = JinjaTarget.names([first])
            if skipOp(".") {
                target = .attribute(object: first, name: try expectName())
            } else if isOp(",") {
                var names = [first]
                while skipOp(",") { names.append(try expectName()) }
                target = .names(names)
            }
            if skipOp("=") {
                let value = try parseTuple()
                try expectBlockEnd()
                return .set(target: target, value: value, line: tagLine)
            }
            let filters = try parseFilterChain()
            try expectBlockEnd()
            let (body, _) = try parseInnerBody(until: ["endset"], opened: ("set", tagLine))
            try expectBlockEnd()
            return .setBlock(target: target, body: body, filters: filters, line: tagLine)
        case "macro":
            let name = try expectName()
            var parameters: [String] = []
            var defaults: [String: JinjaExpr] = [:]
            try expectOp("(")
            while !skipOp(")") {
                if !parameters.isEmpty { try expectOp(",") }
                if skipOp(")") { break }
                let p = try expectName()
                parameters.append(p)
                if skipOp("=") { defaults[p] = try parseExpression() }
            }
            try expectBlockEnd()
            let (outerDepth, outerSoft) = (loopDepth, softFrame)
            (loopDepth, softFrame) = (0, false)
            let (body, _) = try parseBody(until: ["endmacro"], opened: ("macro", tagLine))
            (loopDepth, softFrame) = (outerDepth, outerSoft)
            if case .name = current { index += 1 }
            try expectBlockEnd()
            return .macro(JinjaMacro(name: name, parameters: parameters, defaults: defaults, body: body), line: tagLine)
        case "with":
            var assignments: [(String, JinjaExpr)] = []
            while current != .blockEnd {
                if !assignments.isEmpty { try expectOp(",") }
                let name = try expectName()
                try expectOp("=")
                assignments.append((name, try parseExpression()))
            }
            try expectBlockEnd()
            let (body, _) = try parseInnerBody(until: ["endwith"], opened: ("with", tagLine))
            try expectBlockEnd()
            return .with(assignments: assignments, body: body, line: tagLine)
        case "filter":
            let filters = try parseFilterChain(firstWithoutPipe: true)
            try expectBlockEnd()
            let (body, _) = try parseInnerBody(until: ["endfilter"], opened: ("filter", tagLine))
            try expectBlockEnd()
            return .filterBlock(filters: filters, body: body, line: tagLine)
        case "break", "continue":
            guard loopDepth > 0 else { throw JinjaError("'\(tag)' outside of a for loop", line: tagLine) }
            try expectBlockEnd()
            return tag == "break" ? .breakLoop(line: tagLine) : .continueLoop(line: tagLine)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseInnerBody(until: ["endgeneration"], opened: ("generation", tagLine))
            try expectBlockEnd()
            return .generation(body: body, line: tagLine)
        case "elif", "else", "endif", "endfor", "endset", "endmacro", "endwith", "endfilter", "endgeneration", "endraw":
            throw JinjaError("unexpected '\(tag)': no open block it could close", line: tagLine)
        default:
            throw JinjaError("unknown tag '\(tag)'", line: tagLine)
        }
    }
}
