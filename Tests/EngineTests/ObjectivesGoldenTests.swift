// The alignment objectives against an independent PyTorch implementation (make_objectives_golden.py,
// autograd, float64): every loss, its gradients with respect to the policy inputs, and the metrics.
// Values must agree within 1e-5 absolute, gradients within 1e-4 relative; each test reports its max
// differences.
import Foundation
import Testing
@testable import Engine

/// The parsed golden file and a comparer that records the largest differences.
struct ObjectivesGolden {
    let root: [String: Any]

    /// `file` under Fixtures/objectives (make_objectives_golden.py's by default).
    static func load(_ file: String = "objectives_golden.json") throws -> ObjectivesGolden {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = try Data(contentsOf: dir.appendingPathComponent("objectives/" + file))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["version"] as? Int == 1)
        return ObjectivesGolden(root: root)
    }

    func cases(_ key: String) -> [[String: Any]] { root[key] as? [[String: Any]] ?? [] }

    /// Runs `body` on every case under `key` with one Comparer named `label`, then prints its largest
    /// differences. Fails when there are no cases, or a number other than `count` (nil: any number).
    func compare(_ key: String, label: String, count: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: ([String: Any], Comparer) throws -> Void) rethrows {
        let c = Comparer(label)
        let all = cases(key)
        #expect(!all.isEmpty, "\(label): no cases under \(key) in the golden file", sourceLocation: sourceLocation)
        if let count {
            #expect(all.count == count, "\(label): \(all.count) cases in the golden file, want \(count)", sourceLocation: sourceLocation)
        }
        for g in all { try body(g, c) }
        c.report()
    }
}

extension Dictionary where Key == String, Value == Any {
    func d(_ k: String) -> Double { (self[k] as? NSNumber)?.doubleValue ?? .nan }
    func ds(_ k: String) -> [Double] { (self[k] as? [NSNumber])?.map(\.doubleValue) ?? [] }
    func dss(_ k: String) -> [[Double]] { (self[k] as? [[NSNumber]])?.map { $0.map(\.doubleValue) } ?? [] }
    func ints(_ k: String) -> [Int] { (self[k] as? [NSNumber])?.map(\.intValue) ?? [] }
    func optD(_ k: String) -> Double? { (self[k] as? NSNumber)?.doubleValue }
    var name: String { self["name"] as? String ?? "?" }
    var metricsDict: [String: Double] { (self["metrics"] as? [String: NSNumber])?.mapValues(\.doubleValue) ?? [:] }
}

final class Comparer {
    private(set) var maxValueDiff = 0.0
    private(set) var maxGradRelDiff = 0.0
    let label: String
    init(_ label: String) { self.label = label }

    func value(_ got: Double, _ want: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let diff = abs(got - want)
        maxValueDiff = max(maxValueDiff, diff.isNaN ? .infinity : diff)
        #expect(diff <= 1e-5, "\(label) \(what): got \(got), want \(want), diff \(diff)", sourceLocation: sourceLocation)
    }

    func values(_ got: [Double], _ want: [Double], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, "\(label) \(what): \(got.count) values, want \(want.count)", sourceLocation: sourceLocation)
        for (i, (g, w)) in zip(got, want).enumerated() { value(g, w, "\(what)[\(i)]", sourceLocation: sourceLocation) }
    }

    /// Gradients: relative 1e-4 (a difference below 1e-12 passes, so exact zeros compare as zeros).
    func grads(_ got: [Double], _ want: [Double], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, "\(label) \(what): \(got.count) gradients, want \(want.count)", sourceLocation: sourceLocation)
        for (i, (g, w)) in zip(got, want).enumerated() {
            let rel = g == w ? 0 : abs(g - w) / max(abs(w), 1e-9)
            maxGradRelDiff = max(maxGradRelDiff, rel.isNaN ? .infinity : rel)
            #expect(rel <= 1e-4 || abs(g - w) <= 1e-12, "\(label) \(what)[\(i)]: got \(g), want \(w), relative diff \(rel)", sourceLocation: sourceLocation)
        }
    }

    func metrics(_ got: ObjectiveMetrics, _ want: [String: Double], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(got.keys) == Set(want.keys), "\(label) metric names: got \(got.keys.sorted()), want \(want.keys.sorted())", sourceLocation: sourceLocation)
        for (k, w) in want { value(got[k] ?? .nan, w, "metric \(k)", sourceLocation: sourceLocation) }
    }

    func report() {
        print("[objectives golden] \(label): max |value diff| \(maxValueDiff), max relative gradient diff \(maxGradRelDiff)")
    }
}

@Suite struct ObjectivesGoldenTests {
    let golden: ObjectivesGolden
    init() throws { golden = try ObjectivesGolden.load() }

    @Test func rewardPairwiseMatchesTorchLossGradientsAndMetrics() throws {
        try golden.compare("reward_pairwise", label: "reward pairwise", count: 4) { g, c in
            let loss = try RewardLoss(config: RewardLossConfig(centerRewardsCoefficient: g.optD("center")))
            let margins = g["margins"] is NSNull ? nil : g.ds("margins")
            let r = try loss.pairwise(chosen: g.ds("chosen"), rejected: g.ds("rejected"), margins: margins)
            c.value(r.loss, g.d("loss"), "\(g.name) loss")
            c.grads(r.dChosen, g.ds("d_chosen"), "\(g.name) dChosen")
            c.grads(r.dRejected, g.ds("d_rejected"), "\(g.name) dRejected")
            c.metrics(r.metrics, g.metricsDict)
        }
    }

    @Test func rewardRankingMatchesTorchWithTiesAndSkippedRankings() throws {
        try golden.compare("reward_ranking", label: "reward ranking", count: 3) { g, c in
            let loss = try RewardLoss(config: RewardLossConfig(centerRewardsCoefficient: g.optD("center")))
            let ranks = (g["ranks"] as? [[NSNumber]] ?? []).map { $0.map(\.intValue) }
            let r = try loss.ranking(scores: g.dss("scores"), ranks: ranks)
            c.value(r.loss, g.d("loss"), "\(g.name) loss")
            c.grads(r.dScores.flatMap { $0 }, g.dss("d_scores").flatMap { $0 }, "\(g.name) dScores")
            c.metrics(r.metrics, g.metricsDict)
        }
    }

    @Test func dpoFamilyMatchesTorchForEveryLossTypeSmoothingAndNLL() throws {
        try golden.compare("dpo", label: "DPO family", count: 8) { g, c in
            let type = try #require(DPOConfig.LossType(rawValue: g["loss_type"] as? String ?? ""))
            let dpo = try DPOLoss(config: DPOConfig(beta: g.d("beta"), lossType: type,
                                                    labelSmoothing: g.d("label_smoothing"), rpoAlpha: g.optD("rpo_alpha")))
            let r = try dpo(PreferenceLogProbs(
                policyChosen: g.ds("policy_chosen"), policyRejected: g.ds("policy_rejected"),
                referenceChosen: g.ds("reference_chosen"), referenceRejected: g.ds("reference_rejected"),
                chosenTokens: g.ints("chosen_tokens"), rejectedTokens: g.ints("rejected_tokens")))
            c.value(r.loss, g.d("loss"), "\(g.name) loss")
            c.grads(r.dPolicyChosen, g.ds("d_chosen"), "\(g.name) dPolicyChosen")
            c.grads(r.dPolicyRejected, g.ds("d_rejected"), "\(g.name) dPolicyRejected")
            c.metrics(r.metrics, g.metricsDict)
        }
    }

    @Test func ktoMatchesTorchWithWeightsAndClampedKL() throws {
        try golden.compare("kto", label: "KTO", count: 4) { g, c in
            let kto = try KTOLoss(config: KTOConfig(beta: g.d("beta"), desirableWeight: g.d("desirable_weight"),
                                                    undesirableWeight: g.d("undesirable_weight")))
            let r = try kto(KTOLogProbs(policy: g.ds("policy"), reference: g.ds("reference"),
                                        desirable: g["labels"] as? [Bool] ?? [],
                                        policyKL: g.ds("policy_kl"), referenceKL: g.ds("reference_kl")))
            c.value(r.loss, g.d("loss"), "\(g.name) loss")
            c.value(r.kl, g.d("kl"), "\(g.name) z0")
            c.grads(r.dPolicy, g.ds("d_policy"), "\(g.name) dPolicy")
            c.metrics(r.metrics, g.metricsDict)
        }
    }

    @Test func ppoRolloutKLRewardsGAEAndWhiteningMatchTorchOverPadding() throws {
        try golden.compare("ppo_rollout", label: "PPO rollout", count: 3) { g, c in
            let mask = try ResponseMask(lengths: g.ints("lengths"), width: g["width"] as? Int ?? 0)
            let estimator = try #require(KLEstimator(rawValue: g["estimator"] as? String ?? ""))
            let logprobs = g.ds("logprobs")
            let kl = try PPOMath.klPerToken(logprobs: logprobs, refLogprobs: g.ds("ref_logprobs"), mask: mask, estimator: estimator)
            c.values(kl, g.ds("kl"), "\(g.name) kl")
            let (rewards, nonScore) = try PPOMath.tokenRewards(kl: kl, scores: g.ds("scores"), klCoef: g.d("kl_coef"), mask: mask)
            c.values(rewards, g.ds("rewards"), "\(g.name) rewards")
            c.values(nonScore, g.ds("non_score"), "\(g.name) non_score")
            let shaped = (g["whiten_rewards"] as? Bool ?? false) ? try PPOMath.whiten(rewards, mask: mask, shiftMean: false) : rewards
            c.values(shaped, g.ds("shaped_rewards"), "\(g.name) shaped rewards")
            let (adv, ret) = try PPOMath.gae(rewards: shaped, values: g.ds("values"), mask: mask, gamma: g.d("gamma"), lambda: g.d("lam"))
            c.values(adv, g.ds("advantages"), "\(g.name) advantages")
            c.values(ret, g.ds("returns"), "\(g.name) returns")
            c.values(try PPOMath.whiten(adv, mask: mask), g.ds("whitened_advantages"), "\(g.name) whitened")
            c.values(try PPOMath.whiten(adv, mask: mask, shiftMean: false), g.ds("whitened_noshift"), "\(g.name) whitened (no shift)")
            let m = try PPOMath.rolloutMetrics(kl: kl, logprobs: logprobs, nonScore: nonScore, scores: g.ds("scores"), mask: mask)
            c.metrics(m, g.metricsDict)
            // The one-call pipeline gives the same numbers.
            let config = PPOConfig(gamma: g.d("gamma"), lambda: g.d("lam"), klEstimator: estimator,
                                   whitenRewards: g["whiten_rewards"] as? Bool ?? false)
            let rollout = try PPOMath.prepareRollout(logprobs: logprobs, refLogprobs: g.ds("ref_logprobs"), values: g.ds("values"),
                                                     scores: g.ds("scores"), mask: mask, config: config, klCoef: g.d("kl_coef"))
            c.values(rollout.advantages, g.ds("whitened_advantages"), "\(g.name) pipeline advantages")
            c.values(rollout.returns, g.ds("returns"), "\(g.name) pipeline returns")
            c.values(rollout.rewards, g.ds("shaped_rewards"), "\(g.name) pipeline rewards")
            c.metrics(rollout.metrics, g.metricsDict)
        }
    }

    @Test func ppoClippedPolicyAndValueLossesMatchTorch() throws {
        try golden.compare("ppo_loss", label: "PPO loss", count: 2) { g, c in
            let mask = try ResponseMask(lengths: g.ints("lengths"), width: g["width"] as? Int ?? 0)
            let ppo = try PPOLoss(config: PPOConfig(clipRange: g.d("cliprange"), clipRangeValue: g.d("cliprange_value"), vfCoef: g.d("vf_coef")))
            let r = try ppo(PPOMinibatch(logprobs: g.ds("logprobs"), oldLogprobs: g.ds("old_logprobs"),
                                         advantages: g.ds("advantages"), values: g.ds("values"),
                                         oldValues: g.ds("old_values"), returns: g.ds("returns"), mask: mask))
            c.value(r.loss, g.d("loss"), "\(g.name) loss")
            c.value(r.policyLoss, g.d("policy_loss"), "\(g.name) policy loss")
            c.value(r.valueLoss, g.d("value_loss"), "\(g.name) value loss")
            c.grads(r.dLogprobs, g.ds("d_logprobs"), "\(g.name) dLogprobs")
            c.grads(r.dValues, g.ds("d_values"), "\(g.name) dValues")
            c.metrics(r.metrics, g.metricsDict)
            #expect(r.metrics["policy/clipfrac_avg"]! > 0, "\(g.name): the fixture must exercise policy clipping")
        }
    }

    @Test func entropyFromLogitsAndItsGradientMatchTorch() throws {
        golden.compare("entropy", label: "entropy") { g, c in
            let vocab = g["vocab"] as? Int ?? 0
            let logits = g.ds("logits").map { Float($0) }
            c.values(Entropy.forward(logits: logits, vocab: vocab), g.ds("entropy"), "\(g.name) entropy")
            var dLogits = [Float](repeating: 0, count: logits.count)
            Entropy.backward(dLogits: &dLogits, logits: logits, dEntropy: g.ds("weights"), vocab: vocab)
            c.grads(dLogits.map { Double($0) }, g.ds("d_logits"), "\(g.name) dLogits")
        }
    }

    @Test func sequenceLogProbsAndTheirLogitGradientMatchTorch() throws {
        golden.compare("sequence_logprobs", label: "sequence log-probs", count: 1) { g, c in
            let vocab = g["vocab"] as? Int ?? 0, width = g["width"] as? Int ?? 0
            let logits = g.ds("logits").map { Float($0) }, targets = g.ints("targets")
            let perToken = SequenceLogProbs.perToken(logits: logits, targets: targets, vocab: vocab)
            c.values(perToken, g.ds("per_token"), "\(g.name) per-token")
            let (sums, counts) = SequenceLogProbs.rowSums(perToken, targets: targets, width: width)
            c.values(sums, g.ds("sums"), "\(g.name) row sums")
            #expect(counts == g.ints("counts"))
            var dLogits = [Float](repeating: 0, count: logits.count)
            let dPerToken = SequenceLogProbs.broadcast(g.ds("row_weights"), targets: targets, width: width)
            SequenceLogProbs.backward(dLogits: &dLogits, logits: logits, targets: targets, dLogProbs: dPerToken, vocab: vocab)
            c.grads(dLogits.map { Double($0) }, g.ds("d_logits"), "\(g.name) dLogits")
        }
    }

    @Test func adaptiveKLControllerFollowsZieglerUpdates() throws {
        try golden.compare("kl_controller", label: "KL controller") { g, c in
            var ctl = try KLController(config: KLControllerConfig(kind: .adaptive, initialCoef: g.d("init"),
                                                                  target: g.d("target"), horizon: g.d("horizon")))
            var got: [Double] = []
            for u in g["updates"] as? [[NSNumber]] ?? [] {
                try ctl.update(currentKL: u[0].doubleValue, samples: u[1].intValue)
                got.append(ctl.value)
            }
            c.values(got, g.ds("values"), "\(g.name) β")
        }
    }

    @Test func rewardNormalizerMatchesTRLRunningMoments() throws {
        try golden.compare("normalizer", label: "reward normaliser") { g, c in
            var norm = try RewardNormalizer(config: RewardNormalizerConfig(scale: true, normalize: g["normalize"] as? Bool ?? false,
                                                                         clip: g.optD("clip")))
            let outs = g.dss("outputs")
            for (i, batch) in g.dss("batches").enumerated() {
                c.values(try norm(batch), outs[i], "\(g.name) batch \(i)")
            }
            c.value(norm.moments.mean, g.d("mean"), "\(g.name) running mean")
            c.value(norm.moments.std, g.d("std"), "\(g.name) running std")
        }
    }
}
