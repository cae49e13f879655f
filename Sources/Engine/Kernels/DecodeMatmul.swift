// The fully connected layers of one decoding step: a few rows (one token per active sequence)
// against a whole weight matrix, so the cost is reading the weights once, not multiplying.
// Each thread of a DecodeTeam step takes a block of the inner dimension K: rows k0..<k1 of the
// row-major weight [inC, outC], one contiguous slab, times the matching columns of the input,
// into a partial sum of every output column; after a barrier the partials are added (with bias,
// residual, GELU) by whichever thread needs those columns (Generator+Decode.swift). Splitting the
// output columns instead, each thread read every weight row's half: strided runs of 1.5-6 KB that
// streamed slower (a C model of a GPT-2 small step's reads, best of 20: 71-88 tok/s split by K
// against 54-64 by columns at batch 1, on OpenBLAS's Haswell and Cooperlake kernels).
//
// Below 4 rows each row is an sgemv over the slab (reads the weights straight, no packing); from
// 4 rows on one sgemm per slab. The logits' wte [V, C] is already row-contiguous per vocabulary
// block, so the LM head stays split by vocabulary: sgemv per row below 4 rows, else sgemm in
// column chunks small enough for the SkylakeX/Cooperlake small-matrix kernels (no packing of wte).
// Summation order differs from one whole sgemm only by float rounding (tested to 2e-5 on
// unit-scale values; generation still equals transformers' tokens).
import COpenBLAS
import Foundation

/// partial[rows, outC] = inp[rows, k] · weight[k, outC] for one block `k` of the inner dimension
/// (inp rows are `lda` apart, weight is the whole [inC, outC] matrix); zeros when `k` is empty.
/// Single-threaded: a part of a DecodeTeam step.
func decodePartialProduct(_ partial: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, lda: Int,
                          _ weight: UnsafePointer<Float>, rows: Int, outC: Int, k: Range<Int>) {
    guard !k.isEmpty else { partial.update(repeating: 0, count: rows * outC); return }
    let w = weight + k.lowerBound * outC, x = inp + k.lowerBound, kc = k.count
    if rows < 4 {
        for i in 0..<rows {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(kc), Int32(outC), 1, w, Int32(outC),
                        x + i * lda, 1, 0, partial + i * outC, 1)
        }
    } else {
        sgemmCall(false, false, rows, outC, kc, 1, x, lda, w, outC, 0, partial, outC)
    }
}

/// out[i, cols] = base[i, cols] + bias[cols] + Σ_u partials[u][i, cols] for i < rows, where
/// partial u starts at partials + u·partialStride and its rows are outC apart (as are out's and
/// base's); no base when nil. The order of the sum is fixed, so threads computing the same
/// elements get the same bits.
func decodeSumPartials(_ out: UnsafeMutablePointer<Float>, base: UnsafePointer<Float>?, _ bias: UnsafePointer<Float>,
                       _ partials: UnsafePointer<Float>, count: Int, partialStride: Int,
                       rows: Int, outC: Int, cols: Range<Int>) {
    let n = cols.count, c0 = cols.lowerBound
    for i in 0..<rows {
        let o = out + i * outC + c0, b = bias + c0, x = base.map { $0 + i * outC + c0 }
        let first = partials + i * outC + c0
        var j = 0
        while j + 16 <= n {
            var v = load16(b + j) + load16(first + j)
            for u in 1..<max(count, 1) { v += load16(first + u * partialStride + j) }
            if let x { v += load16(x + j) }
            store16(v, o + j)
            j += 16
        }
        while j < n {
            var v = b[j] + first[j]
            for u in 1..<max(count, 1) { v += first[u * partialStride + j] }
            if let x { v += x[j] }
            o[j] = v
            j += 1
        }
    }
}

/// logits[rows, V] = x[rows, C] · wteᵀ (wte is [V, C]), split by vocabulary over the engine's threads.
func decodeLogits(_ logits: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ wte: UnsafePointer<Float>,
                  rows: Int, C: Int, V: Int) {
    let parts = BLASThreads.parts
    Parallel.parts(parts, parts: parts) { p, _ in
        decodeLogits(logits, x, wte, rows: rows, C: C, V: V, vocab: Parallel.block(V, part: p, of: parts))
    }
}

/// logits[rows, vocab] = x[rows, C] · wte[vocab, C]ᵀ for one block of the vocabulary (single-threaded).
func decodeLogits(_ logits: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ wte: UnsafePointer<Float>,
                  rows: Int, C: Int, V: Int, vocab: Range<Int>) {
    guard !vocab.isEmpty else { return }
    let v0 = vocab.lowerBound, n = vocab.count
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

/// Columns per sgemm call: the widest multiple of 16 keeping rows·width·inC within OpenBLAS's
/// small-matrix limit (10⁶, and rows·width ≤ `limitMN` for a transposed B), or all `n` when
/// even 16 columns exceed it (many rows: the packed path is the right one then).
@inline(__always)
private func chunkWidth(rows: Int, inC: Int, n: Int, limitMN: Int) -> Int {
    var w = min(1_000_000 / (rows * inC), limitMN / rows)
    w = w / 16 * 16
    return w < 16 ? n : w
}
