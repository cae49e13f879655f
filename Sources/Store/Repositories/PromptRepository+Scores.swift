// Reward-model scores of responses (table response_scores, schema version 2): what RLAIF writes and
// the admin's score view reads. One score per (response, reward model version); re-scoring replaces.
import Foundation

/// A response's score under one reward model version.
public struct ResponseScore: Sendable, Equatable {
    public var responseID: Int64
    public var modelID: Int64
    public var score: Double
    public var createdAt: Int64
}

extension PromptRepository {
    /// Stores (or replaces) the score of `responseID` under reward model `modelID`.
    public func setScore(responseID: Int64, modelID: Int64, score: Double, now: Int64) throws {
        guard score.isFinite else { throw StoreError.invalid("score: \(score) is not a finite number") }
        try c.run("""
            INSERT INTO response_scores (response_id, model_id, score, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (response_id, model_id) DO UPDATE SET score = excluded.score, created_at = excluded.created_at
            """, [.int(responseID), .int(modelID), .double(score), .int(now)])
    }

    /// The scores of a prompt's responses under reward model `modelID`, by response id.
    public func scores(promptID: Int64, modelID: Int64) throws -> [Int64: Double] {
        var out: [Int64: Double] = [:]
        try c.prepare("""
            SELECT s.response_id, s.score FROM response_scores s JOIN responses r ON r.id = s.response_id
            WHERE r.prompt_id = ? AND s.model_id = ?
            """).forEach([.int(promptID), .int(modelID)]) { out[$0.int(0)] = $0.double(1) }
        return out
    }
}
