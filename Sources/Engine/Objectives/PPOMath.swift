// PPO's rollout arithmetic (Ziegler et al., TRL's PPOTrainer, OpenRLHF): per-token KL estimates, the
// shaped reward, GAE, and whitening. Pure functions on flat [B, T] right-padded arrays (see ResponseMask);
// padding is read as 0 and written as 0.
//
// Conventions, for row b with n = lengths[b] response tokens, logprob_t the policy's log-prob of
// token t and ref_t the reference's:
//     kl_t      k1: logprob_t − ref_t            (unbiased, can be negative per token)
//               k3: (e^{ref_t − logprob_t} − 1) − (ref_t − logprob_t)   (unbiased, ≥ 0, lower variance)
//     reward_t  = −β·kl_t, plus the reward model's score at the last real token t = n−1
//     GAE       δ_t = r_t + γ·V_{t+1} − V_t,  A_t = δ_t + γλ·A_{t+1}, with V and A zero past the end: the
//               last token ends the episode, so nothing is bootstrapped from padding (TRL's PPOTrainer
//               keeps the value one position past the end; OpenRLHF and the paper's setting do not)
//     returns   R_t = A_t + V_t
//     whitening (x − mean)/sqrt(var + 1e-8) over the real tokens, var with Bessel's correction (TRL's
//               masked_whiten); shiftMean = false adds the mean back (TRL uses that for rewards).
import Foundation

public enum KLEstimator: String, Codable, Sendable, CaseIterable {
    /// logprob − ref: TRL's default; per-token values may be negative.
    case k1
    /// (r − 1) − log r with r = p_ref/p: never negative, lower variance (Schulman's k3).
    case k3
}

public enum PPOMath {
    /// Per-token KL estimate between policy and reference on the sampled tokens; 0 at padding.
    public static func klPerToken(logprobs: [Double], refLogprobs: [Double], mask: ResponseMask,
                                  estimator: KLEstimator) throws -> [Double] {
        try mask.check("logprobs", logprobs, context: "PPO KL")
        try mask.check("refLogprobs", refLogprobs, context: "PPO KL")
        var kl = [Double](repeating: 0, count: mask.count)
        for b in 0..<mask.rows {
            for t in 0..<mask.lengths[b] {
                let i = b * mask.width + t
                let logr = refLogprobs[i] - logprobs[i]
                switch estimator {
                case .k1: kl[i] = -logr
                case .k3: kl[i] = (exp(logr) - 1) - logr
                }
            }
        }
        try ObjectiveMath.requireFinite(kl, "objective/kl", context: "PPO rollout")
        return kl
    }

    /// The shaped per-token reward: −klCoef·kl_t everywhere, plus `scores[b]` at row b's last real token.
    /// Returns the reward and its KL part (TRL's non_score_reward).
    public static func tokenRewards(kl: [Double], scores: [Double], klCoef: Double,
                                    mask: ResponseMask) throws -> (rewards: [Double], nonScore: [Double]) {
        try mask.check("kl", kl, context: "PPO rewards")
        guard scores.count == mask.rows else {
            throw EngineError.invalidInput("PPO rewards: \(scores.count) scores for \(mask.rows) rows")
        }
        try ObjectiveMath.requireFinite(scores, "objective/scores", context: "PPO rollout")
        var nonScore = [Double](repeating: 0, count: mask.count)
        for b in 0..<mask.rows { for t in 0..<mask.lengths[b] { nonScore[b * mask.width + t] = -klCoef * kl[b * mask.width + t] } }
        var rewards = nonScore
        for (b, last) in mask.lastIndices.enumerated() { rewards[last] += scores[b] }
        return (rewards, nonScore)
    }

    /// Generalised advantage estimation over right-padded rows. Returns advantages and returns (A + V),
    /// both 0 at padding.
    public static func gae(rewards: [Double], values: [Double], mask: ResponseMask,
                           gamma: Double, lambda: Double) throws -> (advantages: [Double], returns: [Double]) {
        try mask.check("rewards", rewards, context: "GAE")
        try mask.check("values", values, context: "GAE")
        var adv = [Double](repeating: 0, count: mask.count), ret = adv
        for b in 0..<mask.rows {
            let base = b * mask.width, n = mask.lengths[b]
            var lastGAE = 0.0, nextValue = 0.0
            for t in stride(from: n - 1, through: 0, by: -1) {
                let delta = rewards[base + t] + gamma * nextValue - values[base + t]
                lastGAE = delta + gamma * lambda * lastGAE
                adv[base + t] = lastGAE
                ret[base + t] = lastGAE + values[base + t]
                nextValue = values[base + t]
            }
        }
        try ObjectiveMath.requireFinite(adv, "advantages", context: "GAE")
        return (adv, ret)
    }

    /// Masked whitening (TRL's masked_whiten): zero mean, unit variance over the real tokens; padding 0.
    /// Needs at least two real tokens (the variance has Bessel's correction).
    public static func whiten(_ x: [Double], mask: ResponseMask, shiftMean: Bool = true) throws -> [Double] {
        try mask.check("values", x, context: "whitening")
        let n = mask.tokenCount
        guard n >= 2 else { throw EngineError.invalidInput("whitening needs at least 2 real tokens, got \(n)") }
        let mean = mask.mean(x)
        var ss = 0.0
        for b in 0..<mask.rows { for t in 0..<mask.lengths[b] { let d = x[b * mask.width + t] - mean; ss += d * d } }
        let variance = ss / Double(n - 1)
        let inv = 1 / (variance + 1e-8).squareRoot()
        var out = [Double](repeating: 0, count: mask.count)
        for b in 0..<mask.rows {
            for t in 0..<mask.lengths[b] {
                let i = b * mask.width + t
                out[i] = (x[i] - mean) * inv + (shiftMean ? 0 : mean)
            }
        }
        return out
    }

    /// TRL's rollout metrics: objective/kl (mean over rows of the summed KL), objective/entropy (mean over
    /// rows of −Σ logprob, a sampled estimate), objective/non_score_reward, objective/rlhf_reward
    /// (non-score + score), objective/scores. Throws when the KL is not finite.
    public static func rolloutMetrics(kl: [Double], logprobs: [Double], nonScore: [Double], scores: [Double],
                                      mask: ResponseMask) throws -> ObjectiveMetrics {
        let rows = Double(mask.rows)
        let klMean = mask.rowSums(kl).reduce(0, +) / rows
        try ObjectiveMath.requireFinite(klMean, "objective/kl", context: "PPO rollout")
        let entropy = -mask.rowSums(logprobs).reduce(0, +) / rows
        let nonScoreMean = mask.rowSums(nonScore).reduce(0, +) / rows
        let scoreMean = scores.reduce(0, +) / rows
        return [
            "objective/kl": klMean, "objective/entropy": entropy,
            "objective/non_score_reward": nonScoreMean,
            "objective/rlhf_reward": nonScoreMean + scoreMean, "objective/scores": scoreMean,
        ]
    }
}

/// Everything a PPO update needs from one rollout, from `PPOMath.prepareRollout`.
public struct PPORollout: Sendable {
    /// Per-token KL estimate (chosen estimator), [B, T].
    public var kl: [Double]
    /// The shaped rewards −β·kl + score at the last token (whitened when the config says so).
    public var rewards: [Double]
    /// Whitened GAE advantages, 0 at padding.
    public var advantages: [Double]
    /// GAE returns A + V (unwhitened advantages), the value head's targets.
    public var returns: [Double]
    /// objective/kl, objective/entropy, objective/non_score_reward, objective/rlhf_reward, objective/scores.
    public var metrics: ObjectiveMetrics
}

extension PPOMath {
    /// The rollout pipeline in TRL's order: KL per token → shaped rewards (β = the KL controller's current
    /// value) → optional reward whitening → GAE → whitened advantages, plus the rollout metrics. `scores`
    /// are the reward model's scores after any RewardNormalizer. Throws NonFiniteError on a bad KL or score.
    public static func prepareRollout(logprobs: [Double], refLogprobs: [Double], values: [Double], scores: [Double],
                                      mask: ResponseMask, config: PPOConfig, klCoef: Double) throws -> PPORollout {
        try config.validate()
        try mask.check("values", values, context: "PPO rollout")
        try ObjectiveMath.requireFinite(values, "values", context: "PPO rollout")
        let kl = try klPerToken(logprobs: logprobs, refLogprobs: refLogprobs, mask: mask, estimator: config.klEstimator)
        let (raw, nonScore) = try tokenRewards(kl: kl, scores: scores, klCoef: klCoef, mask: mask)
        let rewards = config.whitenRewards ? try whiten(raw, mask: mask, shiftMean: false) : raw
        let (adv, returns) = try gae(rewards: rewards, values: values, mask: mask, gamma: config.gamma, lambda: config.lambda)
        let metrics = try rolloutMetrics(kl: kl, logprobs: logprobs, nonScore: nonScore, scores: scores, mask: mask)
        return PPORollout(kl: kl, rewards: rewards, advantages: try whiten(adv, mask: mask), returns: returns, metrics: metrics)
    }
}
