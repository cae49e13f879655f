// AI pre-labels (RLAIF): the serving reward model scores the responses of queued prompts into
// `response_scores`; admins see the scores and pair confidences sigma(|a - b|). With
// `rlaif.auto_label`, a prompt no person has labelled gets ONE pairwise judgment of origin 'ai' by
// the pseudo-annotator `ai:<reward version name>` (no token: it can never sign in) for its most
// confident pair, when that confidence reaches `rlaif.confidence_threshold`. The judgment's
// idempotency key `ai:<reward id>:<prompt id>` makes re-running a no-op. AI labels never count toward
// overlap or coverage (the task queue counts human labels by people who can sign in), are left out
// of exports unless asked (`--include-ai`, `include_ai=true`) and out of training unless
// `retraining.include_ai_labels`.
import Foundation
import Store

enum RLAIF {
    /// A response to score: its id, its prompt's id, and the two texts as the reward model reads them.
    struct Item: Equatable {
        var responseID: Int64
        var promptID: Int64
        var prompt: String
        var response: String
    }

    /// Up to `limit` responses of unlabelled prompts without a score under `modelID`, oldest prompt first.
    static func unscored(_ c: Connection, modelID: Int64, limit: Int) throws -> [Item] {
        try PromptRepository(c).unscored(modelID: modelID, limit: limit).map { u in
            // A conversation's text ends with the user's turn; the reward model read "…Assistant:" + response.
            Item(responseID: u.responseID, promptID: u.promptID, prompt: u.prompt + (u.isConversation ? "\n\nAssistant:" : ""), response: u.response)
        }
    }

    /// Scores `items` with `scorer` and stores them in one transaction.
    static func score(_ items: [Item], scorer: RewardScorer, modelID: Int64, db: Database, now: Int64) throws {
        let scores = try scorer.scores(items.map { ($0.prompt, $0.response) })
        try db.write { c in
            for (item, score) in zip(items, scores) {
                try PromptRepository(c).setScore(responseID: item.responseID, modelID: modelID, score: score, now: now)
            }
        }
    }

    /// The pair to auto-label from `scores` (response id -> score) among `pool`: the highest and
    /// the lowest scored, with their confidence; nil with fewer than 2 scored responses.
    static func mostConfidentPair(_ pool: [Int64], scores: [Int64: Double]) -> (chosen: Int64, rejected: Int64, confidence: Double)? {
        let scored = pool.compactMap { id in scores[id].map { (id, $0) } }
        guard scored.count >= 2, let best = scored.max(by: { ($0.1, -$0.0) < ($1.1, -$1.0) }),
              let worst = scored.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }), best.0 != worst.0 else { return nil }
        return (best.0, worst.0, RewardScorer.confidence(best.1, worst.1))
    }

    /// The idempotency key of the AI label of reward model `rewardID` on `promptID`.
    static func key(rewardID: Int64, promptID: Int64) -> String { PromptRepository.aiLabelKey(rewardID: rewardID, promptID: promptID) }

    /// Auto-labels the unlabelled prompts among `promptIDs` (nil: all of them) whose most confident
    /// pair under `reward` reaches `threshold`. Idempotent. Returns the number of new AI labels.
    static func autoLabel(_ c: Connection, reward: ModelVersion, threshold: Double, promptIDs: [Int64]?, now: Int64) throws -> Int {
        let judge = try AnnotatorRepository(c).pseudo("ai:" + reward.name, now: now)
        let candidates = try PromptRepository(c).autoLabelCandidates(judgeID: judge, rewardID: reward.id, promptIDs: promptIDs)
        var added = 0
        for promptID in candidates {
            // The pool annotators would be shown now (imported + the newest generated version's).
            let pool = Lease.pool(try PromptRepository(c).responses(promptID: promptID), leasedAt: .max).map(\.id)
            let scores = try PromptRepository(c).scores(promptID: promptID, modelID: reward.id)
            guard let pair = mostConfidentPair(pool, scores: scores), pair.confidence >= threshold else { continue }
            var j = NewJudgment(annotatorID: judge, promptID: promptID, kind: .pairwise)
            j.origin = .ai
            j.ranks = [ResponseRank(responseID: pair.chosen, rank: 1), ResponseRank(responseID: pair.rejected, rank: 2)]
            j.rationale = reward.name + String(format: ": %.4f vs %.4f, confidence %.4f", scores[pair.chosen]!, scores[pair.rejected]!, pair.confidence)
            j.idempotencyKey = key(rewardID: reward.id, promptID: promptID)
            if try JudgmentRepository(c).submit(j, now: now).created { added += 1 }
        }
        return added
    }
}
