// LayerNorm over the last dimension with learned gain and bias (GPT-2's ln_1, ln_2, ln_f).
import Foundation

// The formula, per row x[0..<C] (PyTorch's torch.nn.LayerNorm(C, eps) over the last dimension:
// https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html):
//     mean  = (1/C) · Σ_j x[j]
//     var   = (1/C) · Σ_j (x[j] − mean)²        the biased variance: divided by C, not C − 1
//     rstd  = 1 / √(var + eps)                   eps = layer_norm_epsilon (1e-5 for GPT-2)
//     x̂[j]  = (x[j] − mean) · rstd
//     y[j]  = x̂[j] · weight[j] + bias[j]
// Backward, with g[j] = weight[j] · dy[j] and means over j:
//     dweight[j] += Σ_rows dy[j] · x̂[j],   dbias[j] += Σ_rows dy[j]
//     dx[j]      += rstd · (g[j] − mean(g) − x̂[j] · mean(g · x̂))
// Below, the mean and the sum of squares run 16 lanes at a time (vsum, Vec16); the rest is scalar.

/// out[rows, C] = (inp - mean) · rstd · weight + bias; caches mean[rows] and rstd[rows] for the backward.
func layerNormForward(_ out: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>,
                      _ rstd: UnsafeMutablePointer<Float>,
                      _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                      rows: Int, C: Int, eps: Float) {
    Parallel.ranges(rows, minChunk: 16) { r in
        for i in r {
            let x = inp + i * C, y = out + i * C
            let m = vsum(x, C) / Float(C)
            var acc = Vec16(); var j = 0
            while j + 16 <= C { let d = load16(x + j) - m; acc += d * d; j += 16 }
            var v = acc.sum()
            while j < C { let d = x[j] - m; v += d * d; j += 1 }
            let s = 1 / (v / Float(C) + eps).squareRoot()
            for j in 0..<C { y[j] = (x[j] - m) * s * weight[j] + bias[j] }
            mean[i] = m; rstd[i] = s
        }
    }
}

/// dinp[rows, C] += LayerNorm'ᵀ · dout;  dweight[C] += Σ dout · x̂;  dbias[C] += Σ dout.
/// dinp may be nil (frozen below). dweight/dbias may be nil (frozen). `scratch` holds 2·C·Parallel.width floats.
func layerNormBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>?,
                       _ dbias: UnsafeMutablePointer<Float>?,
                       _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                       _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>,
                       rows: Int, C: Int, scratch: UnsafeMutablePointer<Float>) {
    let parts = min(Parallel.width, max(1, rows / 16))
    scratch.update(repeating: 0, count: 2 * C * parts)
    let wantParams = dweight != nil
    // Each part accumulates its own partial dweight/dbias; they are summed at the end.
    Parallel.parts(rows, parts: parts) { p, r in
        let pw = scratch + 2 * C * p, pb = pw + C
        for i in r {
            let x = inp + i * C, dy = dout + i * C
            let m = mean[i], s = rstd[i]
            var dnormMean: Float = 0, dnormNormMean: Float = 0
            for j in 0..<C {
                let xhat = (x[j] - m) * s
                let dnorm = weight[j] * dy[j]
                dnormMean += dnorm; dnormNormMean += dnorm * xhat
                if wantParams { pb[j] += dy[j]; pw[j] += dy[j] * xhat }
            }
            dnormMean /= Float(C); dnormNormMean /= Float(C)
            if let dinp {
                let dx = dinp + i * C
                for j in 0..<C {
                    let xhat = (x[j] - m) * s
                    dx[j] += (weight[j] * dy[j] - dnormMean - xhat * dnormNormMean) * s
                }
            }
        }
    }
    if let dweight, let dbias {
        for p in 0..<parts {
            let pw = scratch + 2 * C * p, pb = pw + C
            for j in 0..<C { dweight[j] += pw[j]; dbias[j] += pb[j] }
        }
    }
}

