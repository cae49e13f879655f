// Evaluation statistics against scipy/numpy reference values written by
// Tests/HiloTests/Fixtures/make_eval_golden.py (`make golden`): every value must agree within 1e-6.
import Foundation
import Support
import Testing
@testable import Hilo

@Suite struct EvaluationGoldenTests {
    static let tolerance = 1e-6

    static func golden() throws -> [String: Any] {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = try Data(contentsOf: dir.appendingPathComponent("evaluation/golden.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func rows(_ key: String) throws -> [[Double]] {
        try #require(try golden()[key] as? [[Any]]).map { $0.compactMap { ($0 as? NSNumber)?.doubleValue } }
    }

    /// Fails with the largest difference, so a mismatch says how far off it is.
    static func expectClose(_ got: [Double], _ want: [Double], _ what: String, tolerance: Double = tolerance) {
        #expect(got.count == want.count, "\(what): \(got.count) values, want \(want.count)")
        let diff = zip(got, want).map { abs($0 - $1) }.max() ?? 0
        #expect(diff <= tolerance, "\(what): max |difference| \(diff) > \(tolerance); got \(got), want \(want)")
    }

    @Test func normalQuantileMatchesScipyWithinRelative1e12() throws {
        for row in try Self.rows("normalQuantile") {
            let got = Distributions.normalQuantile(row[0])
            #expect(abs(got - row[1]) <= 1e-12 * max(1, abs(row[1])), "Φ⁻¹(\(row[0])) = \(got), scipy \(row[1])")
        }
    }

    @Test func wilsonIntervalsMatchTheFormulaWithScipyQuantiles() throws {
        for row in try Self.rows("wilson") {
            let w = ProportionInterval.wilson(successes: row[0], trials: row[1], confidence: row[2])
            Self.expectClose([w.lower, w.upper], [row[3], row[4]], "Wilson \(row[0])/\(row[1]) at \(row[2])")
        }
    }

    @Test func signTestMatchesScipyBinomtest() throws {
        for row in try Self.rows("signTest") {
            let p = SignTest.pValue(wins: Int(row[0]), losses: Int(row[1]))
            Self.expectClose([p], [row[2]], "sign test \(Int(row[0]))–\(Int(row[1]))", tolerance: 1e-9)
        }
    }

    @Test func studentTQuantileAndCDFMatchScipy() throws {
        for row in try Self.rows("studentT") {
            let q = Distributions.studentTQuantile(row[0], degreesOfFreedom: row[1])
            let c = Distributions.studentTCDF(row[4], degreesOfFreedom: row[1])
            Self.expectClose([q, c], [row[2], row[3]], "t(\(row[1])) quantile \(row[0]) and CDF at \(row[4])", tolerance: 1e-9)
        }
    }

    @Test func meanIntervalsMatchScipyTInterval() throws {
        let cases = try #require(try Self.golden()["meanInterval"] as? [[String: Any]])
        #expect(cases.count == 4)
        for c in cases {
            let values = try #require(c["values"] as? [Double])
            let confidence = try #require(c["confidence"] as? Double)
            let m = try MeanEstimate(values, confidence: confidence)
            let want = ["mean", "lower", "upper", "sd"].map { c[$0] as? Double ?? .nan }
            Self.expectClose([m.mean, m.lower, m.upper, m.standardDeviation], want, "mean of \(values.count) at \(confidence)")
            #expect(m.count == values.count)
        }
    }

    @Test func klEstimatorsMatchNumpy() throws {
        let kl = try #require(try Self.golden()["kl"] as? [String: Any])
        let policy = try #require(kl["policy"] as? [Double]), reference = try #require(kl["reference"] as? [Double])
        let k1 = try AutomaticMeasures.meanKL(policyLogProbs: policy, referenceLogProbs: reference, estimator: .k1)
        let k3 = try AutomaticMeasures.meanKL(policyLogProbs: policy, referenceLogProbs: reference, estimator: .k3)
        Self.expectClose([k1.mean, k3.mean], [kl["k1"] as? Double ?? .nan, kl["k3"] as? Double ?? .nan], "mean KL k1, k3")
    }

    static func comparisons(_ raw: Any?) throws -> [PairwiseComparison] {
        try #require(raw as? [[Any]]).map { row in
            let a = try #require((row[0] as? NSNumber)?.int64Value), b = try #require((row[1] as? NSNumber)?.int64Value)
            let raw = try #require(row[2] as? String)
            let w = try #require(PairwiseComparison.Winner(rawValue: raw))
            return PairwiseComparison(a: a, b: b, winner: w)
        }
    }

    static func anchor(_ raw: Any?) -> BradleyTerryConfig.Anchor {
        (raw as? NSNumber).map { .version($0.int64Value) } ?? .mean
    }

    @Test func bradleyTerryMatchesScipyOptimizeOnTheSamePenalizedLikelihood() throws {
        let cases = try #require(try Self.golden()["bradleyTerry"] as? [[String: Any]])
        #expect(cases.count == 5)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let comparisons = try Self.comparisons(c["comparisons"])
            let prior = try #require(c["priorGames"] as? Double)
            let counts = PairwiseCounts(comparisons)
            #expect(counts.versions == (c["versions"] as? [NSNumber])?.map(\.int64Value), "\(name): versions")
            let fit = BradleyTerry.fit(counts, priorGames: prior)
            Self.expectClose(fit.beta, try #require(c["beta"] as? [Double]), "\(name): β")
            #expect(fit.iterations < 30, "\(name): Newton took \(fit.iterations) iterations")

            var rng = SplitMix64(seed: 1)
            let config = BradleyTerryConfig(priorGames: prior, anchor: Self.anchor(c["anchor"]), resamples: 0)
            let board = try Leaderboard(comparisons: comparisons, config: config, rng: &rng)
            let want = try #require(c["scores"] as? [Double])
            let got = counts.versions.map { board.entry($0)?.score ?? .nan }
            Self.expectClose(got, want, "\(name): Elo-like scores")
        }
    }

    @Test func bootstrapIntervalsMatchTheSameResamplesRefittedWithScipy() throws {
        let golden = try Self.golden()
        let fits = try #require(golden["bradleyTerry"] as? [[String: Any]])
        let cases = try #require(golden["bootstrap"] as? [[String: Any]])
        #expect(cases.count == 3)
        for c in cases {
            let fit = fits[try #require(c["case"] as? Int)]
            let comparisons = try Self.comparisons(fit["comparisons"])
            let config = BradleyTerryConfig(priorGames: try #require(fit["priorGames"] as? Double), anchor: Self.anchor(fit["anchor"]),
                                            resamples: try #require(c["resamples"] as? Int),
                                            confidence: try #require(c["confidence"] as? Double))
            var rng = SplitMix64(seed: try #require((c["seed"] as? NSNumber)?.uint64Value))
            let board = try Leaderboard(comparisons: comparisons, config: config, rng: &rng)
            let versions = try #require(fit["versions"] as? [NSNumber]).map(\.int64Value)
            Self.expectClose(versions.map { board.entry($0)?.lower ?? .nan }, try #require(c["lower"] as? [Double]), "\(fit["name"]!): lower")
            Self.expectClose(versions.map { board.entry($0)?.upper ?? .nan }, try #require(c["upper"] as? [Double]), "\(fit["name"]!): upper")
        }
    }
}
