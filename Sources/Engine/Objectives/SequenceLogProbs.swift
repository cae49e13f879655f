// The bridge between the model's logits and the objectives: log-probabilities of the target tokens of a
// TokenBatch, per position and summed per row, and the backward that turns the objectives' gradients
// with respect to those log-probs into gradients with respect to the logits.
//     logp[b,t] = z[b,t,y] − logsumexp(z[b,t,:])          for targets y = targets[b·T + t] ≥ 0, else 0
//     d z[b,t,j] += g[b,t] · (1[j = y] − softmax(z[b,t,:])_j)
// A DPO/KTO/reward trainer gets per-row gradients (dL/d(summed logp)); `broadcast` spreads them over the
// row's target positions. Logits are Float [B·T, V] as the model writes them; sums are in Double.
import Foundation

public enum SequenceLogProbs {
    /// log p(target) at every position with a target, 0 elsewhere: [B·T].
    public static func perToken(logits: UnsafeBufferPointer<Float>, targets: [Int], vocab: Int) -> [Double] {
        precondition(logits.count >= targets.count * vocab && vocab > 0, "logits smaller than positions×vocab")
        var out = [Double](repeating: 0, count: targets.count)
        for (p, y) in targets.enumerated() where y >= 0 {
            precondition(y < vocab, "target \(y) outside the vocabulary")
            let row = UnsafeBufferPointer(rebasing: logits[(p * vocab)..<((p + 1) * vocab)])
            out[p] = Double(row[y]) - logSumExp(row)
        }
        return out
    }

    /// Per-row sums of `perToken` over the positions with a target, and how many there are.
    public static func rowSums(_ perToken: [Double], targets: [Int], width: Int) -> (sums: [Double], counts: [Int]) {
        let rows = targets.count / width
        var sums = [Double](repeating: 0, count: rows), counts = [Int](repeating: 0, count: rows)
        for (p, y) in targets.enumerated() where y >= 0 { sums[p / width] += perToken[p]; counts[p / width] += 1 }
        return (sums, counts)
    }

    /// Spreads per-row gradients dL/d(row sum) onto every target position of the row.
    public static func broadcast(_ rowGrads: [Double], targets: [Int], width: Int) -> [Double] {
        var out = [Double](repeating: 0, count: targets.count)
        for (p, y) in targets.enumerated() where y >= 0 { out[p] = rowGrads[p / width] }
        return out
    }

    /// Accumulates dL/dz from dL/d(logp) per position (positions without a target are skipped).
    public static func backward(dLogits: UnsafeMutableBufferPointer<Float>, logits: UnsafeBufferPointer<Float>,
                                targets: [Int], dLogProbs: [Double], vocab: Int) {
        precondition(dLogProbs.count == targets.count, "one gradient per position expected")
        precondition(logits.count >= targets.count * vocab && dLogits.count >= targets.count * vocab, "buffers too small")
        for (p, y) in targets.enumerated() where y >= 0 && dLogProbs[p] != 0 {
            let base = p * vocab
            let row = UnsafeBufferPointer(rebasing: logits[base..<(base + vocab)])
            let lse = logSumExp(row), g = dLogProbs[p]
            for j in 0..<vocab { dLogits[base + j] -= Float(g * exp(Double(row[j]) - lse)) }
            dLogits[base + y] += Float(g)
        }
    }

    /// Array conveniences.
    public static func perToken(logits: [Float], targets: [Int], vocab: Int) -> [Double] {
        logits.withUnsafeBufferPointer { perToken(logits: $0, targets: targets, vocab: vocab) }
    }

    public static func backward(dLogits: inout [Float], logits: [Float], targets: [Int], dLogProbs: [Double], vocab: Int) {
        logits.withUnsafeBufferPointer { z in
            dLogits.withUnsafeMutableBufferPointer { backward(dLogits: $0, logits: z, targets: targets, dLogProbs: dLogProbs, vocab: vocab) }
        }
    }

    private static func logSumExp(_ z: UnsafeBufferPointer<Float>) -> Double {
        var m = -Double.infinity
        for v in z { m = max(m, Double(v)) }
        var s = 0.0
        for v in z { s += exp(Double(v) - m) }
        return m + log(s)
    }
}
