// The forward pass through the blocks and model.norm, caching what the backward needs.
//
// Per block, as transformers' LlamaDecoderLayer (and Qwen2/Qwen3/SmolLM3's):
//     x   = input_layernorm(resid)
//     qkv = [q_proj(x) | k_proj(x) | v_proj(x)]             (biases: Qwen2, attention_bias)
//     q, k ← q_norm(q), k_norm(k) per head                   (Qwen3)
//     q, k ← RoPE(q), RoPE(k)                                (not on SmolLM3's NoPE layers)
//     res2 = resid + o_proj(causal GQA attention(q, k, v))
//     out  = res2 + down_proj(silu(gate_proj(y)) · up_proj(y)),  y = post_attention_layernorm(res2)
import Foundation

extension Llama {
    /// Checks ids and shape; throws a clear error for bad input.
    func validateTokens(_ tokens: UnsafeBufferPointer<Int32>, batch B: Int, seq T: Int) throws {
        guard B > 0, T > 0 else { throw EngineError.invalidInput("batch and sequence length must be positive (got B=\(B), T=\(T))") }
        guard T <= config.maxPositionEmbeddings else {
            throw EngineError.invalidInput("sequence of \(T) tokens is longer than the model's max_position_embeddings (\(config.maxPositionEmbeddings))")
        }
        try checkInputTokens(tokens, batch: B, seq: T, vocabSize: config.vocabSize)
    }

    /// Runs the blocks and model.norm on tokens [B, T] (row-major, positions 0..<T in every row).
    /// Afterwards `hiddenStates` holds the final hidden states and `hiddenGradient` is zero. Right
    /// padding needs no mask: attention is causal, so pads never reach the real positions before them.
    public func forward(tokens: UnsafeBufferPointer<Int32>, batch B: Int, seq T: Int) throws {
        try validateTokens(tokens, batch: B, seq: T)
        BLASThreads.engine { forwardBlocks(tokens: tokens, batch: B, seq: T) }
    }

    /// `forward` on a Swift array.
    public func forward(tokens: [Int32], batch B: Int, seq T: Int) throws {
        try tokens.withUnsafeBufferPointer { try forward(tokens: $0, batch: B, seq: T) }
    }

    /// `forward` after validation, with the products on the engine's threads.
    private func forwardBlocks(tokens: UnsafeBufferPointer<Int32>, batch B: Int, seq T: Int) {
        let a = ensureWorkspace(batch: B, seq: T)
        batch = B; seq = T
        logprobsReady = false; logitsCached = false
        a.tokens.update(from: tokens.baseAddress!, count: B * T)
        let c = config, BT = B * T, C = c.hiddenSize, I = c.intermediateSize, eps = c.rmsNormEps
        let NH = c.numAttentionHeads, KVH = c.numKeyValueHeads, hd = c.headDim
        let Q = c.qDim, KV = c.kvDim, QKV = Q + 2 * KV
        ropeTables(a.cos, a.sin, invFreq: inverseFrequencies, T: T)
        embeddingForward(a.resid[0], a.tokens, params["model.embed_tokens.weight"], rows: BT, C: C)
        lora?.reserve(rows: BT)
        for l in 0..<c.numHiddenLayers {
            let w = blockParams[l], site = l * 7
            rmsnormForward(a.xn1[l], a.rstd1[l], a.resid[l], w.inputNorm, rows: BT, C: C, eps: eps)
            let p = c.qkNorm ? a.proj[l] : a.qkv[l]
            linearForward(p, a.xn1[l], w.qW, w.qB, rows: BT, inC: C, outC: Q, ldOut: QKV)
            linearForward(p + Q, a.xn1[l], w.kW, w.kB, rows: BT, inC: C, outC: KV, ldOut: QKV)
            linearForward(p + Q + KV, a.xn1[l], w.vW, w.vB, rows: BT, inC: C, outC: KV, ldOut: QKV)
            if let lora {
                lora.forward(site: site + LlamaProjection.q, out: p, ldOut: QKV, inp: a.xn1[l], rows: BT)
                lora.forward(site: site + LlamaProjection.k, out: p + Q, ldOut: QKV, inp: a.xn1[l], rows: BT)
                lora.forward(site: site + LlamaProjection.v, out: p + Q + KV, ldOut: QKV, inp: a.xn1[l], rows: BT)
            }
            if c.qkNorm {
                rmsnormForward(a.qkv[l], a.qRstd[l], p, w.qNorm!, rows: BT * NH, C: hd, eps: eps, perRow: NH, ld: QKV)
                rmsnormForward(a.qkv[l] + Q, a.kRstd[l], p + Q, w.kNorm!, rows: BT * KVH, C: hd, eps: eps, perRow: KVH, ld: QKV)
                for r in 0..<BT { (a.qkv[l] + r * QKV + Q + KV).update(from: p + r * QKV + Q + KV, count: KV) }
            }
            if c.ropeLayers[l] {
                ropeRotate(a.qkv[l], a.cos, a.sin, rows: BT, T: T, heads: NH, d: hd, ld: QKV)
                ropeRotate(a.qkv[l] + Q, a.cos, a.sin, rows: BT, T: T, heads: KVH, d: hd, ld: QKV)
            }
            attentionForward(a.atty[l], a.att[l], a.qkv[l], B: B, T: T, C: Q, NH: NH, KVH: KVH)
            linearForward(a.res2[l], a.atty[l], w.oW, w.oB, residual: a.resid[l], rows: BT, inC: Q, outC: C)
            lora?.forward(site: site + LlamaProjection.o, out: a.res2[l], inp: a.atty[l], rows: BT)
            rmsnormForward(a.xn2[l], a.rstd2[l], a.res2[l], w.postNorm, rows: BT, C: C, eps: eps)
            linearForward(a.gate[l], a.xn2[l], w.gateW, w.gateB, rows: BT, inC: C, outC: I)
            linearForward(a.up[l], a.xn2[l], w.upW, w.upB, rows: BT, inC: C, outC: I)
            lora?.forward(site: site + LlamaProjection.gate, out: a.gate[l], inp: a.xn2[l], rows: BT)
            lora?.forward(site: site + LlamaProjection.up, out: a.up[l], inp: a.xn2[l], rows: BT)
            swigluForward(a.mlpH, a.gate[l], a.up[l], count: BT * I)
            linearForward(a.resid[l + 1], a.mlpH, w.downW, w.downB, residual: a.res2[l], rows: BT, inC: I, outC: C)
            lora?.forward(site: site + LlamaProjection.down, out: a.resid[l + 1], inp: a.mlpH, rows: BT)
        }
        rmsnormForward(a.lnf, a.lnfRstd, a.resid[c.numHiddenLayers], params["model.norm.weight"], rows: BT, C: C, eps: eps)
        Parallel.zero(a.dHidden, BT * C)
    }
}
