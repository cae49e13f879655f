// jinja2's tests (`x is defined`, `is none`, `is string`, `is mapping`, `is divisibleby 3`, …)
// with Python's type checks: a bool is a number but not an integer, a dict is iterable and a sequence.

extension JinjaEvaluator {
    static let testNames: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "==", "escaped", "even", "false", "float",
        "ge", ">=", "gt", "greaterthan", ">", "in", "integer", "iterable", "le", "<=", "lower", "lt", "lessthan", "<",
        "mapping", "ne", "!=", "none", "number", "odd", "sameas", "sequence", "string", "true", "undefined", "upper",
        "filter", "test",
    ]

    func applyTest(_ name: String, _ value: JinjaValue, _ args: [JinjaValue]) throws -> Bool {
        let other = args.first ?? .undefined(hint: "the test '\(name)' needs an argument")
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "boolean": return value.isBool
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "number": return value.number != nil
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .float = value { return true } else { return false }
        case "iterable":
            switch value {
            case .string, .list, .tuple, .dict, .undefined: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .string, .list, .tuple, .dict, .undefined: return true
            default: return false
            }
        case "callable": if case .function = value { return true } else { return false }
        case "lower", "upper":
            let scalars = value.pythonString.unicodeScalars
            let hasCased = scalars.contains { $0.properties.isCased }
            return hasCased && !scalars.contains { name == "lower" ? $0.properties.isUppercase : $0.properties.isLowercase }
        case "odd", "even", "divisibleby":
            let divisor = name == "divisibleby" ? other : .int(2)
            let remainder = try binary("%", value, divisor)
            return remainder.pythonEquals(.int(name == "odd" ? 1 : 0))
        case "eq", "equalto", "==": return value.pythonEquals(other)
        case "ne", "!=": return !value.pythonEquals(other)
        case "lt", "lessthan", "<": return try binary("<", value, other).truthy
        case "le", "<=": return try binary("<=", value, other).truthy
        case "gt", "greaterthan", ">": return try binary(">", value, other).truthy
        case "ge", ">=": return try binary(">=", value, other).truthy
        case "in": return try contains(other, value)
        case "sameas":
            switch (value, other) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            default: return false
            }
        case "escaped": return false
        case "filter": return Self.filterNames.contains(value.pythonString)
        case "test": return Self.testNames.contains(value.pythonString)
        default: throw JinjaError("no test named '\(name)' found")
        }
    }
}
