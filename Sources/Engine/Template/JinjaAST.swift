// The parsed form of a template: statements (text, output, if, for, set, macro, …) over expressions.

/// One statement of a template; `line` is where it starts, for error messages.
indirect enum JinjaNode {
    case text(String)
    case output(JinjaExpr, line: Int)
    case ifChain(branches: [(condition: JinjaExpr, body: [JinjaNode])], otherwise: [JinjaNode], line: Int)
    /// `{% for a, b in items if cond %}…{% else %}…{% endfor %}`; the else runs when nothing was iterated.
    case forLoop(targets: [String], iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode], line: Int)
    case set(target: JinjaTarget, value: JinjaExpr, line: Int)
    /// `{% set x %}…{% endset %}`: the rendered body, optionally through filters.
    case setBlock(target: JinjaTarget, body: [JinjaNode], filters: [JinjaFilterCall], line: Int)
    case macro(JinjaMacro, line: Int)
    /// `{% with a = 1 %}…{% endwith %}`: assignments visible only inside.
    case with(assignments: [(String, JinjaExpr)], body: [JinjaNode], line: Int)
    /// `{% filter upper %}…{% endfilter %}`.
    case filterBlock(filters: [JinjaFilterCall], body: [JinjaNode], line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
    /// transformers' `{% generation %}…{% endgeneration %}`: an assistant span training learns from.
    case generation(body: [JinjaNode], line: Int)
}

/// What `{% set %}` assigns to: names (several unpack a sequence) or a namespace attribute.
enum JinjaTarget {
    case names([String])
    case attribute(object: String, name: String)
}

/// `|name(args)` as written; `line` for the unknown-filter error.
struct JinjaFilterCall {
    let name: String
    let args: [JinjaExpr]
    let kwargs: [(String, JinjaExpr)]
    let line: Int
}

/// A `{% macro name(a, b=1) %}` definition.
public final class JinjaMacro {
    let name: String
    let parameters: [String]
    let defaults: [String: JinjaExpr]
    let body: [JinjaNode]

    init(name: String, parameters: [String], defaults: [String: JinjaExpr], body: [JinjaNode]) {
        self.name = name
        self.parameters = parameters
        self.defaults = defaults
        self.body = body
    }
}

/// An expression.
indirect enum JinjaExpr {
    case literal(JinjaValue)
    case name(String, line: Int)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    case attribute(JinjaExpr, String, line: Int)
    case item(JinjaExpr, JinjaExpr, line: Int)
    case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?, line: Int)
    case call(JinjaExpr, args: [JinjaExpr], kwargs: [(String, JinjaExpr)], line: Int)
    case filter(JinjaExpr, JinjaFilterCall)
    case test(JinjaExpr, name: String, args: [JinjaExpr], negated: Bool, line: Int)
    case unary(String, JinjaExpr, line: Int)
    /// Arithmetic, `~`, comparisons, `in`/`not in`; `and`/`or` short-circuit and return an operand.
    case binary(String, JinjaExpr, JinjaExpr, line: Int)
    /// `a if cond else b`; without `else` the result is undefined when cond is false.
    case conditional(then: JinjaExpr, condition: JinjaExpr, otherwise: JinjaExpr?)
}
