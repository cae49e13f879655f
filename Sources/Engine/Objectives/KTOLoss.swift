// KTO (Ethayarajh et al.; TRL's KTOTrainer) on unpaired thumbs-up/down rows, with the gradient of the
// loss with respect to the policy's summed completion log-probs.
//
// For row i with label y_i (true = desirable) and log-ratio x_i = π_i − ρ_i:
//     z0 = max(0, mean_j (π_KL,j − ρ_KL,j))         the KL baseline, detached (no gradient)
//     desirable:   w_d · (1 − σ(β·(x_i − z0)))
//     undesirable: w_u · (1 − σ(β·(z0 − x_i)))
//     loss = mean over all rows of the weighted terms (TRL: losses.mean()).
// The KL rows are mismatched pairs from the same batch — prompt j with the completion of row j−1
// (`KTOBatchBuilder` builds them) — so z0 estimates KL(π‖ρ) without a separate data pass. They need a
// forward pass of both models but no backward.
// Metrics (TRL's names): rewards/chosen and rewards/rejected (mean β·x over each group), rewards/margins
// (chosen − rejected, a missing group counting 0), logps/chosen, logps/rejected, kl (= z0),
// count/chosen, count/rejected. Means of an empty group are left out.
import Foundation

public struct KTOConfig: Codable, Sendable, Equatable {
    /// Strength of the implicit KL penalty, as in DPO. TRL's default 0.1.
    public var beta: Double
    /// w_d, the weight of desirable rows. The paper advises w_d·n_d / (w_u·n_u) in [1, 4/3]: raise the
    /// weight of the rarer label when thumbs up and down are unbalanced.
    public var desirableWeight: Double
    /// w_u, the weight of undesirable rows.
    public var undesirableWeight: Double

    public init(beta: Double = 0.1, desirableWeight: Double = 1, undesirableWeight: Double = 1) {
        self.beta = beta; self.desirableWeight = desirableWeight; self.undesirableWeight = undesirableWeight
    }

    public func validate() throws {
        guard beta > 0, beta.isFinite else { throw EngineError.invalidConfig("KTO beta must be > 0 and finite, got \(beta)") }
        for (name, w) in [("desirable_weight", desirableWeight), ("undesirable_weight", undesirableWeight)] {
            guard w > 0, w.isFinite else { throw EngineError.invalidConfig("KTO \(name) must be > 0 and finite, got \(w)") }
        }
    }
}

/// What the model computes for a KTO batch of N rows and its M mismatched KL rows.
public struct KTOLogProbs: Sendable {
    /// Summed completion log-probs of row i under the policy and the reference.
    public var policy: [Double]
    public var reference: [Double]
    /// true = desirable (thumbs up).
    public var desirable: [Bool]
    /// Summed completion log-probs of the KL rows (forward only).
    public var policyKL: [Double]
    public var referenceKL: [Double]

    public init(policy: [Double], reference: [Double], desirable: [Bool], policyKL: [Double], referenceKL: [Double]) {
        self.policy = policy; self.reference = reference; self.desirable = desirable
        self.policyKL = policyKL; self.referenceKL = referenceKL
    }
}

public struct KTOResult: Sendable {
    public var loss: Double
    /// dL/d(policy[i]). The KL rows get no gradient (z0 is detached).
    public var dPolicy: [Double]
    /// The KL baseline z0 used.
    public var kl: Double
    public var metrics: ObjectiveMetrics
}

public struct KTOLoss: Sendable {
    public let config: KTOConfig

    public init(config: KTOConfig = KTOConfig()) throws {
        try config.validate()
        self.config = config
    }

    public func callAsFunction(_ x: KTOLogProbs) throws -> KTOResult {
        let n = x.policy.count
        try ObjectiveMath.requireBatch("KTO", count: n, [("reference", x.reference.count), ("labels", x.desirable.count)])
        guard !x.policyKL.isEmpty, x.policyKL.count == x.referenceKL.count else {
            throw EngineError.invalidInput("KTO: need the same non-zero number of policy and reference KL log-probs, got \(x.policyKL.count) and \(x.referenceKL.count)")
        }
        try ObjectiveMath.requireFinite(x.policy, "policy logps", context: "KTO")
        try ObjectiveMath.requireFinite(x.reference, "reference logps", context: "KTO")
        var klSum = 0.0
        for j in x.policyKL.indices { klSum += x.policyKL[j] - x.referenceKL[j] }
        let rawKL = klSum / Double(x.policyKL.count)
        try ObjectiveMath.requireFinite(rawKL, "kl", context: "KTO")
        let z0 = max(0, rawKL)

        let beta = config.beta, nd = Double(n)
        var loss = 0.0
        var grad = [Double](repeating: 0, count: n)
        var chosen = (count: 0.0, reward: 0.0, logp: 0.0), rejected = chosen
        for i in 0..<n {
            let ratio = x.policy[i] - x.reference[i]
            if x.desirable[i] {
                let s = ObjectiveMath.sigmoid(beta * (ratio - z0))
                loss += config.desirableWeight * (1 - s) / nd
                grad[i] = -config.desirableWeight * beta * s * (1 - s) / nd
                chosen.count += 1; chosen.reward += beta * ratio; chosen.logp += x.policy[i]
            } else {
                let s = ObjectiveMath.sigmoid(beta * (z0 - ratio))
                loss += config.undesirableWeight * (1 - s) / nd
                grad[i] = config.undesirableWeight * beta * s * (1 - s) / nd
                rejected.count += 1; rejected.reward += beta * ratio; rejected.logp += x.policy[i]
            }
        }
        try ObjectiveMath.requireFinite(loss, "loss", context: "KTO")
        var metrics: ObjectiveMetrics = ["loss": loss, "kl": z0, "count/chosen": chosen.count, "count/rejected": rejected.count]
        let meanChosen = chosen.count > 0 ? chosen.reward / chosen.count : 0
        let meanRejected = rejected.count > 0 ? rejected.reward / rejected.count : 0
        if chosen.count > 0 {
            metrics["rewards/chosen"] = meanChosen; metrics["logps/chosen"] = chosen.logp / chosen.count
        }
        if rejected.count > 0 {
            metrics["rewards/rejected"] = meanRejected; metrics["logps/rejected"] = rejected.logp / rejected.count
        }
        metrics["rewards/margins"] = meanChosen - meanRejected
        return KTOResult(loss: loss, dPolicy: grad, kl: z0, metrics: metrics)
    }
}
