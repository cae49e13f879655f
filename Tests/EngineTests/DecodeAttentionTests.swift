// The decoding step's kernels against the training path: decode attention for one new query
// against the full causal attention's last row, the fused greedy pick against a scalar scan, and
// packed decoding (rows that finish early drop out) against generating each row on its own.
import Foundation
import Testing
@testable import Engine

@Suite struct DecodeAttentionTests {
    @Test func decodeAttentionEqualsTheLastRowOfFullCausalAttentionOrReportsTheDifference() {
        let C = 64, NH = 4, T = 7, B = 3
        var rng = SeededRNG(seed: 4)
        var qkv = (0..<B * T * 3 * C).map { _ in rng.nextNormal() }
        var full = [Float](repeating: 0, count: B * T * C), att = [Float](repeating: 0, count: B * NH * T * T)
        attentionForward(&full, &att, &qkv, B: B, T: T, C: C, NH: NH)
        // Caches [B, T, C] from the k and v parts; each row's query is its last position, rows in reverse cache order.
        var k = [Float](repeating: 0, count: B * T * C), v = k
        for b in 0..<B { for t in 0..<T { for j in 0..<C {
            k[(b * T + t) * C + j] = qkv[(b * T + t) * 3 * C + C + j]; v[(b * T + t) * C + j] = qkv[(b * T + t) * 3 * C + 2 * C + j]
        } } }
        let rowOf = [2, 0, 1], pos = [T - 1, T - 1, T - 1]
        var q = [Float](repeating: 0, count: B * 3 * C)
        for (i, b) in rowOf.enumerated() { for j in 0..<C { q[i * 3 * C + j] = qkv[(b * T + T - 1) * 3 * C + j] } }
        var out = [Float](repeating: 0, count: B * C), scratch = [Float](repeating: 0, count: Parallel.width * T)
        decodeAttentionForward(&out, q, k, v, cacheRow: rowOf, pos: pos, rows: B, stride: T, C: C, NH: NH, scratch: &scratch)
        var worst: Float = 0
        for (i, b) in rowOf.enumerated() { for j in 0..<C { worst = max(worst, abs(out[i * C + j] - full[(b * T + T - 1) * C + j])) } }
        print("decode attention vs full attention: max |diff| = \(worst)")
        #expect(worst < 1e-5)
    }

    @Test func greedyPickIsTheFirstMaximumAndItsLogSumExpIsExact() {
        var rng = SeededRNG(seed: 8)
        for n in [1, 15, 16, 17, 100, 8192 + 5] {
            var x = (0..<n).map { _ in (rng.nextNormal() * 4).rounded() }   // many ties
            let (i, lse) = argmaxLogSumExp(&x, n)
            var best = 0
            for j in 1..<n where x[j] > x[best] { best = j }
            #expect(i == best, "n = \(n): picked \(i), scalar scan \(best)")
            #expect(lse == logSumExp(&x, n), "n = \(n)")
        }
    }

    @Test func packedBatchWithRowsEndingEarlyEqualsEachRowAlone() throws {
        let gen = Generator(model: try Golden.shared.model())
        let prompts: [[Int32]] = [[3, 1, 4], [1, 5], [9, 2, 6, 5], [3]]
        // Greedy tokens of row 0 alone, and a stop sequence that ends some rows early.
        var rng = SeededRNG(seed: 1)
        let cfg = SamplingConfig(maxNewTokens: 10, temperature: 0.9, topP: 0.9)
        let alone0 = try gen.generate(prompts: [prompts[0]], config: SamplingConfig(maxNewTokens: 10, greedy: true), rng: &rng)[0]
        let eosCfg = SamplingConfig(maxNewTokens: 10, greedy: true, eosTokenIds: [alone0.tokens[3]])
        let batch = try gen.generate(prompts: prompts, config: eosCfg, rng: &rng)
        var worst: Float = 0
        for (i, p) in prompts.enumerated() {
            let single = try gen.generate(prompts: [p], config: eosCfg, rng: &rng)[0]
            #expect(batch[i].tokens == single.tokens && batch[i].finishReason == single.finishReason, "row \(i)")
            worst = max(worst, zip(batch[i].logprobs, single.logprobs).map { abs($0 - $1) }.max() ?? 0)
        }
        #expect(batch[0].finishReason == .eos && batch[0].tokens.count <= 4 && batch[0].tokens.last == alone0.tokens[3])
        print("packed batch vs rows alone: identical tokens, logprob max |diff| = \(worst)")
        #expect(worst < 1e-4)
        // Sampling draws one uniform per unfinished row in row order: the same seed gives the same batch.
        var r1 = SeededRNG(seed: 5), r2 = SeededRNG(seed: 5)
        #expect(try gen.generate(prompts: prompts, config: cfg, rng: &r1) == gen.generate(prompts: prompts, config: cfg, rng: &r2))
    }
}
