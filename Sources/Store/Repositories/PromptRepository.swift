// Prompts and their candidate responses. Inserts are idempotent by content hash: inserting the
// same prompt (or the same response text for a prompt) again returns the existing row.
import Foundation
import Support

public struct PromptRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    /// Largest prompt or response text accepted (bytes).
    public static let maxTextBytes = 1 << 20

    /// The canonical content hash of a prompt (see schema.sql).
    public static func contentHash(text: String?, messages: [Message]?) -> [UInt8] {
        if let messages { return SHA256.hash("messages\u{0}" + Conversation.json(messages)) }
        return SHA256.hash("text\u{0}" + (text ?? ""))
    }

    /// Inserts a prompt unless one with the same content exists. Returns its id and whether it was new.
    public func insert(_ p: NewPrompt, now: Int64) throws -> (id: Int64, inserted: Bool) {
        let text: String
        if let messages = p.messages {
            guard let last = messages.last, last.role == "user" else {
                throw StoreError.invalid("prompt: a conversation prompt must end with a user turn")
            }
            text = Conversation.hhText(messages)
        } else if let t = p.text {
            text = t
        } else {
            throw StoreError.invalid("prompt: missing")
        }
        guard !text.isEmpty else { throw StoreError.invalid("prompt: empty") }
        guard text.utf8.count <= Self.maxTextBytes else { throw StoreError.invalid("prompt: longer than \(Self.maxTextBytes) bytes") }
        let hash = Self.contentHash(text: p.text, messages: p.messages)
        if let id = try c.prepare("SELECT id FROM prompts WHERE content_hash = ?").first([.blob(hash)], { $0.int(0) }) {
            return (id, false)
        }
        var tags = JSONWriter()
        tags.value(.array(p.tags.map { .string($0) }))
        try c.run("""
            INSERT INTO prompts (text, messages, source, tags, metadata, content_hash, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [.text(text), p.messages.map { .text(Conversation.json($0)) } ?? .null, p.source.map { .text($0) } ?? .null,
                  .text(tags.string), .text(p.metadata), .blob(hash), .int(now)])
        return (c.lastInsertID, true)
    }

    /// Adds a candidate response unless the prompt already has this exact text.
    public func addResponse(promptID: Int64, text: String, origin: String, modelVersionID: Int64? = nil,
                            sampling: String? = nil, now: Int64) throws -> (id: Int64, inserted: Bool) {
        guard text.utf8.count <= Self.maxTextBytes else { throw StoreError.invalid("response: longer than \(Self.maxTextBytes) bytes") }
        let hash = SHA256.hash(text)
        if let id = try c.prepare("SELECT id FROM responses WHERE prompt_id = ? AND content_hash = ?")
            .first([.int(promptID), .blob(hash)], { $0.int(0) }) {
            return (id, false)
        }
        try c.run("""
            INSERT INTO responses (prompt_id, text, origin, model_version_id, sampling, content_hash, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [.int(promptID), .text(text), .text(origin), modelVersionID.map { .int($0) } ?? .null,
                  sampling.map { .text($0) } ?? .null, .blob(hash), .int(now)])
        return (c.lastInsertID, true)
    }

    static let promptColumns = "id, text, messages, source, tags, metadata, created_at"

    static func promptRow(_ s: Statement) throws -> Prompt {
        let messages = try s.optionalString(2).map { try Conversation.messages(from: JSONValue.parse($0), field: "messages") }
        let tags = (try? JSONValue.parse(s.string(4)))?.arrayValue?.compactMap(\.stringValue) ?? []
        return Prompt(id: s.int(0), text: s.string(1), messages: messages, source: s.optionalString(3), tags: tags,
                      metadata: s.string(5), createdAt: s.int(6))
    }

    public func byID(_ id: Int64) throws -> Prompt? {
        try c.prepare("SELECT \(Self.promptColumns) FROM prompts WHERE id = ?").first([.int(id)], Self.promptRow)
    }

    /// Prompts in id order after `afterID` (keyset paging).
    public func list(afterID: Int64 = 0, limit: Int = 100) throws -> [Prompt] {
        try c.prepare("SELECT \(Self.promptColumns) FROM prompts WHERE id > ? ORDER BY id LIMIT ?")
            .all([.int(afterID), .int(Int64(limit))], Self.promptRow)
    }

    public func count() throws -> Int { Int(try c.scalar("SELECT count(*) FROM prompts")) }

    static func responseRow(_ s: Statement) -> Completion {
        Completion(id: s.int(0), promptID: s.int(1), text: s.string(2), origin: s.string(3),
                 modelVersionID: s.optionalInt(4), sampling: s.optionalString(5), createdAt: s.int(6))
    }

    /// The candidate responses of a prompt, oldest first.
    public func responses(promptID: Int64) throws -> [Completion] {
        try c.prepare("""
            SELECT id, prompt_id, text, origin, model_version_id, sampling, created_at
            FROM responses WHERE prompt_id = ? ORDER BY id
            """).all([.int(promptID)], Self.responseRow)
    }

    public func response(_ id: Int64) throws -> Completion? {
        try c.prepare("SELECT id, prompt_id, text, origin, model_version_id, sampling, created_at FROM responses WHERE id = ?")
            .first([.int(id)], Self.responseRow)
    }

    // MARK: held-out prompts (schema version 2's `prompts.heldout`): kept for evaluation, never handed
    // to annotators by the task queue.

    /// Marks a prompt held out (or not). Throws when no prompt has this id.
    public func setHeldout(id: Int64, _ heldout: Bool) throws {
        try c.run("UPDATE prompts SET heldout = ? WHERE id = ?", [.int(heldout ? 1 : 0), .int(id)])
        guard try c.scalar("SELECT changes()") == 1 else { throw StoreError.invalid("prompt \(id): no such prompt") }
    }

    /// How many prompts are held out.
    public func heldoutCount() throws -> Int { Int(try c.scalar("SELECT count(*) FROM prompts WHERE heldout = 1")) }

    /// The ids of the held-out prompts.
    public func heldoutIDs() throws -> Set<Int64> {
        Set(try c.prepare("SELECT id FROM prompts WHERE heldout = 1").all([]) { $0.int(0) })
    }

    /// The newest `limit` prompts that are not held out (id and text), newest first.
    public func newestNotHeldout(limit: Int) throws -> [(id: Int64, text: String)] {
        try c.prepare("SELECT id, text FROM prompts WHERE heldout = 0 ORDER BY id DESC LIMIT ?")
            .all([.int(Int64(limit))]) { (id: $0.int(0), text: $0.string(1)) }
    }
}
