// The automatic promotion decision: does a newly trained policy beat the serving one? Both sample
// `samplesPerPrompt` responses per held-out prompt (same settings and seed); the serving reward model
// (just refreshed by the run) scores each; answer k of the candidate against answer k of the serving
// policy to the same prompt is one comparison; the verdicts form a side-by-side result from the
// candidate's viewpoint (B = candidate), and the PromotionRule (Wilson lower bound above 0.5 by
// default) decides, its sentence being the reason.
//
// Why several answers per prompt (evaluation.samples_per_prompt, 16): on the starter a threshold run
// gains a few points of rule rate, and the reward model sees it as a win rate of about 0.55–0.57; one
// answer per prompt on 100 prompts gives a Wilson half-width of ~0.1, so the rule could not fire; 1,600
// comparisons (~0.025) can, while two draws of the same policy stay at 0.5 (see
// Tests/Benchmarks/promotion_check.py and the README's Evaluation section).
//
//     let promotion = AutomaticPromotion(db: db, rule: settings.evaluation.promotion, prompts: 100, samplesPerPrompt: 16)
//     let outcome = try promotion.evaluate(candidate: v2, serving: v1)   // promote, reason, measures
import Foundation
import Store

public struct AutomaticPromotion: Sendable {
    public let db: Database
    /// When the candidate counts as better.
    public var rule: PromotionRule
    /// Held-out prompts used at most (settings.evaluation.prompts).
    public var prompts: Int
    /// How both versions sample. Why greedy is not the default: the policy that serves samples.
    public var sampling: PolicySampler.Settings
    /// Seed of the sampling, the same for both versions.
    public var seed: UInt64
    /// Answers per prompt and version (settings.evaluation.samples_per_prompt); one comparison each.
    public var samplesPerPrompt: Int

    public init(db: Database, rule: PromotionRule, prompts: Int = 100, sampling: PolicySampler.Settings = PolicySampler.Settings(),
                seed: UInt64 = 0x5EED, samplesPerPrompt: Int = AppSettings.Evaluation().samplesPerPrompt) {
        precondition(samplesPerPrompt >= 1, "at least one sample per prompt")
        self.db = db; self.rule = rule; self.prompts = prompts; self.sampling = sampling; self.seed = seed
        self.samplesPerPrompt = samplesPerPrompt
    }

    /// The decision with the measures behind it (A = the serving version, B = the candidate); the
    /// loop stores all three with the candidate's metrics.
    public struct Outcome: Sendable {
        public var promote: Bool
        public var reason: String
        public var measures: EvalMeasures?

        public init(promote: Bool, reason: String, measures: EvalMeasures? = nil) {
            self.promote = promote; self.reason = reason; self.measures = measures
        }
    }

    /// Registered versions, judged by the serving reward model.
    public func evaluate(candidate: ModelVersion, serving: ModelVersion) throws -> Outcome {
        let url = { (m: ModelVersion) in URL(fileURLWithPath: m.path) }
        return try evaluate(candidate: (candidate.name, url(candidate)), serving: (serving.name, url(serving)), reward: nil)
    }

    /// Any two policy folders, judged by `reward` (a training run's own reward model) or, when nil,
    /// by the serving one.
    public func evaluate(candidate: (name: String, folder: URL), serving: (name: String, folder: URL),
                         reward given: (name: String, folder: URL)?,
                         progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws -> Outcome {
        let (servingReward, reference, texts) = try db.read { c -> (ModelVersion?, ModelVersion?, [String]) in
            let ids = try EvalRepository(c).selectPrompts(ids: nil, tag: nil, limit: prompts)
            let repo = PromptRepository(c)
            return (try ModelRepository(c).serving(.reward), try ModelRepository(c).serving(.reference),
                    try ids.compactMap { try repo.byID($0)?.text })
        }
        guard let reward = given ?? servingReward.map({ ($0.name, URL(fileURLWithPath: $0.path)) }) else {
            return Outcome(promote: false, reason: "no serving reward model to compare the outputs with", measures: nil)
        }
        guard !texts.isEmpty else { return Outcome(promote: false, reason: "no held-out prompts to evaluate on", measures: nil) }
        let report = try AutomaticEvaluation.run(a: serving.folder, b: candidate.folder, reward: reward.folder,
                                                 reference: reference.map { URL(fileURLWithPath: $0.path) },
                                                 prompts: texts, settings: sampling, seed: seed, samplesPerPrompt: samplesPerPrompt,
                                                 rewardName: reward.name, referenceName: reference?.name, progress: progress)
        guard let s = report.measures.rewardWinRate else { return Outcome(promote: false, reason: "no reward verdicts", measures: report.measures) }
        let result = SideBySideResult(viewpoint: .b, wins: s.wins, ties: s.ties, losses: s.losses, confidence: rule.confidence)
        let d = try rule.decide(result)
        return Outcome(promote: d.promote, reason: "\(d.reason) — by \(reward.name) on \(texts.count) held-out prompts × \(samplesPerPrompt) answers, \(candidate.name) vs \(serving.name)",
                       measures: report.measures)
    }
}
