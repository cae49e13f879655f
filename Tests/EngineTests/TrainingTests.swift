// The training core beyond the goldens: layer freezing, gradient accumulation, the heads for
// external losses (log-probs, full logits, score) agreeing with each other, schedules, errors.
import Foundation
import Testing
@testable import Engine

private func snapshot(_ b: ParameterBuffer, _ name: String) -> [Float] { Array(b.view(name)) }

private func maxAbs(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

@Suite struct TrainingTests {
    let g = Golden.shared
    var batch: TokenBatch {
        TokenBatch(rows: g.meta.batch[0], width: g.meta.batch[1], inputIds: g.ints("ids").map(Int.init), targets: g.ints("targets").map(Int.init))
    }

    private func fullGradients() throws -> GPT2 {
        let m = try g.model()
        try m.forward(batch)
        _ = try m.crossEntropyBackward(targets: batch.targets32, scale: 1 / Float(batch.scoredCount))
        m.backward()
        return m
    }

    @Test func frozenLowerBlocksGetNoGradientAndTheRestMatchTheFullBackward() throws {
        let full = try fullGradients()
        let m = try g.model()
        m.freezing = Freezing(trainableBlocks: 1, trainEmbeddings: false)
        try m.forward(batch)
        _ = try m.crossEntropyBackward(targets: batch.targets32, scale: 1 / Float(batch.scoredCount))
        m.backward()
        var worst: Float = 0
        for t in m.layout.tensors {
            if m.isTrainable(t) {
                worst = max(worst, maxAbs(snapshot(m.grads, t.name), snapshot(full.grads, t.name)))
            } else {
                #expect(snapshot(m.grads, t.name).allSatisfy { $0 == 0 }, "\(t.name) is frozen but got a gradient")
            }
        }
        print("frozen step: trainable gradients max |diff| vs full backward = \(worst)")
        #expect(worst < 1e-6)
        #expect(m.layout.tensors.filter { m.isTrainable($0) }.map(\.name).allSatisfy { $0.hasPrefix("h.1.") || $0.hasPrefix("ln_f") })
    }

    @Test func frozenStepLeavesFrozenTensorsBitIdentical() throws {
        let m = try g.model()
        m.freezing = Freezing(trainableBlocks: 1, trainEmbeddings: true)
        let before = m.layout.tensors.map { snapshot(m.params, $0.name) }
        let trainer = OptimizedModel(model: m, adamW: AdamWConfig(learningRate: 1e-2))
        try trainer.languageModelStep([batch], lr: LRSchedule(peak: 1e-2, totalSteps: 1).learningRate(at: 0))
        for (t, old) in zip(m.layout.tensors, before) {
            let changed = snapshot(m.params, t.name) != old
            #expect(changed == m.isTrainable(t), "\(t.name): changed \(changed), trainable \(m.isTrainable(t))")
        }
        // wte trains through the tied LM head; wpe and block 0 stay fixed.
        #expect(m.isTrainable(m.layout["wte.weight"]) && !m.isTrainable(m.layout["wpe.weight"]))
    }

    @Test func twoMicroBatchesGiveTheSameStepAsOneBatch() throws {
        let seqs: [[Int]] = [[1, 5, 9, 3, 7, 2], [4, 4, 8, 1], [9, 2, 6, 6, 6, 1, 3, 5], [7, 3, 1]]
        let one = try g.model(), two = try g.model()
        let cfg = AdamWConfig(learningRate: 1e-2, weightDecay: 0.1, maxGradNorm: 0.5)
        let s = LRSchedule(peak: 1e-2, totalSteps: 2)
        let t1 = OptimizedModel(model: one, adamW: cfg), t2 = OptimizedModel(model: two, adamW: cfg)
        let r1 = try t1.languageModelStep([try TokenBatch(sequences: seqs)], lr: s.learningRate(at: 0))
        let r2 = try t2.languageModelStep([try TokenBatch(sequences: Array(seqs[0..<2])), try TokenBatch(sequences: Array(seqs[2...]))],
                                          lr: s.learningRate(at: 0))
        // The (clipped) gradients the step used; weights are not compared because the attention key
        // bias has a zero gradient in theory and Adam turns its float noise into O(lr) steps.
        var worst: Float = 0
        for t in one.layout.tensors { worst = max(worst, maxAbs(snapshot(one.grads, t.name), snapshot(two.grads, t.name))) }
        print("accumulation: loss \(r1.loss) vs \(r2.loss), norm \(r1.gradNorm) vs \(r2.gradNorm), gradients max |diff| = \(worst)")
        #expect(abs(r1.loss - r2.loss) < 1e-6)
        #expect(abs(r1.gradNorm - r2.gradNorm) < 1e-5)
        #expect(r1.tokens == r2.tokens && r1.tokens == 17)
        #expect(worst < 1e-6)
    }

    @Test func logprobAndLogitsHeadsReproduceCrossEntropyAndItsGradients() throws {
        let ref = try fullGradients()
        let n = Float(batch.scoredCount)
        // log-probs: the loss is −Σ logprob / n, so d(loss)/d(logprob) = −1/n on scored positions.
        let m = try g.model()
        try m.forward(batch)
        let lp = try m.tokenLogprobs(targets: batch.targets32)
        let loss = -lp.reduce(0, +) / n
        m.logprobBackward(weights: batch.targets.map { $0 >= 0 ? -1 / n : 0 })
        m.backward()
        #expect(abs(loss - g.floats("loss")[0]) < 1e-5)
        // Full logits: the caller computes softmax − onehot itself.
        let m2 = try g.model()
        try m2.forward(batch)
        let V = m2.config.vocabSize
        var logits = [Float](repeating: 0, count: batch.inputIds.count * V)
        logits.withUnsafeMutableBufferPointer { m2.logits(into: $0.baseAddress!) }
        for (i, y) in batch.targets.enumerated() {
            let row = Array(logits[(i * V)..<((i + 1) * V)]), mx = row.max()!
            let z = row.map { exp($0 - mx) }.reduce(0, +)
            for v in 0..<V { logits[i * V + v] = y < 0 ? 0 : (exp(row[v] - mx) / z - (v == Int(y) ? 1 : 0)) / n }
        }
        logits.withUnsafeBufferPointer { m2.logitsBackward($0.baseAddress!) }
        m2.backward()
        var w1: Float = 0, w2: Float = 0
        for t in m.layout.tensors {
            w1 = max(w1, maxAbs(snapshot(m.grads, t.name), snapshot(ref.grads, t.name)))
            w2 = max(w2, maxAbs(snapshot(m2.grads, t.name), snapshot(ref.grads, t.name)))
        }
        print("logprob head grads max |diff| = \(w1), logits head = \(w2)")
        #expect(w1 < 1e-6 && w2 < 1e-6)
    }

    @Test func lmHeadInSeveralChunksGivesTheSameLossLogprobsAndGradients() throws {
        let ref = try fullGradients()
        let m = try g.model()
        m.headChunkLimit = 5  // 36 rows in 8 chunks of at most 5
        try m.forward(batch)
        let loss = try m.crossEntropyBackward(targets: batch.targets32, scale: 1 / Float(batch.scoredCount))
        m.backward()
        #expect(abs(loss - g.floats("loss")[0]) < 1e-5)
        var worst: Float = 0
        for t in m.layout.tensors { worst = max(worst, maxAbs(snapshot(m.grads, t.name), snapshot(ref.grads, t.name))) }
        let lp = try m.tokenLogprobs(targets: batch.targets32)
        #expect(abs(-lp.reduce(0, +) / Float(batch.scoredCount) - loss) < 1e-5)
        print("chunked LM head: loss \(loss), gradients max |diff| vs one chunk = \(worst)")
        #expect(worst < 1e-6)
    }

    @Test func scoreHeadGradientMatchesFiniteDifferences() throws {
        var config = g.config; config.numLabels = 1
        let m = try GPT2(config: config, scoreHead: true)
        var rng = SeededRNG(seed: 7)
        m.initializeWeights(rng: &rng, std: 0.2)
        let tokens: [Int32] = [3, 8, 1, 0, 5, 5, 2, 9], last = [2, 3]
        func score() throws -> Float {
            try m.forward(tokens: tokens, batch: 2, seq: 4)
            return m.scores(at: last).reduce(0, +)
        }
        m.zeroGradients()
        _ = try score()
        m.scoreBackward([1, 1], at: last)
        m.backward()
        var worst: Float = 0
        for (name, i) in [("score.weight", 3), ("ln_f.bias", 1), ("h.0.mlp.c_fc.weight", 17), ("wte.weight", 40), ("wpe.weight", 33)] {
            let p = m.params[name] + i, old = p.pointee, eps: Float = 1e-2
            p.pointee = old + eps; let up = try score()
            p.pointee = old - eps; let down = try score()
            p.pointee = old
            let numeric = (up - down) / (2 * eps), analytic = m.grads[name][i]
            worst = max(worst, abs(numeric - analytic) / (abs(numeric) + 1e-2))
        }
        print("score head: max rel diff vs finite differences = \(worst)")
        #expect(worst < 1e-2)
    }

    @Test func trainingIsBitIdenticalForTheSameSeed() throws {
        let c = GPT2Config(vocabSize: 64, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 2)
        func run() throws -> [Float] {
            let m = try GPT2(config: c)
            var rng = SeededRNG(seed: 5)
            m.initializeWeights(rng: &rng)
            let seqs = (0..<3).map { _ in (0..<12).map { _ in Int(rng.next() % 64) } }
            let t = OptimizedModel(model: m, adamW: AdamWConfig(learningRate: 1e-2))
            let s = LRSchedule(peak: 1e-2, warmupSteps: 1, totalSteps: 3)
            for k in 0..<3 { try t.languageModelStep([try TokenBatch(sequences: seqs)], lr: s.learningRate(at: k)) }
            return Array(UnsafeBufferPointer(start: m.params.base, count: m.layout.totalCount))
        }
        let a = try run(), b = try run()
        #expect(a == b)
    }

    @Test func scheduleWarmsUpLinearlyThenDecaysToTheFloor() {
        let s = LRSchedule(peak: 1, warmupSteps: 4, totalSteps: 14, decay: .cosine, minLR: 0.1)
        #expect(s.learningRate(at: 0) == 0.25 && s.learningRate(at: 3) == 1)
        #expect(abs(s.learningRate(at: 9) - 0.55) < 1e-6 && abs(s.learningRate(at: 14) - 0.1) < 1e-6)
        let lin = LRSchedule(peak: 1, totalSteps: 10, decay: .linear, minLR: 0)
        #expect(abs(lin.learningRate(at: 5) - 0.5) < 1e-6)
    }

    @Test func seededInitIsDeterministicAndScalesResidualProjections() throws {
        let c = GPT2Config(vocabSize: 50, nPositions: 16, nEmbd: 64, nLayer: 8, nHead: 4)
        let a = try GPT2(config: c), b = try GPT2(config: c)
        var r1 = SeededRNG(seed: 42), r2 = SeededRNG(seed: 42)
        a.initializeWeights(rng: &r1); b.initializeWeights(rng: &r2)
        #expect(snapshot(a.params, "h.3.mlp.c_fc.weight") == snapshot(b.params, "h.3.mlp.c_fc.weight"))
        func std(_ v: [Float]) -> Float { (v.map { $0 * $0 }.reduce(0, +) / Float(v.count)).squareRoot() }
        #expect(abs(std(snapshot(a.params, "h.0.mlp.c_fc.weight")) - 0.02) < 0.001)
        #expect(abs(std(snapshot(a.params, "h.0.mlp.c_proj.weight")) - 0.02 / 4) < 0.0005)
        #expect(snapshot(a.params, "h.0.ln_1.weight").allSatisfy { $0 == 1 })
    }

    @Test func badInputThrowsClearErrorsInsteadOfCrashing() throws {
        let m = try g.model()
        #expect(throws: EngineError.invalidInput("sequence of 33 tokens is longer than the model's n_positions (32)")) {
            try m.forward(tokens: [Int32](repeating: 1, count: 33), batch: 1, seq: 33)
        }
        #expect(throws: EngineError.invalidInput("token id 96 is outside the vocabulary (0..<96)")) {
            try m.forward(tokens: [1, 96], batch: 1, seq: 2)
        }
        #expect(throws: EngineError.self) { try TokenBatch(sequences: [[]]) }
        #expect(throws: EngineError.self) { try GPT2(config: GPT2Config(vocabSize: 10, nPositions: 8, nEmbd: 10, nLayer: 1, nHead: 3)) }
    }
}
