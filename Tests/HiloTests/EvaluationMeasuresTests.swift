// AutomaticMeasures and MeanEstimate: reward-model win rate, mean reward, KL estimators, bad input.
import Foundation
import Testing
@testable import Hilo

@Suite struct EvaluationMeasuresTests {
    @Test func rewardWinRateCountsPairsWithTheTieTolerance() throws {
        let a = [0.0, 1.0, 2.0, 3.0, 4.0]
        let b = [0.5, 1.05, 1.0, 3.0, 4.2]
        let exact = try AutomaticMeasures.rewardWinRate(rewardsA: a, rewardsB: b)
        #expect(exact.viewpoint == .b && exact.wins == 3 && exact.ties == 1 && exact.losses == 1)
        let loose = try AutomaticMeasures.rewardWinRate(rewardsA: a, rewardsB: b, tieTolerance: 0.1)
        #expect(loose.wins == 2 && loose.ties == 2 && loose.losses == 1)
        #expect(loose.winRate == 0.6)
    }

    @Test func rewardWinRateRejectsUnpairedOrNonFiniteScores() {
        #expect(throws: EvaluationError.self) { try AutomaticMeasures.rewardWinRate(rewardsA: [1, 2], rewardsB: [1]) }
        #expect(throws: EvaluationError.self) { try AutomaticMeasures.rewardWinRate(rewardsA: [1], rewardsB: [.nan]) }
        #expect(throws: EvaluationError.self) { try AutomaticMeasures.rewardWinRate(rewardsA: [1], rewardsB: [1], tieTolerance: -1) }
    }

    /// [1, 2, 3]: mean 2, sd 1, t₀.₉₇₅(2) = 4.302653 → 2 ± 4.302653/√3 = [−0.484138, 4.484138].
    @Test func meanRewardOfOneTwoThreeHasTheHandWorkedTInterval() throws {
        let m = try AutomaticMeasures.meanReward([1, 2, 3])
        #expect(m.mean == 2 && m.standardDeviation == 1 && m.count == 3)
        #expect(abs(m.lower - -0.484137711750) < 1e-9)
        #expect(abs(m.upper - 4.484137711750) < 1e-9)
    }

    @Test func meanOfZeroOrOneValueHasADegenerateInterval() throws {
        let empty = try MeanEstimate([])
        #expect(empty.count == 0 && empty.mean == 0 && empty.lower == 0 && empty.upper == 0)
        let one = try MeanEstimate([2.5])
        #expect(one.mean == 2.5 && one.lower == 2.5 && one.upper == 2.5 && one.standardDeviation == 0)
        #expect(throws: EvaluationError.self) { try MeanEstimate([1, .infinity]) }
        #expect(throws: EvaluationError.self) { try MeanEstimate([1, 2], confidence: 1) }
    }

    /// Policy −10 and −12, reference −11 and −11: k1 = (1 + −1)/2 = 0;
    /// k3 = ((e⁻¹ − 1 + 1) + (e¹ − 1 − 1))/2 = (0.367879 + 0.718282)/2 = 0.543081.
    @Test func klK1CanCancelWhileK3IsNonNegative() throws {
        let k1 = try AutomaticMeasures.meanKL(policyLogProbs: [-10, -12], referenceLogProbs: [-11, -11])
        #expect(k1.mean == 0)
        let k3 = try AutomaticMeasures.meanKL(policyLogProbs: [-10, -12], referenceLogProbs: [-11, -11], estimator: .k3)
        #expect(abs(k3.mean - (exp(-1.0) + exp(1.0) - 2) / 2) < 1e-12)
        #expect(abs(k3.mean - 0.543080634815) < 1e-9)
    }

    @Test func klOfAPolicyAgainstItselfIsExactlyZero() throws {
        let lp = [-3.5, -20.25, -7.0]
        for estimator in [AutomaticMeasures.KLEstimator.k1, .k3] {
            let kl = try AutomaticMeasures.meanKL(policyLogProbs: lp, referenceLogProbs: lp, estimator: estimator)
            #expect(kl.mean == 0 && kl.lower == 0 && kl.upper == 0)
        }
    }

    @Test func klRejectsPositiveLogProbsAndMismatchedLengths() {
        #expect(throws: EvaluationError.self) { try AutomaticMeasures.meanKL(policyLogProbs: [0.5], referenceLogProbs: [-1]) }
        #expect(throws: EvaluationError.self) { try AutomaticMeasures.meanKL(policyLogProbs: [-1, -2], referenceLogProbs: [-1]) }
        #expect(throws: EvaluationError.self) { try AutomaticMeasures.meanKL(policyLogProbs: [-.infinity], referenceLogProbs: [-1]) }
    }
}
