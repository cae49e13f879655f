// The Llama workspace: every activation the backward needs, cached per layer, plus the scratch
// the backward and the LM head reuse. One allocation sized for the largest (B, T) seen so far
// (the high-water mark), so the training loop never allocates.
//
// Per layer (C = hidden, QKV = (heads + 2·kv_heads)·head_dim, Q = heads·head_dim, I = intermediate):
// the block input (residual stream), the normed input and its rstd, the projected q|k|v before
// (Qwen3 only) and after the q/k norms and RoPE, the attention probabilities and output, the
// stream after attention, its norm, and the MLP's gate and up projections. silu(gate)·up is
// recomputed in the backward instead of stored.

final class LlamaActivations {
    /// Capacity: rows (B·T) and attention rows·keys (B·T·T) the buffers hold.
    let rowCapacity: Int, attCapacity: Int
    /// Rows of logits one LM-head chunk holds.
    let headChunkRows: Int
    private let floats: FloatStorage
    private let tokenStorage: UnsafeMutablePointer<Int32>

    typealias Ptr = UnsafeMutablePointer<Float>
    // Per layer, L pointers each (resid has L + 1).
    let resid: [Ptr]                 // (BT, C) block inputs; resid[L] feeds model.norm
    let xn1: [Ptr], rstd1: [Ptr]     // (BT, C), (BT) input_layernorm
    let proj: [Ptr]                  // (BT, QKV) q|k|v before q/k norms (Qwen3), else unused
    let qRstd: [Ptr], kRstd: [Ptr]   // (BT·NH), (BT·KVH) q_norm / k_norm statistics (Qwen3)
    let qkv: [Ptr]                   // (BT, QKV) what attention reads: normed, rotated q and k, v
    let att: [Ptr]                   // (B, NH, T, T)
    let atty: [Ptr]                  // (BT, Q)
    let res2: [Ptr]                  // (BT, C) stream after attention
    let xn2: [Ptr], rstd2: [Ptr]     // (BT, C), (BT) post_attention_layernorm
    let gate: [Ptr], up: [Ptr]       // (BT, I) each
    let lnf: Ptr, lnfRstd: Ptr       // (BT, C), (BT) model.norm: the final hidden states

    // Shared scratch.
    let mlpH: Ptr, dMlpH: Ptr        // (BT, I) silu(gate)·up and its gradient
    let dgate: Ptr, dup: Ptr         // (BT, I)
    let dresid: Ptr, dln: Ptr        // (BT, C)
    let datty: Ptr                   // (BT, Q)
    let dqkv: Ptr, dproj: Ptr        // (BT, QKV)
    let datt: Ptr                    // (B, NH, T, T)
    let dHidden: Ptr                 // (BT, C) gradient of the final hidden states
    let headChunk: Ptr               // (headChunkRows, V)
    let rowStat: Ptr                 // (BT) per-row loss
    let ones: Ptr                    // (BT) all 1 (bias gradients as gemv)
    let normScratch: Ptr             // (max(C, hd)·cores)
    let cos: Ptr, sin: Ptr           // (T, hd/2) RoPE tables for the current T
    let tokens: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>  // (BT)

    init(config c: LlamaConfig, rows: Int, attention: Int) {
        let L = c.numHiddenLayers, C = c.hiddenSize, I = c.intermediateSize, V = c.vocabSize
        let NH = c.numAttentionHeads, KVH = c.numKeyValueHeads, Q = c.qDim, QKV = c.qDim + 2 * c.kvDim
        let norms = c.qkNorm
        rowCapacity = rows; attCapacity = attention
        // A chunk of at most ~32M floats (128 MB) of logits: a 152k vocabulary never materialises [B, T, V].
        headChunkRows = max(1, min(rows, (32 << 20) / V))
        let perLayer = [rows * C, rows * C, rows, norms ? rows * QKV : 0, norms ? rows * NH : 0, norms ? rows * KVH : 0,
                        rows * QKV, attention * NH, rows * Q, rows * C, rows * C, rows, rows * I, rows * I]
        var sizes: [Int] = []
        for _ in 0..<L { sizes += perLayer }
        sizes += [rows * C, rows * C, rows]
        sizes += [rows * I, rows * I, rows * I, rows * I, rows * C, rows * C, rows * Q, rows * QKV, norms ? rows * QKV : 0,
                  attention * NH, rows * C, headChunkRows * V, rows, rows, max(C, c.headDim) * Parallel.width,
                  rows * c.headDim / 2, rows * c.headDim / 2]
        let padded = sizes.map { ($0 + 15) / 16 * 16 }
        floats = FloatStorage(count: padded.reduce(0, +))
        var next = floats.base
        var cursor = padded.makeIterator()
        func take() -> Ptr { defer { next += cursor.next()! }; return next }
        var perLayerPtrs = Array(repeating: [Ptr](), count: perLayer.count)
        for _ in 0..<L { for k in 0..<perLayer.count { perLayerPtrs[k].append(take()) } }
        resid = perLayerPtrs[0] + [take()]
        xn1 = perLayerPtrs[1]; rstd1 = perLayerPtrs[2]; proj = perLayerPtrs[3]; qRstd = perLayerPtrs[4]
        kRstd = perLayerPtrs[5]; qkv = perLayerPtrs[6]; att = perLayerPtrs[7]; atty = perLayerPtrs[8]
        res2 = perLayerPtrs[9]; xn2 = perLayerPtrs[10]; rstd2 = perLayerPtrs[11]; gate = perLayerPtrs[12]; up = perLayerPtrs[13]
        lnf = take(); lnfRstd = take()
        mlpH = take(); dMlpH = take(); dgate = take(); dup = take(); dresid = take(); dln = take(); datty = take()
        dqkv = take(); dproj = take(); datt = take(); dHidden = take(); headChunk = take(); rowStat = take()
        ones = take(); normScratch = take(); cos = take(); sin = take()
        ones.update(repeating: 1, count: rows)
        tokenStorage = .allocate(capacity: 2 * rows)
        tokenStorage.initialize(repeating: 0, count: 2 * rows)
        tokens = tokenStorage; targets = tokenStorage + rows
    }

    deinit { tokenStorage.deallocate() }
}
