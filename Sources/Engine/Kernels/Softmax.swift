// Row-wise log-softmax pieces for the LM head: fused softmax + cross-entropy forward/backward,
// log-probabilities of chosen ids, and their backward. Rows are logits over the vocabulary.
import Foundation

// The formulas, per row x[0..<V] of logits with target y (PyTorch's F.log_softmax and, times `scale`,
// F.cross_entropy(reduction="sum"); scale = 1/N gives reduction="mean":
// https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html):
//     m         = max_i x[i]                          subtracted so exp never overflows
//     lse       = m + log Σ_i exp(x[i] − m)           log-sum-exp
//     log p[y]  = x[y] − lse                          softmax(x)[i] = exp(x[i] − lse)
//     loss      = −scale · log p[y]
//     ∂loss/∂x[i] = scale · (softmax(x)[i] − [i = y])
// and for a weighted log-prob: ∂(w · log p[y])/∂x[i] = w · ([i = y] − softmax(x)[i]).
// Below, max, exp-and-sum and scaling run 16 lanes at a time (vmax, vexpShiftSum, vscale in Vec16.swift).

/// Log-sum-exp of one row (the row is left unchanged).
@inline(__always) func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    logSumExp(x, n, max: vmax(x, n))
}

/// log Σ exp(x[i]) for x[0..<n] whose largest element `m` the caller has already found.
@inline(__always) func logSumExp(_ x: UnsafePointer<Float>, _ n: Int, max m: Float) -> Float {
    var acc = Vec16(); var i = 0
    while i + 16 <= n { acc += vexp(load16(x + i) - m); i += 16 }
    var s = acc.sum()
    while i < n { s += Foundation.exp(x[i] - m); i += 1 }
    return m + Foundation.log(s)
}

/// In place on logits[rows, V]: each row becomes d(loss)/d(logits) = scale·(softmax − onehot(target))
/// and lossOut[row] = scale·(logsumexp − logit[target]). Rows with a negative target become 0.
func crossEntropyForwardBackward(_ logits: UnsafeMutablePointer<Float>, _ lossOut: UnsafeMutablePointer<Float>,
                                 _ targets: UnsafePointer<Int32>, rows: Int, V: Int, scale: Float) {
    Parallel.ranges(rows, minChunk: 1) { r in
        for i in r {
            let x = logits + i * V, y = Int(targets[i])
            guard y >= 0 else { x.update(repeating: 0, count: V); lossOut[i] = 0; continue }
            let m = vmax(x, V)
            let sum = vexpShiftSum(x, V, shift: m)
            let xy = Foundation.log(x[y] / sum)  // x[y] now holds exp(logit − m)
            lossOut[i] = -xy * scale
            vscale(x, V, scale / sum)
            x[y] -= scale
        }
    }
}

/// logprob[row] = logit[target] − logsumexp (0 for a negative target); lse[row] keeps the
/// log-sum-exp for the backward. logits are left unchanged.
func tokenLogprobForward(_ logprob: UnsafeMutablePointer<Float>, _ lse: UnsafeMutablePointer<Float>,
                         _ logits: UnsafePointer<Float>, _ targets: UnsafePointer<Int32>, rows: Int, V: Int) {
    Parallel.ranges(rows, minChunk: 1) { r in
        for i in r {
            let x = logits + i * V, y = Int(targets[i])
            guard y >= 0 else { lse[i] = 0; logprob[i] = 0; continue }   // not scored: skip the V exps
            let s = logSumExp(x, V)
            lse[i] = s
            logprob[i] = x[y] - s
        }
    }
}

/// In place on logits[rows, V]: each row becomes weight·(onehot(target) − softmax), the gradient of
/// weight·logprob[target]; rows with a negative target or zero weight become 0.
func tokenLogprobBackward(_ logits: UnsafeMutablePointer<Float>, _ weights: UnsafePointer<Float>,
                          _ lse: UnsafePointer<Float>, _ targets: UnsafePointer<Int32>, rows: Int, V: Int) {
    Parallel.ranges(rows, minChunk: 1) { r in
        for i in r {
            let x = logits + i * V, y = Int(targets[i]), w = weights[i]
            guard y >= 0, w != 0 else { x.update(repeating: 0, count: V); continue }
            _ = vexpShiftSum(x, V, shift: lse[i])  // softmax
            vscale(x, V, -w)
            x[y] += w
        }
    }
}

// The LM head in chunks, for any model whose head is a [V, C] product (GPT-2's tied wte, the Llama
// family's lm_head): the [rows, V] logits exist one chunk at a time, never for the whole batch.

/// Rows per LM-head chunk: equal chunks of at most `limit` rows that cover `rows`.
func lmHeadChunkRows(rows: Int, limit: Int) -> Int {
    let chunks = (rows + limit - 1) / limit
    return (rows + chunks - 1) / chunks
}

/// Checks next-token targets (one per row, negative = not scored) against the row count and the
/// vocabulary, and copies them into `out`.
func storeNextTokenTargets(_ targets: UnsafeBufferPointer<Int32>, rows: Int, vocabSize V: Int,
                           into out: UnsafeMutablePointer<Int32>) throws {
    guard targets.count == rows else { throw EngineError.invalidInput("expected \(rows) targets, got \(targets.count)") }
    if let bad = targets.first(where: { $0 >= Int32(V) }) {
        throw EngineError.invalidInput("target id \(bad) is outside the vocabulary (0..<\(V))")
    }
    out.update(from: targets.baseAddress!, count: rows)
}

/// scale · Σ −log p(target) over `rows` hidden states [rows, C], chunk by chunk of `chunk` rows:
/// `head` writes a chunk's logits into `logits` [chunk, V], crossEntropyForwardBackward turns them into
/// losses (into `rowLoss`) and dlogits, and `headBackward` adds dhidden and the head's gradient.
func chunkedCrossEntropyBackward(rows: Int, chunk: Int, V: Int, C: Int, hidden: UnsafePointer<Float>,
                                 dHidden: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>,
                                 rowLoss: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>, scale: Float,
                                 head: (_ out: UnsafeMutablePointer<Float>, _ hidden: UnsafePointer<Float>, _ rows: Int) -> Void,
                                 headBackward: (_ dhidden: UnsafeMutablePointer<Float>, _ dlogits: UnsafePointer<Float>,
                                                _ hidden: UnsafePointer<Float>, _ rows: Int) -> Void) -> Float {
    var r0 = 0
    while r0 < rows {
        let n = min(chunk, rows - r0)
        head(logits, hidden + r0 * C, n)
        crossEntropyForwardBackward(logits, rowLoss + r0, targets + r0, rows: n, V: V, scale: scale)
        headBackward(dHidden + r0 * C, logits, hidden + r0 * C, n)
        r0 += n
    }
    var loss: Double = 0
    for i in 0..<rows { loss += Double(rowLoss[i]) }
    return Float(loss)
}
