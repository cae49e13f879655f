// Human rewards for GRPO/RLOO: the G samples of a prompt go to the annotators as one ranking task, and
// the ranking becomes the group's rewards. Ranks are 1 = best, ties allowed (equal ranks), and a sample
// an annotator left unranked has no reward (nil: it gets advantage 0).
//
// The reward of sample i among the n ranked samples of its group is its share of pairwise wins,
// ties counting half (the normalised Borda count):
//     r_i = (#{j : rank_j > rank_i} + ½·#{j ≠ i : rank_j = rank_i}) / (n − 1)       ∈ [0, 1]
// so the best of G distinct ranks gets 1, the worst 0, evenly spaced between, and an all-tied group
// gets ½ everywhere (no signal: its GRPO advantages are 0). Several annotators' rankings of the same
// group are averaged per sample.
//
// Why the scale does not matter: GRPO's advantages subtract the group mean, and with scale_rewards =
// group also divide by the group's std, so any rewards a·r + b (a > 0) give the same advantages: only
// the order and the relative gaps within a group count, which is what a ranking says. Without std
// scaling (dr_grpo, RLOO) the advantages scale with a; keeping rewards in [0, 1] gives every group the
// same range, whatever G and however many ties.
import Foundation

public enum RankRewards {
    /// One annotator's ranking of a group → rewards in [0, 1]; nil for unranked samples. Needs at least
    /// two ranked samples (one alone is compared with nothing: every reward is then nil).
    public static func rewards(ranks: [Int?]) throws -> [Double?] {
        if let bad = ranks.compactMap({ $0 }).first(where: { $0 < 1 }) {
            throw EngineError.invalidInput("ranks start at 1 (the best), got \(bad)")
        }
        let ranked = ranks.compactMap { $0 }
        guard ranked.count >= 2 else { return ranks.map { _ in nil } }
        let n = Double(ranked.count)
        return ranks.map { rank in
            rank.map { r in
                let worse = ranked.filter { $0 > r }.count, ties = ranked.filter { $0 == r }.count - 1
                return (Double(worse) + 0.5 * Double(ties)) / (n - 1)
            }
        }
    }

    /// Several annotators' rankings of the same G samples → the mean reward per sample over the
    /// rankings that ranked it (nil where none did).
    public static func rewards(rankings: [[Int?]]) throws -> [Double?] {
        guard let g = rankings.first?.count else { return [] }
        guard rankings.allSatisfy({ $0.count == g }) else {
            throw EngineError.invalidInput("every ranking of a group must rank the same \(g) samples")
        }
        let each = try rankings.map { try rewards(ranks: $0) }
        return (0..<g).map { i in
            let got = each.compactMap { $0[i] }
            return got.isEmpty ? nil : got.reduce(0, +) / Double(got.count)
        }
    }
}
