// The demo corpus as JSONL rows in the formats `hilo import`, `hilo train`, TRL and OpenRLHF read:
//     pretrain     {"text": "\n\nHuman: What is 7 + 5?\n\nAssistant: 7 + 5 = 12. …"}   (raw documents)
//     sft          {"prompt": "\n\nHuman: …\n\nAssistant:", "completion": " 7 + 5 = 12."}
//     preferences  {"prompt": …, "chosen": " …", "rejected": " …"}                  (TRL, explicit prompt)
//     kto          {"prompt": …, "completion": " …", "label": true}
//     prompts      {"prompt": …}                                                     (the demo queue)
// With `conversational`, prompts are message lists [{"role":"user","content":"What is 7 + 5?"}] and
// completions [{"role":"assistant","content":"7 + 5 = 12."}] (TRL's conversational form), which the
// store keeps as conversations. Keys are sorted, so a seed reproduces the bytes.
import Engine
import Foundation
import Support

public enum DemoCorpusKind: String, Sendable, Codable, CaseIterable {
    case pretrain, sft, preferences, kto, prompts

    /// The split a kind draws from unless told otherwise: the queue's prompts, or training rows.
    public var defaultSplit: DemoSplit { self == .prompts ? .queue : .train }
}

extension DemoCorpus {
    struct Message: Encodable { let role: String; let content: String }

    /// A value that is either an HH string or a message list.
    enum Field: Encodable {
        case text(String), messages([Message])
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case let .text(s): try c.encode(s)
            case let .messages(m): try c.encode(m)
            }
        }
    }

    struct Row: Encodable {
        var text: String? = nil
        var prompt: Field? = nil
        var completion: Field? = nil
        var chosen: Field? = nil
        var rejected: Field? = nil
        var label: Bool? = nil
    }

    /// `count` rows of `kind`, one JSON object per string (no newline).
    public func jsonLines(_ kind: DemoCorpusKind, count: Int, conversational: Bool = false,
                          rng: inout SplitMix64) throws -> [String] {
        guard count >= 0 else { throw DemoError.invalid("the row count must not be negative, got \(count)") }
        if conversational && kind == .pretrain {
            throw DemoError.invalid("pretraining rows are raw text; --conversational applies to sft, preferences, kto and prompts")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func line(_ row: Row) throws -> String { String(decoding: try encoder.encode(row), as: UTF8.self) }

        // An HH prompt string as a field: itself, or its user turn as a message list.
        func prompt(_ hh: String) throws -> Field {
            guard conversational else { return .text(hh) }
            let turns = try ChatTemplate.parse(hh).filter { !($0.role == .assistant && $0.content.isEmpty) }
            return .messages(turns.map { Message(role: $0.role.rawValue, content: $0.content) })
        }
        // A completion (leading space) as a field: itself, or one assistant message without the space.
        func completion(_ c: String) -> Field {
            conversational ? .messages([Message(role: "assistant", content: String(c.dropFirst(c.hasPrefix(" ") ? 1 : 0)))]) : .text(c)
        }

        switch kind {
        case .pretrain:
            return try (0..<count).map { _ in try line(Row(text: pretrainingDocument(rng: &rng))) }
        case .sft:
            return try (0..<count).map { _ in
                let e = sftExample(rng: &rng)
                return try line(Row(prompt: prompt(e.prompt), completion: completion(e.completion)))
            }
        case .preferences:
            return try (0..<count).map { _ in
                let e = preferenceExample(rng: &rng)
                return try line(Row(prompt: prompt(e.prompt), chosen: completion(e.chosen), rejected: completion(e.rejected)))
            }
        case .kto:
            return try (0..<count).map { _ in
                let e = ktoExample(rng: &rng)
                return try line(Row(prompt: prompt(e.prompt), completion: completion(e.completion), label: e.desirable))
            }
        case .prompts:
            return try questions(count: count, rng: &rng).map { try line(Row(prompt: prompt(Self.prompt($0.text)))) }
        }
    }
}
