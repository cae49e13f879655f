// The values a chat template computes with, and the Python semantics Jinja inherits: truthiness,
// equality (1 == 1.0 == true), ordering, and how a value prints when interpolated (`str()`).

/// A Jinja value. Python's types as transformers' jinja2 sees them once the messages went through JSON.
public enum JinjaValue {
    /// A missing variable, attribute or item; `hint` says what was looked up, for error messages.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// A string marked safe (`|safe`, `|escape`): adding a plain string to it HTML-escapes that string,
    /// as markupsafe's Markup does in jinja2. Everything else sees a plain string.
    case markup(String)
    case list([JinjaValue])
    /// A Python tuple: prints as `(a, b)`, otherwise a list (`dict.items()` yields these).
    case tuple([JinjaValue])
    case dict(JinjaDict)
    /// `namespace(...)`: the one mutable object, shared by reference so loops can write to it.
    case namespace(JinjaNamespace)
    /// A global, a bound method (`"a".upper`), or a `{% macro %}`.
    case function(JinjaFunction)

    var isUndefined: Bool { if case .undefined = self { return true } else { return false } }

    /// A markup string as a plain one; any other value unchanged.
    var plain: JinjaValue { if case .markup(let s) = self { return .string(s) } else { return self } }

    /// Python's `bool(x)`; undefined is false.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s), .markup(let s): return !s.isEmpty
        case .list(let a), .tuple(let a): return !a.isEmpty
        case .dict(let d): return !d.isEmpty
        case .namespace, .function: return true
        }
    }

    /// The items of a list or tuple, else nil.
    var sequence: [JinjaValue]? {
        switch self {
        case .list(let a), .tuple(let a): return a
        default: return nil
        }
    }

    /// A number as Python sees it in arithmetic (bool is an int); nil for anything else.
    enum Number { case int(Int), float(Double) }
    var number: Number? {
        switch self {
        case .int(let i): return .int(i)
        case .bool(let b): return .int(b ? 1 : 0)
        case .float(let d): return .float(d)
        default: return nil
        }
    }

    /// Python's type name, for error messages ("'NoneType' object is not iterable").
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .markup: return "Markup"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .function(let f): return f.macro != nil ? "Macro" : "builtin_function_or_method"
        }
    }

    /// Python's `==`: numbers compare by value across int/float/bool, sequences and dicts by content.
    func pythonEquals(_ other: JinjaValue) -> Bool {
        if case .markup = self { return plain.pythonEquals(other) }
        if case .markup = other { return pythonEquals(other.plain) }
        if let a = number, let b = other.number {
            switch (a, b) {
            case (.int(let x), .int(let y)): return x == y
            case (.int(let x), .float(let y)): return Double(x) == y
            case (.float(let x), .int(let y)): return x == Double(y)
            case (.float(let x), .float(let y)): return x == y
            }
        }
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count && a.keys.allSatisfy { k in b[k].map { a[k]!.pythonEquals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default: return false
        }
    }

    /// Python's `<`: numbers, strings (by code point) and sequences; nil when Python raises TypeError.
    func pythonLess(_ other: JinjaValue) -> Bool? {
        if case .markup = self { return plain.pythonLess(other) }
        if case .markup = other { return pythonLess(other.plain) }
        if let a = number, let b = other.number {
            switch (a, b) {
            case (.int(let x), .int(let y)): return x < y
            case (.int(let x), .float(let y)): return Double(x) < y
            case (.float(let x), .int(let y)): return x < Double(y)
            case (.float(let x), .float(let y)): return x < y
            }
        }
        switch (self, other) {
        case (.string(let a), .string(let b)): return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return x.pythonLess(y) }
            return a.count < b.count
        default: return nil
        }
    }

    /// Python's `str(x)`, which is what `{{ x }}` prints: None, True, 1.0, ['a', 1], {'k': 'v'}.
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case .string(let s), .markup(let s): return s
        default: return pythonRepr
        }
    }

    /// Python's `repr(x)`: strings quoted as Python quotes them, inside lists and dicts too.
    var pythonRepr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return pythonFloatRepr(d)
        case .string(let s): return pythonStringRepr(s)
        case .markup(let s): return "Markup(" + pythonStringRepr(s) + ")"
        case .list(let a): return "[" + a.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .tuple(let a): return "(" + a.map(\.pythonRepr).joined(separator: ", ") + (a.count == 1 ? ",)" : ")")
        case .dict(let d): return "{" + d.map { $0.key.value.pythonRepr + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace(let n): return "<Namespace " + JinjaValue.dict(n.attributes).pythonRepr + ">"
        case .function(let f): return f.macro != nil ? "<Macro '\(f.name)'>" : "<built-in function \(f.name)>"
        }
    }
}

/// A dict key: a string (JSON objects, keyword arguments) or an integer (`{0: 'a', 512: 'b'}` in a template).
/// Python's `1`, `1.0` and `True` are one key.
public enum JinjaKey: Hashable {
    case string(String)
    case int(Int)

    init?(_ value: JinjaValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .int(let i): self = .int(i)
        case .bool(let b): self = .int(b ? 1 : 0)
        case .float(let d) where d.rounded() == d && abs(d) < 1e18: self = .int(Int(d))
        default: return nil
        }
    }

    var value: JinjaValue {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        }
    }
}

/// A dict that keeps insertion order, as Python's does (it decides `tojson` and `items()` order).
public struct JinjaDict: Sequence {
    public private(set) var keys: [JinjaKey] = []
    private var storage: [JinjaKey: JinjaValue] = [:]

    public init() {}
    public init(_ pairs: [(String, JinjaValue)]) { for (k, v) in pairs { self[k] = v } }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public subscript(key: String) -> JinjaValue? {
        get { storage[.string(key)] }
        set { self[.string(key)] = newValue }
    }

    public subscript(key: JinjaKey) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public func makeIterator() -> AnyIterator<(key: JinjaKey, value: JinjaValue)> {
        var i = 0
        return AnyIterator {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (keys[i], storage[keys[i]]!)
        }
    }
}

/// The object `namespace(a=1)` makes; `{% set ns.a = 2 %}` writes through every reference to it.
public final class JinjaNamespace {
    var attributes: JinjaDict
    init(_ attributes: JinjaDict) { self.attributes = attributes }
}

/// A callable value: positional and keyword arguments in, a value out. Macros carry their definition.
public struct JinjaFunction {
    let name: String
    let macro: JinjaMacro?
    let call: ([JinjaValue], [(String, JinjaValue)]) throws -> JinjaValue

    init(_ name: String, macro: JinjaMacro? = nil, _ call: @escaping ([JinjaValue], [(String, JinjaValue)]) throws -> JinjaValue) {
        self.name = name
        self.macro = macro
        self.call = call
    }
}
