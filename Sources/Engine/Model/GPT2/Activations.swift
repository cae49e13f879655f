// The workspace: every activation the backward needs, cached per layer, plus the scratch the
// backward and the LM head reuse. One allocation sized for the largest (B, T) seen so far (the
// high-water mark); smaller batches reuse it, so the training loop never allocates.
//
// Per layer it keeps 12·B·T·C + B·NH·T² floats: the block input (the residual stream), ln_1,
// q|k|v, the attention probabilities and output, the stream after attention, ln_2 and the MLP's
// pre-GELU activations. The GELU output is recomputed in the backward instead of stored.

final class Activations {
    /// Capacity: rows (B·T) and attention rows·keys (B·T·T) the buffers hold.
    let rowCapacity: Int, attCapacity: Int
    /// Rows of logits one LM-head chunk holds.
    let headChunkRows: Int
    private let floats: FloatStorage
    private let tokenStorage: UnsafeMutablePointer<Int32>

    // Per layer, each an array of L pointers (resid has L + 1).
    let resid: [UnsafeMutablePointer<Float>]   // [BT, C] block inputs; resid[L] feeds ln_f
    let ln1: [UnsafeMutablePointer<Float>]     // [BT, C]
    let ln1Mean: [UnsafeMutablePointer<Float>], ln1Rstd: [UnsafeMutablePointer<Float>]  // [BT]
    let qkv: [UnsafeMutablePointer<Float>]     // [BT, 3C]
    let att: [UnsafeMutablePointer<Float>]     // [B, NH, T, T]
    let atty: [UnsafeMutablePointer<Float>]    // [BT, C]
    let res2: [UnsafeMutablePointer<Float>]    // [BT, C] stream after attention
    let ln2: [UnsafeMutablePointer<Float>]     // [BT, C]
    let ln2Mean: [UnsafeMutablePointer<Float>], ln2Rstd: [UnsafeMutablePointer<Float>]
    let fch: [UnsafeMutablePointer<Float>]     // [BT, H] before GELU
    let lnf: UnsafeMutablePointer<Float>       // [BT, C] the final hidden states
    let lnfMean: UnsafeMutablePointer<Float>, lnfRstd: UnsafeMutablePointer<Float>

    // Shared scratch.
    let geluOut: UnsafeMutablePointer<Float>   // [BT, H]
    let geluSlope: UnsafeMutablePointer<Float> // [BT, H] gelu'(fch) while one block's MLP is backpropagated
    let dfch: UnsafeMutablePointer<Float>      // [BT, H]
    let dresid: UnsafeMutablePointer<Float>    // [BT, C]
    let dln: UnsafeMutablePointer<Float>       // [BT, C]
    let datty: UnsafeMutablePointer<Float>     // [BT, C]
    let dqkv: UnsafeMutablePointer<Float>      // [BT, 3C]
    let datt: UnsafeMutablePointer<Float>      // [B, NH, T, T]
    let dHidden: UnsafeMutablePointer<Float>   // [BT, C] gradient of the final hidden states
    let headChunk: UnsafeMutablePointer<Float> // [headChunkRows, V]
    /// Rows of headChunk holding the logits the last tokenLogprobs computed (the whole batch fits one
    /// chunk), which logprobBackward then reuses instead of recomputing; 0 when they are stale.
    var cachedLogitRows = 0
    let rowStat: UnsafeMutablePointer<Float>   // [BT] per-row log-sum-exp or loss
    let ones: UnsafeMutablePointer<Float>      // [BT] all 1 (column sums as gemv)
    let lnScratch: UnsafeMutablePointer<Float> // [2·C·cores]
    let tokens: UnsafeMutablePointer<Int32>    // [BT]
    let targets: UnsafeMutablePointer<Int32>   // [BT]

    init(config: GPT2Config, rows: Int, attention: Int) {
        let L = config.nLayer, C = config.nEmbd, H = config.hiddenSize, V = config.vocabSize
        rowCapacity = rows; attCapacity = attention
        // A chunk of at most ~32M floats (128 MB) of logits, so GPT-2's 50k vocabulary never
        // materialises [B, T, V] in training.
        headChunkRows = max(1, min(rows, (32 << 20) / V))
        var sizes: [Int] = []
        let perLayer = [rows * C, rows * C, rows, rows, rows * 3 * C, attention * config.nHead, rows * C,
                        rows * C, rows * C, rows, rows, rows * H]
        for _ in 0..<L { sizes += perLayer }
        sizes += [rows * C, rows * C, rows, rows]                 // resid[L], lnf, mean, rstd
        sizes += [rows * H, rows * H, rows * H, rows * C, rows * C, rows * C, rows * 3 * C, attention * config.nHead,
                  rows * C, headChunkRows * V, rows, rows, 2 * C * Parallel.width]
        let padded = sizes.map { ($0 + 15) / 16 * 16 }
        let total = padded.reduce(0, +)
        floats = FloatStorage(count: total)
        let storage = floats.base
        tokenStorage = .allocate(capacity: 2 * rows)
        tokenStorage.initialize(repeating: 0, count: 2 * rows)
        var ptrs: [UnsafeMutablePointer<Float>] = []
        var offset = 0
        for n in padded { ptrs.append(storage + offset); offset += n }
        var i = 0
        func take() -> UnsafeMutablePointer<Float> { defer { i += 1 }; return ptrs[i] }
        var r: [UnsafeMutablePointer<Float>] = [], a: [UnsafeMutablePointer<Float>] = []
        var b: [UnsafeMutablePointer<Float>] = [], c: [UnsafeMutablePointer<Float>] = []
        var d: [UnsafeMutablePointer<Float>] = [], e: [UnsafeMutablePointer<Float>] = []
        var f: [UnsafeMutablePointer<Float>] = [], g: [UnsafeMutablePointer<Float>] = []
        var h: [UnsafeMutablePointer<Float>] = [], k: [UnsafeMutablePointer<Float>] = []
        var m: [UnsafeMutablePointer<Float>] = [], n: [UnsafeMutablePointer<Float>] = []
        for _ in 0..<L {
            r.append(take()); a.append(take()); b.append(take()); c.append(take())
            d.append(take()); e.append(take()); f.append(take()); g.append(take())
            h.append(take()); k.append(take()); m.append(take()); n.append(take())
        }
        r.append(take())
        resid = r; ln1 = a; ln1Mean = b; ln1Rstd = c; qkv = d; att = e; atty = f; res2 = g
        ln2 = h; ln2Mean = k; ln2Rstd = m; fch = n
        lnf = take(); lnfMean = take(); lnfRstd = take()
        geluOut = take(); geluSlope = take(); dfch = take(); dresid = take(); dln = take(); datty = take(); dqkv = take()
        datt = take(); dHidden = take(); headChunk = take(); rowStat = take(); ones = take(); lnScratch = take()
        ones.update(repeating: 1, count: rows)
        tokens = tokenStorage; targets = tokenStorage + rows
    }

    deinit {
        tokenStorage.deallocate()
    }
}
