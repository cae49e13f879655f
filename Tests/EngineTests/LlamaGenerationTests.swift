// Llama-family generation with the KV cache against transformers' greedy `generate`
// (make_llama_generate_golden.py): each tiny model (GQA with a tied head, a NoPE layer, biases
// with an untied head, q/k norms with head_dim ≠ hidden/heads) generates three prompts of
// different lengths as one right-padded batch; every new token must be transformers' and every
// step's logits within 1e-5 of its (transformers ran each prompt alone, so padding must not leak).
import Foundation
import Testing
@testable import Engine

@Suite struct LlamaGenerationTests {
    @Test(arguments: LlamaGoldenTests.models)
    func greedyBatchedGenerationMatchesTransformersTokensAndLogits(_ name: String) throws {
        let g = try LlamaGolden(name)
        let ref = Golden.load("llama/\(name)_generate")
        let n = ref.meta.batch[0], steps = ref.meta.batch[1], V = g.model.config.vocabSize
        let prompts = (0..<n).map { ref.ints("prompt.\($0)") }
        let gen = Generator(model: g.model)
        var rng = SeededRNG(seed: 1)
        let out = try gen.generate(prompts: prompts, config: SamplingConfig(maxNewTokens: steps, greedy: true), rng: &rng)
        var worst: Float = 0
        for i in 0..<n {
            #expect(out[i].tokens == ref.ints("tokens.\(i)"), "\(name) prompt \(i): tokens differ from transformers")
            #expect(out[i].finishReason == .length)
            // The reported log-probabilities are log-softmax of transformers' logits at the chosen tokens.
            let logits = ref.floats("logits.\(i)")
            for (s, tok) in out[i].tokens.enumerated() {
                let row = Array(logits[(s * V)..<((s + 1) * V)])
                let m = row.max()!, lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
                worst = max(worst, abs(out[i].logprobs[s] - (row[Int(tok)] - lse)))
            }
        }
        print("\(name) generation: log-probs max |diff| = \(worst)")
        #expect(worst < 1e-5, "\(name): chosen-token log-probabilities differ from transformers' by \(worst)")
    }

    @Test(arguments: LlamaGoldenTests.models)
    func everyStepsLogitsMatchTransformers(_ name: String) throws {
        let g = try LlamaGolden(name)
        let ref = Golden.load("llama/\(name)_generate")
        let n = ref.meta.batch[0], steps = ref.meta.batch[1], V = g.model.config.vocabSize
        let gen = Generator(model: g.model)
        var worst: Float = 0
        for i in 0..<n {
            // One prompt, one step at a time: after each step the generator's logits are the next step's.
            var rng = SeededRNG(seed: 1)
            let prompt = ref.ints("prompt.\(i)"), logits = ref.floats("logits.\(i)")
            var seen = 0
            _ = try gen.generate(prompts: [prompt], config: SamplingConfig(maxNewTokens: steps, greedy: true), rng: &rng,
                                 shouldStop: { _, tokens in
                                     // Called after the step's token is chosen, before the next step overwrites logits.
                                     let s = tokens.count - 1
                                     for v in 0..<V { worst = max(worst, abs(gen.logits[v] - logits[s * V + v])) }
                                     seen += 1
                                     return false
                                 })
            #expect(seen == steps)
        }
        print("\(name) per-step logits: max |diff| = \(worst)")
        #expect(worst < 1e-5, "\(name): a step's logits differ from transformers' by \(worst)")
    }

    @Test func groupedQueryCacheHoldsKeyValueHeadsOnly() throws {
        let g = try LlamaGolden("llama3")
        let c = g.model.config
        #expect(c.numKeyValueHeads < c.numAttentionHeads)
        let gen = Generator(model: g.model)
        var rng = SeededRNG(seed: 1)
        _ = try gen.generate(prompts: [[5, 6, 7]], config: SamplingConfig(maxNewTokens: 2, greedy: true), rng: &rng)
        // Two cache tensors per layer, each [rows, len, kv_heads·head_dim] apart.
        #expect(gen.vCache[0] - gen.kCache[0] == gen.capacityRows * gen.capacityLen * c.kvDim)
    }
}
