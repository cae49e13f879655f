// Hand-checked cases and edge cases of the alignment objectives: values worked out on paper, configs
// and inputs that must be rejected before any work, non-finite stops, and the KL controller's direction.
import Foundation
import Testing
@testable import Engine

private func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool { abs(a - b) <= tol }

private func throwsInvalidConfig(_ body: () throws -> Void) -> Bool {
    do { try body(); return false } catch let e as EngineError {
        if case .invalidConfig = e { return true }
        return false
    } catch { return false }
}

private func throwsInvalidInput(_ body: () throws -> Void) -> Bool {
    do { try body(); return false } catch let e as EngineError {
        if case .invalidInput = e { return true }
        return false
    } catch { return false }
}

@Suite struct RewardLossEdgeTests {
    @Test func allTieRankingHasNoPairsAndTiesGiveNoPair() {
        #expect(RewardLoss.orderedPairs(ranks: [2, 2, 2]).isEmpty)
        let pairs = RewardLoss.orderedPairs(ranks: [1, 2, 2]).map { [$0.winner, $0.loser] }
        #expect(pairs == [[0, 1], [0, 2]])
    }

    @Test func batchOfOnlyAllTieRankingsIsRejectedWithAClearError() throws {
        let loss = try RewardLoss()
        #expect(throwsInvalidInput { _ = try loss.ranking(scores: [[0.1, 0.2], [1, 2, 3]], ranks: [[1, 1], [4, 4, 4]]) })
    }

    @Test func allTieRankingIsSkippedAndGetsNoGradient() throws {
        let r = try RewardLoss().ranking(scores: [[0.3, -0.2, 0.9], [1, 2]], ranks: [[1, 1, 1], [1, 2]])
        #expect(r.dScores[0] == [0, 0, 0])
        #expect(r.metrics["rankings/skipped"] == 1 && r.metrics["pairs"] == 1)
        // Only the second ranking counts: −log σ(1 − 2).
        #expect(close(r.loss, -ObjectiveMath.logSigmoid(-1)))
    }

    @Test func twoWayRankingEqualsThePairwiseLoss() throws {
        let loss = try RewardLoss(config: RewardLossConfig(centerRewardsCoefficient: 0.05))
        let chosen = [0.4, -1.2, 2.0], rejected = [0.1, 0.3, -0.5]
        let p = try loss.pairwise(chosen: chosen, rejected: rejected)
        let k = try loss.ranking(scores: zip(chosen, rejected).map { [$0, $1] }, ranks: Array(repeating: [1, 2], count: 3))
        #expect(close(p.loss, k.loss))
        #expect(zip(p.dChosen, k.dScores.map { $0[0] }).allSatisfy { close($0, $1) })
        #expect(p.metrics["accuracy"] == k.metrics["accuracy"])
    }

    @Test func equalScoresGiveLog2AndHalfGradient() throws {
        let r = try RewardLoss().pairwise(chosen: [0.5, 0.5], rejected: [0.5, 0.5])
        #expect(close(r.loss, log(2)))
        #expect(r.dChosen.allSatisfy { close($0, -0.25) } && r.dRejected.allSatisfy { close($0, 0.25) })
        #expect(r.metrics["accuracy"] == 0 && r.metrics["margin"] == 0)
    }

    @Test func badRewardInputsAreRejected() throws {
        #expect(throwsInvalidConfig { _ = try RewardLoss(config: RewardLossConfig(centerRewardsCoefficient: -1)) })
        let loss = try RewardLoss()
        #expect(throwsInvalidInput { _ = try loss.pairwise(chosen: [], rejected: []) })
        #expect(throwsInvalidInput { _ = try loss.pairwise(chosen: [1, 2], rejected: [1]) })
        #expect(throws: NonFiniteError.self) { _ = try loss.pairwise(chosen: [.nan], rejected: [0]) }
    }
}

@Suite struct DPOAndKTOEdgeTests {
    private func inputs(_ pc: Double, _ pr: Double, _ rc: Double = 0, _ rr: Double = 0, tokens: Int = 4) -> PreferenceLogProbs {
        PreferenceLogProbs(policyChosen: [pc], policyRejected: [pr], referenceChosen: [rc], referenceRejected: [rr],
                           chosenTokens: [tokens], rejectedTokens: [tokens])
    }

    @Test func betaAtOrBelowZeroIsRejectedBeforeAnyWork() {
        #expect(throwsInvalidConfig { _ = try DPOLoss(config: DPOConfig(beta: 0)) })
        #expect(throwsInvalidConfig { _ = try DPOLoss(config: DPOConfig(beta: -0.1)) })
        #expect(throwsInvalidConfig { _ = try DPOLoss(config: DPOConfig(beta: .nan)) })
        #expect(throwsInvalidConfig { _ = try KTOLoss(config: KTOConfig(beta: 0)) })
        #expect(throwsInvalidConfig { _ = try KTOLoss(config: KTOConfig(desirableWeight: 0)) })
    }

    @Test func labelSmoothingOutsideZeroToHalfOrOnHingeIsRejected() {
        #expect(throwsInvalidConfig { _ = try DPOLoss(config: DPOConfig(labelSmoothing: 0.5)) })
        #expect(throwsInvalidConfig { _ = try DPOLoss(config: DPOConfig(labelSmoothing: -0.01)) })
        #expect(throwsInvalidConfig { _ = try DPOLoss(config: DPOConfig(lossType: .hinge, labelSmoothing: 0.1)) })
        #expect(throwsInvalidConfig { _ = try DPOLoss(config: DPOConfig(lossType: .ipo, labelSmoothing: 0.1)) })
        #expect(throwsInvalidConfig { _ = try DPOLoss(config: DPOConfig(rpoAlpha: -1)) })
        #expect((try? DPOLoss(config: DPOConfig(lossType: .robust, labelSmoothing: 0.49))) != nil)
    }

    @Test func emptyOrMismatchedDPOBatchIsRejected() throws {
        let dpo = try DPOLoss()
        #expect(throwsInvalidInput {
            _ = try dpo(PreferenceLogProbs(policyChosen: [], policyRejected: [], referenceChosen: [], referenceRejected: [],
                                           chosenTokens: [], rejectedTokens: []))
        })
        var x = inputs(-1, -2); x.referenceRejected = [0, 0]
        #expect(throwsInvalidInput { _ = try dpo(x) })
        let ipo = try DPOLoss(config: DPOConfig(lossType: .ipo))
        #expect(throwsInvalidInput { _ = try ipo(inputs(-1, -2, tokens: 0)) })
    }

    @Test func dpoAtTheReferenceIsLog2WithGradientMinusBetaOverTwo() throws {
        let r = try DPOLoss()(inputs(-7, -3, -7, -3))
        #expect(close(r.loss, log(2)))
        #expect(close(r.dPolicyChosen[0], -0.05) && close(r.dPolicyRejected[0], 0.05))
        #expect(r.metrics["rewards/margins"] == 0 && r.metrics["rewards/accuracies"] == 0)
    }

    @Test func ipoAveragesPerTokenAndTargetsHalfOverBeta() throws {
        // Chosen −2 over 4 tokens, rejected −12 over 4 tokens: h = (−0.5 + 3) = 2.5; 1/(2β) = 5 → (2.5−5)² = 6.25.
        let r = try DPOLoss(config: DPOConfig(lossType: .ipo))(inputs(-2, -12))
        #expect(close(r.loss, 6.25))
        #expect(close(r.dPolicyChosen[0], 2 * (2.5 - 5) / 4))
        #expect(close(r.metrics["logps/chosen"]!, -0.5))
    }

    @Test func hingeHasNoGradientOncePastTheMargin() throws {
        let r = try DPOLoss(config: DPOConfig(lossType: .hinge))(inputs(0, -20))   // z = 2
        #expect(r.loss == 0 && r.dPolicyChosen == [0] && r.dPolicyRejected == [0])
    }

    @Test func nlLTermPushesTheChosenLikelihoodUp() throws {
        let plain = try DPOLoss()(inputs(-8, -8))
        let rpo = try DPOLoss(config: DPOConfig(rpoAlpha: 1))(inputs(-8, -8))
        #expect(close(rpo.metrics["nll_loss"]!, 2))
        #expect(close(rpo.loss, plain.loss + 2))
        #expect(close(rpo.dPolicyChosen[0], plain.dPolicyChosen[0] - 0.25))
        #expect(rpo.dPolicyRejected == plain.dPolicyRejected)
    }

    @Test func ktoClampsNegativeKLAtZeroAndDetachesIt() throws {
        let kto = try KTOLoss()
        let r = try kto(KTOLogProbs(policy: [-5, -5], reference: [-5, -5], desirable: [true, false],
                                    policyKL: [-10, -9], referenceKL: [-6, -6]))
        #expect(r.kl == 0)
        // At ratio 0 and z0 0 each term is w·(1 − σ(0)) = 0.5; gradient ∓ β·σ'(0)/N = ∓0.1·0.25/2.
        #expect(close(r.loss, 0.5))
        #expect(close(r.dPolicy[0], -0.0125) && close(r.dPolicy[1], 0.0125))
        #expect(r.metrics["count/chosen"] == 1 && r.metrics["count/rejected"] == 1)
    }

    @Test func ktoWithoutKLRowsIsRejected() throws {
        #expect(throwsInvalidInput {
            _ = try KTOLoss()(KTOLogProbs(policy: [-1], reference: [-1], desirable: [true], policyKL: [], referenceKL: []))
        })
    }
}

@Suite struct PPOEdgeTests {
    @Test func nonFiniteKLStopsTheRolloutWithANamedError() throws {
        let mask = try ResponseMask(lengths: [2], width: 2)
        do {
            _ = try PPOMath.klPerToken(logprobs: [-1, -.infinity], refLogprobs: [-1, -2], mask: mask, estimator: .k3)
            Issue.record("a −inf log-prob must stop PPO")
        } catch let e as NonFiniteError {
            #expect(e.quantity == "objective/kl")
            #expect(e.description.contains("training stopped"))
        }
    }

    @Test func nonFiniteLossStopsTheUpdate() throws {
        let mask = try ResponseMask(lengths: [1, 1], width: 1)
        let x = PPOMinibatch(logprobs: [.nan, -1], oldLogprobs: [-1, -1], advantages: [1, 1], values: [0, 0],
                             oldValues: [0, 0], returns: [1, 1], mask: mask)
        #expect(throws: NonFiniteError.self) { _ = try PPOLoss()(x) }
    }

    @Test func klControllerRaisesBetaAboveTargetAndLowersItBelow() throws {
        let cfg = KLControllerConfig(kind: .adaptive, initialCoef: 0.2, target: 6, horizon: 100)
        var up = try KLController(config: cfg), down = up, same = up
        try up.update(currentKL: 12, samples: 10)       // error clipped to +0.2 → ×1.02
        try down.update(currentKL: 3, samples: 10)      // error −0.5 clipped to −0.2 → ×0.98
        try same.update(currentKL: 6, samples: 10)
        #expect(close(up.value, 0.204) && close(down.value, 0.196) && close(same.value, 0.2))
        var fixed = try KLController(config: KLControllerConfig(kind: .fixed, initialCoef: 0.05))
        try fixed.update(currentKL: 100, samples: 64)
        #expect(fixed.value == 0.05)
    }

    @Test func klControllerRefusesANaNKLAndKeepsBeta() throws {
        var ctl = try KLController(config: KLControllerConfig(kind: .adaptive, initialCoef: 0.1))
        #expect(throws: NonFiniteError.self) { try ctl.update(currentKL: .nan, samples: 8) }
        #expect(ctl.value == 0.1)
        #expect(throwsInvalidConfig { _ = try KLController(config: KLControllerConfig(kind: .adaptive, target: 0)) })
    }

    @Test func gaeOfOneTokenRowIsRewardMinusValue() throws {
        let mask = try ResponseMask(lengths: [1, 3], width: 3)
        let rewards = [2.0, 0, 0, 1, 1, 1], values = [0.5, 0, 0, 0, 0, 0]
        let (adv, ret) = try PPOMath.gae(rewards: rewards, values: values, mask: mask, gamma: 1, lambda: 1)
        #expect(adv[0] == 1.5 && adv[1] == 0 && adv[2] == 0)   // padding stays 0
        #expect(adv[3] == 3 && adv[4] == 2 && adv[5] == 1)     // γ = λ = 1, V = 0: reward to go
        #expect(ret[0] == 2)
    }

    @Test func policyLossAtRatioOneIsMinusMeanAdvantage() throws {
        let mask = try ResponseMask(lengths: [2, 1], width: 2)
        let x = PPOMinibatch(logprobs: [-1, -2, -3, 0], oldLogprobs: [-1, -2, -3, 0], advantages: [1, -2, 4, 0],
                             values: [0, 0, 0, 0], oldValues: [0, 0, 0, 0], returns: [0, 0, 0, 0], mask: mask)
        let r = try PPOLoss()(x)
        #expect(close(r.policyLoss, -1))
        #expect(close(r.dLogprobs[0], -1.0 / 3) && close(r.dLogprobs[2], -4.0 / 3) && r.dLogprobs[3] == 0)
        #expect(r.metrics["policy/clipfrac_avg"] == 0 && r.metrics["policy/approxkl_avg"] == 0)
    }

    @Test func maskWithAHoleOrAnEmptyRowIsRejected() {
        #expect(throwsInvalidInput { _ = try ResponseMask(mask: [true, false, true], width: 3) })
        #expect(throwsInvalidInput { _ = try ResponseMask(lengths: [2, 0], width: 2) })
        #expect((try? ResponseMask(mask: [true, true, false, true, false, false], width: 3))?.lengths == [2, 1])
    }

    @Test func badPPOConfigsAreRejected() {
        #expect(throwsInvalidConfig { _ = try PPOLoss(config: PPOConfig(clipRange: 0)) })
        #expect(throwsInvalidConfig { _ = try PPOLoss(config: PPOConfig(gamma: 1.5)) })
        #expect(throwsInvalidConfig { _ = try RewardNormalizer(config: RewardNormalizerConfig(normalize: true)) })
    }

    @Test func rewardClippingBoundsScores() throws {
        var n = try RewardNormalizer(config: RewardNormalizerConfig(clip: 1))
        #expect(try n([-3, 0.5, 7]) == [-1, 0.5, 1])
    }

    @Test func uniformLogitsHaveEntropyLogVAndNoGradient() {
        let v = 8
        let h = Entropy.forward(logits: [Float](repeating: 0.3, count: v), vocab: v)
        #expect(close(h[0], log(Double(v)), 1e-12))
        var d = [Float](repeating: 0, count: v)
        Entropy.backward(dLogits: &d, logits: [Float](repeating: 0.3, count: v), dEntropy: [1], vocab: v)
        #expect(d.allSatisfy { abs($0) < 1e-7 })
    }
}
