// RMSNorm over the last dimension with a learned gain and no bias (the Llama family's
// input_layernorm, post_attention_layernorm, model.norm, and Qwen3's q_norm/k_norm over head_dim).
// Matches transformers' LlamaRMSNorm, whose statistics are float32 as everything here is:
//
//     rstd = 1 / sqrt(mean(x²) + eps)          per vector of C floats
//     y    = weight · (x · rstd)
//
// and its backward, with x̂ = x · rstd and g = weight · dy:
//
//     dx      += rstd · (g − x̂ · mean(g · x̂))
//     dweight += Σ_vectors dy · x̂
//
// The vectors are `rows` of C floats; vector i starts at (i / perRow)·ld + (i % perRow)·C, so the
// q or k heads inside a packed q|k|v row (perRow heads, row stride ld) are normalised in place.
import Foundation

@inline(__always) private func vectorStart(_ i: Int, C: Int, perRow: Int, ld: Int) -> Int {
    (i / perRow) * ld + (i % perRow) * C
}

/// out = RMSNorm(inp) · weight on `rows` vectors of C (out may alias inp); rstd[rows] for the backward.
func rmsnormForward(_ out: UnsafeMutablePointer<Float>, _ rstd: UnsafeMutablePointer<Float>,
                    _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                    rows: Int, C: Int, eps: Float, perRow: Int = 1, ld: Int? = nil) {
    let ld = ld ?? perRow * C
    Parallel.ranges(rows, minChunk: 16) { r in
        for i in r {
            let o = vectorStart(i, C: C, perRow: perRow, ld: ld)
            let x = inp + o, y = out + o
            let s = 1 / (vdot(x, x, C) / Float(C) + eps).squareRoot()
            for j in 0..<C { y[j] = x[j] * s * weight[j] }
            rstd[i] = s
        }
    }
}

/// dinp += RMSNorm'ᵀ · dout (dinp nil: nothing below trains); dweight += Σ dout · x̂ (nil: frozen).
/// `scratch` holds C·Parallel.width floats (per-part partial dweight).
func rmsnormBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>?,
                     _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                     _ rstd: UnsafePointer<Float>, rows: Int, C: Int, perRow: Int = 1, ld: Int? = nil,
                     scratch: UnsafeMutablePointer<Float>) {
    let ld = ld ?? perRow * C
    let parts = min(Parallel.width, max(1, rows / 16))
    scratch.update(repeating: 0, count: C * parts)
    Parallel.parts(rows, parts: parts) { p, r in
        let pw = scratch + C * p
        for i in r {
            let o = vectorStart(i, C: C, perRow: perRow, ld: ld)
            let x = inp + o, dy = dout + o, s = rstd[i]
            // mean(g · x̂) = rstd · Σ weight·dy·x / C
            var dot: Float = 0
            for j in 0..<C { dot += weight[j] * dy[j] * x[j] }
            let m = dot * s / Float(C)
            if let dinp {
                let dx = dinp + o
                for j in 0..<C { dx[j] += s * (weight[j] * dy[j] - x[j] * s * m) }
            }
            if dweight != nil { for j in 0..<C { pw[j] += dy[j] * x[j] * s } }
        }
    }
    if let dweight {
        for p in 0..<parts { let pw = scratch + C * p; for j in 0..<C { dweight[j] += pw[j] } }
    }
}
