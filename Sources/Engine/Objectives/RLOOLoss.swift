// RLOO's update loss (Ahmadian et al. 2024; TRL's RLOOTrainer._compute_loss): REINFORCE with the
// leave-one-out baseline (GroupAdvantages.rloo), made off-policy safe with a sequence-level clipped ratio.
// The KL to the reference is already in the reward, so the loss has no KL term.
//
// For row b with n_b real tokens, logp_b = Σ_t logp_{b,t}, ratio_b = e^{logp_b − logp_old,b}:
//     ℓ_b  = −min(ratio_b·A_b, clip(ratio_b, 1−ε, 1+ε_high)·A_b)
//     loss = mean over rows of ℓ_b
// Gradient: dloss/dlogp_{b,t} = −A_b·ratio_b / B on every real token of row b when the unclipped term is
// the smaller, 0 where the clip holds. Metrics (TRL's names, shares of rows): clip_ratio/low_mean,
// clip_ratio/high_mean, clip_ratio/region_mean, clip_ratio/low_min, clip_ratio/high_max.
import Foundation

public struct RLOOConfig: Codable, Sendable, Equatable {
    /// ε of the sequence ratio's clip window; TRL 0.2.
    public var epsilon: Double
    /// Upper ε; nil = ε.
    public var epsilonHigh: Double?
    /// KL coefficient of the penalty subtracted from each reward (k1, summed over the sequence); TRL 0.05.
    public var beta: Double
    /// Normalise the advantages over the batch (TRL's normalize_advantages, off by default).
    public var normalizeAdvantages: Bool

    public init(epsilon: Double = 0.2, epsilonHigh: Double? = nil, beta: Double = 0.05, normalizeAdvantages: Bool = false) {
        self.epsilon = epsilon; self.epsilonHigh = epsilonHigh; self.beta = beta; self.normalizeAdvantages = normalizeAdvantages
    }

    public func validate() throws {
        func bad(_ s: String) -> EngineError { .invalidConfig(s) }
        guard epsilon > 0, epsilon < 1 else { throw bad("RLOO epsilon must be in (0, 1), got \(epsilon)") }
        if let h = epsilonHigh { guard h > 0, h.isFinite else { throw bad("RLOO epsilon_high must be > 0, got \(h)") } }
        guard beta >= 0, beta.isFinite else { throw bad("RLOO beta must be ≥ 0, got \(beta)") }
    }
}

public struct RLOOLoss: Sendable {
    public let config: RLOOConfig

    public init(config: RLOOConfig = RLOOConfig()) throws {
        try config.validate()
        self.config = config
    }

    /// `logprobs` on the completion grid of `mask`; `oldSequenceLogprobs` and `advantages` one per row.
    public func callAsFunction(logprobs: [Double], oldSequenceLogprobs: [Double], advantages: [Double],
                               mask: ResponseMask) throws -> GroupLossResult {
        let ctx = "RLOO update"
        try mask.check("logprobs", logprobs, context: ctx)
        try ObjectiveMath.requireBatch(ctx, count: mask.rows, [("oldSequenceLogprobs", oldSequenceLogprobs.count),
                                                                ("advantages", advantages.count)])
        let lo = 1 - config.epsilon, hi = 1 + (config.epsilonHigh ?? config.epsilon)
        let rows = Double(mask.rows), sums = mask.rowSums(logprobs)
        var dLogp = [Double](repeating: 0, count: mask.count)
        var loss = 0.0, low: [Double] = [], high: [Double] = []
        for b in 0..<mask.rows {
            let a = advantages[b], ratio = exp(sums[b] - oldSequenceLogprobs[b])
            let unclipped = ratio * a, clipped = min(max(ratio, lo), hi) * a
            loss += -min(unclipped, clipped) / rows
            if unclipped <= clipped {
                for t in 0..<mask.lengths[b] { dLogp[b * mask.width + t] = -a * ratio / rows }
            }
            low.append(ratio < lo && a < 0 ? 1 : 0); high.append(ratio > hi && a > 0 ? 1 : 0)
        }
        try ObjectiveMath.requireFinite(loss, "loss", context: ctx)
        try ObjectiveMath.requireFinite(dLogp, "dLogprobs", context: ctx)
        let metrics: ObjectiveMetrics = [
            "loss": loss, "clip_ratio/low_mean": ObjectiveMath.mean(low), "clip_ratio/high_mean": ObjectiveMath.mean(high),
            "clip_ratio/region_mean": ObjectiveMath.mean(zip(low, high).map { $0 + $1 }),
            "clip_ratio/low_min": low.min() ?? 0, "clip_ratio/high_max": high.max() ?? 0,
        ]
        return GroupLossResult(loss: loss, dLogprobs: dLogp, metrics: metrics)
    }
}
