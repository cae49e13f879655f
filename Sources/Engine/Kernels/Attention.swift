// Causal multi-head self-attention over the packed q|k|v rows that c_attn produces. Scores and
// weighted sums are sgemm calls per (batch, head) on strided views; the causal softmax and its
// backward run in parallel over all rows.
import COpenBLAS
import Foundation

/// out[B, T, C] = softmax(Q·Kᵀ/√hs + causal mask) · V per head;  att[B, NH, T, T] caches the
/// probabilities (zero above the diagonal) for the backward.  qkv is [B, T, 3C].
func attentionForward(_ out: UnsafeMutablePointer<Float>, _ att: UnsafeMutablePointer<Float>,
                      _ qkv: UnsafePointer<Float>, B: Int, T: Int, C: Int, NH: Int) {
    let hs = C / NH, C3 = 3 * C
    let scale = 1 / Float(hs).squareRoot()
    for b in 0..<B {
        for h in 0..<NH {
            let q = qkv + b * T * C3 + h * hs, k = q + C
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(T), Int32(T), Int32(hs),
                        scale, q, Int32(C3), k, Int32(C3), 0, att + (b * NH + h) * T * T, Int32(T))
        }
    }
    causalSoftmaxRows(att, rows: B * NH * T, T: T)
    for b in 0..<B {
        for h in 0..<NH {
            let v = qkv + b * T * C3 + 2 * C + h * hs
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
                        1, att + (b * NH + h) * T * T, Int32(T), v, Int32(C3), 0,
                        out + b * T * C + h * hs, Int32(C))
        }
    }
}

/// dqkv[B, T, 3C] += attention'ᵀ · dout.  `datt` is a [B, NH, T, T] scratch.
func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, _ datt: UnsafeMutablePointer<Float>,
                       _ dout: UnsafePointer<Float>, _ qkv: UnsafePointer<Float>, _ att: UnsafePointer<Float>,
                       B: Int, T: Int, C: Int, NH: Int) {
    let hs = C / NH, C3 = 3 * C
    let scale = 1 / Float(hs).squareRoot()
    for b in 0..<B {
        for h in 0..<NH {
            let bh = (b * NH + h) * T * T
            let v = qkv + b * T * C3 + 2 * C + h * hs, dv = dqkv + b * T * C3 + 2 * C + h * hs
            let dy = dout + b * T * C + h * hs
            // datt = dy · Vᵀ;  dV += attᵀ · dy
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(T), Int32(T), Int32(hs),
                        1, dy, Int32(C), v, Int32(C3), 0, datt + bh, Int32(T))
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
                        1, att + bh, Int32(T), dy, Int32(C), 1, dv, Int32(C3))
        }
    }
    // Softmax backward in place: dpre = att ⊙ (datt − Σ att·datt).
    Parallel.ranges(B * NH * T, minChunk: 64) { r in
        for row in r {
            let t = row % T, n = t + 1
            let a = att + row * T, d = datt + row * T
            let s = vdot(a, d, n)
            for j in 0..<n { d[j] = a[j] * (d[j] - s) }
            if n < T { (d + n).update(repeating: 0, count: T - n) }
        }
    }
    for b in 0..<B {
        for h in 0..<NH {
            let bh = (b * NH + h) * T * T
            let q = qkv + b * T * C3 + h * hs, k = q + C
            let dq = dqkv + b * T * C3 + h * hs, dk = dq + C
            // dQ += scale · dpre · K;  dK += scale · dpreᵀ · Q  (dpre is zero above the diagonal)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
                        scale, datt + bh, Int32(T), k, Int32(C3), 1, dq, Int32(C3))
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
                        scale, datt + bh, Int32(T), q, Int32(C3), 1, dk, Int32(C3))
        }
    }
}

/// In place over rows of length T holding scores: row r is query position r % T, which sees keys
/// 0…r % T; the rest of the row becomes 0.
func causalSoftmaxRows(_ att: UnsafeMutablePointer<Float>, rows: Int, T: Int) {
    Parallel.ranges(rows, minChunk: 64) { r in
        for row in r {
            let t = row % T, n = t + 1
            let a = att + row * T
            let m = vmax(a, n)
            let sum = vexpShiftSum(a, n, shift: m)
            vscale(a, n, 1 / sum)
            if n < T { (a + n).update(repeating: 0, count: T - n) }
        }
    }
}
