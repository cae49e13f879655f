// Runs a parsed template: statements write to one output string, scopes follow jinja2's rules
// (a `for` body gets a fresh scope per iteration, `if` none, macros their own), `namespace()`
// objects carry values out of loops, and `{% generation %}` records the character spans it wrote.
import Foundation

/// Variables of one scope; lookups walk up to the template's globals.
final class JinjaScope {
    private var variables: [String: JinjaValue] = [:]
    let parent: JinjaScope?

    init(parent: JinjaScope?, _ variables: [String: JinjaValue] = [:]) {
        self.parent = parent
        self.variables = variables
    }

    func lookup(_ name: String) -> JinjaValue? { variables[name] ?? parent?.lookup(name) }
    func set(_ name: String, _ value: JinjaValue) { variables[name] = value }
}

final class JinjaEvaluator {
    /// The rendered text so far, and its length in Unicode scalars (Python's string indices).
    private(set) var output = ""
    private var outputLength = 0
    /// Nested captures (macro calls, `{% set %}` blocks) render into a side buffer.
    private var captureDepth = 0
    private(set) var generationSpans: [Range<Int>] = []
    /// What `strftime_now` reads as the current time.
    let now: Date

    init(now: Date) { self.now = now }

    enum Flow { case normal, breakLoop, continueLoop }

    func write(_ s: String) {
        output += s
        outputLength += s.unicodeScalars.count
    }

    /// Renders `body` into a string of its own instead of the output (macro calls, set blocks).
    func capture(_ body: () throws -> Void) rethrows -> String {
        let (saved, savedLength) = (output, outputLength)
        output = ""
        captureDepth += 1
        defer { captureDepth -= 1; output = saved; outputLength = savedLength }
        try body()
        return output
    }

    func execute(_ nodes: [JinjaNode], _ scope: JinjaScope) throws -> Flow {
        for node in nodes {
            let flow = try execute(node, scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ node: JinjaNode, _ scope: JinjaScope) throws -> Flow {
        do {
            return try executeUnlabelled(node, scope)
        } catch var error as JinjaError where error.line == 0 {
            error.line = node.line
            throw error
        }
    }

    private func executeUnlabelled(_ node: JinjaNode, _ scope: JinjaScope) throws -> Flow {
        switch node {
        case .text(let t): write(t)
        case .output(let e, _): write(try evaluate(e, scope).pythonString)
        case .ifChain(let branches, let otherwise, _):
            for (condition, body) in branches where try evaluate(condition, scope).truthy {
                return try execute(body, scope)
            }
            return try execute(otherwise, scope)
        case .forLoop(let targets, let iterable, let filter, let body, let otherwise, _):
            return try runLoop(targets: targets, iterable: try evaluate(iterable, scope), filter: filter,
                               body: body, otherwise: otherwise, scope)
        case .set(let target, let value, _): try assign(target, try evaluate(value, scope), scope)
        case .setBlock(let target, let body, let filters, _):
            var value = JinjaValue.string(try capture { _ = try execute(body, JinjaScope(parent: scope)) })
            for f in filters { value = try applyFilter(f, to: value, scope) }
            try assign(target, value, scope)
        case .macro(let macro, _): scope.set(macro.name, .function(makeMacro(macro, scope)))
        case .with(let assignments, let body, _):
            let inner = JinjaScope(parent: scope)
            for (name, e) in assignments { inner.set(name, try evaluate(e, scope)) }
            return try execute(body, inner)
        case .filterBlock(let filters, let body, _):
            var value = JinjaValue.string(try capture { _ = try execute(body, JinjaScope(parent: scope)) })
            for f in filters { value = try applyFilter(f, to: value, scope) }
            write(value.pythonString)
        case .breakLoop: return .breakLoop
        case .continueLoop: return .continueLoop
        case .generation(let body, _):
            let start = outputLength
            let flow = try execute(body, scope)
            if captureDepth == 0 { generationSpans.append(start..<outputLength) }
            return flow
        }
        return .normal
    }

    private func assign(_ target: JinjaTarget, _ value: JinjaValue, _ scope: JinjaScope) throws {
        switch target {
        case .names(let names) where names.count == 1: scope.set(names[0], value)
        case .names(let names):
            let items = try iterate(value)
            guard items.count == names.count else {
                throw JinjaError("cannot unpack \(items.count) values into \(names.count) names")
            }
            for (n, v) in zip(names, items) { scope.set(n, v) }
        case .attribute(let object, let name):
            guard case .namespace(let ns) = scope.lookup(object) ?? .none else {
                throw JinjaError("cannot assign attribute on non-namespace object '\(object)'")
            }
            try checkNamespaceName(name)
            ns.attributes[name] = value
        }
    }

    /// A for loop: each iteration gets its own scope with the targets and `loop`.
    private func runLoop(targets: [String], iterable: JinjaValue, filter: JinjaExpr?, body: [JinjaNode],
                         otherwise: [JinjaNode], _ scope: JinjaScope) throws -> Flow {
        func bind(_ item: JinjaValue, _ inner: JinjaScope) throws {
            if targets.count == 1 { inner.set(targets[0], item); return }
            try assign(.names(targets), item, inner)
        }
        var items = try iterate(iterable)
        if let filter {
            items = try items.filter { item in
                let inner = JinjaScope(parent: scope)
                try bind(item, inner)
                return try evaluate(filter, inner).truthy
            }
        }
        if items.isEmpty { return try execute(otherwise, scope) }
        let n = items.count
        for (i, item) in items.enumerated() {
            let inner = JinjaScope(parent: scope)
            try bind(item, inner)
            let loop = JinjaDict([
                ("index", .int(i + 1)), ("index0", .int(i)), ("revindex", .int(n - i)), ("revindex0", .int(n - i - 1)),
                ("first", .bool(i == 0)), ("last", .bool(i == n - 1)), ("length", .int(n)),
                ("depth", .int(1)), ("depth0", .int(0)),
                ("previtem", i > 0 ? items[i - 1] : .undefined(hint: "there is no previous item")),
                ("nextitem", i < n - 1 ? items[i + 1] : .undefined(hint: "there is no next item")),
                ("cycle", .function(JinjaFunction("loop.cycle") { args, _ in
                    guard !args.isEmpty else { throw JinjaError("no items for cycling given") }
                    return args[i % args.count]
                })),
            ])
            inner.set("loop", .dict(loop))
            if try execute(body, inner) == .breakLoop { break }
        }
        return .normal
    }

    /// Python's `iter(x)` as jinja2 loops see it: a dict yields its keys, a string its characters,
    /// undefined nothing; None and numbers are not iterable.
    func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
        switch value.plain {
        case .list(let a), .tuple(let a): return a
        case .dict(let d): return d.keys.map(\.value)
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw JinjaError("'\(value.typeName)' object is not iterable")
        }
    }

    /// A macro as a callable: arguments bind to parameters (defaults, else undefined) in a scope
    /// whose parent is the scope that defined it.
    private func makeMacro(_ macro: JinjaMacro, _ definingScope: JinjaScope) -> JinjaFunction {
        JinjaFunction(macro.name, macro: macro) { [unowned self] args, kwargs in
            guard args.count <= macro.parameters.count else {
                throw JinjaError("macro '\(macro.name)' takes not more than \(macro.parameters.count) argument(s)")
            }
            let scope = JinjaScope(parent: definingScope)
            for (i, p) in macro.parameters.enumerated() {
                if i < args.count {
                    scope.set(p, args[i])
                } else if let v = kwargs.first(where: { $0.0 == p })?.1 {
                    scope.set(p, v)
                } else if let d = macro.defaults[p] {
                    scope.set(p, try self.evaluate(d, scope))
                } else {
                    scope.set(p, .undefined(hint: "'\(p)' is undefined"))
                }
            }
            if let unknown = kwargs.first(where: { !macro.parameters.contains($0.0) }) {
                throw JinjaError("macro '\(macro.name)' takes no keyword argument '\(unknown.0)'")
            }
            return .string(try self.capture { _ = try self.execute(macro.body, scope) })
        }
    }
}

extension JinjaNode {
    var line: Int {
        switch self {
        case .text: return 0
        case .output(_, let l), .ifChain(_, _, let l), .forLoop(_, _, _, _, _, let l), .set(_, _, let l),
             .setBlock(_, _, _, let l), .macro(_, let l), .with(_, _, let l), .filterBlock(_, _, let l),
             .breakLoop(let l), .continueLoop(let l), .generation(_, let l): return l
        }
    }
}
