// Leases: next-task hands an annotator a prompt for a limited time so two people do not label the
// same prompt beyond the target count at once. Expired leases simply stop counting. Submitting a
// judgment that names its lease completes it (JudgmentRepository.submit).
public struct AssignmentRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    static func row(_ s: Statement) -> Assignment {
        Assignment(id: s.int(0), promptID: s.int(1), annotatorID: s.int(2), leasedAt: s.int(3), expiresAt: s.int(4), completedAt: s.optionalInt(5))
    }

    /// Leases `promptID` to the annotator until `expiresAt` (ms). Which prompt to lease is the task
    /// queue's decision (`lease(annotatorID:now:rules:)`, AssignmentRepository+Queue.swift).
    public func create(promptID: Int64, annotatorID: Int64, now: Int64, expiresAt: Int64) throws -> Assignment {
        try c.run("INSERT INTO assignments (prompt_id, annotator_id, leased_at, expires_at) VALUES (?, ?, ?, ?)",
                  [.int(promptID), .int(annotatorID), .int(now), .int(expiresAt)])
        return Assignment(id: c.lastInsertID, promptID: promptID, annotatorID: annotatorID, leasedAt: now, expiresAt: expiresAt, completedAt: nil)
    }

    public func byID(_ id: Int64) throws -> Assignment? {
        try c.prepare("SELECT id, prompt_id, annotator_id, leased_at, expires_at, completed_at FROM assignments WHERE id = ?")
            .first([.int(id)], Self.row)
    }

    /// Every lease the annotator was given on `promptID`, open, completed or expired: what they were shown.
    public func leases(annotatorID: Int64, promptID: Int64) throws -> [Assignment] {
        try c.prepare("SELECT id, prompt_id, annotator_id, leased_at, expires_at, completed_at FROM assignments WHERE annotator_id = ? AND prompt_id = ? ORDER BY id")
            .all([.int(annotatorID), .int(promptID)], Self.row)
    }
}
