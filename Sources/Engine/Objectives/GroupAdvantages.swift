// Group-relative advantages (TRL's GRPOTrainer and RLOOTrainer, `_generate_and_score_completions`): the
// G samples of one prompt are compared with each other, so no value model is needed. Rewards are one per
// sample, grouped in order (samples 0…G−1 are prompt 0's, G…2G−1 prompt 1's, …; groups ranked by
// annotators may differ in size, `groupSizes`); a reward may be missing
// (nil: the program answered null), and then the sample is left out of its group's statistics and gets
// advantage 0.
//
// GRPO, for sample i of group g with the group's scorable rewards R_g:
//     A_i = r_i − mean(R_g)                                 scaleRewards = none   (Dr. GRPO)
//     A_i = (r_i − mean(R_g)) / (std(R_g) + 1e-4)           scaleRewards = group  (TRL's default)
//     A_i = (r_i − mean(R_g)) / (std(R) + 1e-4)             scaleRewards = batch  (std over every reward)
// std with Bessel's correction over the scorable rewards (TRL's nanstd); a group with one scorable reward
// has no std: its advantages are 0.
// RLOO: the sequence-level KL penalty first, r_i ← r_i − β·Σ_t (logp_old,t − logp_ref,t) (k1), then the
// leave-one-out baseline over the group's other scorable samples
//     A_i = r_i − (Σ_{j∈R_g} r_j − r_i) / (|R_g| − 1)
// optionally normalised over the batch, (A − mean A)/(std A + 1e-4).
import Foundation

/// How GRPO divides the centred rewards (TRL's scale_rewards).
public enum RewardScaling: String, Codable, Sendable, CaseIterable {
    /// By the std of the prompt's group (TRL's default, the GRPO paper).
    case group
    /// By the std of every reward of the batch (Mistral's and "Understanding R1-Zero" advice).
    case batch
    /// Not at all (Dr. GRPO): the advantages keep the reward's scale.
    case none
}

/// Advantages and the statistics TRL logs about them.
public struct GroupAdvantages: Sendable, Equatable {
    /// One per sample, 0 for samples without a reward.
    public var advantages: [Double]
    /// The rewards the advantages were computed from (after RLOO's KL penalty); nil where missing.
    public var rewards: [Double?]
    /// reward, reward_std (over the scorable samples, before RLOO's KL penalty), frac_reward_zero_std (share of groups whose rewards
    /// are all equal: they teach nothing).
    public var metrics: ObjectiveMetrics

    /// GRPO's advantages of `rewards` in groups of `groupSize`.
    public static func grpo(rewards: [Double?], groupSize: Int, scaling: RewardScaling) throws -> GroupAdvantages {
        try grpo(rewards: rewards, groupSizes: try sizes(rewards.count, groupSize), scaling: scaling)
    }

    /// GRPO's advantages of consecutive groups of the given sizes.
    public static func grpo(rewards: [Double?], groupSizes: [Int], scaling: RewardScaling) throws -> GroupAdvantages {
        let ranges = try check(rewards, groupSizes: groupSizes)
        let groups = ranges.count
        var adv = [Double](repeating: 0, count: rewards.count)
        let batchStd = stdDev(rewards.compactMap { $0 })
        var zeroStd = 0
        for range in ranges {
            let scored = rewards[range].compactMap { $0 }
            let std = stdDev(scored)
            if let s = std, isClose(s, 0) { zeroStd += 1 }
            guard scored.count >= 2 else { continue }   // TRL: NaN advantages, then zeroed
            let mean = scored.reduce(0, +) / Double(scored.count)
            let scale: Double?
            switch scaling {
            case .none: scale = 1
            case .group: scale = std.map { $0 + 1e-4 }
            case .batch: scale = batchStd.map { $0 + 1e-4 }
            }
            guard let scale else { continue }
            for i in range { if let r = rewards[i] { adv[i] = (r - mean) / scale } }
        }
        try ObjectiveMath.requireFinite(adv, "advantages", context: "GRPO advantages")
        if scaling == .batch { zeroStd = batchStd.map { isClose($0, 0) } == true ? groups : 0 }
        return GroupAdvantages(advantages: adv, rewards: rewards,
                               metrics: summary(rewards, zeroStdGroups: zeroStd, groups: groups))
    }

    /// RLOO's advantages: `klPenalty[i]` is sample i's summed k1 KL Σ_t (logp_old − logp_ref) (0 when β = 0).
    public static func rloo(rewards raw: [Double?], klPenalty: [Double], beta: Double, groupSize: Int,
                            normalize: Bool) throws -> GroupAdvantages {
        try rloo(rewards: raw, klPenalty: klPenalty, beta: beta, groupSizes: try sizes(raw.count, groupSize), normalize: normalize)
    }

    /// RLOO's advantages of consecutive groups of the given sizes.
    public static func rloo(rewards raw: [Double?], klPenalty: [Double], beta: Double, groupSizes: [Int],
                            normalize: Bool) throws -> GroupAdvantages {
        let ranges = try check(raw, groupSizes: groupSizes)
        guard klPenalty.count == raw.count else {
            throw EngineError.invalidInput("RLOO advantages: \(klPenalty.count) KL values for \(raw.count) rewards")
        }
        try ObjectiveMath.requireFinite(klPenalty, "kl", context: "RLOO advantages")
        let rewards = zip(raw, klPenalty).map { r, kl in r.map { $0 - beta * kl } }
        let groups = ranges.count
        var adv = [Double?](repeating: nil, count: rewards.count)
        var zeroStd = 0
        for range in ranges {
            let scored = rewards[range].compactMap { $0 }
            if let s = stdDev(scored), isClose(s, 0) { zeroStd += 1 }
            guard scored.count >= 2 else { continue }
            let sum = scored.reduce(0, +)
            for i in range { if let r = rewards[i] { adv[i] = r - (sum - r) / Double(scored.count - 1) } }
        }
        if normalize {
            let present = adv.compactMap { $0 }
            if present.count >= 2, let std = stdDev(present) {
                let mean = present.reduce(0, +) / Double(present.count)
                adv = adv.map { $0.map { ($0 - mean) / (std + 1e-4) } }
            } else {
                adv = adv.map { _ in nil }   // TRL: a std of one value is NaN, so every advantage becomes 0
            }
        }
        let out = adv.map { $0 ?? 0 }
        try ObjectiveMath.requireFinite(out, "advantages", context: "RLOO advantages")
        // TRL logs the rewards before the KL penalty.
        return GroupAdvantages(advantages: out, rewards: rewards,
                               metrics: summary(raw, zeroStdGroups: zeroStd, groups: groups))
    }

    /// Equal groups of `groupSize` over `count` samples.
    private static func sizes(_ count: Int, _ groupSize: Int) throws -> [Int] {
        guard groupSize >= 2 else { throw EngineError.invalidInput("group advantages need at least 2 samples per prompt, got \(groupSize)") }
        guard count > 0, count % groupSize == 0 else {
            throw EngineError.invalidInput("group advantages: \(count) rewards is not a whole number of groups of \(groupSize)")
        }
        return Array(repeating: groupSize, count: count / groupSize)
    }

    /// Checks the rewards against the group sizes; returns each group's sample range.
    private static func check(_ rewards: [Double?], groupSizes: [Int]) throws -> [Range<Int>] {
        if let small = groupSizes.firstIndex(where: { $0 < 2 }) {
            throw EngineError.invalidInput("group advantages need at least 2 samples per prompt, group \(small) has \(groupSizes[small])")
        }
        guard !rewards.isEmpty, groupSizes.reduce(0, +) == rewards.count else {
            throw EngineError.invalidInput("group advantages: \(rewards.count) rewards for groups of \(groupSizes.reduce(0, +)) samples")
        }
        var ranges: [Range<Int>] = [], start = 0
        for n in groupSizes { ranges.append(start..<(start + n)); start += n }
        if let bad = rewards.firstIndex(where: { $0.map { !$0.isFinite } ?? false }) {
            throw NonFiniteError(quantity: "reward of sample \(bad)", value: rewards[bad]!, context: "group advantages")
        }
        return ranges
    }

    /// Sample standard deviation (Bessel), nil for fewer than two values (TRL's nanstd is NaN there).
    static func stdDev(_ xs: [Double]) -> Double? {
        guard xs.count >= 2 else { return nil }
        let mean = xs.reduce(0, +) / Double(xs.count)
        return (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)).squareRoot()
    }

    /// torch.isclose(x, 0) with its default tolerances.
    private static func isClose(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-8 + 1e-5 * abs(y) }

    private static func summary(_ rewards: [Double?], zeroStdGroups: Int, groups: Int) -> ObjectiveMetrics {
        let scored = rewards.compactMap { $0 }
        return [
            "reward": scored.isEmpty ? .nan : scored.reduce(0, +) / Double(scored.count),
            "reward_std": stdDev(scored) ?? .nan,
            "frac_reward_zero_std": Double(zeroStdGroups) / Double(groups),
            "frac_reward_missing": Double(rewards.count - scored.count) / Double(rewards.count),
        ]
    }
}
