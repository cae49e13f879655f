// The LM head on the final hidden states: logits = h · Wᵀ with W = embed_tokens (tied) or
// lm_head [V, C]. The next-token cross-entropy is fused as GPT-2's is: logits are made one chunk
// of rows at a time and turned into their gradient in place, so [B, T, V] (V = 151936 for Qwen)
// never exists in memory; so are per-token log-probabilities (Kernels/Heads.swift). The score head
// (reward and value models) reads one position per row. Each backward adds into `hiddenGradient`
// and the head's weight gradient; then call `backward()`.
import Foundation

extension Llama {
    private var workspace: LlamaActivations {
        guard let a = acts, batch > 0 else { preconditionFailure("call forward first") }
        return a
    }

    /// Rows per LM-head chunk for this batch.
    private func chunkRows(_ a: LlamaActivations) -> Int {
        lmHeadChunkRows(rows: batch * seq, limit: min(a.headChunkRows, headChunkLimit ?? .max))
    }

    /// logits[rows, V] = hidden[rows, C] · Wᵀ
    private func headForward(_ out: UnsafeMutablePointer<Float>, _ hidden: UnsafePointer<Float>, rows: Int) {
        precondition(languageModelHead, "this model has no LM head (a sequence-classification folder)")
        let V = config.vocabSize, C = config.hiddenSize
        BLASThreads.engine { sgemm(transB: true, M: rows, N: V, K: C, hidden, lda: C, headWeight, ldb: C, beta: 0, out, ldc: V) }
    }

    /// dhidden[rows, C] += dlogits · W;  dW += dlogitsᵀ · hidden (unless W is a frozen tied embedding).
    private func headBackward(_ dhidden: UnsafeMutablePointer<Float>, _ dlogits: UnsafePointer<Float>,
                              _ hidden: UnsafePointer<Float>, rows: Int) {
        let V = config.vocabSize, C = config.hiddenSize
        BLASThreads.engine {
            sgemm(M: rows, N: C, K: V, dlogits, lda: V, headWeight, ldb: C, beta: 1, dhidden, ldc: C)
            if headTrains && lora == nil {
                sgemm(transA: true, M: V, N: C, K: rows, dlogits, lda: V, hidden, ldb: C, beta: 1, headGradient, ldc: C)
            }
        }
    }

    /// Cross-entropy of next-token targets [B·T] (negative = not scored: padding, prompt), scaled by
    /// `scale` (1/number of scored tokens for a mean). Returns scale · Σ −log p(target) and adds the
    /// gradient into `hiddenGradient` and the head's weight gradient.
    public func crossEntropyBackward(targets: UnsafeBufferPointer<Int32>, scale: Float) throws -> Float {
        let a = workspace, BT = batch * seq
        try storeNextTokenTargets(targets, rows: BT, vocabSize: config.vocabSize, into: a.targets)
        logprobsReady = false; logitsCached = false   // rowStat now holds losses
        return chunkedCrossEntropyBackward(rows: BT, chunk: chunkRows(a),
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

    /// log p(targets[b, t] | tokens[b, ≤t]) for every position ([B·T]; 0 where the target is negative).
    public func tokenLogprobs(targets: [Int32]) throws -> [Float] {
        let a = workspace, BT = batch * seq
        try targets.withUnsafeBufferPointer { try storeNextTokenTargets($0, rows: BT, vocabSize: config.vocabSize, into: a.targets) }
        var out = [Float](repeating: 0, count: BT)
        logitsCached = out.withUnsafeMutableBufferPointer { o in
            chunkedTokenLogprobs(o.baseAddress!, rows: BT, chunk: chunkRows(a), V: config.vocabSize, C: config.hiddenSize,
                                 hidden: a.lnf, logits: a.headChunk, lse: a.rowStat, targets: a.targets,
                                 head: { headForward($0, $1, rows: $2) })
        }
        logprobsReady = true
        return out
    }

    /// The backward of a loss on `tokenLogprobs`' values (same forward): weights[i] = d(loss)/d(logprob[i]).
    public func logprobBackward(weights: [Float]) {
        let a = workspace, BT = batch * seq
        precondition(weights.count == BT, "one weight per position")
        precondition(logprobsReady, "call tokenLogprobs on this forward before logprobBackward")
        let cached = logitsCached
        logitsCached = false   // the backward overwrites the chunk
        weights.withUnsafeBufferPointer { w in
            chunkedLogprobBackward(w.baseAddress!, rows: BT, chunk: chunkRows(a), V: config.vocabSize, C: config.hiddenSize,
                                   hidden: a.lnf, dHidden: a.dHidden, logits: a.headChunk, lse: a.rowStat,
                                   targets: a.targets, cached: cached, head: { headForward($0, $1, rows: $2) },
                                   headBackward: { headBackward($0, $1, $2, rows: $3) })
        }
    }

    /// The score head at one position per row (the last non-pad token, as transformers'
    /// …ForSequenceClassification reads it): out[b] = hidden[b, positions[b]] · score.weight. [B · numLabels].
    public func scores(at positions: [Int]) -> [Float] {
        let a = workspace
        precondition(layout.hasScoreHead, "this model has no score head")
        precondition(positions.count == batch && positions.allSatisfy { (0..<seq).contains($0) })
        return scoreHeadForward(a.lnf, params["score.weight"], positions: positions, T: seq, C: config.hiddenSize,
                                K: layout["score.weight"].shape[0])
    }

    /// The backward of `scores` into `hiddenGradient` and score.weight's gradient.
    public func scoreBackward(_ dScores: [Float], at positions: [Int]) {
        let a = workspace, K = layout["score.weight"].shape[0]
        precondition(dScores.count == batch * K && positions.count == batch)
        scoreHeadBackward(a.dHidden, grads["score.weight"], a.lnf, params["score.weight"], dScores: dScores,
                          positions: positions, T: seq, C: config.hiddenSize, K: K)
    }
}
