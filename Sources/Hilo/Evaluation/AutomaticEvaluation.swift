// The automatic measures of two policies on the same prompts (B the challenger, A the baseline): the
// reward model's verdict per comparison as a side-by-side result from B's viewpoint, each side's mean
// reward, and each side's KL to the reference (k1, from teacher-forced log-probs of the same response
// tokens under the policy and the reference). Campaigns store them beside the human result, `hilo
// eval auto` prints them for two folders, and AutomaticPromotion decides on them.
//
// `run` can sample several answers per prompt and side: answer k of A is compared with answer k of B to
// the same prompt. Why that is sound: every answer is an independent draw, so the comparisons are
// independent given the prompts; when A and B are the same policy each decisive comparison is a fair
// coin whatever the prompt, and when they differ the binomial variance the Wilson bound assumes is at
// least the true one (Bernoulli trials with unequal rates vary less). More answers per prompt shrink
// the noise of sampling, which is what hides a real but modest gain on 100 prompts.
import Engine
import Foundation

public struct EvalMeasures: Codable, Sendable, Equatable {
    /// Prompts measured.
    public var prompts: Int
    /// Answers per prompt and side (nil: one); the reward verdicts count one comparison per answer.
    public var samplesPerPrompt: Int?
    /// The reward model that scored (its version name or folder), nil when none was available.
    public var rewardModel: String?
    /// Reward-model wins of B over A per prompt, with Wilson intervals and the sign test.
    public var rewardWinRate: SideBySideResult.Summary?
    public var meanRewardA: MeanEstimate?
    public var meanRewardB: MeanEstimate?
    /// The reference the KL is measured to, nil when none was available.
    public var referenceModel: String?
    /// Mean KL(π ‖ π_ref) per response in nats.
    public var klA: MeanEstimate?
    public var klB: MeanEstimate?

    public init(prompts: Int) { self.prompts = prompts }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    /// JSON object text (snake_case keys), as stored in `eval_campaigns.metrics`.
    public var json: String { String(decoding: try! Self.encoder.encode(self), as: UTF8.self) }
}

public enum AutomaticEvaluation {
    /// The loaded models a measurement uses; any may be missing, and its measures are then left out.
    public struct Judges {
        public var reward: RewardScorer?
        public var rewardName: String?
        public var policyA: CompletionScorer?
        public var policyB: CompletionScorer?
        public var reference: CompletionScorer?
        public var referenceName: String?

        public init(reward: RewardScorer? = nil, rewardName: String? = nil, policyA: CompletionScorer? = nil,
                    policyB: CompletionScorer? = nil, reference: CompletionScorer? = nil, referenceName: String? = nil) {
            self.reward = reward; self.rewardName = rewardName; self.policyA = policyA; self.policyB = policyB
            self.reference = reference; self.referenceName = referenceName
        }
    }

    /// Measures responses already generated: `responsesA[i]` and `responsesB[i]` answer `prompts[i]`.
    public static func measure(prompts: [String], responsesA: [String], responsesB: [String], judges: Judges) throws -> EvalMeasures {
        precondition(prompts.count == responsesA.count && prompts.count == responsesB.count, "one response per prompt and side")
        var m = EvalMeasures(prompts: prompts.count)
        if let reward = judges.reward {
            let a = try reward.scores(Array(zip(prompts, responsesA)).map { (prompt: $0.0, response: $0.1) })
            let b = try reward.scores(Array(zip(prompts, responsesB)).map { (prompt: $0.0, response: $0.1) })
            m.rewardModel = judges.rewardName ?? reward.folder.lastPathComponent
            m.rewardWinRate = try AutomaticMeasures.rewardWinRate(rewardsA: a, rewardsB: b).summary
            m.meanRewardA = try AutomaticMeasures.meanReward(a)
            m.meanRewardB = try AutomaticMeasures.meanReward(b)
        }
        if let reference = judges.reference {
            m.referenceModel = judges.referenceName ?? reference.folder.lastPathComponent
            for (policy, responses, side) in [(judges.policyA, responsesA, 0), (judges.policyB, responsesB, 1)] {
                guard let policy else { continue }
                let items = Array(zip(prompts, responses)).map { (prompt: $0.0, response: $0.1) }
                // The same scorer object for both when the policy is the reference: KL is exactly 0.
                let p = try policy.logprobSums(items)
                let q = policy === reference ? p : try reference.logprobSums(items)
                let kl = try AutomaticMeasures.meanKL(policyLogProbs: p, referenceLogProbs: q)
                if side == 0 { m.klA = kl } else { m.klB = kl }
            }
        }
        return m
    }

    /// What `run` produced: the responses of each side and the measures.
    public struct Report: Sendable {
        public var responsesA: [String]
        public var responsesB: [String]
        public var measures: EvalMeasures
    }

    /// Samples `samplesPerPrompt` responses per prompt from folders `a` and `b` (the same settings and
    /// seed for both) and measures them with the reward folder and, when given, the reference folder.
    /// The report's responses are `samplesPerPrompt` per prompt, in prompt order. `progress` hears
    /// (answers sampled, answers to sample) over both versions as each batch of answers is written.
    public static func run(a: URL, b: URL, reward: URL?, reference: URL?, prompts: [String],
                           settings: PolicySampler.Settings, seed: UInt64, samplesPerPrompt: Int = 1, rewardName: String? = nil,
                           referenceName: String? = nil, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws -> Report {
        precondition(samplesPerPrompt >= 1, "at least one sample per prompt")
        let same = a.standardizedFileURL == b.standardizedFileURL
        let each = prompts.count * samplesPerPrompt, total = same ? each : 2 * each
        progress?(0, total)
        let outA = try sample(folder: a, prompts: prompts, settings: settings, seed: seed, perPrompt: samplesPerPrompt,
                              onRows: { progress?($0, total) })
        let outB = same ? outA
            : try sample(folder: b, prompts: prompts, settings: settings, seed: seed, perPrompt: samplesPerPrompt,
                         onRows: { progress?(each + $0, total) })
        // One row per comparison: prompt i repeated for each of its answers.
        let rows = prompts.flatMap { Array(repeating: $0, count: samplesPerPrompt) }
        var judges = Judges(rewardName: rewardName, referenceName: referenceName)
        if let reward { judges.reward = try RewardScorer(folder: reward) }
        if let reference {
            let ref = try CompletionScorer(folder: reference)
            judges.reference = ref
            judges.policyA = a.standardizedFileURL == reference.standardizedFileURL ? ref : try CompletionScorer(folder: a)
            judges.policyB = b.standardizedFileURL == reference.standardizedFileURL ? ref
                : b.standardizedFileURL == a.standardizedFileURL ? judges.policyA : try CompletionScorer(folder: b)
        }
        var measures = try measure(prompts: rows, responsesA: outA, responsesB: outB, judges: judges)
        measures.prompts = prompts.count
        if samplesPerPrompt > 1 { measures.samplesPerPrompt = samplesPerPrompt }
        return Report(responsesA: outA, responsesB: outB, measures: measures)
    }

    /// `perPrompt` responses per prompt from a policy folder, flattened in prompt order.
    public static func sample(folder: URL, prompts: [String], settings: PolicySampler.Settings, seed: UInt64,
                              perPrompt: Int = 1, onRows: (Int) -> Void = { _ in }) throws -> [String] {
        guard !prompts.isEmpty else { return [] }
        var rng = SeededRNG(seed: seed)
        return try PolicySampler(folder: folder).sample(prompts: prompts, perPrompt: perPrompt, settings: settings, rng: &rng, onRows: onRows)
            .flatMap { $0.map(\.text) }
    }
}
