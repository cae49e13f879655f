// Reward-model scores of responses (table response_scores, schema version 2): what RLAIF writes and
// the admin's score view reads. One score per (response, reward model version); re-scoring replaces.
// RLAIF works on prompts no person has labelled: it scores their responses and auto-labels them
// once per reward version (the AI judgment's idempotency key names both).
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

    /// Prompts RLAIF works on (`p`): not held out, no live human label of any kind that orders or
    /// rates responses (imported labels are human labels too).
    static let unlabelledByPeople = """
        p.heldout = 0 AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.prompt_id = p.id AND \(LiveLabel.counted))
        """

    /// Up to `limit` responses of prompts no person labelled without a score under `modelID`, oldest prompt first.
    public func unscored(modelID: Int64, limit: Int) throws -> [UnscoredResponse] {
        try c.prepare("""
            SELECT r.id, p.id, p.text, p.messages IS NOT NULL, r.text FROM prompts p JOIN responses r ON r.prompt_id = p.id
            WHERE \(Self.unlabelledByPeople)
              AND NOT EXISTS (SELECT 1 FROM response_scores s WHERE s.response_id = r.id AND s.model_id = ?1)
            ORDER BY p.id, r.id LIMIT ?2
            """).all([.int(modelID), .int(Int64(limit))]) { s in
            UnscoredResponse(responseID: s.int(0), promptID: s.int(1), prompt: s.string(2), isConversation: s.int(3) != 0, response: s.string(4))
        }
    }

    /// The idempotency key of the AI label of reward model `rewardID` on `promptID`.
    public static func aiLabelKey(rewardID: Int64, promptID: Int64) -> String { "ai:\(rewardID):\(promptID)" }

    /// The prompts no person labelled among `promptIDs` (nil: all of them, in id order) that the AI
    /// judge `judgeID` has not labelled under reward model `rewardID` (its key, `aiLabelKey`, unused).
    public func autoLabelCandidates(judgeID: Int64, rewardID: Int64, promptIDs: [Int64]?) throws -> [Int64] {
        let open = """
            SELECT p.id FROM prompts p WHERE \(Self.unlabelledByPeople) AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.annotator_id = ?1 AND j.idempotency_key = 'ai:' || ?2 || ':' || p.id)
            """
        if let promptIDs {
            let check = try c.prepare(open + " AND p.id = ?3")
            return try promptIDs.filter { try check.first([.int(judgeID), .int(rewardID), .int($0)], { _ in true }) ?? false }
        }
        return try c.prepare(open + " ORDER BY p.id").all([.int(judgeID), .int(rewardID)]) { $0.int(0) }
    }
}

/// A response to score: its id, its prompt's id and text (`isConversation`: it ends with the user's
/// turn), and the response's text.
public struct UnscoredResponse: Sendable, Equatable {
    public var responseID: Int64
    public var promptID: Int64
    public var prompt: String
    public var isConversation: Bool
    public var response: String
}
