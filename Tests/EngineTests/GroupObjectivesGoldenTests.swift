// GRPO and RLOO against an independent PyTorch implementation of TRL's formulas
// (make_group_objectives_golden.py, autograd, float64): from fixed logits, sampled tokens, old and
// reference log-probs and rewards (some missing), the group advantages, the loss, its gradient with
// respect to the logits (through SequenceLogProbs' backward) and TRL's metrics, for every loss type and
// reward scaling, with the clip window exercised on both sides. Values within 1e-5, gradients 1e-4 relative.
import Foundation
import Testing
@testable import Engine

@Suite struct GroupObjectivesGoldenTests {
    let golden: ObjectivesGolden
    init() throws { golden = try ObjectivesGolden.load("group_golden.json") }

    /// The case's rewards (JSON null = missing) and per-token log-probs of its logits on the completion grid.
    private func inputs(_ g: [String: Any]) throws -> (rewards: [Double?], mask: ResponseMask, logits: [Float], logprobs: [Double]) {
        let rewards = (g["rewards"] as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue }
        let mask = try ResponseMask(lengths: g.ints("lengths"), width: g["width"] as? Int ?? 0)
        let logits = g.ds("logits").map { Float($0) }
        let logprobs = SequenceLogProbs.perToken(logits: logits, targets: g.ints("targets"), vocab: g["vocab"] as? Int ?? 0)
        return (rewards, mask, logits, logprobs)
    }

    private func logitGradient(_ g: [String: Any], logits: [Float], dLogprobs: [Double]) -> [Double] {
        var d = [Float](repeating: 0, count: logits.count)
        SequenceLogProbs.backward(dLogits: &d, logits: logits, targets: g.ints("targets"), dLogProbs: dLogprobs, vocab: g["vocab"] as? Int ?? 0)
        return d.map { Double($0) }
    }

    @Test func grpoAdvantagesLossAndLogitGradientsMatchTorchForEveryLossTypeAndScaling() throws {
        var lossTypes = Set<String>(), scalings = Set<String>(), lowClipped = 0.0, highClipped = 0.0
        try golden.compare("grpo", label: "GRPO", count: 7) { g, c in
            let (rewards, mask, logits, logprobs) = try inputs(g)
            let scaling = try #require(RewardScaling(rawValue: g["scale_rewards"] as? String ?? ""))
            let lossType = try #require(GRPOLossType(rawValue: g["loss_type"] as? String ?? ""))
            lossTypes.insert(lossType.rawValue); scalings.insert(scaling.rawValue)
            let adv = try GroupAdvantages.grpo(rewards: rewards, groupSize: g["group_size"] as? Int ?? 0, scaling: scaling)
            c.values(adv.advantages, g.ds("advantages"), "\(g.name) advantages")
            let want = (g["advantage_metrics"] as? [String: NSNumber] ?? [:]).mapValues(\.doubleValue)
            for (k, w) in want { c.value(adv.metrics[k] ?? .nan, w, "\(g.name) \(k)") }
            let config = GRPOConfig(epsilon: g.d("epsilon"), epsilonHigh: g.optD("epsilon_high"), beta: g.d("beta"),
                                    lossType: lossType, maxCompletionLength: g["max_completion_length"] as? Int ?? 0)
            let r = try GRPOLoss(config: config)(GRPOMinibatch(
                logprobs: logprobs, oldLogprobs: g.ds("old_logprobs"), refLogprobs: g.ds("ref_logprobs"),
                advantages: adv.advantages, mask: mask, tokenNormalizer: g.optD("token_normalizer")))
            c.value(r.loss, g.d("loss"), "\(g.name) loss")
            c.grads(logitGradient(g, logits: logits, dLogprobs: r.dLogprobs), g.ds("d_logits"), "\(g.name) dLogits")
            c.metrics(r.metrics, g.metricsDict)
            lowClipped += r.metrics["clip_ratio/low_mean"]!; highClipped += r.metrics["clip_ratio/high_mean"]!
        }
        #expect(lossTypes == Set(GRPOLossType.allCases.map(\.rawValue)), "every loss type has a golden case")
        #expect(scalings == Set(RewardScaling.allCases.map(\.rawValue)), "every reward scaling has a golden case")
        #expect(lowClipped > 0 && highClipped > 0, "the fixtures must clip on both sides of the window")
    }

    @Test func rlooLeaveOneOutAdvantagesLossAndLogitGradientsMatchTorch() throws {
        var lowClipped = 0.0, highClipped = 0.0
        try golden.compare("rloo", label: "RLOO", count: 4) { g, c in
            let (rewards, mask, logits, logprobs) = try inputs(g)
            let old = g.ds("old_logprobs"), ref = g.ds("ref_logprobs")
            let kl = mask.rowSums(zip(old, ref).map { $0 - $1 })
            c.values(kl, g.ds("kl"), "\(g.name) sequence KL")
            let config = RLOOConfig(epsilon: g.d("epsilon"), epsilonHigh: g.optD("epsilon_high"), beta: g.d("beta"),
                                    normalizeAdvantages: g["normalize"] as? Bool ?? false)
            let adv = try GroupAdvantages.rloo(rewards: rewards, klPenalty: kl, beta: config.beta,
                                               groupSize: g["group_size"] as? Int ?? 0, normalize: config.normalizeAdvantages)
            let penalised = (g["penalised_rewards"] as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue }
            #expect(adv.rewards.map { $0 == nil } == penalised.map { $0 == nil }, "\(g.name): missing rewards stay missing")
            c.values(adv.rewards.map { $0 ?? 0 }, penalised.map { $0 ?? 0 }, "\(g.name) penalised rewards")
            c.values(adv.advantages, g.ds("advantages"), "\(g.name) advantages")
            let r = try RLOOLoss(config: config)(logprobs: logprobs, oldSequenceLogprobs: mask.rowSums(old),
                                                 advantages: adv.advantages, mask: mask)
            c.value(r.loss, g.d("loss"), "\(g.name) loss")
            c.grads(logitGradient(g, logits: logits, dLogprobs: r.dLogprobs), g.ds("d_logits"), "\(g.name) dLogits")
            c.metrics(r.metrics, g.metricsDict)
            lowClipped += r.metrics["clip_ratio/low_mean"]!; highClipped += r.metrics["clip_ratio/high_mean"]!
        }
        #expect(lowClipped > 0 && highClipped > 0, "the fixtures must clip on both sides of the window")
    }

    @Test func groupsOfOneSampleAndUnevenBatchesAreRefused() throws {
        #expect(throws: EngineError.self) { try GroupAdvantages.grpo(rewards: [1, 2], groupSize: 1, scaling: .group) }
        #expect(throws: EngineError.self) { try GroupAdvantages.grpo(rewards: [1, 2, 3], groupSize: 2, scaling: .group) }
        #expect(throws: NonFiniteError.self) { try GroupAdvantages.grpo(rewards: [1, .nan], groupSize: 2, scaling: .none) }
        #expect(throws: EngineError.self) { try GroupAdvantages.rloo(rewards: [1, 2], klPenalty: [0], beta: 0.05, groupSize: 2, normalize: false) }
    }
}
