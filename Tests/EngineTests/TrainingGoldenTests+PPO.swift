// PPOTrainer's update against torch on a FIXED rollout (make_training_golden.py, cases "ppo" and
// "ppo_shared"): the rollout's tokens, the rollout policy's and the reference's log-probs, the values
// and the scores are given, so nothing depends on sampling. Compared: the per-token KL, the shaped
// rewards, the whitened GAE advantages and the returns (max |Δ| < 1e-5: the same float64 arithmetic,
// against golden grids stored as float32), then one minibatch's policy, value and total loss (1e-4)
// and every gradient of the policy and of the value model (1e-3 relative).
import Foundation
import Testing
@testable import Engine

@Suite struct PPOTrainerGoldenTests {
    private let g = TrainingGolden.shared

    private func grid(_ name: String) -> [Double] { g.floats(name).map(Double.init) }

    private func maxAbs(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    private func check(_ name: String) throws {
        let c = g.testCase(name)
        let shared = c.shared!
        let ppo = PPOTrainingConfig(ppo: PPOConfig(klEstimator: KLEstimator(rawValue: c.estimator!)!, whitenRewards: c.whitenRewards!),
                                    kl: KLControllerConfig(kind: .fixed, initialCoef: c.beta!), ppoEpochs: 1,
                                    minibatchSize: c.minibatch!.count, shareValueBackbone: shared)
        let reward = try g.model("policy.", scoreHead: true)
        let t = try PPOTrainer(policy: try g.model("policy."), reference: try g.model("reference."), reward: reward,
                               prompts: c.prompts!, tokenize: TrainingGolden.tokenize,
                               config: TrainingConfig(learningRate: 1e-3, batchSize: 3, seed: 0, maxLength: 32), ppo: ppo)
        if shared {
            // The shared value head starts at zero; give it the golden weights so the backbone gets a value gradient.
            let w = g.floats("reward.score.weight")
            t.model.params["score.weight"].update(from: w, count: w.count)
        }
        let prompts = c.prompts!.map(TrainingGolden.tokenize)
        let batch = try t.builder.tokens(prompts: prompts, completions: c.completions!)
        let mask = try batch.completionMask()
        #expect(mask.width * mask.rows == g.floats("\(name).old_logprobs").count)
        let e = PPOExperience(batch: batch, mask: mask, logprobs: grid("\(name).old_logprobs"), values: grid("\(name).old_values"),
                              refLogprobs: grid("\(name).ref_logprobs"), scores: c.scores!)
        let rollout = try t.advantages(e)
        let diffs = [("kl", maxAbs(rollout.kl, grid("\(name).kl"))), ("rewards", maxAbs(rollout.rewards, grid("\(name).rewards"))),
                     ("advantages", maxAbs(rollout.advantages, grid("\(name).advantages"))),
                     ("returns", maxAbs(rollout.returns, grid("\(name).returns")))]
        print("\(name): rollout max |Δ| " + diffs.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        // The golden grids are float32: compare to their rounding.
        for (what, d) in diffs { #expect(d < 1e-5, "\(what) differs by \(d)") }

        let r = try t.lossAndGradients(e, rollout: rollout, idx: c.minibatch!)
        print("\(name): loss \(r.loss) vs torch \(c.loss) (policy \(r.policyLoss) vs \(c.policyLoss!), value \(r.valueLoss) vs \(c.valueLoss!))")
        #expect(abs(r.loss - c.loss) < 1e-4)
        #expect(abs(r.policyLoss - c.policyLoss!) < 1e-4)
        #expect(abs(r.valueLoss - c.valueLoss!) < 1e-4)
        #expect(abs(r.metrics["policy/clipfrac_avg"]! - c.clipfrac!) < 1e-12)
        #expect(g.compareGradients(t.model, prefix: "\(name).grad.") < 1e-3)
        if !shared {
            let v = try #require(t.value)
            #expect(g.compareGradients(v.model, prefix: "\(name).value_grad.") < 1e-3)
        }
    }

    @Test func ppoUpdateWithAValueModelMatchesTorchOnAFixedRollout() throws { try check("ppo") }
    @Test func ppoUpdateWithASharedValueHeadMatchesTorchOnAFixedRollout() throws { try check("ppo_shared") }
}
