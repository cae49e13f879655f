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
            if lora == nil { sgemm(transA: true, M: V, N: C, K: rows, dlogits, lda: V, hidden, ldb: C, beta: 1, headGradient, ldc: C) }
        }
    }

    /// Cross-entropy of next-token targets [B·T] (negative = not scored: padding, prompt), scaled by
    /// `scale` (1/number of scored tokens for a mean). Returns scale · Σ −log p(target) and adds the
    /// gradient into `hiddenGradient` and the head's weight gradient.
    public func crossEntropyBackward(targets: UnsafeBufferPointer<Int32>, scale: Float) throws -> Float {
        let a = workspace, BT = batch * seq
        try storeNextTokenTargets(targets, rows: BT, vocabSize: config.vocabSize, into: a.targets)
        return chunkedCrossEntropyBackward(rows: BT, chunk: lmHeadChunkRows(rows: BT, limit: min(a.headChunkRows, headChunkLimit ?? .max)),
                                           V: config.vocabSize, C: config.hiddenSize, hidden: a.lnf, dHidden: a.dHidden,
                                           logits: a.headChunk, rowLoss: a.rowStat, targets: a.targets, scale: scale,
                                           head: { headForward($0, $1, rows: $2) }, headBackward: { headBackward($0, $1, $2, rows: $3) })
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
