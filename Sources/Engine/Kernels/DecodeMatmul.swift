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
// One row is one sgemv over the slab (reads the weights as they lie). Two or more rows take the
// path of the OpenBLAS core (DecodeProductPath), because one sgemm per slab packs the slab before
// multiplying and at a few rows the packing, not the arithmetic, was the step (GPT-2 small, batch
// 8: ~60 GFLOP/s and ~15 GB/s, neither near the machine's limits):
// - SkylakeX/Cooperlake (OpenBLAS 0.3.21 permits its small-matrix kernels there, for M·N·K ≤ 10⁶):
//   the slab in blocks of rows·k·outC ≤ 10⁶, one sgemm each accumulating into the partial; the
//   small kernels read the weights unpacked. GPT-2 small generate, best of 3 in one locked run:
//   batch 8 332 tok/s against 208 with one sgemm per slab, batch 4 205 against 135, batch 16 395
//   against 341.
// - Other cores (Haswell: its permit says never): up to 7 rows the slab in blocks of 16 rows, one
//   sgemv per row and block, so the first row's pass brings the block into L2 and the others read
//   it there; batch 2 93 tok/s against 46 with an sgemv per row over the whole slab, batch 4 162
//   against 135 and batch 6 186 against 178 with one sgemm per slab, batch 8 even (244 against
//   246), so from 8 rows one sgemm. Small-matrix blocks there (packed then) were slower: 183.
// The transposed product (partialᵀ = slabᵀ·xᵀ, rows as the small dimension) was slower in the C
// model on both cores (Cooperlake 263-288 against 267 whole, 322-372 blocked; Haswell 222 against
// 252); column blocks sized for L2 did not beat K blocks (Haswell 233-245 against 252).
// The logits' wte [V, C] is already row-contiguous per vocabulary block, so the LM head stays
// split by vocabulary: sgemv for one row; else sgemm in column chunks small enough for the
// SkylakeX/Cooperlake small-matrix kernels (no packing of wte; batch 2 on Cooperlake 114 tok/s
// against 99 with an sgemv per row, even on Haswell).
// Summation order differs from one whole sgemm only by float rounding (tested to 2e-5 on
// unit-scale values; generation still equals transformers' tokens on every path).
import COpenBLAS
import Foundation

/// How decodePartialProduct multiplies 2 or more rows by a weight slab (a single row is always
/// one sgemv, which reads the slab as it lies).
enum DecodeProductPath: Sendable, Equatable, CaseIterable {
    /// One sgemm per slab: OpenBLAS packs the slab, then multiplies.
    case wholeSlab
    /// The slab in consecutive blocks of its rows, each small enough (rows·k·outC ≤ 10⁶) for
    /// OpenBLAS's small-matrix kernels, which multiply without packing; one sgemm per block,
    /// accumulating (beta 1) into the partial. Beyond 16 rows or so the blocks get too thin and
    /// it falls back to one sgemm.
    case smallMatrixBlocks
    /// Up to 7 rows: the slab in blocks of 16 of its rows, one sgemv per input row on each block
    /// (the first row's pass brings the block into L2, the others read it there); beyond, one sgemm.
    case sgemvBlocks

    /// The path for an OpenBLAS core: small-matrix blocks where 0.3.21 permits its small-matrix
    /// kernels for these shapes (the AVX-512 cores SkylakeX and Cooperlake; Haswell's permit says
    /// never), else sgemv blocks.
    static func forCore(_ name: String) -> DecodeProductPath {
        return BLASInfo.avx512Cores.contains(name.lowercased()) ? .smallMatrixBlocks : .sgemvBlocks
    }
}

/// OpenBLAS 0.3.21 takes its small-matrix kernels only for M·N·K ≤ 10⁶.
let smallMatrixLimit = 1_000_000

/// partial[rows, outC] = inp[rows, k] · weight[k, outC] for one block `k` of the inner dimension
/// (inp rows are `lda` apart, weight is the whole [inC, outC] matrix); zeros when `k` is empty.
/// Single-threaded: a part of a DecodeTeam step.
func decodePartialProduct(_ partial: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, lda: Int,
                          _ weight: UnsafePointer<Float>, rows: Int, outC: Int, k: Range<Int>,
                          path: DecodeProductPath) {
    guard !k.isEmpty else { partial.update(repeating: 0, count: rows * outC); return }
    let w = weight + k.lowerBound * outC, x = inp + k.lowerBound, kc = k.count
    if rows == 1 {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(kc), Int32(outC), 1, w, Int32(outC), x, 1, 0, partial, 1)
        return
    }
    // Rows of the slab per block; 0 for one sgemm over the whole slab.
    var block = 0
    switch path {
    case .wholeSlab: block = 0
    case .smallMatrixBlocks:
        block = smallMatrixLimit / (rows * outC)
        if block < 16 { block = 0 }   // many rows: the packed path is the right one then
    case .sgemvBlocks: block = rows < 8 ? 16 : 0
    }
    if block == 0 {
        sgemm(M: rows, N: outC, K: kc, x, lda: lda, w, ldb: outC, beta: 0, partial, ldc: outC, split: false)
        return
    }
    var k0 = 0
    while k0 < kc {
        let n = min(block, kc - k0), beta: Float = k0 == 0 ? 0 : 1
        if path == .sgemvBlocks {
            for i in 0..<rows {
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(outC), 1, w + k0 * outC, Int32(outC),
                            x + i * lda + k0, 1, beta, partial + i * outC, 1)
            }
        } else {
            sgemm(M: rows, N: outC, K: n, x + k0, lda: lda, w + k0 * outC, ldb: outC,
                  beta: beta, partial, ldc: outC, split: false)
        }
        k0 += n
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
    if rows == 1 {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(C), 1, wte + v0 * C, Int32(C), x, 1, 0, logits + v0, 1)
        return
    }
    let width = chunkWidth(rows: rows, inC: C, n: n, limitMN: 1200)
    var c = 0
    while c < n {
        let w = min(width, n - c)
        sgemm(transB: true, M: rows, N: w, K: C, x, lda: C, wte + (v0 + c) * C, ldb: C,
              beta: 0, logits + v0 + c, ldc: V, split: false)
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
