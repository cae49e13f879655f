// PPO's update losses (Schulman et al.; TRL's PPOTrainer): the clipped policy loss and the clipped value
// loss on one minibatch, with their gradients with respect to the new log-probs and the new values.
//
// For every real token (right-padded rows, see ResponseMask), with ratio = e^{logprob − oldLogprob}:
//     policy  max(−A·ratio, −A·clip(ratio, 1−ε, 1+ε)),           masked mean over tokens
//     value   0.5·max((V − R)², (clip(V, V_old−ε_v, V_old+ε_v) − R)²),  masked mean over tokens
//     loss    = policy + vfCoef·value
// Metrics (TRL's names): loss/policy_avg, loss/value_avg, policy/clipfrac_avg (share of tokens where the
// clipped policy term is the larger), val/clipfrac_avg, policy/approxkl_avg (0.5·mean (logprob −
// oldLogprob)² over real tokens), val/ratio (mean ratio). Any non-finite loss throws NonFiniteError.
// Both losses and all metrics average over the same real tokens (TRL's value mask keeps one extra
// position past the end; here the episode ends at the last token, as in PPOMath's GAE).
import Foundation

public struct PPOConfig: Codable, Sendable, Equatable {
    /// ε: how far the probability ratio may move before the policy loss stops rewarding it. TRL 0.2.
    public var clipRange: Double
    /// ε_v: how far the new value may move from the rollout's value before the loss stops following it. TRL 0.2.
    public var clipRangeValue: Double
    /// Weight of the value loss in the total; TRL 0.1.
    public var vfCoef: Double
    /// Discount γ; 1 for finite text episodes (TRL's default).
    public var gamma: Double
    /// GAE λ: bias–variance trade-off of the advantage; TRL 0.95.
    public var lambda: Double
    /// Which per-token KL estimate shapes the reward.
    public var klEstimator: KLEstimator
    /// Whiten the shaped rewards (without shifting their mean) before GAE; TRL's whiten_rewards, off by default.
    public var whitenRewards: Bool

    public init(clipRange: Double = 0.2, clipRangeValue: Double = 0.2, vfCoef: Double = 0.1,
                gamma: Double = 1, lambda: Double = 0.95, klEstimator: KLEstimator = .k1, whitenRewards: Bool = false) {
        self.clipRange = clipRange; self.clipRangeValue = clipRangeValue; self.vfCoef = vfCoef
        self.gamma = gamma; self.lambda = lambda; self.klEstimator = klEstimator; self.whitenRewards = whitenRewards
    }

    public func validate() throws {
        func bad(_ s: String) -> EngineError { .invalidConfig(s) }
        guard clipRange > 0, clipRange < 1 else { throw bad("PPO cliprange must be in (0, 1), got \(clipRange)") }
        guard clipRangeValue > 0, clipRangeValue.isFinite else { throw bad("PPO cliprange_value must be > 0, got \(clipRangeValue)") }
        guard vfCoef >= 0, vfCoef.isFinite else { throw bad("PPO vf_coef must be ≥ 0, got \(vfCoef)") }
        guard gamma > 0, gamma <= 1 else { throw bad("PPO gamma must be in (0, 1], got \(gamma)") }
        guard lambda >= 0, lambda <= 1 else { throw bad("PPO lam must be in [0, 1], got \(lambda)") }
    }
}

/// One PPO minibatch: the rollout's stored quantities and the model's fresh ones, flat [B, T].
public struct PPOMinibatch: Sendable {
    /// Log-probs of the sampled tokens under the current policy (the input the gradient is for).
    public var logprobs: [Double]
    /// The same under the rollout policy (constants).
    public var oldLogprobs: [Double]
    /// Whitened advantages from the rollout.
    public var advantages: [Double]
    /// Value head outputs under the current model (the other input with a gradient).
    public var values: [Double]
    /// Values at rollout time (constants).
    public var oldValues: [Double]
    /// GAE returns (targets of the value head).
    public var returns: [Double]
    public var mask: ResponseMask

    public init(logprobs: [Double], oldLogprobs: [Double], advantages: [Double], values: [Double],
                oldValues: [Double], returns: [Double], mask: ResponseMask) {
        self.logprobs = logprobs; self.oldLogprobs = oldLogprobs; self.advantages = advantages
        self.values = values; self.oldValues = oldValues; self.returns = returns; self.mask = mask
    }
}

public struct PPOLossResult: Sendable {
    /// policy + vfCoef·value.
    public var loss: Double
    public var policyLoss: Double
    public var valueLoss: Double
    /// dL/d(logprobs), 0 at padding.
    public var dLogprobs: [Double]
    /// dL/d(values), 0 at padding (already scaled by vfCoef).
    public var dValues: [Double]
    public var metrics: ObjectiveMetrics
}

public struct PPOLoss: Sendable {
    public let config: PPOConfig

    public init(config: PPOConfig = PPOConfig()) throws {
        try config.validate()
        self.config = config
    }

    public func callAsFunction(_ x: PPOMinibatch) throws -> PPOLossResult {
        let m = x.mask, ctx = "PPO update"
        for (name, a) in [("logprobs", x.logprobs), ("oldLogprobs", x.oldLogprobs), ("advantages", x.advantages),
                          ("values", x.values), ("oldValues", x.oldValues), ("returns", x.returns)] {
            try m.check(name, a, context: ctx)
        }
        let eps = config.clipRange, epsV = config.clipRangeValue
        let n = Double(m.tokenCount)
        var dLogp = [Double](repeating: 0, count: m.count), dV = dLogp
        var pg = 0.0, vf = 0.0, pgClipped = 0.0, vfClipped = 0.0, approxKL = 0.0, ratioSum = 0.0
        for b in 0..<m.rows {
            for t in 0..<m.lengths[b] {
                let i = b * m.width + t
                // Policy: the max of the two surrogate losses; only the unclipped one carries a gradient
                // (the clipped one is constant outside [1−ε, 1+ε], and equal to it inside).
                let diff = x.logprobs[i] - x.oldLogprobs[i]
                let ratio = exp(diff), a = x.advantages[i]
                let l1 = -a * ratio
                let l2 = -a * min(max(ratio, 1 - eps), 1 + eps)
                if l2 > l1 { pg += l2; pgClipped += 1 } else { pg += l1; dLogp[i] = -a * ratio / n }
                approxKL += 0.5 * diff * diff
                ratioSum += ratio
                // Value: the max of the unclipped and clipped squared errors.
                let v = x.values[i], r = x.returns[i], old = x.oldValues[i]
                let vc = min(max(v, old - epsV), old + epsV)
                let e1 = (v - r) * (v - r), e2 = (vc - r) * (vc - r)
                if e2 > e1 {
                    // Only possible when v lies outside the clip window: the clipped term is then constant.
                    vf += e2; vfClipped += 1
                } else {
                    vf += e1; dV[i] = config.vfCoef * 0.5 * 2 * (v - r) / n
                }
            }
        }
        let policyLoss = pg / n, valueLoss = 0.5 * vf / n
        let loss = policyLoss + config.vfCoef * valueLoss
        try ObjectiveMath.requireFinite(policyLoss, "loss/policy_avg", context: ctx)
        try ObjectiveMath.requireFinite(valueLoss, "loss/value_avg", context: ctx)
        try ObjectiveMath.requireFinite(approxKL / n, "policy/approxkl_avg", context: ctx)
        let metrics: ObjectiveMetrics = [
            "loss": loss, "loss/policy_avg": policyLoss, "loss/value_avg": valueLoss,
            "policy/clipfrac_avg": pgClipped / n, "val/clipfrac_avg": vfClipped / n,
            "policy/approxkl_avg": approxKL / n, "val/ratio": ratioSum / n,
        ]
        return PPOLossResult(loss: loss, policyLoss: policyLoss, valueLoss: valueLoss,
                             dLogprobs: dLogp, dValues: dV, metrics: metrics)
    }
}
