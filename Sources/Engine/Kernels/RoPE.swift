// Rotary position embeddings in transformers' rotate-half form (LlamaRotaryEmbedding and
// apply_rotary_pos_emb), with cos/sin computed in float32:
//
//     θ_t,i = t · inv_freq[i]                       i < d/2, t the position
//     y[i]       = x[i] · cos θ − x[i + d/2] · sin θ
//     y[i + d/2] = x[i + d/2] · cos θ + x[i] · sin θ
//
// The rotation is orthogonal, so its backward is the rotation by −θ: the same loop with sin negated.
import Foundation

/// cos[T, d/2] and sin[T, d/2] of θ_t,i = t · invFreq[i] for positions 0..<T.
func ropeTables(_ cos: UnsafeMutablePointer<Float>, _ sin: UnsafeMutablePointer<Float>,
                invFreq: [Float], T: Int) {
    let half = invFreq.count
    for t in 0..<T {
        for i in 0..<half {
            let angle = Float(t) * invFreq[i]
            cos[t * half + i] = Foundation.cos(angle); sin[t * half + i] = Foundation.sin(angle)
        }
    }
}

/// In place on `heads` vectors of d floats per row of x (row stride ld; row r is position r % T):
/// the rotation by θ (forward), or by −θ when `inverse` (the backward of the gradient).
func ropeRotate(_ x: UnsafeMutablePointer<Float>, _ cos: UnsafePointer<Float>, _ sin: UnsafePointer<Float>,
                rows: Int, T: Int, heads: Int, d: Int, ld: Int, inverse: Bool = false) {
    let half = d / 2
    let sign: Float = inverse ? -1 : 1
    Parallel.ranges(rows, minChunk: 16) { r in
        for row in r {
            let c = cos + (row % T) * half, s = sin + (row % T) * half
            for h in 0..<heads {
                let v = x + row * ld + h * d
                for i in 0..<half {
                    let a = v[i], b = v[i + half], si = sign * s[i]
                    v[i] = a * c[i] - b * si
                    v[i + half] = b * c[i] + a * si
                }
            }
        }
    }
}
