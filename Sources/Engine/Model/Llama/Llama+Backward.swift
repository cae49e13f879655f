// The backward pass from the gradient of the final hidden states down through the blocks to the
// token embedding, each step the transpose of its forward (Llama+Forward.swift). Every parameter
// gradient accumulates into `grads`. Blocks below `firstTrainableLayer` are never visited.
import Foundation

extension Llama {
    /// Backpropagates `hiddenGradient` (filled by a head's backward) into `grads`.
    public func backward() {
        guard let a = acts, batch > 0 else { preconditionFailure("call forward before backward") }
        BLASThreads.engine { backwardBlocks(a) }
    }

    private func backwardBlocks(_ a: LlamaActivations) {
        let c = config, B = batch, T = seq, BT = B * T, C = c.hiddenSize, I = c.intermediateSize, L = c.numHiddenLayers
        let NH = c.numAttentionHeads, KVH = c.numKeyValueHeads, hd = c.headDim
        let Q = c.qDim, KV = c.kvDim, QKV = Q + 2 * KV
        let first = firstTrainableLayer, inputSide = freezing.trainEmbeddings && first == 0 && lora == nil
        Parallel.zero(a.dresid, BT * C)
        // With a LoRA adapter the base is frozen: only activation gradients pass through its weights.
        let base = lora == nil
        rmsnormBackward(a.dresid, base ? grads["model.norm.weight"] : nil, a.dHidden, a.resid[L], params["model.norm.weight"],
                        a.lnfRstd, rows: BT, C: C, scratch: a.normScratch)
        for l in stride(from: L - 1, through: first, by: -1) {
            let w = blockParams[l], g: LlamaBlock? = base ? blockGrads[l] : nil, site = l * 7
            // MLP: resid[l+1] = res2 + down(silu(gate(xn2)) · up(xn2))
            swigluForward(a.mlpH, a.gate[l], a.up[l], count: BT * I)
            Parallel.zero(a.dMlpH, BT * I)
            linearBackward(a.dMlpH, g?.downW, g?.downB, a.dresid, a.mlpH, w.downW, rows: BT, inC: I, outC: C, ones: a.ones)
            lora?.backward(site: site + LlamaProjection.down, dinp: a.dMlpH, dout: a.dresid, inp: a.mlpH, rows: BT)
            Parallel.zero(a.dgate, BT * I); Parallel.zero(a.dup, BT * I)
            swigluBackward(a.dgate, a.dup, a.dMlpH, a.gate[l], a.up[l], count: BT * I)
            Parallel.zero(a.dln, BT * C)
            linearBackward(a.dln, g?.gateW, g?.gateB, a.dgate, a.xn2[l], w.gateW, rows: BT, inC: C, outC: I, ones: a.ones)
            linearBackward(a.dln, g?.upW, g?.upB, a.dup, a.xn2[l], w.upW, rows: BT, inC: C, outC: I, ones: a.ones)
            lora?.backward(site: site + LlamaProjection.gate, dinp: a.dln, dout: a.dgate, inp: a.xn2[l], rows: BT)
            lora?.backward(site: site + LlamaProjection.up, dinp: a.dln, dout: a.dup, inp: a.xn2[l], rows: BT)
            rmsnormBackward(a.dresid, g?.postNorm, a.dln, a.res2[l], w.postNorm, a.rstd2[l], rows: BT, C: C, scratch: a.normScratch)
            // Attention: res2 = resid[l] + o_proj(attention(rope(norm(q|k|v))))
            Parallel.zero(a.datty, BT * Q)
            linearBackward(a.datty, g?.oW, g?.oB, a.dresid, a.atty[l], w.oW, rows: BT, inC: Q, outC: C, ones: a.ones)
            lora?.backward(site: site + LlamaProjection.o, dinp: a.datty, dout: a.dresid, inp: a.atty[l], rows: BT)
            Parallel.zero(a.dqkv, BT * QKV)
            attentionBackward(a.dqkv, a.datt, a.datty, a.qkv[l], a.att[l], B: B, T: T, C: Q, NH: NH, KVH: KVH)
            if c.ropeLayers[l] {
                ropeRotate(a.dqkv, a.cos, a.sin, rows: BT, T: T, heads: NH, d: hd, ld: QKV, inverse: true)
                ropeRotate(a.dqkv + Q, a.cos, a.sin, rows: BT, T: T, heads: KVH, d: hd, ld: QKV, inverse: true)
            }
            var dp = a.dqkv, p = a.qkv[l]
            if c.qkNorm {
                // dproj: q and k through their norms, v unchanged.
                dp = a.dproj; p = a.proj[l]
                Parallel.zero(dp, BT * QKV)
                rmsnormBackward(dp, g?.qNorm, a.dqkv, p, w.qNorm!, a.qRstd[l], rows: BT * NH, C: hd, perRow: NH, ld: QKV,
                                scratch: a.normScratch)
                rmsnormBackward(dp + Q, g?.kNorm, a.dqkv + Q, p + Q, w.kNorm!, a.kRstd[l], rows: BT * KVH, C: hd,
                                perRow: KVH, ld: QKV, scratch: a.normScratch)
                for r in 0..<BT { (dp + r * QKV + Q + KV).update(from: a.dqkv + r * QKV + Q + KV, count: KV) }
            }
            Parallel.zero(a.dln, BT * C)
            linearBackward(a.dln, g?.qW, g?.qB, dp, a.xn1[l], w.qW, rows: BT, inC: C, outC: Q, ldOut: QKV, ones: a.ones)
            linearBackward(a.dln, g?.kW, g?.kB, dp + Q, a.xn1[l], w.kW, rows: BT, inC: C, outC: KV, ldOut: QKV, ones: a.ones)
            linearBackward(a.dln, g?.vW, g?.vB, dp + Q + KV, a.xn1[l], w.vW, rows: BT, inC: C, outC: KV, ldOut: QKV, ones: a.ones)
            if let lora {
                lora.backward(site: site + LlamaProjection.q, dinp: a.dln, dout: dp, ldOut: QKV, inp: a.xn1[l], rows: BT)
                lora.backward(site: site + LlamaProjection.k, dinp: a.dln, dout: dp + Q, ldOut: QKV, inp: a.xn1[l], rows: BT)
                lora.backward(site: site + LlamaProjection.v, dinp: a.dln, dout: dp + Q + KV, ldOut: QKV, inp: a.xn1[l], rows: BT)
            }
            // The lowest visited block skips its input gradient when nothing below trains.
            rmsnormBackward(l > first || inputSide ? a.dresid : nil, g?.inputNorm, a.dln, a.resid[l], w.inputNorm, a.rstd1[l],
                            rows: BT, C: C, scratch: a.normScratch)
        }
        if inputSide { embeddingBackward(grads["model.embed_tokens.weight"], a.dresid, a.tokens, rows: BT, C: C) }
    }
}
