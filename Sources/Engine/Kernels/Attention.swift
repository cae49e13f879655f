// Causal multi-head self-attention over packed q|k|v rows (GPT-2's c_attn output, or the Llama
// family's q_proj|k_proj|v_proj with fewer key/value heads: grouped-query attention, where query
// head h reads key/value head h / (NH / KVH)). Each (batch row, key/value head) is one unit of work:
// for each of its query heads the score product, causal softmax and weighted sum (and in the backward
// its four products and the softmax backward) run together on one thread, single-threaded sgemm calls
// on strided views, and the units are shared out over the engine's threads (BLASThreads.parts). With
// one part they run in order and OpenBLAS threads each call.
import COpenBLAS
import Foundation

/// Rows of queries handled together. Attention is causal, so a block of queries r0..<r1 only needs
/// keys (and values) 0..<r1: going block by block skips the products' upper triangle (at T = 256
/// about 40% of their work) at the cost of smaller products.
let attentionRowBlock = 32

// The formula, per batch row and query head h (hs = C / NH; q is the head's [T, hs] slice of qkv, and
// k, v are the slices of its key/value head h / (NH / KVH): with KVH < NH, grouped-query attention,
// several query heads share one; GPT-2 has KVH = NH):
//     S[t, s] = q[t] · k[s] / √hs   for s ≤ t, −∞ for s > t (the causal mask)
//     P[t, :] = softmax(S[t, :])     (att: the probabilities, zero above the diagonal)
//     out[t]  = Σ_s P[t, s] · v[s]
// Backward, with dO the head's slice of dout:
//     dP  = dO · Vᵀ,   dV += Pᵀ · dO
//     dS[t, s] = P[t, s] · (dP[t, s] − Σ_s' P[t, s'] · dP[t, s'])     (the softmax backward)
//     dQ += dS · K / √hs,   dK += dSᵀ · Q / √hs
// (dK and dV of a shared key/value head add up over the query heads of its group.)
// This is PyTorch's F.scaled_dot_product_attention(q, k, v, is_causal=True), which transformers'
// GPT2Attention and LlamaAttention compute (https://pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html).
// Below, the products are sgemm calls on strided views, block by block of attentionRowBlock queries,
// and the softmax and its backward are 16-lane loops.

/// out[B, T, C] = softmax(Q·Kᵀ/√hs + causal mask) · V per head (hs = C/NH);  att[B, NH, T, T]
/// caches the probabilities (zero above the diagonal) for the backward.  qkv is [B, T, C + 2·KVH·hs]
/// (KVH defaults to NH: GPT-2's [B, T, 3C]).
func attentionForward(_ out: UnsafeMutablePointer<Float>, _ att: UnsafeMutablePointer<Float>,
                      _ qkv: UnsafePointer<Float>, B: Int, T: Int, C: Int, NH: Int, KVH: Int? = nil) {
    let KVH = KVH ?? NH, hs = C / NH, C3 = C + 2 * KVH * hs, group = NH / KVH
    let scale = 1 / Float(hs).squareRoot()
    forEachHead(B * KVH) { bg in
        let b = bg / KVH, kvh = bg % KVH
        let k = qkv + b * T * C3 + C + kvh * hs, v = k + KVH * hs
        for h in (kvh * group)..<((kvh + 1) * group) {
            let q = qkv + b * T * C3 + h * hs
            let a = att + (b * NH + h) * T * T
            var r0 = 0
            while r0 < T {
                // Query rows r0..<r1 against keys 0..<r1; softmax zeroes each row past its diagonal.
                let r1 = min(T, r0 + attentionRowBlock), n = r1 - r0
                sgemm(transB: true, M: n, N: r1, K: hs, alpha: scale, q + r0 * C3, lda: C3, k, ldb: C3, beta: 0, a + r0 * T, ldc: T, split: false)
                causalSoftmaxRows(a + r0 * T, rows: n, T: T, firstRow: r0, parallel: false)
                sgemm(M: n, N: hs, K: r1, a + r0 * T, lda: T, v, ldb: C3, beta: 0, out + (b * T + r0) * C + h * hs, ldc: C, split: false)
                r0 = r1
            }
        }
    }
}

/// dqkv[B, T, C + 2·KVH·hs] += attention'ᵀ · dout.  `datt` is a [B, NH, T, T] scratch.
func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, _ datt: UnsafeMutablePointer<Float>,
                       _ dout: UnsafePointer<Float>, _ qkv: UnsafePointer<Float>, _ att: UnsafePointer<Float>,
                       B: Int, T: Int, C: Int, NH: Int, KVH: Int? = nil) {
    let KVH = KVH ?? NH, hs = C / NH, C3 = C + 2 * KVH * hs, group = NH / KVH
    let scale = 1 / Float(hs).squareRoot()
    // One unit per key/value head, so the query heads sharing it add into dK and dV in turn.
    forEachHead(B * KVH) { bg in
        let b = bg / KVH, kvh = bg % KVH
        for h in (kvh * group)..<((kvh + 1) * group) {
            let bh = b * NH + h
            let q = qkv + b * T * C3 + h * hs, k = qkv + b * T * C3 + C + kvh * hs, v = k + KVH * hs
            let dq = dqkv + b * T * C3 + h * hs, dk = dqkv + b * T * C3 + C + kvh * hs, dv = dk + KVH * hs
            let dy = dout + b * T * C + h * hs
            var r0 = 0
            while r0 < T {
                // Query rows r0..<r1, which see keys 0..<r1 (the forward's blocks).
                let r1 = min(T, r0 + attentionRowBlock), n = r1 - r0
                let a = att + bh * T * T + r0 * T, d = datt + bh * T * T + r0 * T
                // datt = dy · Vᵀ;  dV += attᵀ · dy
                sgemm(transB: true, M: n, N: r1, K: hs, dy + r0 * C, lda: C, v, ldb: C3, beta: 0, d, ldc: T, split: false)
                sgemm(transA: true, M: r1, N: hs, K: n, a, lda: T, dy + r0 * C, ldb: C, beta: 1, dv, ldc: C3, split: false)
                // Softmax backward in place: dpre = att ⊙ (datt − Σ att·datt), zero past the diagonal.
                for i in 0..<n {
                    let m = r0 + i + 1, ar = a + i * T, dr = d + i * T
                    let s = vdot(ar, dr, m)
                    var j = 0
                    let sv = Vec16(repeating: s)
                    while j + 16 <= m { store16(load16(ar + j) * (load16(dr + j) - sv), dr + j); j += 16 }
                    while j < m { dr[j] = ar[j] * (dr[j] - s); j += 1 }
                    if m < r1 { (dr + m).update(repeating: 0, count: r1 - m) }
                }
                // dQ += scale · dpre · K;  dK += scale · dpreᵀ · Q
                sgemm(M: n, N: hs, K: r1, alpha: scale, d, lda: T, k, ldb: C3, beta: 1, dq + r0 * C3, ldc: C3, split: false)
                sgemm(transA: true, M: r1, N: hs, K: n, alpha: scale, d, lda: T, q + r0 * C3, ldb: C3, beta: 1, dk, ldc: C3, split: false)
                r0 = r1
            }
        }
    }
}

/// Runs `body` for every unit in 0..<n: shared out over the engine's threads inside
/// BLASThreads.engine (each call single-threaded), in order otherwise (OpenBLAS threads each call).
private func forEachHead(_ n: Int, _ body: (Int) -> Void) {
    if BLASThreads.parts > 1 {
        Parallel.ranges(n, minChunk: 1) { r in for i in r { body(i) } }
    } else {
        for i in 0..<n { body(i) }
    }
}

/// In place over rows of length T holding scores: row r is query position (firstRow + r) % T, which
/// sees keys 0…that position; the rest of the row becomes 0.
func causalSoftmaxRows(_ att: UnsafeMutablePointer<Float>, rows: Int, T: Int, firstRow: Int = 0, parallel: Bool = true) {
    func run(_ r: Range<Int>) {
        for row in r {
            let t = (firstRow + row) % T, n = t + 1
            let a = att + row * T
            let m = vmax(a, n)
            let sum = vexpShiftSum(a, n, shift: m)
            vscale(a, n, 1 / sum)
            if n < T { (a + n).update(repeating: 0, count: T - n) }
        }
    }
    if parallel { Parallel.ranges(rows, minChunk: 64, run) } else { run(0..<rows) }
}
