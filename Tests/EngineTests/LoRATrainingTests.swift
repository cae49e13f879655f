// LoRA in the trainers: the DPO reference of a new adapter is the base with the adapter off and of a
// continued adapter its frozen starting copy (both start the loss at ln 2, policy = reference); the live
// reference in the policy's own weights equals the precomputed one; a stopped LoRA run resumes to the
// adapter of an uninterrupted run; the base weights never change and layer freezing keeps lower adapters.
// A Llama-family policy trains an adapter through the same CausalLM path.
import Foundation
import Testing
@testable import Engine

/// A GPT-2 (or, with `llamaTied`, a tiny Llama with a tied or untied head) carrying an adapter on every projection.
private func loraModel(identity: Bool, layers: [Int]? = nil, llamaTied: Bool? = nil) throws -> any CausalLM {
    let m: any CausalLM
    if let tied = llamaTied {
        m = try LlamaTrainingTests.synthetic(tied: tied)
    } else {
        let g = try GPT2(config: Synthetic.config)
        var rng = SeededRNG(seed: 3)
        g.initializeWeights(rng: &rng)
        m = g
    }
    let adapter = try LoRAAdapter(config: LoRAConfig(r: 4, loraAlpha: 8, targetModules: .allLinear, layersToTransform: layers),
                                  base: LoRABase(model: m))
    var arng = SeededRNG(seed: 4)
    adapter.initializeWeights(rng: &arng)
    if !identity {   // a trained adapter: B non-zero
        for t in adapter.layout.tensors where t.name.hasSuffix("lora_B.weight") { arng.fillNormal(adapter.params[t.name], count: t.count, std: 0.3) }
    }
    m.lora = adapter
    return m
}

private func values(_ b: ParameterBuffer) -> [Float] { Array(UnsafeBufferPointer(start: b.base, count: b.layout.totalCount)) }

@Suite struct LoRATrainingTests {
    let cfg = TrainingConfig(learningRate: 1e-2, epochs: 2, batchSize: 4, seed: 9)

    @Test(arguments: [true, false], [true, false])
    func theFirstDPOLossIsLn2WhateverTheAdapterAndReferenceMode(identity: Bool, live: Bool) throws {
        let m = try loraModel(identity: identity)
        let t = try DPOTrainer(policy: m, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg,
                               dpo: DPOTrainingConfig(precomputeReference: !live))
        let (r, _) = try t.lossAndGradients(rows: [0, 1, 2, 3])
        #expect(abs(r.loss - log(2)) < 1e-6, "identity \(identity), live \(live): loss \(r.loss)")
    }

    @Test func aLiveReferenceInThePolicysWeightsEqualsThePrecomputedOneAfterTraining() throws {
        // After steps the policy moved; the reference must still be the starting adapter in both modes.
        var losses: [Double] = []
        for live in [false, true] {
            let m = try loraModel(identity: false)
            let t = try DPOTrainer(policy: m, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg,
                                   dpo: DPOTrainingConfig(precomputeReference: !live))
            var rng = SeededRNG(seed: 1)
            for _ in 0..<3 { _ = try t.step(rows: [0, 1, 2, 3], lr: 1e-2, rng: &rng) }
            losses.append(try t.lossAndGradients(rows: [4, 5, 6, 7]).0.loss)
        }
        #expect(abs(losses[0] - losses[1]) < 1e-6, "precomputed \(losses[0]) vs live \(losses[1])")
        #expect(abs(losses[0] - log(2)) > 1e-3, "training did not move the policy")
    }

    @Test func aStoppedLoRARunResumesToTheAdapterOfAnUninterruptedRunAndTheBaseNeverChanges() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-lora-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try loraModel(identity: true)
        let base = values(full.params), start = values(full.lora!.params)
        _ = try DPOTrainer(policy: full, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg).train()
        #expect(values(full.params) == base, "a frozen base weight changed")
        #expect(values(full.lora!.params) != start)

        let first = try loraModel(identity: true), counter = Counter()
        let stopped = try DPOTrainer(policy: first, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg)
            .train(hooks: TrainingHooks(progress: { _ in counter.bump() }, shouldStop: { counter.value >= 5 }), checkpoint: dir)
        #expect(!stopped.completed)
        #expect(try TrainingCheckpoint.read(at: dir).slots.first?.floats == first.lora!.layout.totalCount)
        let second = try loraModel(identity: true)
        let resumed = try DPOTrainer(policy: second, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg)
            .train(checkpoint: dir, resume: true)
        #expect(resumed.completed)
        #expect(values(second.lora!.params) == values(full.lora!.params), "resumed adapter differs from the uninterrupted run")
    }

    @Test func layerFreezingKeepsTheAdaptersOfFrozenBlocks() throws {
        let m = try loraModel(identity: false)
        var config = cfg
        config.trainableBlocks = 1
        let t = try CausalLMTrainer(model: m, examples: Synthetic.combos.map { SFTExample(prompt: $0.0, completion: $0.1 + "!") },
                                    tokenize: Synthetic.tokenize, config: config)
        let before = m.lora!.params.view("transformer.h.0.attn.c_attn.lora_A.weight").map { $0 }
        let top = m.lora!.params.view("transformer.h.1.attn.c_attn.lora_A.weight").map { $0 }
        _ = try t.train()
        #expect(m.lora!.params.view("transformer.h.0.attn.c_attn.lora_A.weight").map { $0 } == before)
        #expect(m.lora!.params.view("transformer.h.1.attn.c_attn.lora_A.weight").map { $0 } != top)
    }

    @Test(arguments: [true, false])
    func aLlamaPolicyTrainsOnlyItsAdapterWithTheBaseAsLiveReference(tied: Bool) throws {
        let m = try loraModel(identity: true, llamaTied: tied)
        let base = values(m.params), start = values(m.lora!.params)
        let t = try DPOTrainer(policy: m, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg,
                               dpo: DPOTrainingConfig(precomputeReference: false))
        #expect(abs(try t.lossAndGradients(rows: [0, 1, 2, 3]).0.loss - log(2)) < 1e-6)
        #expect(values(m.grads).allSatisfy { $0 == 0 }, "tied \(tied): a frozen base weight got a gradient")
        #expect(values(m.lora!.grads).contains { $0 != 0 })
        let report = try t.train()
        #expect(report.completed && report.metrics["reference/base_without_adapter"] == 1)
        #expect(values(m.params) == base, "tied \(tied): a frozen base weight changed")
        #expect(values(m.lora!.params) != start)
        #expect(abs(try t.lossAndGradients(rows: [0, 1, 2, 3]).0.loss - log(2)) > 1e-3, "training did not move the policy")
    }
}
