// Removing a set of prompts by their `source` (the demo set: "demo:queue", "demo:heldout"). A prompt
// that carries a live label or is part of a blind evaluation stays, so no label and no evaluation
// result loses its prompt; everything else of a removed prompt (responses, open leases, skips,
// undone judgments) goes with it through the schema's ON DELETE CASCADE.

/// What a removal did.
public struct PromptRemoval: Sendable, Equatable {
    /// Prompts deleted.
    public var removed = 0
    /// Prompts of those sources kept because a label or an evaluation uses them.
    public var kept = 0
    public init(removed: Int = 0, kept: Int = 0) { self.removed = removed; self.kept = kept }
}

extension PromptRepository {
    /// Deletes the prompts of `sources` that no live label and no evaluation comparison uses.
    public func remove(sources: [String]) throws -> PromptRemoval {
        guard !sources.isEmpty else { return PromptRemoval() }
        let list = Array(repeating: "?", count: sources.count).joined(separator: ", ")
        let values = sources.map { SQLValue.text($0) }
        try c.run("""
            DELETE FROM prompts WHERE source IN (\(list))
              AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.prompt_id = prompts.id AND j.undone_at IS NULL AND j.kind <> 'skip')
              AND NOT EXISTS (SELECT 1 FROM eval_comparisons e WHERE e.prompt_id = prompts.id)
            """, values)
        let removed = c.changes
        let kept = Int(try c.scalar("SELECT count(*) FROM prompts WHERE source IN (\(list))", values))
        return PromptRemoval(removed: removed, kept: kept)
    }
}
