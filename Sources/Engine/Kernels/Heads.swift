// The heads every causal LM shares, on the final hidden states [rows, C], for any model whose LM
// head is a [V, C] product (GPT-2's tied wte, the Llama family's embed_tokens or lm_head):
// - per-token log-probabilities of given ids and their backward (DPO, IPO, KTO, PPO), chunk by
//   chunk as chunkedCrossEntropyBackward (Softmax.swift) does, so [rows, V] never exists whole;
// - the `score.weight` head [K, C] at one position per row (reward and value models).
import Foundation

/// logprob[r] = log softmax(head(hidden[r]))[targets[r]] (0 where the target is negative), chunk by
/// chunk of `chunk` rows; `lse` keeps each row's log-sum-exp for the backward. Returns whether
/// `logits` still holds every row's logits afterwards (one chunk), which the backward may reuse.
func chunkedTokenLogprobs(_ out: UnsafeMutablePointer<Float>, rows: Int, chunk: Int, V: Int, C: Int,
                          hidden: UnsafePointer<Float>, logits: UnsafeMutablePointer<Float>,
                          lse: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>,
                          head: (_ out: UnsafeMutablePointer<Float>, _ hidden: UnsafePointer<Float>, _ rows: Int) -> Void) -> Bool {
    var r0 = 0
    while r0 < rows {
        let n = min(chunk, rows - r0)
        head(logits, hidden + r0 * C, n)
        tokenLogprobForward(out + r0, lse + r0, logits, targets + r0, rows: n, V: V)
        r0 += n
    }
    return chunk >= rows
}

/// The backward of a loss on chunkedTokenLogprobs' values: weights[r] = d(loss)/d(logprob[r]).
/// Recomputes each chunk's logits unless `cached` (they are still in `logits`), turns them into
/// d(loss)/d(logits) in place and lets `headBackward` add dhidden and the head's gradient.
func chunkedLogprobBackward(_ weights: UnsafePointer<Float>, rows: Int, chunk: Int, V: Int, C: Int,
                            hidden: UnsafePointer<Float>, dHidden: UnsafeMutablePointer<Float>,
                            logits: UnsafeMutablePointer<Float>, lse: UnsafePointer<Float>,
                            targets: UnsafePointer<Int32>, cached: Bool,
                            head: (_ out: UnsafeMutablePointer<Float>, _ hidden: UnsafePointer<Float>, _ rows: Int) -> Void,
                            headBackward: (_ dhidden: UnsafeMutablePointer<Float>, _ dlogits: UnsafePointer<Float>,
                                           _ hidden: UnsafePointer<Float>, _ rows: Int) -> Void) {
    var r0 = 0
    while r0 < rows {
        let n = min(chunk, rows - r0)
        if !(cached && chunk >= rows) { head(logits, hidden + r0 * C, n) }
        tokenLogprobBackward(logits, weights + r0, lse + r0, targets + r0, rows: n, V: V)
        headBackward(dHidden + r0 * C, logits, hidden + r0 * C, n)
        r0 += n
    }
}

/// out[b, k] = hidden[b, positions[b]] · weight[k] for the `score` head weight [K, C] on
/// hidden [B, T, C]: one position per row (the last non-pad token). Returns [B · K].
func scoreHeadForward(_ hidden: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, positions: [Int],
                      T: Int, C: Int, K: Int) -> [Float] {
    var out = [Float](repeating: 0, count: positions.count * K)
    for (b, t) in positions.enumerated() {
        let h = hidden + (b * T + t) * C
        for k in 0..<K { out[b * K + k] = vdot(h, weight + k * C, C) }
    }
    return out
}

/// The backward of scoreHeadForward: dHidden[b, positions[b]] += Σ_k dScores[b, k] · weight[k] and
/// dWeight[k] += Σ_b dScores[b, k] · hidden[b, positions[b]].
func scoreHeadBackward(_ dHidden: UnsafeMutablePointer<Float>, _ dWeight: UnsafeMutablePointer<Float>,
                       _ hidden: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, dScores: [Float],
                       positions: [Int], T: Int, C: Int, K: Int) {
    for (b, t) in positions.enumerated() {
        let row = (b * T + t) * C
        for k in 0..<K {
            let d = dScores[b * K + k]
            for j in 0..<C { dHidden[row + j] += d * weight[k * C + j]; dWeight[k * C + j] += d * hidden[row + j] }
        }
    }
}
