// The backward pass from the gradient of the final hidden states down through the blocks,
// stopping below the lowest trainable block. Parameter gradients accumulate into `grads`.
import Foundation

extension GPT2 {
    /// Backpropagates `hiddenGradient` (filled by a head's backward) into `grads` for every
    /// trainable tensor. Blocks below `firstTrainableLayer` are never visited.
    public func backward() {
        guard let a = acts, batch > 0 else { preconditionFailure("call forward before backward") }
        BLASThreads.engine { backwardBlocks(a) }
    }

    /// `backward` on the workspace, with the products on the engine's threads.
    private func backwardBlocks(_ a: Activations) {
        let B = batch, T = seq, BT = B * T, C = config.nEmbd, H = config.hiddenSize, L = config.nLayer
        let first = firstTrainableLayer
        let inputSide = freezing.trainEmbeddings && first == 0 && lora == nil
        Parallel.zero(a.dresid, BT * C)
        // With a LoRA adapter the base is frozen: only activation gradients pass through its weights.
        let base = lora == nil
        layerNormBackward(a.dresid, base ? grads["ln_f.weight"] : nil, base ? grads["ln_f.bias"] : nil, a.dHidden, a.resid[L],
                          params["ln_f.weight"], a.lnfMean, a.lnfRstd, rows: BT, C: C, scratch: a.lnScratch)
        for l in stride(from: L - 1, through: first, by: -1) {
            let w = blockParams[l], g: BlockTensors? = base ? blockGrads[l] : nil, site = l * 4
            // MLP: resid[l+1] = res2 + c_proj(gelu(c_fc(ln_2(res2))))
            geluForward(a.geluOut, slope: a.geluSlope, a.fch[l], count: BT * H)
            Parallel.zero(a.dfch, BT * H)
            matmulBackward(a.dfch, g?.mlpW, g?.mlpB, a.dresid, a.geluOut, w.mlpW, rows: BT, inC: H, outC: C, ones: a.ones)
            lora?.backward(site: site + GPT2Projection.mlpProj, dinp: a.dfch, dout: a.dresid, inp: a.geluOut, rows: BT)
            geluBackward(a.dfch, slope: a.geluSlope, count: BT * H)
            Parallel.zero(a.dln, BT * C)
            matmulBackward(a.dln, g?.fcW, g?.fcB, a.dfch, a.ln2[l], w.fcW, rows: BT, inC: C, outC: H, ones: a.ones)
            lora?.backward(site: site + GPT2Projection.fc, dinp: a.dln, dout: a.dfch, inp: a.ln2[l], rows: BT)
            layerNormBackward(a.dresid, g?.ln2w, g?.ln2b, a.dln, a.res2[l], w.ln2w, a.ln2Mean[l], a.ln2Rstd[l],
                              rows: BT, C: C, scratch: a.lnScratch)
            // Attention: res2 = resid[l] + c_proj(attn(c_attn(ln_1(resid[l]))))
            Parallel.zero(a.datty, BT * C)
            matmulBackward(a.datty, g?.projW, g?.projB, a.dresid, a.atty[l], w.projW, rows: BT, inC: C, outC: C, ones: a.ones)
            lora?.backward(site: site + GPT2Projection.attnProj, dinp: a.datty, dout: a.dresid, inp: a.atty[l], rows: BT)
            Parallel.zero(a.dqkv, BT * 3 * C)
            attentionBackward(a.dqkv, a.datt, a.datty, a.qkv[l], a.att[l], B: B, T: T, C: C, NH: config.nHead)
            Parallel.zero(a.dln, BT * C)
            matmulBackward(a.dln, g?.attnW, g?.attnB, a.dqkv, a.ln1[l], w.attnW, rows: BT, inC: C, outC: 3 * C, ones: a.ones)
            lora?.backward(site: site + GPT2Projection.attn, dinp: a.dln, dout: a.dqkv, inp: a.ln1[l], rows: BT)
            // The lowest visited block skips its input gradient when nothing below trains.
            let needInput = l > first || inputSide
            layerNormBackward(needInput ? a.dresid : nil, g?.ln1w, g?.ln1b, a.dln, a.resid[l], w.ln1w,
                              a.ln1Mean[l], a.ln1Rstd[l], rows: BT, C: C, scratch: a.lnScratch)
        }
        if inputSide {
            encoderBackward(grads["wte.weight"], grads["wpe.weight"], a.dresid, a.tokens, B: B, T: T, C: C)
        }
    }
}
