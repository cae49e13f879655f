// One decoding step of the Generator: every active row feeds its latest token through the
// blocks (keys and values appended to its cache), then ln_f and the LM head give the next
// logits. Rows are packed, so M active rows cost M rows of work whatever the batch was.
import COpenBLAS
import Foundation

extension Generator {
    /// Runs tokenOf[0..<M] at positions posOf[0..<M] (cache rows rowOf[0..<M]) and leaves their
    /// next-token logits in logits[M, V].
    func decodeStep(rows M: Int, cacheLength Tc: Int) {
        BLASThreads.engine { decodeBlocks(rows: M, cacheLength: Tc) }
    }

    private func decodeBlocks(rows M: Int, cacheLength Tc: Int) {
        let c = model.config, C = c.nEmbd, H = c.hiddenSize, eps = c.layerNormEpsilon
        let wte = model.params["wte.weight"], wpe = model.params["wpe.weight"]
        for i in 0..<M {
            let o = x + i * C, e = wte + Int(tokenOf[i]) * C, pe = wpe + posOf[i] * C
            for j in 0..<C { o[j] = e[j] + pe[j] }
        }
        for l in 0..<c.nLayer {
            let w = model.blockParams[l]
            layerNormForward(ln, stats, stats + M, x, w.ln1w, w.ln1b, rows: M, C: C, eps: eps)
            decodeMatmulForward(qkv, ln, w.attnW, w.attnB, rows: M, inC: C, outC: 3 * C)
            for i in 0..<M {
                let at = (rowOf[i] * Tc + posOf[i]) * C, src = qkv + i * 3 * C
                (kCache[l] + at).update(from: src + C, count: C)
                (vCache[l] + at).update(from: src + 2 * C, count: C)
            }
            decodeAttentionForward(atty, qkv, kCache[l], vCache[l], cacheRow: rowOf, pos: posOf, rows: M,
                                   stride: Tc, C: C, NH: c.nHead, scratch: scores)
            decodeMatmulForward(x2, atty, w.projW, w.projB, residual: x, rows: M, inC: C, outC: C)
            layerNormForward(ln, stats, stats + M, x2, w.ln2w, w.ln2b, rows: M, C: C, eps: eps)
            decodeMatmulForward(hid, ln, w.fcW, w.fcB, gelu: true, rows: M, inC: C, outC: H)
            decodeMatmulForward(x, hid, w.mlpW, w.mlpB, residual: x2, rows: M, inC: H, outC: C)
        }
        layerNormForward(x, stats, stats + M, x, model.params["ln_f.weight"], model.params["ln_f.bias"],
                         rows: M, C: C, eps: eps)
        lmHead(rows: M)
    }

    /// logits[rows, V] = x[rows, C] · wteᵀ (x holds final hidden states). Call inside BLASThreads.engine.
    func lmHead(rows: Int) {
        let c = model.config
        decodeLogits(logits, x, model.params["wte.weight"], rows: rows, C: c.nEmbd, V: c.vocabSize)
    }
}
