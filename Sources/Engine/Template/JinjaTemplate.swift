// A compiled Jinja template and its render call: the entry point of Hilo's own Jinja engine, which
// renders Hugging Face chat templates byte for byte as transformers' sandboxed jinja2 environment does.
import Foundation

/// What one render produced.
public struct JinjaRendering: Equatable {
    public let text: String
    /// The `{% generation %}` spans in Unicode scalar offsets into `text` (Python string indices, as
    /// transformers reports them): the assistant text training may learn from.
    public let generationSpans: [Range<Int>]

    /// The same spans as UTF-8 byte offsets, for mapping onto token offsets.
    public var generationByteSpans: [Range<Int>] {
        var byteOffsets: [Int] = [0]
        byteOffsets.reserveCapacity(text.unicodeScalars.count + 1)
        for u in text.unicodeScalars { byteOffsets.append(byteOffsets.last! + UTF8.width(u)) }
        return generationSpans.map { byteOffsets[$0.lowerBound]..<byteOffsets[$0.upperBound] }
    }
}

public struct JinjaTemplate {
    let nodes: [JinjaNode]
    /// True when the template marks assistant spans with `{% generation %}`.
    public let hasGenerationBlocks: Bool

    /// Parses `source`; a syntax error (unknown filter or tag, unclosed block) names its line.
    public init(_ source: String) throws {
        nodes = try JinjaParser.parse(source)
        hasGenerationBlocks = source.contains("generation") && Self.containsGeneration(nodes)
    }

    /// Renders with `context` as the template's variables. `now` is what `strftime_now` reads
    /// (pass a fixed date for reproducible output).
    public func render(_ context: JinjaDict, now: Date = Date()) throws -> JinjaRendering {
        let evaluator = JinjaEvaluator(now: now)
        var variables = evaluator.globals()
        for (k, v) in context { if case .string(let name) = k { variables[name] = v } }
        _ = try evaluator.execute(nodes, JinjaScope(parent: nil, variables))
        return JinjaRendering(text: evaluator.output, generationSpans: evaluator.generationSpans)
    }

    private static func containsGeneration(_ nodes: [JinjaNode]) -> Bool {
        nodes.contains { node in
            switch node {
            case .generation: return true
            case .ifChain(let branches, let otherwise, _): return branches.contains { containsGeneration($0.body) } || containsGeneration(otherwise)
            case .forLoop(_, _, _, let body, let otherwise, _): return containsGeneration(body) || containsGeneration(otherwise)
            case .setBlock(_, let body, _, _), .with(_, let body, _), .filterBlock(_, let body, _): return containsGeneration(body)
            case .macro(let m, _): return containsGeneration(m.body)
            default: return false
            }
        }
    }
}
