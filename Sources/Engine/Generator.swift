// Batched text generation with a KV cache. The prompts run through the model's ordinary forward
// in one right-padded batch (causal attention makes the padding harmless) and their keys and
// values are copied into the cache; then every step feeds one token per row and attends over that
// row's own cache, so rows of different lengths advance together.
import COpenBLAS
import Foundation

public final class Generator {
    public let model: GPT2
    private var capacityRows = 0, capacityLen = 0
    // KV cache per layer: [rows, len, C] each for keys and values.
    private var kCache: [UnsafeMutablePointer<Float>] = [], vCache: [UnsafeMutablePointer<Float>] = []
    private var storage: FloatStorage?
    // Decode buffers for one token per row.
    private var x: UnsafeMutablePointer<Float>!, x2: UnsafeMutablePointer<Float>!, ln: UnsafeMutablePointer<Float>!
    private var qkv: UnsafeMutablePointer<Float>!, atty: UnsafeMutablePointer<Float>!, hid: UnsafeMutablePointer<Float>!
    private var logits: UnsafeMutablePointer<Float>!, scores: UnsafeMutablePointer<Float>!, weights: UnsafeMutablePointer<Float>!
    private var stats: UnsafeMutablePointer<Float>!, order: UnsafeMutablePointer<Int32>?

    public init(model: GPT2) { self.model = model }

    deinit { order?.deallocate() }

    /// Grows the cache and decode buffers to hold `rows` sequences of `len` positions.
    private func reserve(rows: Int, len: Int) {
        if rows <= capacityRows && len <= capacityLen { return }
        let c = model.config, C = c.nEmbd, L = c.nLayer
        let R = max(rows, capacityRows), T = max(len, capacityLen)
        storage = nil; order?.deallocate()
        let sizes = [R * C, R * C, R * C, R * 3 * C, R * C, R * c.hiddenSize, R * c.vocabSize, T, 2 * R, c.vocabSize]
        let total = 2 * L * R * T * C + sizes.reduce(0, +)
        let s = FloatStorage(count: total)
        storage = s
        var p = s.base
        kCache = []; vCache = []
        for _ in 0..<L { kCache.append(p); p += R * T * C; vCache.append(p); p += R * T * C }
        func take(_ n: Int) -> UnsafeMutablePointer<Float> { defer { p += n }; return p }
        x = take(sizes[0]); x2 = take(sizes[1]); ln = take(sizes[2]); qkv = take(sizes[3]); atty = take(sizes[4])
        hid = take(sizes[5]); logits = take(sizes[6]); scores = take(sizes[7]); stats = take(sizes[8])
        weights = take(sizes[9])
        order = .allocate(capacity: c.vocabSize)
        capacityRows = R; capacityLen = T
    }

    /// Generates a continuation for each prompt. `shouldStop(row, newTokens)` is asked after every
    /// token (stop strings are matched by the caller on decoded text). Prompts longer than
    /// n_positions are an error; a generation that reaches n_positions ends with `.contextFull`.
    public func generate(prompts: [[Int32]], config: SamplingConfig, rng: inout SeededRNG,
                         shouldStop: ((Int, [Int32]) -> Bool)? = nil) throws -> [Generation] {
        try config.validate()
        let c = model.config, V = c.vocabSize, C = c.nEmbd, L = c.nLayer, NH = c.nHead, hs = c.headSize
        guard !prompts.isEmpty else { return [] }
        for (i, p) in prompts.enumerated() {
            guard !p.isEmpty else { throw EngineError.invalidInput("prompt \(i) is empty; generation needs at least one token") }
            guard p.count <= c.nPositions else {
                throw EngineError.invalidInput("prompt \(i) has \(p.count) tokens, more than the model's n_positions (\(c.nPositions))")
            }
        }
        let B = prompts.count, Tp = prompts.map(\.count).max()!
        let maxLen = min(c.nPositions, Tp + config.maxNewTokens)
        reserve(rows: B, len: maxLen)
        let Tc = capacityLen

        // Prefill: one right-padded forward, then copy keys and values into the cache.
        var padded = [Int32](repeating: 0, count: B * Tp)
        for (b, p) in prompts.enumerated() { for (t, id) in p.enumerated() { padded[b * Tp + t] = id } }
        try model.forward(tokens: padded, batch: B, seq: Tp)
        let a = model.acts!
        for l in 0..<L {
            for b in 0..<B {
                for t in 0..<prompts[b].count {
                    let src = a.qkv[l] + (b * Tp + t) * 3 * C
                    (kCache[l] + (b * Tc + t) * C).update(from: src + C, count: C)
                    (vCache[l] + (b * Tc + t) * C).update(from: src + 2 * C, count: C)
                }
            }
        }
        for b in 0..<B { x.advanced(by: b * C).update(from: a.lnf + (b * Tp + prompts[b].count - 1) * C, count: C) }
        lmHead(rows: B)

        var pos = prompts.map(\.count)          // where each row's next token goes
        var out = [Generation](repeating: Generation(tokens: [], logprobs: [], finishReason: .length), count: B)
        var done = [Bool](repeating: config.maxNewTokens == 0, count: B)
        var next = [Int32](repeating: 0, count: B)
        while true {
            // Choose a token per unfinished row from the current logits.
            for b in 0..<B where !done[b] {
                let row = logits + b * V
                let lse = logSumExp(row, V)
                let tok = chooseToken(row, V: V, config: config, order: order!, weights: weights, rng: &rng)
                next[b] = Int32(tok)
                out[b].tokens.append(Int32(tok)); out[b].logprobs.append(row[tok] - lse)
                if config.eosTokenIds.contains(Int32(tok)) { done[b] = true; out[b].finishReason = .eos }
                else if config.stopSequences.contains(where: { !$0.isEmpty && out[b].tokens.ends(with: $0) }) {
                    done[b] = true; out[b].finishReason = .stopSequence
                } else if let shouldStop, shouldStop(b, out[b].tokens) { done[b] = true; out[b].finishReason = .stopHook }
                else if out[b].tokens.count >= config.maxNewTokens { done[b] = true; out[b].finishReason = .length }
                else if pos[b] >= c.nPositions { done[b] = true; out[b].finishReason = .contextFull }
            }
            if !done.contains(false) { break }
            // One decode step for every row (finished rows recompute their last position harmlessly).
            for b in 0..<B where done[b] { pos[b] = max(pos[b] - 1, 0); next[b] = out[b].tokens.last ?? 0 }
            let wte = model.params["wte.weight"], wpe = model.params["wpe.weight"]
            for b in 0..<B {
                let o = x + b * C, e = wte + Int(next[b]) * C, pe = wpe + pos[b] * C
                for j in 0..<C { o[j] = e[j] + pe[j] }
            }
            for l in 0..<L {
                let w = model.blockParams[l]
                layerNormForward(ln, stats, stats + B, x, w.ln1w, w.ln1b, rows: B, C: C, eps: c.layerNormEpsilon)
                matmulForward(qkv, ln, w.attnW, w.attnB, rows: B, inC: C, outC: 3 * C)
                let scale = 1 / Float(hs).squareRoot()
                for b in 0..<B {
                    let kc = kCache[l] + b * Tc * C, vc = vCache[l] + b * Tc * C, n = pos[b] + 1
                    (kc + pos[b] * C).update(from: qkv + b * 3 * C + C, count: C)
                    (vc + pos[b] * C).update(from: qkv + b * 3 * C + 2 * C, count: C)
                    for h in 0..<NH {
                        // Scores over this row's cache, softmax, weighted sum of values: small
                        // enough that plain vector loops beat a BLAS call's threading overhead.
                        let q = qkv + b * 3 * C + h * hs, y = atty + b * C + h * hs
                        for j in 0..<n { scores[j] = vdot(q, kc + j * C + h * hs, hs) * scale }
                        let m = vmax(scores, n)
                        let s = vexpShiftSum(scores, n, shift: m)
                        vscale(scores, n, 1 / s)
                        y.update(repeating: 0, count: hs)
                        for j in 0..<n {
                            let v = vc + j * C + h * hs, p = scores[j]
                            for d in 0..<hs { y[d] += p * v[d] }
                        }
                    }
                }
                matmulForward(x2, atty, w.projW, w.projB, residual: x, rows: B, inC: C, outC: C)
                layerNormForward(ln, stats, stats + B, x2, w.ln2w, w.ln2b, rows: B, C: C, eps: c.layerNormEpsilon)
                matmulForward(hid, ln, w.fcW, w.fcB, rows: B, inC: C, outC: c.hiddenSize)
                geluForward(hid, hid, count: B * c.hiddenSize)
                matmulForward(x, hid, w.mlpW, w.mlpB, residual: x2, rows: B, inC: c.hiddenSize, outC: C)
            }
            layerNormForward(x, stats, stats + B, x, model.params["ln_f.weight"], model.params["ln_f.bias"],
                             rows: B, C: C, eps: c.layerNormEpsilon)
            lmHead(rows: B)
            for b in 0..<B { pos[b] += 1 }
        }
        return out
    }

    /// logits[rows, V] = x[rows, C] · wteᵀ (x holds final hidden states).
    private func lmHead(rows: Int) {
        let c = model.config
        if rows < 4 {
            for i in 0..<rows {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(c.vocabSize), Int32(c.nEmbd), 1, model.params["wte.weight"],
                            Int32(c.nEmbd), x + i * c.nEmbd, 1, 0, logits + i * c.vocabSize, 1)
            }
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(c.vocabSize), Int32(c.nEmbd),
                    1, x, Int32(c.nEmbd), model.params["wte.weight"], Int32(c.nEmbd), 0, logits, Int32(c.vocabSize))
    }
}

extension Array where Element: Equatable {
    func ends(with suffix: [Element]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
