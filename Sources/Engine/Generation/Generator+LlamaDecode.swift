// One decoding step of the Generator for the Llama family: every active row feeds its latest token
// through the blocks at its own position, as Llama+Forward.swift computes a whole sequence:
//     x   = input_layernorm(h);  q|k|v = q_proj(x) | k_proj(x) | v_proj(x)
//     q, k ← q_norm, k_norm (Qwen3);  q, k ← RoPE at the row's position (not on NoPE layers)
//     k, v → the row's cache (key/value heads only: grouped-query attention never repeats them)
//     h  += o_proj(attention of q over the cache, query head h reading kv head h / (NH / KVH))
//     h  += down_proj(silu(gate_proj(y)) · up_proj(y)),  y = post_attention_layernorm(h)
// then model.norm and the LM head. The products are M rows against each weight, on BLAS's threads.
import Foundation

extension Generator {
    /// Runs tokenOf[0..<M] at positions posOf[0..<M] (cache rows rowOf[0..<M]) and leaves their
    /// next-token logits in logits[M, V]. Call inside BLASThreads.engine.
    func llamaDecodeStep(_ model: Llama, rows M: Int, cacheLength Tc: Int) {
        let c = model.config, C = c.hiddenSize, I = c.intermediateSize, eps = c.rmsNormEps
        let NH = c.numAttentionHeads, KVH = c.numKeyValueHeads, hd = c.headDim, half = hd / 2
        let Q = c.qDim, KV = c.kvDim, QKV = Q + 2 * KV, R = capacityRows
        let embed = model.params["model.embed_tokens.weight"]
        let gate = hid!, up = hid + R * I, rstd = stats!
        for i in 0..<M { (x + i * C).update(from: embed + Int(tokenOf[i]) * C, count: C) }
        for l in 0..<c.numHiddenLayers {
            let w = model.blockParams[l]
            rmsnormForward(ln, rstd, x, w.inputNorm, rows: M, C: C, eps: eps)
            linearForward(qkv, ln, w.qW, w.qB, rows: M, inC: C, outC: Q, ldOut: QKV)
            linearForward(qkv + Q, ln, w.kW, w.kB, rows: M, inC: C, outC: KV, ldOut: QKV)
            linearForward(qkv + Q + KV, ln, w.vW, w.vB, rows: M, inC: C, outC: KV, ldOut: QKV)
            if c.qkNorm {
                rmsnormForward(qkv, rstd, qkv, w.qNorm!, rows: M * NH, C: hd, eps: eps, perRow: NH, ld: QKV)
                rmsnormForward(qkv + Q, rstd, qkv + Q, w.kNorm!, rows: M * KVH, C: hd, eps: eps, perRow: KVH, ld: QKV)
            }
            for i in 0..<M {
                let row = qkv + i * QKV
                if c.ropeLayers[l] {
                    // One row at its position: the tables' row posOf[i] (rows 1, T 1 reads table row 0 of the offset).
                    let cos = ropeCos + posOf[i] * half, sin = ropeSin + posOf[i] * half
                    ropeRotate(row, cos, sin, rows: 1, T: 1, heads: NH, d: hd, ld: QKV)
                    ropeRotate(row + Q, cos, sin, rows: 1, T: 1, heads: KVH, d: hd, ld: QKV)
                }
                let at = (rowOf[i] * Tc + posOf[i]) * KV
                (kCache[l] + at).update(from: row + Q, count: KV)
                (vCache[l] + at).update(from: row + Q + KV, count: KV)
            }
            decodeGroupedAttentionForward(atty, qkv, ldq: QKV, kCache[l], vCache[l], cacheRow: rowOf, pos: posOf, rows: M,
                                          stride: Tc, NH: NH, KVH: KVH, hd: hd, scratch: scores)
            linearForward(x2, atty, w.oW, w.oB, residual: x, rows: M, inC: Q, outC: C)
            rmsnormForward(ln, rstd, x2, w.postNorm, rows: M, C: C, eps: eps)
            linearForward(gate, ln, w.gateW, w.gateB, rows: M, inC: C, outC: I)
            linearForward(up, ln, w.upW, w.upB, rows: M, inC: C, outC: I)
            swigluForward(gate, gate, up, count: M * I)
            linearForward(x, gate, w.downW, w.downB, residual: x2, rows: M, inC: I, outC: C)
        }
        rmsnormForward(x, rstd, x, model.params["model.norm.weight"], rows: M, C: C, eps: eps)
        lmHead(rows: M)
    }
}
