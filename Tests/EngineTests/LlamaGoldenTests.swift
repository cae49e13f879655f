// The Llama-family decoder against transformers: each tiny model make_llama_golden.py wrote
// (Llama 3.2 with llama3 RoPE scaling and GQA in sharded bf16; SmolLM3 with a NoPE layer; Qwen2
// with q/k/v biases in the older rope_theta spelling; Qwen3 with q/k norms, head_dim ≠ hidden/heads
// and an untied head) is loaded from its folder, and its logits, loss, every gradient and ten
// AdamW steps (the optimizer's flat loop over the Llama layout) are compared with GPT-2's
// tolerances. Each test prints its max difference.
import Foundation
import Testing
@testable import Engine

/// A Llama golden: the model loaded from Fixtures/llama/<name> and its reference values.
struct LlamaGolden {
    let golden: Golden
    let model: Llama
    let loaded: LoadedLlama

    init(_ name: String) throws {
        golden = Golden.load("llama/\(name)")
        let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("llama/\(name)")
        loaded = try ModelFolder.loadLlama(at: folder)
        model = try Llama(config: loaded.config)
        model.params.copy(from: loaded.parameters)
    }

    var B: Int { golden.meta.batch[0] }
    var T: Int { golden.meta.batch[1] }
}

@Suite struct LlamaGoldenTests {
    static let models = ["llama3", "smollm3", "qwen2", "qwen3"]

    @Test(arguments: models)
    func logitsMatchTransformersWithin1e4OnUnpaddedPositions(_ name: String) throws {
        let g = try LlamaGolden(name)
        let V = g.model.config.vocabSize
        try g.model.forward(tokens: g.golden.ints("ids"), batch: g.B, seq: g.T)
        var logits = [Float](repeating: 0, count: g.B * g.T * V)
        logits.withUnsafeMutableBufferPointer { g.model.logits(into: $0.baseAddress!) }
        let ref = g.golden.floats("logits"), mask = g.golden.ints("mask")
        var worst: Float = 0
        for bt in 0..<(g.B * g.T) where mask[bt] == 1 {
            for v in 0..<V { worst = max(worst, abs(logits[bt * V + v] - ref[bt * V + v])) }
        }
        print("\(name) logits: max |diff| = \(worst)")
        #expect(worst < 1e-4, "\(name): logits differ from transformers by \(worst)")
    }

    @Test(arguments: models)
    func lossAndEveryGradientMatchTransformers(_ name: String) throws {
        let g = try LlamaGolden(name)
        let targets = g.golden.ints("targets")
        let scored = targets.filter { $0 >= 0 }.count
        g.model.zeroGradients()
        try g.model.forward(tokens: g.golden.ints("ids"), batch: g.B, seq: g.T)
        let loss = try g.model.crossEntropyBackward(targets: targets, scale: 1 / Float(scored))
        g.model.backward()
        let refLoss = g.golden.floats("loss")[0]
        print("\(name) loss: \(loss) vs \(refLoss), |diff| = \(abs(loss - refLoss))")
        #expect(abs(loss - refLoss) < 1e-5)
        // Every parameter transformers has, and no other.
        let goldenGrads = Set(g.golden.meta.tensors.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) })
        #expect(goldenGrads == Set(g.model.layout.tensors.map(\.name)))
        var worstRel: Float = 0, worstName = ""
        for t in g.model.layout.tensors where goldenGrads.contains(t.name) {
            let ref = g.golden.floats("grad." + t.name)
            // Relative to the tensor's largest gradient, so near-zero entries do not dominate.
            let scale = ref.map(abs).max()! + 1e-8
            let d = maxDifference(UnsafeBufferPointer(g.model.grads.view(t.name)), ref)
            if d.abs / scale > 1e-4 { print("  \(name) \(t.name): \(d.abs / scale)") }
            if d.abs / scale > worstRel { worstRel = d.abs / scale; worstName = t.name }
        }
        print("\(name) gradients: max |diff| / max |grad| = \(worstRel) (\(worstName))")
        #expect(worstRel < 1e-3, "\(name): gradient of \(worstName) differs by \(worstRel) of its largest value")
    }

    @Test(arguments: models)
    func tenAdamWStepsWithClippingAndCosineScheduleMatchTorch(_ name: String) throws {
        let g = try LlamaGolden(name)
        let h = g.golden.meta.hyper!
        let optimizer = AdamW(layout: g.model.layout, config: AdamWConfig(learningRate: h.lr, beta1: h.beta1, beta2: h.beta2,
                                                                          eps: h.eps, weightDecay: h.weight_decay, maxGradNorm: h.clip))
        let schedule = LRSchedule(peak: h.lr, warmupSteps: h.warmup, totalSteps: h.steps, decay: .cosine, minLR: h.lr * h.min_lr_ratio)
        let targets = g.golden.ints("targets"), ids = g.golden.ints("ids")
        let scored = Float(targets.filter { $0 >= 0 }.count), tensors = g.model.layout.tensors
        let refLosses = g.golden.floats("train_losses"), refNorms = g.golden.floats("train_grad_norms")
        var worstLoss: Float = 0, worstNorm: Float = 0
        for k in 0..<h.steps {
            g.model.zeroGradients()
            try g.model.forward(tokens: ids, batch: g.B, seq: g.T)
            let loss = try g.model.crossEntropyBackward(targets: targets, scale: 1 / scored)
            g.model.backward()
            let norm = gradientNorm(g.model.grads, tensors: tensors)
            optimizer.update(params: g.model.params, grads: g.model.grads, tensors: tensors,
                             lr: schedule.learningRate(at: k), gradScale: clipScale(norm: norm, maxNorm: h.clip))
            worstLoss = max(worstLoss, abs(loss - refLosses[k]))
            worstNorm = max(worstNorm, abs(norm - refNorms[k]) / refNorms[k])
        }
        var worstWeight: Float = 0, worstName = ""
        // k_proj's bias has a gradient of exactly zero in theory (softmax ignores a shift), so both
        // sides hold float noise that Adam's m/√v normalisation turns into O(lr) steps.
        for t in tensors where !t.name.hasSuffix("k_proj.bias") {
            let d = maxDifference(UnsafeBufferPointer(g.model.params.view(t.name)), g.golden.floats("final." + t.name)).abs
            if d > worstWeight { worstWeight = d; worstName = t.name }
        }
        print("\(name) 10 AdamW steps: max loss |diff| = \(worstLoss), grad-norm rel diff = \(worstNorm), final weights |diff| = \(worstWeight) (\(worstName))")
        #expect(worstLoss < 1e-4)
        #expect(worstNorm < 1e-4)
        #expect(worstWeight < 1e-4, "\(name): \(worstName) differs by \(worstWeight) after 10 steps")
    }

    @Test func theLMHeadInSeveralChunksGivesTheSameLossAndGradients() throws {
        let whole = try LlamaGolden("qwen3"), chunked = try LlamaGolden("qwen3")
        chunked.model.headChunkLimit = 5
        let targets = whole.golden.ints("targets")
        var losses: [Float] = []
        for g in [whole, chunked] {
            g.model.zeroGradients()
            try g.model.forward(tokens: g.golden.ints("ids"), batch: g.B, seq: g.T)
            losses.append(try g.model.crossEntropyBackward(targets: targets, scale: 0.1))
            g.model.backward()
        }
        #expect(abs(losses[0] - losses[1]) < 1e-6)
        let d = maxDifference(UnsafeBufferPointer(chunked.model.grads.view("lm_head.weight")),
                              Array(whole.model.grads.view("lm_head.weight")))
        #expect(d.abs < 1e-6)
    }

    @Test func eachFixtureExercisesItsSwitch() throws {
        let llama = try LlamaGolden("llama3").loaded, smol = try LlamaGolden("smollm3").loaded
        let qwen2 = try LlamaGolden("qwen2").loaded, qwen3 = try LlamaGolden("qwen3").loaded
        #expect(llama.sourceDType == "BF16" && llama.config.numKeyValueHeads == 2 && llama.config.tieWordEmbeddings)
        #expect(llama.config.ropeScaling == .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64))
        #expect(smol.config.family == .smollm3 && smol.config.ropeLayers == [true, false])
        #expect(qwen2.config.qkvBias && !qwen2.config.oBias && qwen2.config.ropeSpelling == .topLevel)
        #expect(qwen3.config.qkNorm && qwen3.config.headDim == 16 && qwen3.config.hiddenSize == 32 && !qwen3.config.tieWordEmbeddings)
        #expect(qwen2.sourceDType == "F32")
    }
}
