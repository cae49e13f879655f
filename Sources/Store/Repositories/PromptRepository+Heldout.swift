// Held-out prompts (schema version 2's `prompts.heldout`): kept for evaluation, never handed to
// annotators by the task queue.
import Foundation

extension PromptRepository {
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
