// GroupRLTrainer's update against torch on a FIXED rollout (make_group_training_golden.py): two prompts
// with G = 3 given completions, the rollout policy's and the reference's log-probs, and the rewards (one
// missing) are given, so nothing depends on sampling. Compared: the advantages (1e-6), then one
// minibatch's loss (1e-4) and every gradient of the policy (1e-3 relative), for GRPO (grpo, dr_grpo and
// dapo aggregation, k3 KL, clip-higher) and RLOO (KL in the reward, normalised advantages).
import Foundation
import Testing
@testable import Engine

@Suite struct GroupTrainerGoldenTests {
    private struct Extra: Decodable {
        struct Case: Decodable {
            var algorithm: String
            var loss_type: String?
            var beta: Double
            var scale_rewards: String?
            var minibatch: [Int]
            var epsilon_high: Double?
            var max_completion_length: Int?
            var token_normalizer: Double?
            var normalize: Bool?
            var advantages: [Double]
        }
        var prompts: [String]
        var completions: [[Int]]
        var group_size: Int
        var rewards: [Double?]
        var cases: [String: Case]
    }

    /// The tiny policy and reference weights (make_training_golden.py's, copied) and the cases.
    private let g = TrainingGolden.load("group_training_golden")
    private let extra: Extra

    init() throws {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        extra = try JSONDecoder().decode(Extra.self, from: Data(contentsOf: dir.appendingPathComponent("training/group_training_golden.json")))
    }

    private func check(_ name: String) throws {
        let c = try #require(extra.cases[name])
        let G = extra.group_size
        let algorithm = try #require(GroupAlgorithm(rawValue: c.algorithm))
        let group = GroupTrainingConfig(
            algorithm: algorithm, numGenerations: G, maxNewTokens: c.max_completion_length ?? 48,
            scaleRewards: c.scale_rewards.flatMap(RewardScaling.init(rawValue:)) ?? .group,
            grpo: GRPOConfig(epsilonHigh: c.epsilon_high, beta: c.beta, lossType: c.loss_type.flatMap(GRPOLossType.init(rawValue:)) ?? .dapo),
            rloo: RLOOConfig(beta: c.beta, normalizeAdvantages: c.normalize ?? false))
        let unused = ClosureReward(name: "unused") { _ in Issue.record("the fixed rollout is not scored"); return [] }
        let t = try GroupRLTrainer(policy: try g.model("policy."), reference: try g.model("reference."),
                                   prompts: extra.prompts.map { GroupPrompt(text: $0) }, rewards: try WeightedRewards([(unused, 1)]),
                                   tokenize: TrainingGolden.tokenize, decode: { _ in "" },
                                   config: TrainingConfig(learningRate: 1e-3, batchSize: 2, seed: 0, maxLength: 32), group: group)
        let promptIds = extra.completions.indices.map { TrainingGolden.tokenize(extra.prompts[$0 / G]) }
        let batch = try t.builder.tokens(prompts: promptIds, completions: extra.completions)
        let mask = try batch.completionMask()
        let old = g.floats("old_logprobs").map(Double.init), ref = g.floats("ref_logprobs").map(Double.init)
        #expect(old.count == mask.count)
        let e = GroupExperience(batch: batch, mask: mask, groupSizes: [G, G], logprobs: old, refLogprobs: c.beta > 0 ? ref : nil,
                                rewards: extra.rewards, rewardMetrics: [:])
        let (adv, _) = try t.advantages(e)
        let advDiff = zip(adv.advantages, c.advantages).map { abs($0 - $1) }.max() ?? .infinity
        #expect(adv.advantages.count == c.advantages.count && advDiff < 1e-6, "\(name): advantages \(adv.advantages) vs \(c.advantages)")
        let r = try t.lossAndGradients(e, advantages: adv.advantages, idx: c.minibatch, tokenNormalizer: c.token_normalizer)
        print("\(name): loss \(r.loss) vs torch \(g.loss(name)), advantages max |Δ| \(advDiff)")
        #expect(abs(r.loss - g.loss(name)) < 1e-4)
        #expect(g.compareGradients(t.model, prefix: "\(name).grad.") < 1e-3)
    }

    @Test func grpoTokenLevelLossWithKLAndClipHigherMatchesTorch() throws { try check("grpo_kl_group") }
    @Test func drGRPOUnscaledAdvantagesOverTheFullBatchMatchTorch() throws { try check("dr_grpo_unscaled") }
    @Test func dapoWithBatchScalingAndAGenerationNormalizerMatchesTorch() throws { try check("dapo_batch_normalizer") }
    @Test func rlooLeaveOneOutWithKLInTheRewardMatchesTorch() throws { try check("rloo_kl") }
    @Test func rlooWithNormalisedAdvantagesMatchesTorch() throws { try check("rloo_normalized") }
}
