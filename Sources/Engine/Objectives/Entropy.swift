// The entropy of the policy's next-token distribution from its logits, per position, and its backward
// (for an entropy bonus and PPO's policy/entropy_avg metric).
//     H = logsumexp(z) − Σ_j p_j z_j,   dH/dz_j = −p_j·(log p_j + H)
// Accumulation is in Double; logits stay Float as the model produces them.
import Foundation

public enum Entropy {
    /// entropy[t] of each of the `rows` logit rows of width `vocab` (row-major [rows, vocab]).
    public static func forward(logits: UnsafeBufferPointer<Float>, rows: Int, vocab: Int) -> [Double] {
        precondition(logits.count >= rows * vocab && vocab > 0, "entropy: logits buffer smaller than rows×vocab")
        var out = [Double](repeating: 0, count: rows)
        for t in 0..<rows {
            let z = UnsafeBufferPointer(rebasing: logits[(t * vocab)..<((t + 1) * vocab)])
            let (lse, _) = logSumExp(z)
            var pz = 0.0
            for v in z { pz += exp(Double(v) - lse) * Double(v) }
            out[t] = lse - pz
        }
        return out
    }

    /// Accumulates dL/dz += dL/dH[t] · dH[t]/dz into `dLogits` (backward accumulates, llm.c style).
    public static func backward(dLogits: UnsafeMutableBufferPointer<Float>, logits: UnsafeBufferPointer<Float>,
                                dEntropy: [Double], vocab: Int) {
        let rows = dEntropy.count
        precondition(logits.count >= rows * vocab && dLogits.count >= rows * vocab, "entropy backward: buffer too small")
        for t in 0..<rows where dEntropy[t] != 0 {
            let base = t * vocab
            let z = UnsafeBufferPointer(rebasing: logits[base..<(base + vocab)])
            let (lse, _) = logSumExp(z)
            var h = 0.0
            for v in z { let lp = Double(v) - lse; h -= exp(lp) * lp }
            for j in 0..<vocab {
                let lp = Double(z[j]) - lse
                dLogits[base + j] += Float(dEntropy[t] * -exp(lp) * (lp + h))
            }
        }
    }

    /// Array conveniences.
    public static func forward(logits: [Float], vocab: Int) -> [Double] {
        logits.withUnsafeBufferPointer { forward(logits: $0, rows: logits.count / vocab, vocab: vocab) }
    }

    public static func backward(dLogits: inout [Float], logits: [Float], dEntropy: [Double], vocab: Int) {
        logits.withUnsafeBufferPointer { z in
            dLogits.withUnsafeMutableBufferPointer { backward(dLogits: $0, logits: z, dEntropy: dEntropy, vocab: vocab) }
        }
    }

    private static func logSumExp(_ z: UnsafeBufferPointer<Float>) -> (Double, Double) {
        var m = -Double.infinity
        for v in z { m = max(m, Double(v)) }
        var s = 0.0
        for v in z { s += exp(Double(v) - m) }
        return (m + log(s), m)
    }
}
