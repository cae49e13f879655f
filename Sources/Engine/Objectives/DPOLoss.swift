// The DPO family against a frozen reference (Rafailov et al.; TRL's DPOTrainer loss types), with the
// gradient of the loss with respect to the policy's completion log-probs. The model's backward turns
// d(logp) into d(logits); the reference log-probs are constants (precomputed or from a frozen model).
//
// With π and ρ the policy's and reference's completion log-probs of chosen (c) and rejected (r):
//     h = (π_c − π_r) − (ρ_c − ρ_r),   z = β·h
//     sigmoid: −(1−ε)·log σ(z) − ε·log σ(−z)          (DPO; ε > 0 is cDPO, the conservative form)
//     robust:  (−(1−ε)·log σ(z) + ε·log σ(−z)) / (1−2ε)  (Chowdhury et al., unbiased under label noise ε)
//     hinge:   max(0, 1 − z)                              (SLiC)
//     ipo:     (h − 1/(2β))²  with every log-prob averaged over its completion's tokens (Azar et al.)
// loss = mean over the batch, plus α·NLL when `rpoAlpha` is set, where NLL is the chosen completions'
// token-level cross-entropy: −Σ_i π_c,i / Σ_i n_c,i (TRL's rpo_alpha; guards against the chosen
// likelihood falling while the margin grows).
// Metrics (TRL's names): rewards/chosen = mean β(π_c − ρ_c), rewards/rejected, rewards/margins,
// rewards/accuracies (share with chosen reward > rejected reward), logps/chosen, logps/rejected (token
// averages for ipo, as TRL), nll_loss when RPO is on.
import Foundation

public struct DPOConfig: Codable, Sendable, Equatable {
    public enum LossType: String, Codable, Sendable, CaseIterable {
        case sigmoid, ipo, hinge, robust
    }

    /// Strength of the implicit KL penalty: small β lets the policy move far from the reference. TRL's default 0.1.
    public var beta: Double
    /// Which member of the family; "sigmoid" is DPO.
    public var lossType: LossType
    /// The assumed share ε of flipped preference labels, in [0, 0.5): cDPO for `sigmoid`, the unbiased
    /// estimator for `robust`. Must be 0 for hinge and ipo, which have no smoothed form.
    public var labelSmoothing: Double
    /// Weight α of the NLL term on the chosen completions (RPO); nil turns it off. The paper uses 1.
    public var rpoAlpha: Double?

    public init(beta: Double = 0.1, lossType: LossType = .sigmoid, labelSmoothing: Double = 0, rpoAlpha: Double? = nil) {
        self.beta = beta; self.lossType = lossType; self.labelSmoothing = labelSmoothing; self.rpoAlpha = rpoAlpha
    }

    /// IPO works on per-token averages; the others on summed log-probs (as TRL).
    public var averagesLogProbsPerToken: Bool { lossType == .ipo }

    public func validate() throws {
        guard beta > 0, beta.isFinite else { throw EngineError.invalidConfig("DPO beta must be > 0 and finite, got \(beta)") }
        guard labelSmoothing >= 0, labelSmoothing < 0.5 else {
            throw EngineError.invalidConfig("DPO label_smoothing must be in [0, 0.5), got \(labelSmoothing)")
        }
        if labelSmoothing > 0, lossType == .hinge || lossType == .ipo {
            throw EngineError.invalidConfig("label_smoothing applies to the sigmoid and robust losses only, not \(lossType.rawValue)")
        }
        if let a = rpoAlpha, !(a >= 0 && a.isFinite) {
            throw EngineError.invalidConfig("rpo_alpha must be ≥ 0 and finite, got \(a)")
        }
    }
}

/// What the model computes for a batch of B preference pairs: completion log-probs summed over the
/// completion tokens (the positions whose target is not ignored), and how many tokens each has.
public struct PreferenceLogProbs: Sendable {
    public var policyChosen: [Double]
    public var policyRejected: [Double]
    public var referenceChosen: [Double]
    public var referenceRejected: [Double]
    /// Completion tokens of each chosen row (needed by ipo and the NLL term).
    public var chosenTokens: [Int]
    public var rejectedTokens: [Int]

    public init(policyChosen: [Double], policyRejected: [Double], referenceChosen: [Double],
                referenceRejected: [Double], chosenTokens: [Int], rejectedTokens: [Int]) {
        self.policyChosen = policyChosen; self.policyRejected = policyRejected
        self.referenceChosen = referenceChosen; self.referenceRejected = referenceRejected
        self.chosenTokens = chosenTokens; self.rejectedTokens = rejectedTokens
    }
}

public struct DPOResult: Sendable {
    public var loss: Double
    /// dL/d(policyChosen[i]) — with respect to the summed log-prob, whatever the loss type.
    public var dPolicyChosen: [Double]
    /// dL/d(policyRejected[i]).
    public var dPolicyRejected: [Double]
    public var metrics: ObjectiveMetrics
}

public struct DPOLoss: Sendable {
    public let config: DPOConfig

    public init(config: DPOConfig = DPOConfig()) throws {
        try config.validate()
        self.config = config
    }

    public func callAsFunction(_ x: PreferenceLogProbs) throws -> DPOResult {
        let b = x.policyChosen.count
        try ObjectiveMath.requireBatch("DPO", count: b, [
            ("policyRejected", x.policyRejected.count), ("referenceChosen", x.referenceChosen.count),
            ("referenceRejected", x.referenceRejected.count), ("chosenTokens", x.chosenTokens.count),
            ("rejectedTokens", x.rejectedTokens.count),
        ])
        let needCounts = config.averagesLogProbsPerToken || config.rpoAlpha != nil
        if needCounts, let bad = (x.chosenTokens + x.rejectedTokens).first(where: { $0 <= 0 }) {
            throw EngineError.invalidInput("DPO: every completion needs at least one token, got a count of \(bad)")
        }
        try ObjectiveMath.requireFinite(x.policyChosen + x.policyRejected, "policy logps", context: "DPO")
        try ObjectiveMath.requireFinite(x.referenceChosen + x.referenceRejected, "reference logps", context: "DPO")

        let beta = config.beta, eps = config.labelSmoothing, n = Double(b)
        // IPO averages every log-prob over its tokens; `scale` is d(used value)/d(summed input).
        func scale(_ tokens: Int) -> Double { config.averagesLogProbsPerToken ? 1 / Double(tokens) : 1 }
        var loss = 0.0
        var dc = [Double](repeating: 0, count: b), dr = dc
        var sums = (chosenReward: 0.0, rejectedReward: 0.0, correct: 0.0, pc: 0.0, pr: 0.0)
        for i in 0..<b {
            let sc = scale(x.chosenTokens[i]), sr = scale(x.rejectedTokens[i])
            let pc = x.policyChosen[i] * sc, pr = x.policyRejected[i] * sr
            let rc = x.referenceChosen[i] * sc, rr = x.referenceRejected[i] * sr
            let h = (pc - pr) - (rc - rr), z = beta * h
            let li: Double, dh: Double   // the pair's loss and dL_i/dh
            switch config.lossType {
            case .sigmoid:
                li = -(1 - eps) * ObjectiveMath.logSigmoid(z) - eps * ObjectiveMath.logSigmoid(-z)
                dh = beta * (-(1 - eps) * ObjectiveMath.sigmoid(-z) + eps * ObjectiveMath.sigmoid(z))
            case .robust:
                li = (-(1 - eps) * ObjectiveMath.logSigmoid(z) + eps * ObjectiveMath.logSigmoid(-z)) / (1 - 2 * eps)
                dh = beta * (-(1 - eps) * ObjectiveMath.sigmoid(-z) - eps * ObjectiveMath.sigmoid(z)) / (1 - 2 * eps)
            case .hinge:
                li = max(0, 1 - z)
                dh = z < 1 ? -beta : 0
            case .ipo:
                let d = h - 1 / (2 * beta)
                li = d * d
                dh = 2 * d
            }
            loss += li / n
            dc[i] = dh / n * sc
            dr[i] = -dh / n * sr
            let cr = beta * (pc - rc), rj = beta * (pr - rr)
            sums.chosenReward += cr; sums.rejectedReward += rj
            if cr > rj { sums.correct += 1 }
            sums.pc += pc; sums.pr += pr
        }
        var metrics: ObjectiveMetrics = [
            "rewards/chosen": sums.chosenReward / n, "rewards/rejected": sums.rejectedReward / n,
            "rewards/margins": (sums.chosenReward - sums.rejectedReward) / n,
            "rewards/accuracies": sums.correct / n,
            "logps/chosen": sums.pc / n, "logps/rejected": sums.pr / n,
        ]
        if let alpha = config.rpoAlpha {
            let tokens = Double(x.chosenTokens.reduce(0, +))
            let nll = -x.policyChosen.reduce(0, +) / tokens
            loss += alpha * nll
            for i in 0..<b { dc[i] += -alpha / tokens }
            metrics["nll_loss"] = nll
        }
        metrics["loss"] = loss
        try ObjectiveMath.requireFinite(loss, "loss", context: "DPO (\(config.lossType.rawValue))")
        return DPOResult(loss: loss, dPolicyChosen: dc, dPolicyRejected: dr, metrics: metrics)
    }
}
