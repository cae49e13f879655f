// GRPO's update loss (Shao et al., DeepSeekMath; TRL's GRPOTrainer._compute_loss, token-level importance
// sampling) on one minibatch, with its gradient with respect to the new per-token log-probs.
//
// For every real token t of row b (right-padded rows, see ResponseMask), with A_b the row's group-relative
// advantage (GroupAdvantages), ratio = e^{logp − logp_old}:
//     ℓ_t = −min(ratio·A_b, clip(ratio, 1−ε, 1+ε_high)·A_b) + β·kl_t
//     kl_t = e^{ref − logp} − (ref − logp) − 1                      (k3, only when β > 0)
// and the aggregation of ℓ over the minibatch (TRL's loss_type):
//     grpo     mean over rows of (Σ_t ℓ_t / n_b)                   (each sequence weighs the same)
//     bnpo     Σ ℓ / Σ n_b                                          (each token of the minibatch the same)
//     dr_grpo  Σ ℓ / (B · maxCompletionLength)                      (Dr. GRPO: no length bias)
//     dapo     Σ ℓ / N, N = the tokens of the whole generation batch divided by its optimizer steps (TRL's
//              num_items_in_batch / steps_per_generation; equal to bnpo when one step takes the whole batch)
// Gradient per token: dℓ/dlogp = −A·ratio where the unclipped term is the smaller (none where the clip
// holds), plus β·(1 − e^{ref − logp}); times the aggregation weight. Metrics with TRL's names: kl,
// clip_ratio/low_mean, clip_ratio/high_mean, clip_ratio/region_mean (token shares where the ratio left
// the window on the side that stops the gradient), clip_ratio/low_min, clip_ratio/high_max (over rows).
import Foundation

/// TRL's loss_type: how per-token losses are averaged.
public enum GRPOLossType: String, Codable, Sendable, CaseIterable {
    case grpo, bnpo, dapo
    case drGRPO = "dr_grpo"
}

public struct GRPOConfig: Codable, Sendable, Equatable {
    /// ε: how far the ratio may fall (and, without epsilonHigh, rise) before the gradient stops. TRL 0.2.
    public var epsilon: Double
    /// The upper ε (DAPO's "clip higher", e.g. 0.28) so low-probability tokens can grow; nil = ε.
    public var epsilonHigh: Double?
    /// KL coefficient to the reference (k3 per token, added to the loss). TRL 0: no reference model at all.
    public var beta: Double
    /// Aggregation of the per-token losses; TRL's default is dapo.
    public var lossType: GRPOLossType
    /// The completion budget dr_grpo divides by (the run's max new tokens, not the longest sample).
    public var maxCompletionLength: Int

    public init(epsilon: Double = 0.2, epsilonHigh: Double? = nil, beta: Double = 0, lossType: GRPOLossType = .dapo,
                maxCompletionLength: Int = 256) {
        self.epsilon = epsilon; self.epsilonHigh = epsilonHigh; self.beta = beta
        self.lossType = lossType; self.maxCompletionLength = maxCompletionLength
    }

    public var upperEpsilon: Double { epsilonHigh ?? epsilon }

    public func validate() throws {
        func bad(_ s: String) -> EngineError { .invalidConfig(s) }
        guard epsilon > 0, epsilon < 1 else { throw bad("GRPO epsilon must be in (0, 1), got \(epsilon)") }
        if let h = epsilonHigh { guard h > 0, h.isFinite else { throw bad("GRPO epsilon_high must be > 0, got \(h)") } }
        guard beta >= 0, beta.isFinite else { throw bad("GRPO beta must be ≥ 0, got \(beta)") }
        guard maxCompletionLength > 0 else { throw bad("GRPO max_completion_length must be positive, got \(maxCompletionLength)") }
    }
}

/// One GRPO minibatch on the completion grid [B, W].
public struct GRPOMinibatch: Sendable {
    /// Log-probs of the sampled tokens under the current policy (the input the gradient is for).
    public var logprobs: [Double]
    /// The same under the policy that sampled them (equal to logprobs on the first update).
    public var oldLogprobs: [Double]
    /// The reference's; needed only when β > 0.
    public var refLogprobs: [Double]?
    /// One per row.
    public var advantages: [Double]
    public var mask: ResponseMask
    /// dapo's denominator N (see the header); nil = this minibatch's tokens.
    public var tokenNormalizer: Double?

    public init(logprobs: [Double], oldLogprobs: [Double], refLogprobs: [Double]?, advantages: [Double],
                mask: ResponseMask, tokenNormalizer: Double? = nil) {
        self.logprobs = logprobs; self.oldLogprobs = oldLogprobs; self.refLogprobs = refLogprobs
        self.advantages = advantages; self.mask = mask; self.tokenNormalizer = tokenNormalizer
    }
}

/// A GRPO or RLOO loss and its gradient with respect to the per-token log-probs (0 at padding).
public struct GroupLossResult: Sendable {
    public var loss: Double
    public var dLogprobs: [Double]
    public var metrics: ObjectiveMetrics
}

public struct GRPOLoss: Sendable {
    public let config: GRPOConfig

    public init(config: GRPOConfig = GRPOConfig()) throws {
        try config.validate()
        self.config = config
    }

    public func callAsFunction(_ x: GRPOMinibatch) throws -> GroupLossResult {
        let m = x.mask, ctx = "GRPO update", beta = config.beta
        try m.check("logprobs", x.logprobs, context: ctx)
        try m.check("oldLogprobs", x.oldLogprobs, context: ctx)
        guard x.advantages.count == m.rows else {
            throw EngineError.invalidInput("\(ctx): \(x.advantages.count) advantages for \(m.rows) rows")
        }
        let ref = beta > 0 ? x.refLogprobs : nil
        if beta > 0 {
            guard let r = ref else { throw EngineError.invalidInput("\(ctx): beta > 0 needs the reference log-probs") }
            try m.check("refLogprobs", r, context: ctx)
        }
        let lo = 1 - config.epsilon, hi = 1 + config.upperEpsilon
        let tokens = Double(m.tokenCount), rows = Double(m.rows)
        let dapoN = max(x.tokenNormalizer ?? tokens, 1)
        var dLogp = [Double](repeating: 0, count: m.count)
        var loss = 0.0, klSum = 0.0, low = 0.0, high = 0.0, lowMin = Double.infinity, highMax = -Double.infinity
        for b in 0..<m.rows {
            let n = m.lengths[b], a = x.advantages[b]
            let weight: Double
            switch config.lossType {
            case .grpo: weight = 1 / (Double(n) * rows)
            case .bnpo: weight = 1 / tokens
            case .drGRPO: weight = 1 / (rows * Double(config.maxCompletionLength))
            case .dapo: weight = 1 / dapoN
            }
            var rowLow = 0.0, rowHigh = 0.0
            for t in 0..<n {
                let i = b * m.width + t
                let ratio = exp(x.logprobs[i] - x.oldLogprobs[i])
                let unclipped = ratio * a, clipped = min(max(ratio, lo), hi) * a
                var l = -min(unclipped, clipped), g = unclipped <= clipped ? -a * ratio : 0
                if ratio < lo && a < 0 { rowLow += 1 }
                if ratio > hi && a > 0 { rowHigh += 1 }
                if let ref {
                    let d = ref[i] - x.logprobs[i]
                    let kl = exp(d) - d - 1
                    l += beta * kl; g += beta * (1 - exp(d)); klSum += kl
                }
                loss += weight * l
                dLogp[i] = weight * g
            }
            low += rowLow; high += rowHigh
            lowMin = min(lowMin, rowLow / Double(n)); highMax = max(highMax, rowHigh / Double(n))
        }
        try ObjectiveMath.requireFinite(loss, "loss", context: ctx)
        try ObjectiveMath.requireFinite(dLogp, "dLogprobs", context: ctx)
        var metrics: ObjectiveMetrics = [
            "loss": loss, "clip_ratio/low_mean": low / tokens, "clip_ratio/high_mean": high / tokens,
            "clip_ratio/region_mean": (low + high) / tokens, "clip_ratio/low_min": lowMin, "clip_ratio/high_max": highMax,
        ]
        if beta > 0 { metrics["kl"] = klSum / tokens }
        return GroupLossResult(loss: loss, dLogprobs: dLogp, metrics: metrics)
    }
}
