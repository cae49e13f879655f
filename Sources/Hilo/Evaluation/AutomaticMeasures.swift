// Automatic measures shown beside the human evaluation: the reward model's verdict on the same pairs,
// the mean reward, and how far the policy has moved from its reference (KL).
import Foundation

public enum AutomaticMeasures {
    /// The reward model as a judge: on each prompt, B wins if its reward exceeds A's by more than
    /// `tieTolerance`, loses if it is lower by more, and ties otherwise. The result carries the same win
    /// rates, Wilson intervals and sign test as a human campaign, from B's point of view.
    public static func rewardWinRate(rewardsA: [Double], rewardsB: [Double], tieTolerance: Double = 0,
                                     confidence: Double = 0.95) throws -> SideBySideResult {
        guard rewardsA.count == rewardsB.count else {
            throw EvaluationError.invalid("paired rewards need as many scores for B (\(rewardsB.count)) as for A (\(rewardsA.count))")
        }
        guard tieTolerance >= 0 else { throw EvaluationError.invalid("tieTolerance must not be negative") }
        guard confidence > 0, confidence < 1 else { throw EvaluationError.invalid("confidence must lie strictly between 0 and 1") }
        var wins = 0, ties = 0, losses = 0
        for (a, b) in zip(rewardsA, rewardsB) {
            guard a.isFinite, b.isFinite else { throw EvaluationError.invalid("rewards must be finite numbers") }
            if b - a > tieTolerance { wins += 1 } else if a - b > tieTolerance { losses += 1 } else { ties += 1 }
        }
        return SideBySideResult(viewpoint: .b, wins: wins, ties: ties, losses: losses, confidence: confidence)
    }

    /// The mean reward of a version's responses, with a t interval.
    public static func meanReward(_ rewards: [Double], confidence: Double = 0.95) throws -> MeanEstimate {
        try MeanEstimate(rewards, confidence: confidence)
    }

    /// How the per-sequence KL is estimated from log-probabilities (Schulman 2020, "Approximating KL").
    public enum KLEstimator: String, Sendable, Codable {
        /// k1 = log π(y) − log π_ref(y): unbiased, but a single sample can be negative.
        case k1
        /// k3 = (r − 1) − log r with r = π_ref(y)/π(y): unbiased and never negative, lower variance when
        /// the policies are close.
        case k3
    }

    /// The mean KL(π ‖ π_ref) in nats per sequence, from the summed token log-probabilities of sequences
    /// sampled from the policy: `policyLogProbs[i]` = log π(yᵢ), `referenceLogProbs[i]` = log π_ref(yᵢ).
    public static func meanKL(policyLogProbs: [Double], referenceLogProbs: [Double], estimator: KLEstimator = .k1,
                              confidence: Double = 0.95) throws -> MeanEstimate {
        guard policyLogProbs.count == referenceLogProbs.count else {
            throw EvaluationError.invalid("KL needs as many reference log-probs (\(referenceLogProbs.count)) as policy log-probs (\(policyLogProbs.count))")
        }
        var values = [Double]()
        values.reserveCapacity(policyLogProbs.count)
        for (p, q) in zip(policyLogProbs, referenceLogProbs) {
            guard p.isFinite, q.isFinite, p <= 0, q <= 0 else {
                throw EvaluationError.invalid("log-probabilities must be finite and at most 0")
            }
            switch estimator {
            case .k1: values.append(p - q)
            case .k3:
                let logR = q - p
                // expm1 keeps (r − 1) − log r accurate when r ≈ 1, where the terms nearly cancel.
                values.append(expm1(logR) - logR)
            }
        }
        return try MeanEstimate(values, confidence: confidence)
    }
}
