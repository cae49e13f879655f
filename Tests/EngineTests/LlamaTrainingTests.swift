// The Llama family in the trainers: freezing the lower blocks and the embeddings gives exactly
// transformers' gradients for what trains and none for what does not (the golden's gradients of
// make_llama_golden.py); the reward trainer learns the synthetic language's preference on a Llama
// reward model, and DPO moves a Llama policy towards the chosen completions.
import Foundation
import Testing
@testable import Engine

@Suite struct LlamaTrainingTests {
    /// A tiny Llama over Synthetic's byte vocabulary (256 bytes + EOS), GQA 4/2 heads.
    static func synthetic(scoreHead: Bool = false, seed: UInt64 = 3, tied: Bool = true) throws -> Llama {
        let c = LlamaConfig(vocabSize: 257, hiddenSize: 64, intermediateSize: 128, numHiddenLayers: 2, numAttentionHeads: 4,
                            numKeyValueHeads: 2, maxPositionEmbeddings: 64, tieWordEmbeddings: tied,
                            bosTokenId: Synthetic.eos, eosTokenId: Synthetic.eos, padTokenId: Synthetic.eos)
        let m = try Llama(config: c, scoreHead: scoreHead, languageModelHead: !scoreHead)
        var rng = SeededRNG(seed: seed)
        m.initializeWeights(rng: &rng)
        return m
    }

    @Test(arguments: [("qwen3", false), ("llama3", true)])
    func frozenLowerBlocksAndEmbeddingsGetNoGradientAndTheRestMatchesTransformers(_ name: String, trainEmbeddings: Bool) throws {
        let g = try LlamaGolden(name)
        g.model.freezing = Freezing(trainableBlocks: 1, trainEmbeddings: trainEmbeddings)
        #expect(g.model.firstTrainableLayer == 1)
        let targets = g.golden.ints("targets")
        g.model.zeroGradients()
        try g.model.forward(tokens: g.golden.ints("ids"), batch: g.B, seq: g.T)
        _ = try g.model.crossEntropyBackward(targets: targets, scale: 1 / Float(targets.filter { $0 >= 0 }.count))
        g.model.backward()
        let tied = g.model.config.tieWordEmbeddings
        var worst: Float = 0
        for t in g.model.layout.tensors {
            let grad = Array(g.model.grads.view(t.name))
            // A tied embedding that trains gets the LM head's part of its gradient only (no input side).
            let frozen = (t.layer ?? 1) < 1 || (t.name == "model.embed_tokens.weight" && !(tied && trainEmbeddings))
            #expect(g.model.isTrainable(t) == !frozen, "\(name) \(t.name)")
            if frozen {
                #expect(grad.allSatisfy { $0 == 0 }, "\(name) \(t.name) is frozen but has a gradient")
            } else if t.name != "model.embed_tokens.weight" {
                let ref = g.golden.floats("grad." + t.name)
                let d = maxDifference(UnsafeBufferPointer(g.model.grads.view(t.name)), ref)
                worst = max(worst, d.abs / (ref.map(abs).max()! + 1e-8))
            }
        }
        print("\(name) frozen below block 1: trainable gradients max rel diff \(worst)")
        #expect(worst < 1e-3)
        let trainable = OptimizedModel(model: g.model, adamW: AdamWConfig(learningRate: 1e-3)).trainable.map(\.name)
        #expect(!trainable.contains("model.layers.0.mlp.up_proj.weight") && trainable.contains("model.layers.1.mlp.up_proj.weight"))
    }

    @Test func rewardTrainerTeachesALlamaRewardModelTheSyntheticPreference() throws {
        let m = try Self.synthetic(scoreHead: true)
        let cfg = TrainingConfig(learningRate: 1e-3, epochs: 3, batchSize: 8, seed: 11)
        let t = try RewardTrainer(model: m, pairs: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg,
                                  reward: RewardTrainingConfig(evalFraction: 0.2))
        let r = try t.train()
        print("llama reward model: held-out accuracy \(r.evaluation["eval/accuracy"]!) after \(r.steps) steps")
        #expect(r.evaluation["eval/accuracy"]! >= 0.9)
    }

    @Test func dpoRaisesALlamaPolicysChosenOverRejectedMargin() throws {
        let m = try Self.synthetic()
        let cfg = TrainingConfig(learningRate: 2e-3, epochs: 2, batchSize: 8, seed: 5)
        let t = try DPOTrainer(policy: m, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg)
        nonisolated(unsafe) var margins: [Double] = []
        let lock = NSLock()
        let r = try t.train(hooks: TrainingHooks(progress: { p in
            lock.lock(); margins.append(p.metrics["rewards/margins"]!); lock.unlock()
        }))
        let first = margins.prefix(3).reduce(0, +) / 3, last = margins.suffix(3).reduce(0, +) / 3
        print("llama dpo: margin \(first) → \(last) over \(r.steps) steps")
        #expect(last > first + 0.5)
        // The trained policy still generates through the KV cache.
        var rng = SeededRNG(seed: 1)
        let g = try Generator(model: m).generate(prompts: [Synthetic.tokenize("the cat").map(Int32.init)],
                                                 config: SamplingConfig(maxNewTokens: 5, greedy: true), rng: &rng)
        #expect(g[0].tokens.count == 5)
    }

    @Test func ktoAndPPOTrainALlamaPolicyWithALlamaRewardModel() throws {
        // Untied: the shared value head's layout holds lm_head and score together.
        let policy = try Self.synthetic(seed: 4, tied: false)
        let kto = try KTOTrainer(policy: policy, reference: nil, examples: Synthetic.thumbs, tokenize: Synthetic.tokenize,
                                 config: TrainingConfig(learningRate: 1e-3, epochs: 1, batchSize: 8, seed: 5))
        let k = try kto.train()
        #expect(k.steps > 0 && k.metrics["loss"]!.isFinite)

        let reward = try Self.synthetic(scoreHead: true)
        _ = try RewardTrainer(model: reward, pairs: Synthetic.pairs, tokenize: Synthetic.tokenize,
                              config: TrainingConfig(learningRate: 1e-3, epochs: 2, batchSize: 8, seed: 11)).train()
        let before = Array(policy.params.view("model.layers.1.mlp.down_proj.weight"))
        for share in [true, false] {
            let t = try PPOTrainer(policy: policy, reference: nil, reward: reward, prompts: Synthetic.subjects, tokenize: Synthetic.tokenize,
                                   config: TrainingConfig(learningRate: 5e-4, epochs: 2, batchSize: 6, seed: 21),
                                   ppo: PPOTrainingConfig(ppoEpochs: 1, minibatchSize: 6, maxNewTokens: 8, shareValueBackbone: share))
            let r = try t.train()
            print("llama ppo (shared value head: \(share)): \(r.steps) rollouts, KL \(r.metrics["objective/kl"]!)")
            #expect(r.steps > 0 && r.metrics["objective/kl"]!.isFinite)
            #expect(Array(t.model.params.view("model.layers.1.mlp.down_proj.weight")) != before, "PPO left the policy unchanged")
        }
    }
}
