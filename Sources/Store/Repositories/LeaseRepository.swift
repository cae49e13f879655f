// Leases: next-task hands an annotator a prompt for a limited time so two people do not label the
// same prompt beyond the target count at once. Expired leases simply stop counting. Submitting a
// judgment that names its lease completes it (JudgmentRepository.submit).
public struct LeaseRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    static let columns = "id, prompt_id, annotator_id, leased_at, expires_at, completed_at"

    static func row(_ s: Statement) -> Lease {
        Lease(id: s.int(0), promptID: s.int(1), annotatorID: s.int(2), leasedAt: s.int(3), expiresAt: s.int(4), completedAt: s.optionalInt(5))
    }

    /// Leases `promptID` to the annotator until `expiresAt` (ms). Which prompt to lease is the
    /// queue's decision (`lease(annotatorID:now:rules:)`, LeaseRepository+Queue.swift).
    public func create(promptID: Int64, annotatorID: Int64, now: Int64, expiresAt: Int64) throws -> Lease {
        try c.run("INSERT INTO leases (prompt_id, annotator_id, leased_at, expires_at) VALUES (?, ?, ?, ?)",
                  [.int(promptID), .int(annotatorID), .int(now), .int(expiresAt)])
        return Lease(id: c.lastInsertID, promptID: promptID, annotatorID: annotatorID, leasedAt: now, expiresAt: expiresAt)
    }

    public func byID(_ id: Int64) throws -> Lease? {
        try c.prepare("SELECT \(Self.columns) FROM leases WHERE id = ?").first([.int(id)], Self.row)
    }

    /// Every lease the annotator was given on `promptID`, open, completed or expired: what they were shown.
    public func leases(annotatorID: Int64, promptID: Int64) throws -> [Lease] {
        try c.prepare("SELECT \(Self.columns) FROM leases WHERE annotator_id = ? AND prompt_id = ? ORDER BY id")
            .all([.int(annotatorID), .int(promptID)], Self.row)
    }
}
