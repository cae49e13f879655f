// PromotionRule: the minimum, both criteria, the viewpoint, the reason text and Codable settings.
import Foundation
import Testing
@testable import Hilo

@Suite struct EvaluationPromotionTests {
    @Test func tooFewJudgmentsNeverPromoteEvenWithAPerfectRecord() throws {
        let d = try PromotionRule(minimumComparisons: 30).decide(aWins: 0, bWins: 20, ties: 0)
        #expect(!d.promote)
        #expect(d.reason.contains("not enough judgments: 20 of 30"), "\(d.reason)")
    }

    /// 32–8: Wilson lower bound 0.652427 > 0.5 → promote.
    @Test func wilsonRulePromotesWhenTheLowerBoundClearsOneHalf() throws {
        let d = try PromotionRule().decide(aWins: 8, bWins: 32, ties: 0)
        #expect(d.promote)
        #expect(d.reason.contains("0.652 > 0.5") && d.reason.contains("32–0–8"), "\(d.reason)")
    }

    /// 26–14: win rate 0.65 but Wilson lower bound 0.495059 ≤ 0.5 (and sign test p = 0.0807) → keep.
    @Test func wilsonRuleKeepsTheServingVersionWhenTheLowerBoundIsBelowOneHalf() throws {
        let d = try PromotionRule().decide(aWins: 14, bWins: 26, ties: 0)
        #expect(!d.promote)
        #expect(d.reason.contains("0.495 ≤ 0.5"), "\(d.reason)")
        let sign = try PromotionRule(criterion: .signTest).decide(aWins: 14, bWins: 26, ties: 0)
        #expect(!sign.promote && sign.reason.contains("0.081 ≥ 0.05"), "\(sign.reason)")
    }

    /// 29–11: p = 0.006427 < 0.05 → promote under the sign test. 11–29 has the same p but B lost.
    @Test func signTestRulePromotesOnlyTheVersionThatWon() throws {
        let rule = PromotionRule(criterion: .signTest)
        let won = try rule.decide(aWins: 11, bWins: 29, ties: 0)
        #expect(won.promote && won.reason.contains("0.006 < 0.05"), "\(won.reason)")
        let lost = try rule.decide(aWins: 29, bWins: 11, ties: 0)
        #expect(!lost.promote && lost.reason.contains("no more wins than losses"), "\(lost.reason)")
    }

    @Test func aResultFromAsPointOfViewIsTurnedToTheNewVersions() throws {
        let fromA = SideBySideResult(aWins: 8, bWins: 32, ties: 0, viewpoint: .a)
        #expect(try PromotionRule().decide(fromA).promote)
    }

    @Test func tiesCountHalfTowardsTheWilsonCriterion() throws {
        // 30 wins, 20 ties, 10 losses: rate (30 + 10)/60 = 0.667, lower bound > 0.5; with 20 more losses it is not.
        #expect(try PromotionRule().decide(aWins: 10, bWins: 30, ties: 20).promote)
        #expect(try !PromotionRule().decide(aWins: 30, bWins: 30, ties: 20).promote)
    }

    @Test func bothCriteriaAndMinimumWinRateMustAllHold() throws {
        let both = PromotionRule(criterion: .both)
        #expect(try both.decide(aWins: 8, bWins: 32, ties: 0).promote)
        let demanding = PromotionRule(minimumComparisons: 10, minimumWinRate: 0.9)
        let d = try demanding.decide(aWins: 8, bWins: 32, ties: 0)
        #expect(!d.promote && d.reason.contains("below the required 0.900"), "\(d.reason)")
    }

    @Test func invalidSettingsThrowAndTheRuleRoundTripsThroughJSON() throws {
        #expect(throws: EvaluationError.self) { try PromotionRule(minimumComparisons: 0).decide(aWins: 1, bWins: 1, ties: 0) }
        #expect(throws: EvaluationError.self) { try PromotionRule(alpha: 0).decide(aWins: 1, bWins: 1, ties: 0) }
        let rule = PromotionRule(minimumComparisons: 50, criterion: .both, confidence: 0.9, alpha: 0.01, minimumWinRate: 0.55)
        let data = try JSONEncoder().encode(rule)
        #expect(try JSONDecoder().decode(PromotionRule.self, from: data) == rule)
        #expect(String(data: data, encoding: .utf8)!.contains("\"criterion\":\"both\""))
    }
}
