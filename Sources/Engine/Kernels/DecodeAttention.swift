// Attention for one decoding step: each row's single new query attends over that row's KV cache
// (positions 0…pos[row], the new key and value already written). The work is rows × heads small
// independent problems (a few dozen keys of head size 64), so it runs as vector loops split over
// the cores by (row, head); BLAS calls this small cost more in call and threading overhead than
// they compute.
import Foundation

/// out[rows, C] = softmax(q·Kᵀ/√hs) · V per (row, head), where q comes from qkv[rows, 3C] (the
/// first C of each row) and K, V are cache row cacheRow[row] of kCache/vCache [cacheRows, stride, C],
/// keys 0…pos[row]. `scratch` holds `Parallel.width × stride` floats (one score row per part).
func decodeAttentionForward(_ out: UnsafeMutablePointer<Float>, _ qkv: UnsafePointer<Float>,
                            _ kCache: UnsafePointer<Float>, _ vCache: UnsafePointer<Float>,
                            cacheRow: UnsafePointer<Int>, pos: UnsafePointer<Int>, rows: Int, stride: Int, C: Int, NH: Int,
                            scratch: UnsafeMutablePointer<Float>) {
    let hs = C / NH
    let items = rows * NH
    // Work per item grows with the row's length; a part per core is enough. Below ~1M
    // multiply-adds in all (GPT-2 small at batch 8 and 100 positions is ~0.6M) the fork-join, 12
    // times a step and against OpenBLAS's still-spinning threads, costs more than it saves (measured).
    let work = (0..<rows).reduce(0) { $0 + pos[$1] + 1 } * C
    let parts = work < 1 << 20 ? 1 : min(Parallel.width, items)
    Parallel.parts(items, parts: parts) { p, r in
        for item in r {
            decodeAttentionHead(out, qkv, kCache, vCache, cacheRow: cacheRow, pos: pos, row: item / NH, head: item % NH,
                                kvHead: item % NH, stride: stride, ldq: 3 * C, ldo: C, kvWidth: C, hs: hs,
                                scores: scratch + p * stride)
        }
    }
}

/// decodeAttentionForward for the heads in `heads` of every row, on the calling thread (a part of
/// a DecodeTeam step); `scores` holds `stride` floats.
func decodeAttentionForward(_ out: UnsafeMutablePointer<Float>, _ qkv: UnsafePointer<Float>,
                            _ kCache: UnsafePointer<Float>, _ vCache: UnsafePointer<Float>,
                            cacheRow: UnsafePointer<Int>, pos: UnsafePointer<Int>, rows: Int, heads: Range<Int>,
                            stride: Int, C: Int, NH: Int, scores: UnsafeMutablePointer<Float>) {
    for b in 0..<rows {
        for h in heads {
            decodeAttentionHead(out, qkv, kCache, vCache, cacheRow: cacheRow, pos: pos, row: b, head: h, kvHead: h,
                                stride: stride, ldq: 3 * C, ldo: C, kvWidth: C, hs: C / NH, scores: scores)
        }
    }
}

/// Grouped-query decode attention (the Llama family): out[rows, NH·hd] from the queries at the
/// start of each row of q (row stride ldq), query head h reading key/value head h / (NH / KVH) of
/// kCache/vCache [cacheRows, stride, KVH·hd]. The cache holds the KV heads only, never repeated.
func decodeGroupedAttentionForward(_ out: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>, ldq: Int,
                                   _ kCache: UnsafePointer<Float>, _ vCache: UnsafePointer<Float>,
                                   cacheRow: UnsafePointer<Int>, pos: UnsafePointer<Int>, rows: Int, stride: Int,
                                   NH: Int, KVH: Int, hd: Int, scratch: UnsafeMutablePointer<Float>) {
    let items = rows * NH, group = NH / KVH
    let work = (0..<rows).reduce(0) { $0 + pos[$1] + 1 } * NH * hd
    let parts = work < 1 << 20 ? 1 : min(Parallel.width, items)
    Parallel.parts(items, parts: parts) { p, r in
        for item in r {
            let h = item % NH
            decodeAttentionHead(out, q, kCache, vCache, cacheRow: cacheRow, pos: pos, row: item / NH, head: h,
                                kvHead: h / group, stride: stride, ldq: ldq, ldo: NH * hd, kvWidth: KVH * hd, hs: hd,
                                scores: scratch + p * stride)
        }
    }
}

// The formula, per row and head, for the row's one new query q (hs values) at position pos:
//     s[j] = q · K[j] / √hs        for the cached keys j = 0…pos
//     p    = softmax(s)            = exp(s[j] − max s) / Σ_j' exp(s[j'] − max s)
//     out  = Σ_j p[j] · V[j]
// the last row of PyTorch's F.scaled_dot_product_attention(q, k, v, is_causal=True) over the whole
// sequence so far (Attention.swift's forward). Below, the dot products, the max and the exp run 16
// lanes at a time (vdot, vmax, vexpShiftSum), and the weighted sum with Vec16 accumulators; the
// normalisation 1/Σ is applied once, to the sum.
/// One (row, head): out[row, head's hs] = softmax(q·Kᵀ/√hs) · V over keys 0…pos[row] of KV head
/// `kvHead` (= head without grouping). Rows of q are ldq apart, of out ldo; cache positions kvWidth.
@inline(__always)
private func decodeAttentionHead(_ out: UnsafeMutablePointer<Float>, _ qkv: UnsafePointer<Float>,
                                 _ kCache: UnsafePointer<Float>, _ vCache: UnsafePointer<Float>,
                                 cacheRow: UnsafePointer<Int>, pos: UnsafePointer<Int>, row b: Int, head h: Int,
                                 kvHead: Int, stride: Int, ldq: Int, ldo: Int, kvWidth: Int, hs: Int,
                                 scores: UnsafeMutablePointer<Float>) {
    let n = pos[b] + 1, scale = 1 / Float(hs).squareRoot()
    let q = qkv + b * ldq + h * hs, y = out + b * ldo + h * hs
    let cache = cacheRow[b] * stride * kvWidth + kvHead * hs
    let keys = kCache + cache, values = vCache + cache
    for j in 0..<n { scores[j] = vdot(q, keys + j * kvWidth, hs) * scale }
    let m = vmax(scores, n)
    let s = vexpShiftSum(scores, n, shift: m)
    weightedRowSum(y, scores, values, n: n, hs: hs, rowStride: kvWidth, scale: 1 / s)
}

/// y[hs] = scale · Σ_j w[j] · v[j·rowStride ..< j·rowStride + hs].
@inline(__always)
private func weightedRowSum(_ y: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                            n: Int, hs: Int, rowStride: Int, scale: Float) {
    var d = 0
    // Four 16-wide accumulators (GPT-2's head size 64) per pass, then 16 at a time, then scalars.
    while d + 64 <= hs {
        var a0 = Vec16(), a1 = Vec16(), a2 = Vec16(), a3 = Vec16()
        var p = v + d
        for j in 0..<n {
            let wj = w[j]
            a0 += load16(p) * wj; a1 += load16(p + 16) * wj; a2 += load16(p + 32) * wj; a3 += load16(p + 48) * wj
            p += rowStride
        }
        store16(a0 * scale, y + d); store16(a1 * scale, y + d + 16)
        store16(a2 * scale, y + d + 32); store16(a3 * scale, y + d + 48)
        d += 64
    }
    while d + 16 <= hs {
        var a = Vec16()
        var p = v + d
        for j in 0..<n { a += load16(p) * w[j]; p += rowStride }
        store16(a * scale, y + d)
        d += 16
    }
    while d < hs {
        var a: Float = 0
        for j in 0..<n { a += v[j * rowStride + d] * w[j] }
        y[d] = a * scale
        d += 1
    }
}
