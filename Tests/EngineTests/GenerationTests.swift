// Generation with the KV cache: greedy output identical to transformers' generate, the chosen
// tokens' log-probabilities, sampling controls, stopping, and bad prompts.
import Foundation
import Testing
@testable import Engine

@Suite struct GenerationTests {
    let g = Golden.shared

    @Test func batchedGreedyGenerationOfUnequalPromptsEqualsTransformers() throws {
        let gen = Generator(model: try g.model())
        var rng = SeededRNG(seed: 0)
        let out = try gen.generate(prompts: [g.ints("gen0.prompt"), g.ints("gen1.prompt")],
                                   config: SamplingConfig(maxNewTokens: 8, greedy: true), rng: &rng)
        var worst: Float = 0
        for i in 0..<2 {
            #expect(out[i].tokens == g.ints("gen\(i).tokens"), "row \(i): \(out[i].tokens) vs \(g.ints("gen\(i).tokens"))")
            worst = max(worst, zip(out[i].logprobs, g.floats("gen\(i).logprobs")).map { abs($0 - $1) }.max()!)
            #expect(out[i].finishReason == .length)
        }
        print("greedy generation: identical tokens, chosen-token logprob max |diff| = \(worst)")
        #expect(worst < 1e-4)
    }

    /// Each way the step multiplies several rows (the OpenBLAS core picks one; here all are forced).
    @Test(arguments: DecodeProductPath.allCases)
    func greedyBatchOfFiveTakesEachProductPathAndStillEqualsTransformersRowByRow(path: DecodeProductPath) throws {
        let gen = Generator(model: try g.model())
        gen.productPath = path
        var rng = SeededRNG(seed: 0)
        let p0 = g.ints("gen0.prompt"), p1 = g.ints("gen1.prompt")
        let out = try gen.generate(prompts: [p0, p1, p0, p1, p0], config: SamplingConfig(maxNewTokens: 8, greedy: true), rng: &rng)
        var worst: Float = 0
        for (i, row) in out.enumerated() {
            let name = "gen\(i % 2)"
            #expect(row.tokens == g.ints("\(name).tokens"), "row \(i): \(row.tokens) vs \(g.ints("\(name).tokens"))")
            worst = max(worst, zip(row.logprobs, g.floats("\(name).logprobs")).map { abs($0 - $1) }.max()!)
        }
        print("greedy generation, batch 5, \(path): identical tokens, chosen-token logprob max |diff| = \(worst)")
        #expect(worst < 1e-4)
    }

    @Test(arguments: DecodeProductPath.allCases)
    func batchOfEightWithChunkedProductsGivesTheLogprobsOfAFullForwardPerRow(path: DecodeProductPath) throws {
        // Wide enough that the LM head's sgemm runs in several chunks per thread (144 vocabulary rows
        // each) and the block products' K slabs take several blocks (c_fc's 128-row slab: 2 small-matrix blocks, 8 sgemv blocks).
        let model = try GPT2(config: GPT2Config(vocabSize: 4096, nPositions: 16, nEmbd: 256, nLayer: 1, nHead: 4))
        var rng = SeededRNG(seed: 5)
        model.initializeWeights(rng: &rng)
        let prompts = (0..<8).map { r in (0..<(3 + r % 3)).map { t in Int32((r * 131 + t * 17) % 4096) } }
        let gen = Generator(model: model)
        gen.productPath = path
        let out = try gen.generate(prompts: prompts, config: SamplingConfig(maxNewTokens: 6), rng: &rng)
        var worst: Float = 0
        for (prompt, row) in zip(prompts, out) {
            #expect(row.tokens.count == 6)
            let all = prompt + row.tokens
            try model.forward(tokens: all, batch: 1, seq: all.count)
            let lp = try model.tokenLogprobs(targets: Array(all.dropFirst()) + [-1])
            worst = max(worst, zip(lp[(prompt.count - 1)..<(all.count - 1)], row.logprobs).map { abs($0 - $1) }.max()!)
        }
        print("batch-8 generation, \(path): cache logprobs vs full forward max |diff| = \(worst)")
        #expect(worst < 1e-4)
    }

    @Test func kvCacheLogprobsEqualAFullForwardOverTheGeneratedText() throws {
        let model = try g.model()
        let gen = Generator(model: model)
        var rng = SeededRNG(seed: 3)
        let prompt: [Int32] = [4, 7, 1]
        let out = try gen.generate(prompts: [prompt], config: SamplingConfig(maxNewTokens: 10, temperature: 1.3, topK: 20, topP: 0.9), rng: &rng)[0]
        let all = prompt + out.tokens
        try model.forward(tokens: all, batch: 1, seq: all.count)
        let lp = try model.tokenLogprobs(targets: Array(all.dropFirst()) + [-1])
        let tail = Array(lp[(prompt.count - 1)..<(all.count - 1)])
        let worst = zip(tail, out.logprobs).map { abs($0 - $1) }.max()!
        print("sampled generation: cache logprobs vs full forward max |diff| = \(worst)")
        #expect(worst < 1e-4)
    }

    @Test func samplingIsDeterministicForASeedAndTopKOneIsGreedy() throws {
        let gen = Generator(model: try g.model())
        let cfg = SamplingConfig(maxNewTokens: 12, temperature: 1.5)
        var a = SeededRNG(seed: 11), b = SeededRNG(seed: 11), c = SeededRNG(seed: 12)
        let p: [[Int32]] = [[1, 2, 3], [9]]
        let x = try gen.generate(prompts: p, config: cfg, rng: &a)
        #expect(x == (try gen.generate(prompts: p, config: cfg, rng: &b)))
        #expect(x != (try gen.generate(prompts: p, config: cfg, rng: &c)))
        let top1 = try gen.generate(prompts: p, config: SamplingConfig(maxNewTokens: 12, temperature: 2, topK: 1), rng: &a)
        let greedy = try gen.generate(prompts: p, config: SamplingConfig(maxNewTokens: 12, greedy: true), rng: &a)
        #expect(top1.map(\.tokens) == greedy.map(\.tokens))
    }

    @Test func generationStopsAtEosStopSequenceHookAndContextEnd() throws {
        let gen = Generator(model: try g.model())
        var rng = SeededRNG(seed: 0)
        let prompt = g.ints("gen0.prompt"), expected = g.ints("gen0.tokens")
        let eos = try gen.generate(prompts: [prompt], config: SamplingConfig(maxNewTokens: 8, greedy: true, eosTokenIds: [expected[2]]), rng: &rng)[0]
        #expect(eos.tokens == Array(expected[0...2]) && eos.finishReason == .eos)
        let stop = try gen.generate(prompts: [prompt], config: SamplingConfig(maxNewTokens: 8, greedy: true, stopSequences: [[expected[0], expected[1]]]), rng: &rng)[0]
        #expect(stop.tokens == Array(expected[0...1]) && stop.finishReason == .stopSequence)
        let hook = try gen.generate(prompts: [prompt], config: SamplingConfig(maxNewTokens: 8, greedy: true), rng: &rng) { _, t in t.count == 2 }[0]
        #expect(hook.tokens.count == 2 && hook.finishReason == .stopHook)
        let long = [Int32](repeating: 5, count: 30)
        let full = try gen.generate(prompts: [long], config: SamplingConfig(maxNewTokens: 8, greedy: true), rng: &rng)[0]
        #expect(full.tokens.count == 3 && full.finishReason == .contextFull)
    }

    @Test func promptLongerThanContextOrEmptyIsAClearError() throws {
        let gen = Generator(model: try g.model())
        var rng = SeededRNG(seed: 0)
        #expect(throws: EngineError.invalidInput("prompt 0 has 33 tokens, more than the model's n_positions (32)")) {
            try gen.generate(prompts: [[Int32](repeating: 1, count: 33)], config: SamplingConfig(), rng: &rng)
        }
        #expect(throws: EngineError.self) { try gen.generate(prompts: [[]], config: SamplingConfig(), rng: &rng) }
        #expect(throws: EngineError.self) { try gen.generate(prompts: [[1]], config: SamplingConfig(temperature: 0), rng: &rng) }
    }
}
