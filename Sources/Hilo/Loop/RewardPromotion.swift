// The loop's default automatic-promotion decision: the serving reward model (just refreshed by the
// run) scores the greedy outputs of the candidate and of the serving policy on held-out prompts; the
// candidate is promoted when its mean score is higher. The evaluation helper's PromotionRule-based
// decision (reward-model win rate with a confidence bound) can replace it: both are a
// `PromotionDecision`.
import Engine
import Foundation
import Store

public enum RewardPromotion {
    /// Greedy outputs this long at most (the demo's answers are short).
    public static let maxNewTokens = 48

    /// A decision over at most `maxPrompts` held-out prompts (falling back to the newest prompts when
    /// none is held out, which the reason says).
    public static func decision(db: Database, maxPrompts: Int? = nil) -> PromotionDecision {
        { candidate, serving in
            let (rewardPath, rewardName, prompts, heldout): (String, String, [String], Bool) = try db.read { c in
                guard let reward = try ModelRepository(c).servingRecord(.reward) else { throw LoopError("no reward model is serving") }
                let limit = Int64(try maxPrompts ?? AppSettings.load(c).evaluation.prompts)
                var texts = try c.prepare("SELECT text FROM prompts WHERE heldout = 1 ORDER BY id LIMIT ?").all([.int(limit)]) { $0.string(0) }
                let held = !texts.isEmpty
                if !held { texts = try c.prepare("SELECT text FROM prompts ORDER BY id DESC LIMIT ?").all([.int(min(limit, 32))]) { $0.string(0) } }
                return (reward.path, reward.name, texts, held)
            }
            guard !prompts.isEmpty else { throw LoopError("no prompts to evaluate on") }
            let scorer = try RewardScorer(folder: URL(fileURLWithPath: rewardPath))
            let settings = PolicySampler.Settings(maxNewTokens: maxNewTokens, greedy: true)
            func meanScore(_ m: ModelVersionRecord) throws -> Double {
                let sampler = try PolicySampler(folder: URL(fileURLWithPath: m.path))
                var rng = SeededRNG(seed: 0)
                let outs = try sampler.sample(prompts: prompts, perPrompt: 1, settings: settings, rng: &rng)
                let scores = try scorer.scores(zip(prompts, outs).map { ($0, $1[0].text) })
                return scores.reduce(0, +) / Double(scores.count)
            }
            let new = try meanScore(candidate), old = try meanScore(serving)
            let which = heldout ? "\(prompts.count) held-out prompts" : "\(prompts.count) recent prompts (no held-out prompts exist)"
            let reason = "mean reward \(String(format: "%.3f", new)) vs \(String(format: "%.3f", old)) for \(serving.name) on \(which) (\(rewardName), greedy)"
            return (new > old, reason)
        }
    }
}
