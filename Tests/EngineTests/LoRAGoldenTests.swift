// LoRA against the real peft (make_lora_golden.py): adapter folders peft saved load on their base
// (GPT-2 with Conv1D; Qwen2 with biases, GQA, rsLoRA, rank and alpha patterns) and give peft's
// logits, loss and every lora_A/lora_B gradient, with no gradient for the frozen base; three AdamW
// steps on the adapter alone end at torch's weights; merging equals merge_and_unload; a folder
// Hilo saves has PEFT's exact keys, shapes and config and loads back to the same weights.
import Foundation
import Testing
@testable import Engine

/// A LoRA golden: the base model with peft's adapter attached, and the reference values.
struct LoRAGolden {
    let golden: Golden
    let gpt2: GPT2?, llama: Llama?
    let adapter: LoRAAdapter
    let base: LoRABase
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("lora")

    init(_ name: String, adapterFolder: URL? = nil) throws {
        golden = Golden.load("lora/\(name)")
        let folder = Self.fixtures.appendingPathComponent(name)
        if name == "gpt2" {
            let loaded = try ModelFolder.load(at: folder)
            let m = try GPT2(config: loaded.config)
            m.params.copy(from: loaded.parameters)
            gpt2 = m; llama = nil; base = LoRABase(gpt2: loaded.config)
        } else {
            let loaded = try ModelFolder.loadLlama(at: folder)
            let m = try Llama(config: loaded.config)
            m.params.copy(from: loaded.parameters)
            llama = m; gpt2 = nil; base = LoRABase(llama: loaded.config)
        }
        adapter = try LoRAAdapter.load(from: adapterFolder ?? Self.fixtures.appendingPathComponent(name + "_adapter"), base: base).0
        gpt2?.lora = adapter; llama?.lora = adapter
    }

    var B: Int { golden.meta.batch[0] }
    var T: Int { golden.meta.batch[1] }
    var vocab: Int { gpt2?.config.vocabSize ?? llama!.config.vocabSize }
    var params: ParameterBuffer { gpt2?.params ?? llama!.params }
    var baseGrads: ParameterBuffer { gpt2?.grads ?? llama!.grads }

    func forward() throws { let ids = golden.ints("ids"); if let gpt2 { try gpt2.forward(tokens: ids, batch: B, seq: T) } else { try llama!.forward(tokens: ids, batch: B, seq: T) } }
    func logits() -> [Float] {
        var out = [Float](repeating: 0, count: B * T * vocab)
        out.withUnsafeMutableBufferPointer { if let gpt2 { gpt2.logits(into: $0.baseAddress!) } else { llama!.logits(into: $0.baseAddress!) } }
        return out
    }
    func lossAndBackward() throws -> Float {
        let targets = golden.ints("targets"), scale = 1 / Float(targets.filter { $0 >= 0 }.count)
        gpt2?.zeroGradients(); llama?.zeroGradients()
        try forward()
        let loss = try gpt2?.crossEntropyBackward(targets: targets, scale: scale) ?? llama!.crossEntropyBackward(targets: targets, scale: scale)
        gpt2?.backward(); llama?.backward()
        return loss
    }

    /// Largest |logit − peft's| over unpadded positions.
    func worstLogitDifference() throws -> Float {
        try forward()
        let mine = logits(), ref = golden.floats("logits"), mask = golden.ints("mask")
        var worst: Float = 0
        for bt in 0..<(B * T) where mask[bt] == 1 { for v in 0..<vocab { worst = max(worst, abs(mine[bt * vocab + v] - ref[bt * vocab + v])) } }
        return worst
    }
}

@Suite struct LoRAGoldenTests {
    static let models = ["gpt2", "qwen2"]

    @Test(arguments: models)
    func aPeftSavedAdapterGivesPeftsLogitsWithin1e4(_ name: String) throws {
        let g = try LoRAGolden(name)
        let worst = try g.worstLogitDifference()
        print("\(name) LoRA logits: max |diff| = \(worst)")
        #expect(worst < 1e-4, "\(name): logits differ from peft by \(worst)")
        // The adapter matters: without it the logits are far from peft's.
        g.adapter.enabled = false
        let off = try g.worstLogitDifference()
        #expect(off > 1e-2, "\(name): the adapter changes the logits by only \(off)")
    }

    @Test(arguments: models)
    func lossAndEveryAdapterGradientMatchPeftAndTheBaseGetsNone(_ name: String) throws {
        let g = try LoRAGolden(name)
        let loss = try g.lossAndBackward()
        let refLoss = g.golden.floats("loss")[0]
        print("\(name) LoRA loss: \(loss) vs \(refLoss)")
        #expect(abs(loss - refLoss) < 1e-5)
        let goldenGrads = Set(g.golden.meta.tensors.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) })
        #expect(goldenGrads == Set(g.adapter.layout.tensors.map(\.name)))
        var worst: Float = 0, worstName = ""
        for t in g.adapter.layout.tensors {
            let ref = g.golden.floats("grad." + t.name)
            let d = maxDifference(UnsafeBufferPointer(g.adapter.grads.view(t.name)), ref).abs / (ref.map(abs).max()! + 1e-8)
            if d > worst { worst = d; worstName = t.name }
        }
        print("\(name) LoRA gradients: max |diff| / max |grad| = \(worst) (\(worstName))")
        #expect(worst < 1e-3, "\(name): gradient of \(worstName) differs by \(worst) of its largest value")
        let touched = UnsafeBufferPointer(start: g.baseGrads.base, count: g.baseGrads.layout.totalCount).contains { $0 != 0 }
        #expect(!touched, "\(name): a frozen base weight received a gradient")
    }

    @Test(arguments: models)
    func threeAdamWStepsOnTheAdapterAloneMatchTorch(_ name: String) throws {
        let g = try LoRAGolden(name)
        let h = g.golden.meta.hyper!
        let before = Array(UnsafeBufferPointer(start: g.params.base, count: g.params.layout.totalCount))
        let optimizer = AdamW(layout: g.adapter.layout, config: AdamWConfig(learningRate: h.lr, beta1: h.beta1, beta2: h.beta2,
                                                                            eps: h.eps, weightDecay: h.weight_decay, maxGradNorm: h.clip))
        let tensors = g.adapter.layout.tensors, refLosses = g.golden.floats("train_losses")
        var worstLoss: Float = 0
        for k in 0..<h.steps {
            let loss = try g.lossAndBackward()
            let norm = gradientNorm(g.adapter.grads, tensors: tensors)
            optimizer.update(params: g.adapter.params, grads: g.adapter.grads, tensors: tensors, lr: h.lr,
                             gradScale: clipScale(norm: norm, maxNorm: h.clip))
            worstLoss = max(worstLoss, abs(loss - refLosses[k]))
        }
        var worst: Float = 0
        for t in tensors { worst = max(worst, maxDifference(UnsafeBufferPointer(g.adapter.params.view(t.name)), g.golden.floats("final." + t.name)).abs) }
        print("\(name) LoRA 3 AdamW steps: loss |diff| = \(worstLoss), final A/B |diff| = \(worst)")
        #expect(worstLoss < 1e-4)
        #expect(worst < 1e-4)
        #expect(Array(UnsafeBufferPointer(start: g.params.base, count: g.params.layout.totalCount)) == before, "the base weights changed")
    }

    @Test(arguments: models)
    func mergingEqualsPeftsMergeAndUnloadAndGivesTheAdaptedLogits(_ name: String) throws {
        let g = try LoRAGolden(name)
        g.adapter.merge(into: g.params)
        var worst: Float = 0, count = 0
        for key in g.golden.meta.tensors.keys where key.hasPrefix("merged.") {
            let tensor = String(key.dropFirst("merged.".count))
            worst = max(worst, maxDifference(UnsafeBufferPointer(g.params.view(tensor)), g.golden.floats(key)).abs)
            count += 1
        }
        #expect(count >= 8)
        print("\(name) merged weights: max |diff| = \(worst) over \(count) tensors")
        #expect(worst < 1e-5)
        g.adapter.enabled = false   // the merged base alone now computes the adapted model
        let d = try g.worstLogitDifference()
        #expect(d < 1e-4, "\(name): merged logits differ from peft by \(d)")
    }

    @Test(arguments: models)
    func aHiloSavedAdapterHasPeftsKeysShapesAndConfigAndLoadsBackIdentically(_ name: String) throws {
        let g = try LoRAGolden(name)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-lora-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        try g.adapter.save(to: out)
        let peftFile = try SafeTensorsFile(url: LoRAGolden.fixtures.appendingPathComponent(name + "_adapter/adapter_model.safetensors"))
        let mine = try SafeTensorsFile(url: out.appendingPathComponent("adapter_model.safetensors"))
        #expect(Set(mine.names) == Set(peftFile.names))
        for key in peftFile.names {
            #expect(mine.info(key)?.shape == peftFile.info(key)?.shape)
            #expect(try mine.floats(key) == peftFile.floats(key), "\(key) changed in the round trip")
        }
        let config = try LoRAAdapter.readConfig(at: out)
        #expect(config == g.adapter.config)
        let again = try LoRAGolden(name, adapterFolder: out)
        #expect(try again.worstLogitDifference() < 1e-4)
    }
}
