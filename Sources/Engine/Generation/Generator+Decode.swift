// One decoding step of the Generator: every active row feeds its latest token through the
// blocks (keys and values appended to its cache), then ln_f and the LM head give the next
// logits. Rows are packed, so M active rows cost M rows of work whatever the batch was.
//
// The step is one DecodeTeam run: each of T threads runs the whole step on its own parts and the
// threads meet at three barriers per layer. Every product is split over its inner dimension K:
// thread t multiplies its rows k of the weight (a contiguous slab, read once by one thread) into
// a partial sum of all output columns, and the partials are added after a barrier. A layer:
//   ln_1 → qkv partials (K = C by blocks)        | barrier
//   q, k, v of thread t's heads = Σ partials + bias; its keys and values into the cache;
//   attention of its heads; c_proj partials over K = its heads' columns of atty (its own output)
//                                                 | barrier
//   x2 = x + Σ + bias, ln_2 → c_fc partials (K = C by blocks)  | barrier
//   hid[:, block t] = GELU(Σ + bias); c_proj (MLP) partials over K = block t of hid (its own)
//                                                 | barrier
//   x = x2 + Σ + bias
// The residual stream (x, x2) and the LayerNorm outputs are small ([M, C]), so every thread
// computes all of them into its own slice (same code, same order, same bits) instead of meeting
// once more to share them. Partial sets alternate between consecutive products, so a thread that
// runs ahead writes one set while the other thread still reads the previous one.
import COpenBLAS
import Foundation

extension Generator {
    /// Runs tokenOf[0..<M] at positions posOf[0..<M] (cache rows rowOf[0..<M]) and leaves their
    /// next-token logits in logits[M, V].
    func decodeStep(rows M: Int, cacheLength Tc: Int) {
        if let llama { return BLASThreads.engine { llamaDecodeStep(llama, rows: M, cacheLength: Tc) } }
        BLASThreads.engine {
            let T = BLASThreads.parts
            if team?.size != T { team?.stop(); team = DecodeTeam(size: T) }
            let team = team!
            if productPath == nil { productPath = DecodeProductPath.forCore(BLASInfo.current().coreName) }
            team.run { t in decodeBlocks(thread: t, team: team, rows: M, cacheLength: Tc) }
        }
    }

    /// Thread t's part of a step (see the header). Runs on every thread of `team`.
    private func decodeBlocks(thread t: Int, team: DecodeTeam, rows M: Int, cacheLength Tc: Int) {
        let productPath = self.productPath!, model = gpt2!
        let c = model.config, C = c.nEmbd, H = c.hiddenSize, NH = c.nHead, eps = c.layerNormEpsilon
        let T = team.size, R = capacityRows, hs = C / NH
        let wte = model.params["wte.weight"], wpe = model.params["wpe.weight"]
        // Thread t's own slices and parts of the work.
        let x = self.x + t * R * C, x2 = self.x2 + t * R * C, ln = self.ln + t * R * C, stats = self.stats + t * 2 * R
        let slice = R * max(3 * C, H), set = T * slice
        let partialA = partials + t * slice, partialB = partials + set + t * slice
        let kC = Parallel.block(C, part: t, of: T), kH = Parallel.block(H, part: t, of: T)
        let heads = (NH * t / T)..<(NH * (t + 1) / T)
        let headCols = (heads.lowerBound * hs)..<(heads.upperBound * hs)
        let scores = self.scores + t * Tc

        for i in 0..<M {
            let o = x + i * C, e = wte + Int(tokenOf[i]) * C, pe = wpe + posOf[i] * C
            for j in 0..<C { o[j] = e[j] + pe[j] }
        }
        for l in 0..<c.nLayer {
            let w = model.blockParams[l]
            layerNorm(ln, stats, x, w.ln1w, w.ln1b, rows: M, C: C, eps: eps)
            decodePartialProduct(partialA, ln, lda: C, w.attnW, rows: M, outC: 3 * C, k: kC, path: productPath)
            team.barrier()
            for part in 0..<3 {
                let cols = (part * C + headCols.lowerBound)..<(part * C + headCols.upperBound)
                decodeSumPartials(qkv, base: nil, w.attnB, partials, count: T, partialStride: slice,
                                  rows: M, outC: 3 * C, cols: cols)
            }
            for i in 0..<M {
                let at = (rowOf[i] * Tc + posOf[i]) * C + headCols.lowerBound, src = qkv + i * 3 * C + headCols.lowerBound
                (kCache[l] + at).update(from: src + C, count: headCols.count)
                (vCache[l] + at).update(from: src + 2 * C, count: headCols.count)
            }
            decodeAttentionForward(atty, qkv, kCache[l], vCache[l], cacheRow: rowOf, pos: posOf, rows: M, heads: heads,
                                   stride: Tc, C: C, NH: NH, scores: scores)
            decodePartialProduct(partialB, atty, lda: C, w.projW, rows: M, outC: C, k: headCols, path: productPath)
            team.barrier()
            decodeSumPartials(x2, base: x, w.projB, partials + set, count: T, partialStride: slice, rows: M, outC: C, cols: 0..<C)
            layerNorm(ln, stats, x2, w.ln2w, w.ln2b, rows: M, C: C, eps: eps)
            decodePartialProduct(partialA, ln, lda: C, w.fcW, rows: M, outC: H, k: kC, path: productPath)
            team.barrier()
            decodeSumPartials(hid, base: nil, w.fcB, partials, count: T, partialStride: slice, rows: M, outC: H, cols: kH)
            for i in 0..<M { geluForward(hid + i * H + kH.lowerBound, hid + i * H + kH.lowerBound, count: kH.count) }
            decodePartialProduct(partialB, hid, lda: H, w.mlpW, rows: M, outC: C, k: kH, path: productPath)
            team.barrier()
            decodeSumPartials(x, base: x2, w.mlpB, partials + set, count: T, partialStride: slice, rows: M, outC: C, cols: 0..<C)
        }
        layerNorm(x, stats, x, model.params["ln_f.weight"], model.params["ln_f.bias"], rows: M, C: C, eps: eps)
        decodeLogits(logits, x, wte, rows: M, C: C, V: c.vocabSize, vocab: Parallel.block(c.vocabSize, part: t, of: T))
    }

    /// layerNormForward on the calling thread: in blocks of 16 rows, which it never splits.
    private func layerNorm(_ out: UnsafeMutablePointer<Float>, _ stats: UnsafeMutablePointer<Float>,
                           _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                           rows: Int, C: Int, eps: Float) {
        for r0 in stride(from: 0, to: rows, by: 16) {
            let n = min(16, rows - r0)
            layerNormForward(out + r0 * C, stats + r0, stats + rows + r0, inp + r0 * C, weight, bias, rows: n, C: C, eps: eps)
        }
    }

    /// logits[rows, V] = x[rows, C] · Wᵀ (x holds final hidden states; W is GPT-2's wte or the
    /// Llama head). Call inside BLASThreads.engine.
    func lmHead(rows: Int) {
        let shape = model.shape
        let w = llama?.headWeight ?? model.params["wte.weight"]
        decodeLogits(logits, x, w, rows: rows, C: shape.width, V: shape.vocabSize)
    }
}
