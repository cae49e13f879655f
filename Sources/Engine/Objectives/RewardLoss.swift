// The reward model's Bradley–Terry loss, pairwise (TRL's RewardTrainer) and over K-way rankings
// (InstructGPT), with analytic gradients with respect to the scalar scores the model's head produces.
//
// Pairwise, for a batch of B pairs with scores r_c, r_r and optional margins m:
//     loss = mean_i −log σ(r_c,i − r_r,i − m_i)  +  coef · mean_i (r_c,i + r_r,i)²
// The second term is TRL's `center_rewards_coefficient` (Eisenstein et al.): it keeps the scores near
// zero so that they can be compared across prompts and used as PPO rewards.
//
// Rankings: each batch element is one prompt with K responses, each scored once by the model, and a rank
// per response (smaller is better; equal ranks are ties). Every strictly ordered pair (w, l) with
// rank_w < rank_l is a comparison; ties give no pair. A ranking's loss is the mean over its P pairs of
// the pairwise term (−log σ(r_w − r_l) + coef·(r_w + r_l)²), so every prompt weighs the same however many
// responses it has (InstructGPT's 1/C(K,2) normalisation, which also stops large rankings from
// dominating and over-fitting). The batch loss is the mean over the rankings that have at least one pair;
// rankings without pairs (all ties, or a single response) are skipped and counted in "rankings/skipped".
// With K = 2 and no tie this is exactly the pairwise loss. Accuracy and margin count every pair once.
import Foundation

public struct RewardLossConfig: Codable, Sendable, Equatable {
    /// TRL's `center_rewards_coefficient`: weight of mean((r_c + r_r)²), which pulls scores towards zero
    /// mean so they are usable as PPO rewards. nil or 0 turns it off; TRL suggests 0.01.
    public var centerRewardsCoefficient: Double?

    public init(centerRewardsCoefficient: Double? = nil) {
        self.centerRewardsCoefficient = centerRewardsCoefficient
    }

    public func validate() throws {
        if let c = centerRewardsCoefficient, !(c >= 0 && c.isFinite) {
            throw EngineError.invalidConfig("center_rewards_coefficient must be ≥ 0 and finite, got \(c)")
        }
    }
}

public struct RewardPairwiseResult: Sendable {
    /// The scalar loss.
    public var loss: Double
    /// dL/d(score of chosen i).
    public var dChosen: [Double]
    /// dL/d(score of rejected i).
    public var dRejected: [Double]
    /// "loss", "accuracy" (share with r_c > r_r), "margin" (mean r_c − r_r), "rewards/chosen", "rewards/rejected".
    public var metrics: ObjectiveMetrics
}

public struct RewardRankingResult: Sendable {
    public var loss: Double
    /// dL/d(score), shaped like the input scores: one array per ranking.
    public var dScores: [[Double]]
    /// "loss", "accuracy", "margin" over all pairs; "pairs"; "rankings/skipped".
    public var metrics: ObjectiveMetrics
}

public struct RewardLoss: Sendable {
    public let config: RewardLossConfig

    public init(config: RewardLossConfig = RewardLossConfig()) throws {
        try config.validate()
        self.config = config
    }

    /// Bradley–Terry loss over B pairs. `margins` (optional, one per pair) is TRL's "margin" column: the
    /// chosen score must beat the rejected one by at least that much before the loss flattens.
    public func pairwise(chosen: [Double], rejected: [Double], margins: [Double]? = nil) throws -> RewardPairwiseResult {
        let b = chosen.count
        try ObjectiveMath.requireBatch("reward loss", count: b,
                                       [("rejected", rejected.count), ("margins", margins?.count ?? b)])
        try ObjectiveMath.requireFinite(chosen + rejected, "scores", context: "reward loss")
        let coef = config.centerRewardsCoefficient ?? 0
        let n = Double(b)
        var loss = 0.0, correct = 0.0, margin = 0.0
        var dc = [Double](repeating: 0, count: b), dr = dc
        for i in 0..<b {
            let d = chosen[i] - rejected[i] - (margins?[i] ?? 0)
            loss += -ObjectiveMath.logSigmoid(d) / n
            let g = -ObjectiveMath.sigmoid(-d) / n          // d(−log σ(d))/dd
            dc[i] += g; dr[i] -= g
            if coef != 0 {
                let s = chosen[i] + rejected[i]
                loss += coef * s * s / n
                dc[i] += 2 * coef * s / n; dr[i] += 2 * coef * s / n
            }
            if chosen[i] > rejected[i] { correct += 1 }
            margin += chosen[i] - rejected[i]
        }
        try ObjectiveMath.requireFinite(loss, "loss", context: "reward loss")
        let metrics: ObjectiveMetrics = [
            "loss": loss, "accuracy": correct / n, "margin": margin / n,
            "rewards/chosen": ObjectiveMath.mean(chosen), "rewards/rejected": ObjectiveMath.mean(rejected),
        ]
        return RewardPairwiseResult(loss: loss, dChosen: dc, dRejected: dr, metrics: metrics)
    }

    /// The strictly ordered pairs (winner, loser) of one ranking: every (i, j) with ranks[i] < ranks[j].
    /// Ties give no pair; an all-tie ranking gives none.
    public static func orderedPairs(ranks: [Int]) -> [(winner: Int, loser: Int)] {
        var pairs: [(Int, Int)] = []
        for i in ranks.indices { for j in ranks.indices where ranks[i] < ranks[j] { pairs.append((i, j)) } }
        return pairs
    }

    /// InstructGPT's K-way ranking loss. `scores[g]` are the model's scores of ranking g's responses (each
    /// response forwarded once), `ranks[g]` their ranks (smaller is better, equal means tie).
    /// Throws when no ranking in the batch has a strictly ordered pair.
    public func ranking(scores: [[Double]], ranks: [[Int]]) throws -> RewardRankingResult {
        try ObjectiveMath.requireBatch("reward ranking loss", count: scores.count, [("ranks", ranks.count)])
        for g in scores.indices where scores[g].count != ranks[g].count {
            throw EngineError.invalidInput("reward ranking loss: ranking \(g) has \(scores[g].count) scores but \(ranks[g].count) ranks")
        }
        try ObjectiveMath.requireFinite(scores.flatMap { $0 }, "scores", context: "reward ranking loss")
        let coef = config.centerRewardsCoefficient ?? 0
        let pairsPerRanking = ranks.map(Self.orderedPairs)
        let used = pairsPerRanking.filter { !$0.isEmpty }.count
        guard used > 0 else {
            throw EngineError.invalidInput("reward ranking loss: no ranking in the batch has two responses of different rank (all ties)")
        }
        var loss = 0.0, correct = 0.0, margin = 0.0, pairCount = 0
        var grads = scores.map { [Double](repeating: 0, count: $0.count) }
        for (g, pairs) in pairsPerRanking.enumerated() where !pairs.isEmpty {
            let w = 1 / (Double(pairs.count) * Double(used))   // 1/P within the ranking, 1/G across rankings
            let s = scores[g]
            for (a, b) in pairs {
                let d = s[a] - s[b]
                loss += -ObjectiveMath.logSigmoid(d) * w
                let gd = -ObjectiveMath.sigmoid(-d) * w
                grads[g][a] += gd; grads[g][b] -= gd
                if coef != 0 {
                    let sum = s[a] + s[b]
                    loss += coef * sum * sum * w
                    grads[g][a] += 2 * coef * sum * w; grads[g][b] += 2 * coef * sum * w
                }
                if d > 0 { correct += 1 }
                margin += d
                pairCount += 1
            }
        }
        try ObjectiveMath.requireFinite(loss, "loss", context: "reward ranking loss")
        let p = Double(pairCount)
        let metrics: ObjectiveMetrics = [
            "loss": loss, "accuracy": correct / p, "margin": margin / p,
            "pairs": p, "rankings/skipped": Double(scores.count - used),
        ]
        return RewardRankingResult(loss: loss, dScores: grads, metrics: metrics)
    }
}
