// The fully connected layers of one decoding step: a few rows (one token per active sequence)
// against a whole weight matrix, so the cost is reading the weights once, not multiplying.
// Inside BLASThreads.engine each product is split into one column block per engine thread; a part
// writes its block's residual and bias, then makes its own single-threaded BLAS calls, so a
// product is one fork-join (OpenBLAS's own threads would fork per call and spin between calls on
// the cores the other loops need; measured 1.6× slower at batch 8 on a busy 2-core machine).
//
// Below 4 rows each row is an sgemv over the block (reads the weights straight, no packing). From
// 4 rows on it is sgemm in column chunks of at most ~10⁶ multiply-adds: that is the size under
// which OpenBLAS's SkylakeX/Cooperlake kernels take their "small matrix" path, which multiplies
// the operands where they lie instead of first packing the weight block (the packing was over half
// of a batch-8 step). Cores without that path (Haswell) pack either way; the chunks cost them
// nothing measurable. The small-matrix kernels sum in another order than the packed ones, so on
// those cores a step's outputs can differ from a whole-matrix sgemm by float rounding (the tests
// hold generation to transformers' tokens and to a full forward's log-probabilities).
import COpenBLAS
import Foundation

/// out[rows, outC] = residual[rows, outC] + inp[rows, inC] · weight[inC, outC] + bias[outC], then
/// GELU in place when `gelu` (each part on its own columns, so the MLP's activation needs no pass of its own).
func decodeMatmulForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                         _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                         residual: UnsafePointer<Float>? = nil, gelu: Bool = false, rows: Int, inC: Int, outC: Int) {
    let parts = BLASThreads.parts
    Parallel.parts(parts, parts: parts) { p, _ in
        let cols = Parallel.block(outC, part: p, of: parts)
        guard !cols.isEmpty else { return }
        let c0 = cols.lowerBound, n = cols.count
        for i in 0..<rows {
            let o = out + i * outC + c0, b = bias + c0
            if let residual {
                let x = residual + i * outC + c0
                for j in 0..<n { o[j] = x[j] + b[j] }
            } else {
                o.update(from: b, count: n)
            }
        }
        if rows < 4 {
            for i in 0..<rows {
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(inC), Int32(n), 1, weight + c0, Int32(outC),
                            inp + i * inC, 1, 1, out + i * outC + c0, 1)
            }
        } else {
            let width = chunkWidth(rows: rows, inC: inC, n: n, limitMN: nil)
            var c = 0
            while c < n {
                let w = min(width, n - c)
                sgemmCall(false, false, rows, w, inC, 1, inp, inC, weight + c0 + c, outC, 1, out + c0 + c, outC)
                c += w
            }
        }
        if gelu { for i in 0..<rows { geluForward(out + i * outC + c0, out + i * outC + c0, count: n) } }
    }
}

/// logits[rows, V] = x[rows, C] · wteᵀ (wte is [V, C]).
func decodeLogits(_ logits: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ wte: UnsafePointer<Float>,
                  rows: Int, C: Int, V: Int) {
    let parts = BLASThreads.parts
    Parallel.parts(parts, parts: parts) { p, _ in
        let r = Parallel.block(V, part: p, of: parts)
        guard !r.isEmpty else { return }
        let v0 = r.lowerBound, n = r.count
        if rows < 4 {
            for i in 0..<rows {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(C), 1, wte + v0 * C, Int32(C),
                            x + i * C, 1, 0, logits + i * V + v0, 1)
            }
            return
        }
        let width = chunkWidth(rows: rows, inC: C, n: n, limitMN: 1200)
        var c = 0
        while c < n {
            let w = min(width, n - c)
            sgemmCall(false, true, rows, w, C, 1, x, C, wte + (v0 + c) * C, C, 0, logits + v0 + c, V)
            c += w
        }
    }
}

/// Columns per sgemm call: the widest multiple of 16 keeping rows·width·inC within OpenBLAS's
/// small-matrix limit (10⁶; for a transposed B also rows·width ≤ `limitMN`), or all `n` when
/// even 16 columns exceed it (many rows: the packed path is the right one then).
@inline(__always)
private func chunkWidth(rows: Int, inC: Int, n: Int, limitMN: Int?) -> Int {
    var w = 1_000_000 / (rows * inC)
    if let limitMN { w = min(w, limitMN / rows) }
    w = w / 16 * 16
    return w < 16 ? n : w
}
