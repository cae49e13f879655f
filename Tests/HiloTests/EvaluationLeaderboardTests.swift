// BradleyTerry and Leaderboard: ordering, the prior on degenerate data, anchoring, bootstrap determinism.
import Foundation
import Support
import Testing
@testable import Hilo

@Suite struct EvaluationLeaderboardTests {
    static func games(_ a: Int64, _ b: Int64, aWins: Int, bWins: Int, ties: Int = 0) -> [PairwiseComparison] {
        Array(repeating: PairwiseComparison(a: a, b: b, winner: .a), count: aWins)
            + Array(repeating: PairwiseComparison(a: a, b: b, winner: .b), count: bWins)
            + Array(repeating: PairwiseComparison(a: a, b: b, winner: .tie), count: ties)
    }

    static func board(_ c: [PairwiseComparison], _ config: BradleyTerryConfig = BradleyTerryConfig(resamples: 200),
                      seed: UInt64 = 1, versions: [Int64] = []) throws -> Leaderboard {
        var rng = SplitMix64(seed: seed)
        return try Leaderboard(comparisons: c, versions: versions, config: config, rng: &rng)
    }

    /// Two versions, 3–1, one prior game each. By symmetry β₁ = x = −β₂, and the gradient for version 1,
    /// 3 − 4σ(2x) + ½ − σ(x) = 0, has its root at x = 0.4744435 (bisection by hand or brentq), so the gap
    /// is 400·2x/ln 10 = 164.8385 Elo. Without the prior it would be 400·log₁₀3 = 190.8485: shrunk, not lost.
    @Test func threeToOneGivesTheHandSolvedGapShrunkBelowTheUnpenalizedLn3() throws {
        let b = try Self.board(Self.games(1, 2, aWins: 3, bWins: 1))
        let gap = try #require(b.entry(1)).score - (try #require(b.entry(2)).score)
        #expect(abs(gap - 164.838538056732) < 1e-6, "gap \(gap)")
        #expect(abs(b.entries[0].score + b.entries[1].score) < 1e-9)         // mean anchor: they sum to 0
        #expect(b.entries.map(\.version) == [1, 2] && b.entries.map(\.rank) == [1, 2])
        #expect(b.entries.map(\.comparisons) == [4, 4])
    }

    @Test func aWeakerPriorApproachesTheUnpenalizedMLE() throws {
        let c = Self.games(1, 2, aWins: 300, bWins: 100)
        let b = try Self.board(c, BradleyTerryConfig(priorGames: 0.01, resamples: 0))
        let gap = b.entries[0].score - b.entries[1].score
        #expect(abs(gap - 400 * log10(3.0)) < 0.05, "gap \(gap), want ≈ 190.85")
    }

    @Test func strongerVersionsRankHigherAndRecordsAreCounted() throws {
        let c = Self.games(1, 2, aWins: 2, bWins: 8) + Self.games(2, 3, aWins: 3, bWins: 7, ties: 2) + Self.games(1, 3, aWins: 1, bWins: 9)
        let b = try Self.board(c)
        #expect(b.entries.map(\.version) == [3, 2, 1])
        let v3 = try #require(b.entry(3))
        #expect(v3.wins == 16 && v3.losses == 4 && v3.ties == 2 && v3.comparisons == 22)
        #expect(b.comparisons == 32)
        for e in b.entries { #expect(e.lower <= e.score && e.score <= e.upper, "\(e)") }
    }

    @Test func aVersionThatWonEveryGameGetsAFiniteScoreAndInterval() throws {
        let b = try Self.board(Self.games(1, 2, aWins: 20, bWins: 0) + Self.games(1, 3, aWins: 15, bWins: 0))
        for e in b.entries { #expect(e.score.isFinite && e.lower.isFinite && e.upper.isFinite, "\(e)") }
        #expect(b.entries[0].version == 1 && b.entries[0].score > 300)
    }

    @Test func disconnectedComponentsStayFiniteAndEachIsPulledToZero() throws {
        let c = Self.games(1, 2, aWins: 6, bWins: 2) + Self.games(3, 4, aWins: 2, bWins: 6)
        let b = try Self.board(c, BradleyTerryConfig(resamples: 50))
        for e in b.entries { #expect(e.score.isFinite && e.lower.isFinite && e.upper.isFinite, "\(e)") }
        // Mirror-image components: 1 and 4 score alike, as do 2 and 3.
        #expect(abs(b.entry(1)!.score - b.entry(4)!.score) < 1e-9)
        #expect(abs(b.entry(2)!.score - b.entry(3)!.score) < 1e-9)
    }

    @Test func anchoringAVersionPutsItAtZeroWithAZeroWidthInterval() throws {
        let c = Self.games(1, 2, aWins: 4, bWins: 6) + Self.games(2, 3, aWins: 5, bWins: 5)
        let mean = try Self.board(c)
        let anchored = try Self.board(c, BradleyTerryConfig(anchor: .version(1), resamples: 200))
        let one = try #require(anchored.entry(1))
        #expect(one.score == 0 && one.lower == 0 && one.upper == 0)
        // Anchoring shifts every score by the same amount.
        let shift = mean.entry(1)!.score
        for e in anchored.entries { #expect(abs(e.score - (mean.entry(e.version)!.score - shift)) < 1e-9) }
    }

    @Test func unknownAnchorOrBadConfigThrows() {
        let c = Self.games(1, 2, aWins: 1, bWins: 1)
        #expect(throws: EvaluationError.self) { try Self.board(c, BradleyTerryConfig(anchor: .version(99))) }
        #expect(throws: EvaluationError.self) { try Self.board(c, BradleyTerryConfig(priorGames: 0)) }
        #expect(throws: EvaluationError.self) { try Self.board(c, BradleyTerryConfig(resamples: -1)) }
        #expect(throws: EvaluationError.self) { try Self.board(c, BradleyTerryConfig(confidence: 1.5)) }
    }

    @Test func theSameSeedGivesTheSameBoardAndAnotherSeedOtherIntervals() throws {
        let c = Self.games(1, 2, aWins: 7, bWins: 5, ties: 1) + Self.games(2, 3, aWins: 4, bWins: 6)
        let first = try Self.board(c, seed: 42), again = try Self.board(c, seed: 42), other = try Self.board(c, seed: 43)
        #expect(first == again)
        #expect(first.entries.map(\.score) == other.entries.map(\.score))
        #expect(first.entries.map(\.lower) != other.entries.map(\.lower))
    }

    @Test func noComparisonsAndUnplayedVersionsScoreZero() throws {
        let empty = try Self.board([], versions: [5, 6])
        #expect(empty.entries.map(\.score) == [0, 0] && empty.entries.map(\.rank) == [1, 1] && empty.comparisons == 0)
        #expect(try Self.board([]).entries.isEmpty)
        let withIdle = try Self.board(Self.games(1, 2, aWins: 3, bWins: 1), BradleyTerryConfig(anchor: .version(9)), versions: [9])
        #expect(withIdle.entry(9)?.comparisons == 0)
        // The idle version sits at the prior's centre, β = 0, halfway between 1 and 2 by symmetry.
        #expect(abs(withIdle.entry(1)!.score + withIdle.entry(2)!.score) < 1e-9)
    }

    @Test func swappingTheDisplayedSidesDoesNotChangeTheFit() throws {
        let c = Self.games(1, 2, aWins: 5, bWins: 2, ties: 1)
        let swapped = c.map { PairwiseComparison(a: $0.b, b: $0.a, winner: $0.winner == .a ? .b : $0.winner == .b ? .a : .tie) }
        #expect(try Self.board(c).entries == Self.board(swapped).entries)
    }

    @Test func newtonFitHasZeroGradientAndFewIterations() {
        let c = Self.games(1, 2, aWins: 30, bWins: 10) + Self.games(2, 3, aWins: 12, bWins: 9, ties: 4) + Self.games(3, 4, aWins: 40, bWins: 0)
        let counts = PairwiseCounts(c)
        let (beta, iterations) = BradleyTerry.fit(counts, priorGames: 1)
        var g = [Double](repeating: 0, count: 4), h = [Double](repeating: 0, count: 16)
        BradleyTerry.derivatives(beta, counts, 1, gradient: &g, negativeHessian: &h)
        #expect(g.map(abs).max()! < 1e-10, "gradient \(g)")
        #expect(iterations <= 15, "\(iterations) iterations")
        // A small move in any direction lowers the penalized log-likelihood: a maximum.
        let best = BradleyTerry.logLikelihood(beta, counts, 1)
        for i in 0..<4 {
            var moved = beta; moved[i] += 1e-3
            #expect(BradleyTerry.logLikelihood(moved, counts, 1) < best)
        }
    }

    @Test func uniformIndexCoversTheRangeAndPercentileInterpolatesLinearly() {
        var rng = SplitMix64(seed: 3)
        var seen = Set<Int>()
        for _ in 0..<200 { seen.insert(Leaderboard.uniformIndex(below: 7, using: &rng)) }
        #expect(seen == Set(0..<7))
        // numpy.percentile([1, 2, 3, 4], 25) = 1.75; 97.5 → 3.925.
        #expect(Leaderboard.percentile([1, 2, 3, 4], 0.25) == 1.75)
        #expect(abs(Leaderboard.percentile([1, 2, 3, 4], 0.975) - 3.925) < 1e-12)
    }

    @Test func anchorEncodesAsMeanOrAVersionNumberAndRejectsOtherValues() throws {
        let config = BradleyTerryConfig(anchor: .version(3), resamples: 10)
        let json = try #require(String(data: try JSONEncoder().encode(config), encoding: .utf8))
        #expect(json.contains("\"anchor\":3"), "\(json)")
        #expect(try JSONDecoder().decode(BradleyTerryConfig.self, from: JSONEncoder().encode(config)) == config)
        #expect(try JSONDecoder().decode(BradleyTerryConfig.Anchor.self, from: Data("\"mean\"".utf8)) == .mean)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BradleyTerryConfig.Anchor.self, from: Data("\"median\"".utf8)) }
    }

    @Test func storeWinnersMapToComparisonsAndUnjudgedRowsAreSkipped() throws {
        #expect(try PairwiseComparison(a: 1, b: 2, storeWinner: "b") == PairwiseComparison(a: 1, b: 2, winner: .b))
        #expect(try PairwiseComparison(a: 1, b: 2, storeWinner: nil) == nil)
        #expect(throws: EvaluationError.self) { try PairwiseComparison(a: 1, b: 2, storeWinner: "draw") }
    }
}
