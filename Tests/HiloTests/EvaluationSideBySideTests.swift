// SideBySideResult, ProportionInterval.wilson and SignTest on hand-worked examples.
import Foundation
import Testing
@testable import Hilo

@Suite struct EvaluationSideBySideTests {
    /// 7 wins, 3 losses, no ties (z = 1.959964, z² = 3.841459, n = 10, p̂ = 0.7):
    ///   center = (0.7 + 0.192073)/1.384146 = 0.644490, half = 1.415996·√(0.021 + 0.009604) = 0.247713
    ///   → Wilson [0.396778, 0.892209]; sign test 2·(1 + 10 + 45 + 120)/1024 = 0.34375.
    @Test func sevenWinsThreeLossesGiveTheHandWorkedWilsonIntervalAndP034375() {
        let r = SideBySideResult(aWins: 3, bWins: 7, ties: 0)
        #expect(r.viewpoint == .b && r.wins == 7 && r.losses == 3 && r.total == 10 && r.decisive == 10)
        #expect(r.winRate == 0.7 && r.decisiveWinRate == 0.7)
        #expect(abs(r.decisiveWinRateInterval.lower - 0.396778147461) < 1e-9)
        #expect(abs(r.decisiveWinRateInterval.upper - 0.892208732594) < 1e-9)
        #expect(r.winRateInterval == r.decisiveWinRateInterval)
        #expect(r.signTestPValue == 0.34375)
    }

    /// 6 wins, 3 ties, 3 losses: win rate with ties as half = 7.5/12 = 0.625 (Wilson [0.354369, 0.835007]);
    /// decisive win rate 6/9; the sign test sees only 6–3: 2·(1 + 9 + 36 + 84)/512 = 0.5078125.
    @Test func tiesCountHalfInTheWinRateAndAreDroppedFromTheSignTest() {
        let r = SideBySideResult(viewpoint: .b, wins: 6, ties: 3, losses: 3)
        #expect(r.winRate == 0.625)
        #expect(r.decisiveWinRate == 6.0 / 9.0)
        #expect(abs(r.winRateInterval.lower - 0.354369013466) < 1e-9)
        #expect(abs(r.winRateInterval.upper - 0.835007484870) < 1e-9)
        #expect(r.signTestPValue == 0.5078125)
    }

    @Test func noJudgmentsGiveNilRatesWholeIntervalsAndPOne() {
        let r = SideBySideResult(aWins: 0, bWins: 0, ties: 0)
        #expect(r.winRate == nil && r.decisiveWinRate == nil)
        #expect(r.winRateInterval == ProportionInterval(lower: 0, upper: 1))
        #expect(r.decisiveWinRateInterval == ProportionInterval(lower: 0, upper: 1))
        #expect(r.signTestPValue == 1)
    }

    @Test func onlyTiesGiveWinRateOneHalfAndNoDecisiveRate() {
        let r = SideBySideResult(aWins: 0, bWins: 0, ties: 5)
        #expect(r.winRate == 0.5 && r.decisiveWinRate == nil && r.signTestPValue == 1)
        #expect(r.winRateInterval.contains(0.5) && r.winRateInterval.lower > 0)
    }

    @Test func reversedSwapsWinsAndLossesAndMirrorsTheIntervals() {
        let b = SideBySideResult(aWins: 4, bWins: 11, ties: 2)
        let a = b.reversed()
        #expect(a.viewpoint == .a && a.wins == 4 && a.losses == 11 && a.ties == 2)
        #expect(a == SideBySideResult(aWins: 4, bWins: 11, ties: 2, viewpoint: .a))
        #expect(abs(a.winRateInterval.lower - (1 - b.winRateInterval.upper)) < 1e-12)
        #expect(a.signTestPValue == b.signTestPValue)
        #expect(a.reversed() == b)
        #expect(SideBySideResult(tally: (a: 4, b: 11, ties: 2)) == b)
    }

    /// All 10 won: Wilson's lower bound is n/(n + z²) = 10/13.841459 = 0.722467, the upper bound exactly 1.
    @Test func aPerfectRecordHasAFiniteLowerBoundAndUpperBoundOne() {
        let r = SideBySideResult(aWins: 0, bWins: 10, ties: 0)
        #expect(abs(r.decisiveWinRateInterval.lower - 0.722467200137) < 1e-9)
        #expect(r.decisiveWinRateInterval.upper == 1)
        #expect(abs(r.signTestPValue - 2.0 / 1024) < 1e-15)
    }

    @Test func signTestIsOneForEqualCountsAndTinyForLopsidedLargeSamples() {
        #expect(SignTest.pValue(wins: 5, losses: 5) == 1)
        #expect(SignTest.pValue(wins: 1, losses: 0) == 1)     // 2·P(X ≤ 0) = 2·½ capped at 1
        let p = SignTest.pValue(wins: 3000, losses: 2000)
        #expect(p > 0 && p < 1e-40 && p.isFinite)
    }

    @Test func summaryEncodesEveryStatisticAsJSON() throws {
        let s = SideBySideResult(aWins: 3, bWins: 7, ties: 1).summary
        let json = try #require(String(data: try JSONEncoder().encode(s), encoding: .utf8))
        for key in ["\"viewpoint\":\"b\"", "\"wins\":7", "\"losses\":3", "\"ties\":1", "\"total\":11", "signTestPValue", "winRateLower"] {
            #expect(json.contains(key), "missing \(key) in \(json)")
        }
        #expect(try JSONDecoder().decode(SideBySideResult.Summary.self, from: JSONEncoder().encode(s)) == s)
    }

    @Test func confidenceLevelWidensTheInterval() {
        let at90 = SideBySideResult(viewpoint: .b, wins: 30, ties: 0, losses: 20, confidence: 0.90).decisiveWinRateInterval
        let at99 = SideBySideResult(viewpoint: .b, wins: 30, ties: 0, losses: 20, confidence: 0.99).decisiveWinRateInterval
        #expect(at99.lower < at90.lower && at99.upper > at90.upper)
    }

    @Test func decodingRejectsNegativeCountsAndBadConfidenceInsteadOfCrashing() throws {
        let good = SideBySideResult(aWins: 2, bWins: 5, ties: 1)
        #expect(try JSONDecoder().decode(SideBySideResult.self, from: JSONEncoder().encode(good)) == good)
        for bad in [#"{"viewpoint":"b","wins":-1,"ties":0,"losses":0,"confidence":0.95}"#,
                    #"{"viewpoint":"b","wins":1,"ties":0,"losses":0,"confidence":1}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(SideBySideResult.self, from: Data(bad.utf8)) }
        }
    }
}
