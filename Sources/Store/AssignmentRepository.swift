// Leases: next-task hands an annotator a prompt for a limited time so two people do not label the
// same prompt beyond the target count at once. Expired leases simply stop counting.
public struct AssignmentRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    static func row(_ s: Statement) -> Assignment {
        Assignment(id: s.int(0), promptID: s.int(1), annotatorID: s.int(2), leasedAt: s.int(3), expiresAt: s.int(4), completedAt: s.optionalInt(5))
    }

    /// The annotator's open, unexpired lease if any; otherwise leases the oldest prompt that has at
    /// least `minResponses` responses, that this annotator has not judged or skipped, and whose
    /// live labels plus open leases by others are below `labelsPerPrompt`. nil when nothing is left.
    public func leaseNext(annotatorID: Int64, now: Int64, leaseMs: Int64, labelsPerPrompt: Int, minResponses: Int = 2) throws -> Assignment? {
        if let open = try c.prepare("""
            SELECT id, prompt_id, annotator_id, leased_at, expires_at, completed_at FROM assignments
            WHERE annotator_id = ? AND completed_at IS NULL AND expires_at > ? ORDER BY id LIMIT 1
            """).first([.int(annotatorID), .int(now)], Self.row) {
            return open
        }
        guard let promptID = try c.prepare("""
            SELECT p.id FROM prompts p
            WHERE (SELECT count(*) FROM responses r WHERE r.prompt_id = p.id) >= ?
              AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.prompt_id = p.id AND j.annotator_id = ? AND j.undone_at IS NULL)
              AND (SELECT count(*) FROM judgments j WHERE j.prompt_id = p.id AND j.undone_at IS NULL AND j.kind <> 'skip')
                + (SELECT count(*) FROM assignments a WHERE a.prompt_id = p.id AND a.completed_at IS NULL AND a.expires_at > ?) < ?
            ORDER BY p.id LIMIT 1
            """).first([.int(Int64(minResponses)), .int(annotatorID), .int(now), .int(Int64(labelsPerPrompt))], { $0.int(0) }) else {
            return nil
        }
        try c.run("INSERT INTO assignments (prompt_id, annotator_id, leased_at, expires_at) VALUES (?, ?, ?, ?)",
                  [.int(promptID), .int(annotatorID), .int(now), .int(now + leaseMs)])
        return Assignment(id: c.lastInsertID, promptID: promptID, annotatorID: annotatorID, leasedAt: now, expiresAt: now + leaseMs, completedAt: nil)
    }

    public func byID(_ id: Int64) throws -> Assignment? {
        try c.prepare("SELECT id, prompt_id, annotator_id, leased_at, expires_at, completed_at FROM assignments WHERE id = ?")
            .first([.int(id)], Self.row)
    }

    /// Marks a lease done (JudgmentRepository.submit does this when the judgment names it).
    public func complete(_ id: Int64, now: Int64) throws {
        try c.run("UPDATE assignments SET completed_at = ? WHERE id = ? AND completed_at IS NULL", [.int(now), .int(id)])
    }

    /// Gives a lease back early (the prompt returns to the pool).
    public func release(_ id: Int64, now: Int64) throws {
        try c.run("UPDATE assignments SET expires_at = ? WHERE id = ? AND completed_at IS NULL", [.int(now), .int(id)])
    }
}
