// The LM head on the final hidden states: logits = h · Wᵀ with W = embed_tokens (tied) or
// lm_head [V, C]. The next-token cross-entropy is fused as GPT-2's is: logits are made one chunk
// of rows at a time and turned into their gradient in place, so [B, T, V] (V = 151936 for Qwen)
// never exists in memory. Each backward adds into `hiddenGradient` and the head's weight gradient;
// then call `backward()`.
import Foundation

extension Llama {
    private var workspace: LlamaActivations {
        guard let a = acts, batch > 0 else { preconditionFailure("call forward first") }
        return a
    }

    /// logits[rows, V] = hidden[rows, C] · Wᵀ
    private func headForward(_ out: UnsafeMutablePointer<Float>, _ hidden: UnsafePointer<Float>, rows: Int) {
        let V = config.vocabSize, C = config.hiddenSize
        BLASThreads.engine { sgemm(transB: true, M: rows, N: V, K: C, hidden, lda: C, headWeight, ldb: C, beta: 0, out, ldc: V) }
    }

    /// dhidden[rows, C] += dlogits · W;  dW += dlogitsᵀ · hidden.
    private func headBackward(_ dhidden: UnsafeMutablePointer<Float>, _ dlogits: UnsafePointer<Float>,
                              _ hidden: UnsafePointer<Float>, rows: Int) {
        let V = config.vocabSize, C = config.hiddenSize
        BLASThreads.engine {
            sgemm(M: rows, N: C, K: V, dlogits, lda: V, headWeight, ldb: C, beta: 1, dhidden, ldc: C)
            sgemm(transA: true, M: V, N: C, K: rows, dlogits, lda: V, hidden, ldb: C, beta: 1, headGradient, ldc: C)
        }
    }

    /// Cross-entropy of next-token targets [B·T] (negative = not scored: padding, prompt), scaled by
    /// `scale` (1/number of scored tokens for a mean). Returns scale · Σ −log p(target) and adds the
    /// gradient into `hiddenGradient` and the head's weight gradient.
    public func crossEntropyBackward(targets: UnsafeBufferPointer<Int32>, scale: Float) throws -> Float {
        let a = workspace
        let BT = batch * seq, V = config.vocabSize, C = config.hiddenSize
        guard targets.count == BT else { throw EngineError.invalidInput("expected \(BT) targets, got \(targets.count)") }
        if let bad = targets.first(where: { $0 >= Int32(V) }) {
            throw EngineError.invalidInput("target id \(bad) is outside the vocabulary (0..<\(V))")
        }
        a.targets.update(from: targets.baseAddress!, count: BT)
        // Equal chunks no larger than the workspace's.
        let limit = min(a.headChunkRows, headChunkLimit ?? .max), chunks = (BT + limit - 1) / limit
        let R = (BT + chunks - 1) / chunks
        var r0 = 0
        while r0 < BT {
            let n = min(R, BT - r0)
            headForward(a.headChunk, a.lnf + r0 * C, rows: n)
            crossEntropyForwardBackward(a.headChunk, a.rowStat + r0, a.targets + r0, rows: n, V: V, scale: scale)
            headBackward(a.dHidden + r0 * C, a.headChunk, a.lnf + r0 * C, rows: n)
            r0 += n
        }
        var loss: Double = 0
        for i in 0..<BT { loss += Double(a.rowStat[i]) }
        return Float(loss)
    }

    /// `crossEntropyBackward` on a Swift array.
    public func crossEntropyBackward(targets: [Int32], scale: Float) throws -> Float {
        try targets.withUnsafeBufferPointer { try crossEntropyBackward(targets: $0, scale: scale) }
    }

    /// Writes the full logits [B, T, V] of the last forward into `out` (the caller owns the buffer).
    public func logits(into out: UnsafeMutablePointer<Float>) {
        headForward(out, workspace.lnf, rows: batch * seq)
    }

    /// The backward from d(loss)/d(logits) [B, T, V] into `hiddenGradient` and the head's gradient.
    public func logitsBackward(_ dlogits: UnsafePointer<Float>) {
        let a = workspace
        headBackward(a.dHidden, dlogits, a.lnf, rows: batch * seq)
    }
}
