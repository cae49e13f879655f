// The functions a chat template can call: jinja2's `range`, `dict`, `namespace`, and transformers'
// `raise_exception` and `strftime_now`.
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
                for case .string(let name) in attributes.keys { try checkNamespaceName(name) }
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
