// The heads on top of the final hidden states. Each has a forward that reads `hiddenStates` and
// a backward that adds into `hiddenGradient` (and into the head's weight gradient); then call
// `backward()`. The LM head is wte transposed (tied): logits = h · wteᵀ.
//
// - crossEntropyBackward: the language-modelling loss, fused: logits are made one chunk of rows at
//   a time and turned into their gradient in place, so [B, T, V] never exists in memory.
// - tokenLogprobs + logprobBackward: per-token log-probabilities of given ids and the backward of
//   any loss written on them (DPO, IPO, KTO, PPO): pass d(loss)/d(logprob) per token.
// - logits + logitsBackward: the full [B, T, V] logits into a caller's buffer and the backward
//   from an arbitrary d(loss)/d(logits).
// - scores + scoreBackward: the `score.weight` head on one position per row (reward, value).
import COpenBLAS
import Foundation

extension GPT2 {
    private var workspace: Activations {
        guard let a = acts, batch > 0 else { preconditionFailure("call forward first") }
        return a
    }

    /// Copies and checks targets [B·T]: each an id in the vocabulary or negative (ignored).
    private func storeTargets(_ targets: UnsafeBufferPointer<Int32>, _ a: Activations) throws {
        try storeNextTokenTargets(targets, rows: batch * seq, vocabSize: config.vocabSize, into: a.targets)
    }

    /// Rows per LM-head chunk for this batch: equal chunks no larger than the workspace's.
    private func chunkRows(_ a: Activations) -> Int {
        lmHeadChunkRows(rows: batch * seq, limit: min(a.headChunkRows, headChunkLimit ?? .max))
    }

    /// logits[rows, V] = hidden[rows, C] · wteᵀ
    private func headForward(_ out: UnsafeMutablePointer<Float>, _ hidden: UnsafePointer<Float>, rows: Int) {
        let V = config.vocabSize, C = config.nEmbd
        BLASThreads.engine {
            sgemm(transB: true, M: rows, N: V, K: C, hidden, lda: C, params["wte.weight"], ldb: C, beta: 0, out, ldc: V)
        }
    }

    /// dhidden[rows, C] += dlogits · wte;  dwte += dlogitsᵀ · hidden (when the embeddings train).
    private func headBackward(_ dhidden: UnsafeMutablePointer<Float>, _ dlogits: UnsafePointer<Float>,
                              _ hidden: UnsafePointer<Float>, rows: Int) {
        let V = config.vocabSize, C = config.nEmbd
        BLASThreads.engine {
            sgemm(M: rows, N: C, K: V, dlogits, lda: V, params["wte.weight"], ldb: C, beta: 1, dhidden, ldc: C)
            if freezing.trainEmbeddings && lora == nil {
                sgemm(transA: true, M: V, N: C, K: rows, dlogits, lda: V, hidden, ldb: C, beta: 1, grads["wte.weight"], ldc: C)
            }
        }
    }

    /// Cross-entropy of next-token targets [B·T] (negative = not scored: padding, prompt), scaled by
    /// `scale` (1/number of scored tokens for a mean; smaller across accumulated micro-batches).
    /// Returns scale · Σ −log p(target) and adds the gradient into `hiddenGradient` and wte's gradient.
    public func crossEntropyBackward(targets: UnsafeBufferPointer<Int32>, scale: Float) throws -> Float {
        let a = workspace
        try storeTargets(targets, a)
        a.cachedLogitRows = 0
        logprobsReady = false  // rowStat now holds losses
        return chunkedCrossEntropyBackward(rows: batch * seq, chunk: chunkRows(a), V: config.vocabSize, C: config.nEmbd,
                                           hidden: a.lnf, dHidden: a.dHidden, logits: a.headChunk, rowLoss: a.rowStat,
                                           targets: a.targets, scale: scale,
                                           head: { headForward($0, $1, rows: $2) }, headBackward: { headBackward($0, $1, $2, rows: $3) })
    }

    /// `crossEntropyBackward` on a Swift array.
    public func crossEntropyBackward(targets: [Int32], scale: Float) throws -> Float {
        try targets.withUnsafeBufferPointer { try crossEntropyBackward(targets: $0, scale: scale) }
    }

    /// log p(targets[b, t] | tokens[b, ≤t]) for every position ([B·T]; 0 where the target is negative).
    public func tokenLogprobs(targets: [Int32]) throws -> [Float] {
        let a = workspace
        try targets.withUnsafeBufferPointer { try storeTargets($0, a) }
        let BT = batch * seq
        var out = [Float](repeating: 0, count: BT)
        let cached = out.withUnsafeMutableBufferPointer { o in
            chunkedTokenLogprobs(o.baseAddress!, rows: BT, chunk: chunkRows(a), V: config.vocabSize, C: config.nEmbd,
                                 hidden: a.lnf, logits: a.headChunk, lse: a.rowStat, targets: a.targets,
                                 head: { headForward($0, $1, rows: $2) })
        }
        logprobsReady = true
        a.cachedLogitRows = cached ? BT : 0   // one chunk: logprobBackward may reuse these logits
        return out
    }

    /// The backward of a loss on the values `tokenLogprobs` returned (call it after `tokenLogprobs`
    /// on the same forward; it reuses the log-sum-exps and targets saved there): `weights[i]` = d(loss)/d(logprob[i]).
    /// Recomputes the head's logits chunk by chunk (memory stays at one chunk).
    public func logprobBackward(weights: [Float]) {
        let a = workspace
        let BT = batch * seq
        precondition(weights.count == BT, "one weight per position")
        let cached = a.cachedLogitRows == BT
        a.cachedLogitRows = 0   // the backward overwrites the chunk
        precondition(logprobsReady, "call tokenLogprobs on this forward before logprobBackward")
        weights.withUnsafeBufferPointer { w in
            chunkedLogprobBackward(w.baseAddress!, rows: BT, chunk: chunkRows(a), V: config.vocabSize, C: config.nEmbd,
                                   hidden: a.lnf, dHidden: a.dHidden, logits: a.headChunk, lse: a.rowStat,
                                   targets: a.targets, cached: cached, head: { headForward($0, $1, rows: $2) },
                                   headBackward: { headBackward($0, $1, $2, rows: $3) })
        }
    }

    /// Writes the full logits [B, T, V] of the last forward into `out` (the caller owns the buffer).
    public func logits(into out: UnsafeMutablePointer<Float>) {
        _ = workspace
        headForward(out, acts!.lnf, rows: batch * seq)
    }

    /// The backward from d(loss)/d(logits) [B, T, V] into `hiddenGradient` and wte's gradient.
    public func logitsBackward(_ dlogits: UnsafePointer<Float>) {
        let a = workspace
        headBackward(a.dHidden, dlogits, a.lnf, rows: batch * seq)
    }

    /// The score head on one position per row (typically the last non-pad token):
    /// out[b, k] = hidden[b, positions[b]] · score.weight[k]. Returns [B · numLabels].
    public func scores(at positions: [Int]) -> [Float] {
        let a = workspace
        precondition(layout.hasScoreHead, "this model has no score head")
        precondition(positions.count == batch && positions.allSatisfy { (0..<seq).contains($0) })
        return scoreHeadForward(a.lnf, params["score.weight"], positions: positions, T: seq, C: config.nEmbd,
                                K: layout["score.weight"].shape[0])
    }

    /// The backward of `scores`: dScores [B · numLabels] into `hiddenGradient` and score.weight's gradient.
    public func scoreBackward(_ dScores: [Float], at positions: [Int]) {
        let a = workspace
        let K = layout["score.weight"].shape[0]
        precondition(dScores.count == batch * K && positions.count == batch)
        scoreHeadBackward(a.dHidden, grads["score.weight"], a.lnf, params["score.weight"], dScores: dScores,
                          positions: positions, T: seq, C: config.nEmbd, K: K)
    }
}
