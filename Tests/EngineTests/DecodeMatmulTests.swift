// The decoding step's split products against one plain whole-matrix sgemm: partial products over
// blocks of the inner dimension (1 to 3 parts, so empty and ragged blocks occur) summed by column
// blocks with bias, residual and GELU, exactly as a DecodeTeam step combines them; the LM head's
// logits against wte's product; and the team's barrier.
import COpenBLAS
import Foundation
import Testing
@testable import Engine

@Suite struct DecodeMatmulTests {
    /// out[rows, outC] = residual + inp · weight + bias, then GELU, by one cblas_sgemm and scalar loops.
    static func reference(_ inp: [Float], _ weight: [Float], _ bias: [Float], residual: [Float]?, gelu: Bool,
                          rows: Int, inC: Int, outC: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * outC)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(outC), Int32(inC), 1, inp, Int32(inC),
                    weight, Int32(outC), 0, &out, Int32(outC))
        for i in 0..<rows { for j in 0..<outC {
            var v = out[i * outC + j] + bias[j] + (residual?[i * outC + j] ?? 0)
            if gelu { v = 0.5 * v * (1 + tanhf(0.797_884_56 * (v + 0.044_715 * v * v * v))) }
            out[i * outC + j] = v
        } }
        return out
    }

    /// The step's way: part p multiplies K block p into its partial; the sum runs over column blocks.
    static func split(_ inp: [Float], _ weight: [Float], _ bias: [Float], residual: [Float]?, gelu: Bool,
                      rows: Int, inC: Int, outC: Int, parts: Int, path: DecodeProductPath) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * outC)
        let stride = rows * outC + 5   // slices need not be adjacent
        var partials = [Float](repeating: .nan, count: parts * stride)
        partials.withUnsafeMutableBufferPointer { pb in
            for p in 0..<parts {
                decodePartialProduct(pb.baseAddress! + p * stride, inp, lda: inC, weight, rows: rows, outC: outC,
                                     k: Parallel.block(inC, part: p, of: parts), path: path)
            }
            out.withUnsafeMutableBufferPointer { ob in
                for p in 0..<parts {
                    let cols = (outC * p / parts)..<(outC * (p + 1) / parts)   // not multiples of 16
                    (residual ?? []).withUnsafeBufferPointer { r in
                        decodeSumPartials(ob.baseAddress!, base: residual == nil ? nil : r.baseAddress, bias, pb.baseAddress!,
                                          count: parts, partialStride: stride, rows: rows, outC: outC, cols: cols)
                    }
                    if gelu {
                        for i in 0..<rows { geluForward(ob.baseAddress! + i * outC + cols.lowerBound,
                                                        ob.baseAddress! + i * outC + cols.lowerBound, count: cols.count) }
                    }
                }
            }
        }
        return out
    }

    /// Every path (whole slab, small-matrix blocks, sgemv blocks): (768, 2304), (3072, 768) and
    /// (1000, 1000) make the blocked paths take several blocks per slab, the last one ragged.
    @Test(arguments: [1, 2, 3, 4, 8, 16], DecodeProductPath.allCases)
    func innerDimensionSplitEqualsOneWholeSgemmForOddShapesWithResidualAndGeluOrReportsTheDifference(
        rows: Int, path: DecodeProductPath) {
        var rng = SeededRNG(seed: UInt64(rows))
        var worstAll: Float = 0
        for (inC, outC) in [(7, 769), (769, 7), (768, 2304), (3072, 768), (33, 48), (1000, 1000)] {
            let scale = 1 / Float(inC).squareRoot()
            let inp = (0..<rows * inC).map { _ in rng.nextNormal() }
            let weight = (0..<inC * outC).map { _ in rng.nextNormal() * scale }
            let bias = (0..<outC).map { _ in rng.nextNormal() * 0.1 }
            let residual = (0..<rows * outC).map { _ in rng.nextNormal() }
            for (withResidual, gelu) in [(false, false), (true, false), (false, true)] {
                let r = withResidual ? residual : nil
                let want = Self.reference(inp, weight, bias, residual: r, gelu: gelu, rows: rows, inC: inC, outC: outC)
                BLASThreads.engine {
                    for parts in 1...3 {
                        let got = Self.split(inp, weight, bias, residual: r, gelu: gelu, rows: rows, inC: inC, outC: outC, parts: parts,
                                             path: path)
                        let worst = zip(got, want).map { abs($0 - $1) }.max()!
                        worstAll = max(worstAll, worst)
                        #expect(worst < 2e-5, "\(path), rows \(rows), \(inC)→\(outC), residual \(withResidual), gelu \(gelu), \(parts) parts: max |diff| \(worst)")
                    }
                }
            }
        }
        print("decode K-split products, \(path), rows \(rows): max |diff| vs one sgemm = \(worstAll)")
    }

    @Test(arguments: [1, 2, 3, 4, 8, 16])
    func decodeLogitsEqualOneSgemmAgainstTransposedWteOrReportTheDifference(rows: Int) {
        var rng = SeededRNG(seed: 100 + UInt64(rows))
        for (C, V) in [(7, 769), (64, 1000)] {
            let x = (0..<rows * C).map { _ in rng.nextNormal() }
            let wte = (0..<V * C).map { _ in rng.nextNormal() / Float(C).squareRoot() }
            var want = [Float](repeating: 0, count: rows * V)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(V), Int32(C), 1, x, Int32(C),
                        wte, Int32(C), 0, &want, Int32(V))
            var got = [Float](repeating: .nan, count: rows * V)
            BLASThreads.engine { decodeLogits(&got, x, wte, rows: rows, C: C, V: V) }
            let worst = zip(got, want).map { abs($0 - $1) }.max()!
            print("decode logits, rows \(rows), [\(V), \(C)]: max |diff| = \(worst)")
            #expect(worst < 1e-5, "rows \(rows) [\(V), \(C)]: max |diff| \(worst)")
        }
    }

    @Test(arguments: [1, 2, 3])
    func teamBarrierMakesEveryThreadsWritesVisibleAndRunWaitsForAll(size: Int) {
        let team = DecodeTeam(size: size)
        defer { team.stop() }
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: size)
        defer { slots.deallocate() }
        var wrong = 0
        let wrongs = UnsafeMutablePointer<Int>.allocate(capacity: size)
        defer { wrongs.deallocate() }
        for run in 0..<20 {
            wrongs.update(repeating: 0, count: size)
            team.run { t in
                for round in 0..<200 {
                    slots[t] = run * 1000 + round
                    team.barrier()
                    for u in 0..<size where slots[u] != run * 1000 + round { wrongs[t] += 1 }
                    team.barrier()   // nobody overwrites a slot before everyone has read it
                }
            }
            wrong += (0..<size).reduce(0) { $0 + wrongs[$1] }
            #expect((0..<size).allSatisfy { slots[$0] == run * 1000 + 199 }, "run \(run): a thread had not finished")
        }
        #expect(wrong == 0, "\(wrong) stale reads after a barrier")
    }

    @Test func aOneThreadStepAndATeamStepGenerateTheSameTokensAndLogprobs() throws {
        let gen = Generator(model: try Golden.shared.model())
        let prompts: [[Int32]] = [[3, 1, 4], [1, 5], [9, 2, 6, 5], [3], [2, 7]]
        let cfg = SamplingConfig(maxNewTokens: 6, greedy: true)
        var rng = SeededRNG(seed: 3)
        let team = try gen.generate(prompts: prompts, config: cfg, rng: &rng)
        #expect(ThreadBudget.cores == 1 || gen.team?.size == ThreadBudget.cores, "the step ran on a team of every core")
        let previous = ThreadBudget.setLimit(1)
        defer { ThreadBudget.setLimit(previous) }
        let alone = try gen.generate(prompts: prompts, config: cfg, rng: &rng)
        #expect(gen.team?.size == 1)
        var worst: Float = 0
        for i in prompts.indices {
            #expect(team[i].tokens == alone[i].tokens, "row \(i)")
            worst = max(worst, zip(team[i].logprobs, alone[i].logprobs).map { abs($0 - $1) }.max() ?? 0)
        }
        print("team vs one-thread decoding: identical tokens, logprob max |diff| = \(worst)")
        #expect(worst < 1e-5)
    }
}
