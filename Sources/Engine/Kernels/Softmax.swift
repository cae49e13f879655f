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
