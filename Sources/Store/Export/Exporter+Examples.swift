// The same datasets as the export, as Swift values for the training engine: preference pairs for
// reward models, DPO and IPO; labelled completions for KTO; demonstrations for SFT. Same filters,
// same split (`isTest`), streamed inside one read snapshot.
import Foundation

/// A preference pair with its texts.
public struct PreferenceExample: Sendable, Equatable {
    public var promptID: Int64
    /// Plain text, or the HH rendering of a conversation.
    public var prompt: String
    /// The turns when the prompt is a conversation.
    public var messages: [Message]?
    public var chosen: String
    public var rejected: String
    /// In the test split of the options' seed and fraction.
    public var isTest: Bool
}

/// A completion with a desirability label (KTO) or a demonstration (SFT, label nil).
public struct CompletionExample: Sendable, Equatable {
    public var promptID: Int64
    public var prompt: String
    public var messages: [Message]?
    public var completion: String
    public var label: Bool?
    public var isTest: Bool
}

extension Exporter {
    private func promptValue(_ s: Statement, text: Int32, messages: Int32) throws -> (String, [Message]?) {
        let m = try s.optionalString(messages).map { try Conversation.messages(from: JSONValue.parse($0), field: "messages") }
        return (s.string(text), m)
    }

    private func isTest(_ hash: [UInt8]) -> Bool {
        Exporter.isTest(contentHash: hash, seed: options.seed, fraction: options.testFraction)
    }

    /// Calls `body` for every preference pair the options select (raw or aggregated).
    public func forEachPair(_ body: (PreferenceExample) throws -> Void) throws {
        let (source, params) = pairSource()
        let sql = """
            SELECT s.pid, p.text, p.messages, p.content_hash, ch.text, re.text
            FROM (\(source)) AS s
            JOIN prompts p ON p.id = s.pid JOIN responses ch ON ch.id = s.cid JOIN responses re ON re.id = s.rid
            ORDER BY s.ord, s.cid, s.rid
            """
        try db.read { c in
            try c.prepare(sql).forEach(params) { s in
                let (prompt, messages) = try promptValue(s, text: 1, messages: 2)
                try body(PreferenceExample(promptID: s.int(0), prompt: prompt, messages: messages, chosen: s.string(4),
                                           rejected: s.string(5), isTest: isTest(s.blob(3))))
            }
        }
    }

    /// KTO examples: both sides of every selected pair (chosen true, rejected false), then thumbs.
    public func forEachKTO(_ body: (CompletionExample) throws -> Void) throws {
        try forEachPair { p in
            try body(CompletionExample(promptID: p.promptID, prompt: p.prompt, messages: p.messages, completion: p.chosen, label: true, isTest: p.isTest))
            try body(CompletionExample(promptID: p.promptID, prompt: p.prompt, messages: p.messages, completion: p.rejected, label: false, isTest: p.isTest))
        }
        let (filter, params) = labelFilter()
        try db.read { c in
            try c.prepare("""
                SELECT p.id, p.text, p.messages, p.content_hash, r.text, t.thumb
                FROM judgments j JOIN annotators a ON a.id = j.annotator_id JOIN judgment_thumbs t ON t.judgment_id = j.id
                JOIN prompts p ON p.id = j.prompt_id JOIN responses r ON r.id = t.response_id
                WHERE \(filter) ORDER BY j.id, t.response_id
                """).forEach(params) { s in
                let (prompt, messages) = try promptValue(s, text: 1, messages: 2)
                try body(CompletionExample(promptID: s.int(0), prompt: prompt, messages: messages, completion: s.string(4),
                                           label: s.int(5) > 0, isTest: isTest(s.blob(3))))
            }
        }
    }

    /// SFT examples: rewrites and imported demonstrations.
    public func forEachDemonstration(_ body: (CompletionExample) throws -> Void) throws {
        let (filter, params) = labelFilter()
        try db.read { c in
            try c.prepare("""
                SELECT p.id, p.text, p.messages, p.content_hash, j.rewrite
                FROM judgments j JOIN annotators a ON a.id = j.annotator_id JOIN prompts p ON p.id = j.prompt_id
                WHERE \(Exporter.carriesRewrite) AND \(filter) ORDER BY j.id
                """).forEach(params) { s in
                let (prompt, messages) = try promptValue(s, text: 1, messages: 2)
                try body(CompletionExample(promptID: s.int(0), prompt: prompt, messages: messages, completion: s.string(4),
                                           label: nil, isTest: isTest(s.blob(3))))
            }
        }
    }
}
