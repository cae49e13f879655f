// Batched text generation with a KV cache. The prompts run through the model's ordinary forward
// in one right-padded batch (causal attention makes the padding harmless) and their keys and
// values are copied into the cache; then every step feeds one token per unfinished row and
// attends over that row's own cache, so rows of different lengths advance together and a row
// that has finished costs nothing more. The step itself: Generator+Decode.swift for GPT-2,
// Generator+LlamaDecode.swift for the Llama family (whose cache holds the key/value heads only).
import COpenBLAS
import Foundation

public final class Generator {
    public let model: any CausalLM
    /// The model as its architecture, for the decoding step (exactly one is set).
    let gpt2: GPT2?, llama: Llama?
    var capacityRows = 0, capacityLen = 0
    // KV cache per layer: [rows, len, KV] each for keys and values (KV = C for GPT-2, kv_heads·head_dim for Llama).
    var kCache: [UnsafeMutablePointer<Float>] = [], vCache: [UnsafeMutablePointer<Float>] = []
    private var storage: FloatStorage?
    // Decode buffers for one token per active row (rows are packed: active row i is cache row rowOf[i]).
    // x, x2, ln and stats have one slice per team thread (each keeps its own copy of the residual
    // stream, Generator+Decode.swift says why); thread 0's slice is at the start, so x is also the
    // prefill's final hidden states for lmHead.
    var x: UnsafeMutablePointer<Float>!, x2: UnsafeMutablePointer<Float>!, ln: UnsafeMutablePointer<Float>!
    var qkv: UnsafeMutablePointer<Float>!, atty: UnsafeMutablePointer<Float>!, hid: UnsafeMutablePointer<Float>!
    var logits: UnsafeMutablePointer<Float>!, stats: UnsafeMutablePointer<Float>!
    /// The products' partial sums over blocks of the inner dimension: two sets (consecutive
    /// products alternate) of one [rows, max(3C, hidden)] slice per team thread.
    var partials: UnsafeMutablePointer<Float>!
    /// The decoding step's threads, kept while the generator lives (made on the first step).
    var team: DecodeTeam?
    /// How the step's products multiply 2 or more rows (by the OpenBLAS core; set on the first step).
    var productPath: DecodeProductPath?
    /// Per part of the parallel loops: attention score rows [width, len] and sampling scratch [width, V].
    var scores: UnsafeMutablePointer<Float>!, weights: UnsafeMutablePointer<Float>!
    var order: UnsafeMutablePointer<Int32>?
    /// RoPE's cos and sin [len, head_dim/2] for every cache position (the Llama family).
    var ropeCos: UnsafeMutablePointer<Float>!, ropeSin: UnsafeMutablePointer<Float>!
    /// Per active row: the cache row, its position, the token fed, the uniform draw, the choice.
    var rowOf: UnsafeMutablePointer<Int>!, posOf: UnsafeMutablePointer<Int>!, tokenOf: UnsafeMutablePointer<Int32>!
    var uniforms: UnsafeMutablePointer<Float>!, chosen: UnsafeMutablePointer<Int>!, chosenLogprob: UnsafeMutablePointer<Float>!
    private var ints: UnsafeMutableRawPointer?

    public init(model: any CausalLM) {
        self.model = model
        gpt2 = model as? GPT2; llama = model as? Llama
        precondition(gpt2 != nil || llama != nil, "the generator decodes GPT-2 and the Llama family")
    }

    /// Floats per row of the step's buffers: (cached key or value, q|k|v, attention output, MLP
    /// inner, one product's partial sums).
    private var widths: (kv: Int, qkv: Int, atty: Int, hidden: Int, partial: Int) {
        if let c = llama?.config {
            return (c.kvDim, c.qDim + 2 * c.kvDim, c.qDim, 2 * c.intermediateSize, 0)
        }
        let c = gpt2!.config
        return (c.nEmbd, 3 * c.nEmbd, c.nEmbd, c.hiddenSize, max(3 * c.nEmbd, c.hiddenSize))
    }

    deinit { team?.stop(); order?.deallocate(); ints?.deallocate() }

    /// Grows the cache and decode buffers to hold `rows` sequences of `len` positions.
    private func reserve(rows: Int, len: Int) {
        if rows <= capacityRows && len <= capacityLen { return }
        let shape = model.shape, C = shape.width, L = shape.layers, V = shape.vocabSize, W = Parallel.width
        let d = widths, half = (llama?.config.headDim ?? 0) / 2
        let R = max(rows, capacityRows), T = max(len, capacityLen)
        let statRows = max(2 * W, llama?.config.numAttentionHeads ?? 0)   // Qwen3's q_norm: one rstd per head
        storage = nil; order?.deallocate(); ints?.deallocate()
        let sizes = [W * R * C, W * R * C, W * R * C, R * d.qkv, R * d.atty, R * d.hidden, R * V, statRows * R,
                     W * T, W * V, R, R, 2 * W * R * d.partial, T * half, T * half]
        let padded = sizes.map { ($0 + 15) / 16 * 16 }   // every buffer starts 64-byte aligned
        let s = FloatStorage(count: 2 * L * R * T * d.kv + padded.reduce(0, +))
        storage = s
        var p = s.base
        kCache = []; vCache = []
        for _ in 0..<L { kCache.append(p); p += R * T * d.kv; vCache.append(p); p += R * T * d.kv }
        var i = 0
        func take() -> UnsafeMutablePointer<Float> { defer { p += padded[i]; i += 1 }; return p }
        x = take(); x2 = take(); ln = take(); qkv = take(); atty = take(); hid = take(); logits = take()
        stats = take(); scores = take(); weights = take(); uniforms = take(); chosenLogprob = take()
        partials = take(); ropeCos = take(); ropeSin = take()
        if let llama { ropeTables(ropeCos, ropeSin, invFreq: llama.inverseFrequencies, T: T) }
        order = .allocate(capacity: W * V)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 4 * R * MemoryLayout<Int>.stride, alignment: 64)
        ints = raw
        rowOf = raw.bindMemory(to: Int.self, capacity: 4 * R)
        posOf = rowOf + R; chosen = rowOf + 2 * R
        tokenOf = UnsafeMutableRawPointer(rowOf + 3 * R).bindMemory(to: Int32.self, capacity: R)
        capacityRows = R; capacityLen = T
    }

    /// Generates a continuation for each prompt. `shouldStop(row, newTokens)` is asked after every
    /// token (stop strings are matched by the caller on decoded text). Prompts longer than the
    /// model's context are an error; a generation that reaches it ends with `.contextFull`.
    public func generate(prompts: [[Int32]], config: SamplingConfig, rng: inout SeededRNG,
                         shouldStop: ((Int, [Int32]) -> Bool)? = nil) throws -> [Generation] {
        try config.validate()
        let shape = model.shape, C = shape.width, context = shape.contextLength
        guard !prompts.isEmpty else { return [] }
        for (i, p) in prompts.enumerated() {
            guard !p.isEmpty else { throw EngineError.invalidInput("prompt \(i) is empty; generation needs at least one token") }
            guard p.count <= context else {
                let field = gpt2 != nil ? "n_positions" : "max_position_embeddings"
                throw EngineError.invalidInput("prompt \(i) has \(p.count) tokens, more than the model's \(field) (\(context))")
            }
        }
        let B = prompts.count, Tp = prompts.map(\.count).max()!
        let maxLen = min(context, Tp + config.maxNewTokens)
        reserve(rows: B, len: maxLen)
        let Tc = capacityLen

        // Prefill: one right-padded forward, then copy keys and values into the cache.
        var padded = [Int32](repeating: 0, count: B * Tp)
        for (b, p) in prompts.enumerated() { for (t, id) in p.enumerated() { padded[b * Tp + t] = id } }
        try model.forward(tokens: padded, batch: B, seq: Tp)
        // Each layer's packed q|k|v rows after the forward (Llama: after the q/k norms and RoPE).
        let (rowsQKV, kAt, vAt): ([UnsafeMutablePointer<Float>], Int, Int)
        if let llama, let a = llama.acts {
            rowsQKV = a.qkv; kAt = llama.config.qDim; vAt = llama.config.qDim + llama.config.kvDim
        } else {
            rowsQKV = gpt2!.acts!.qkv; kAt = C; vAt = 2 * C
        }
        let d = widths
        for l in 0..<shape.layers {
            for b in 0..<B {
                for t in 0..<prompts[b].count {
                    let src = rowsQKV[l] + (b * Tp + t) * d.qkv
                    (kCache[l] + (b * Tc + t) * d.kv).update(from: src + kAt, count: d.kv)
                    (vCache[l] + (b * Tc + t) * d.kv).update(from: src + vAt, count: d.kv)
                }
            }
        }
        for b in 0..<B {
            x.advanced(by: b * C).update(from: model.hiddenStates + (b * Tp + prompts[b].count - 1) * C, count: C)
            rowOf[b] = b; posOf[b] = prompts[b].count   // where the row's next token goes
        }
        BLASThreads.engine { lmHead(rows: B) }

        var out = [Generation](repeating: Generation(tokens: [], logprobs: [], finishReason: .length), count: B)
        var active = config.maxNewTokens == 0 ? 0 : B
        while active > 0 {
            chooseTokens(rows: active, config: config, rng: &rng)
            // Record each active row's token and keep the rows that go on, packed in order.
            var kept = 0
            for i in 0..<active {
                let b = rowOf[i], tok = Int32(chosen[i])
                out[b].tokens.append(tok); out[b].logprobs.append(chosenLogprob[i])
                var reason: FinishReason?
                if config.eosTokenIds.contains(tok) { reason = .eos }
                else if config.stopSequences.contains(where: { !$0.isEmpty && out[b].tokens.ends(with: $0) }) { reason = .stopSequence }
                else if let shouldStop, shouldStop(b, out[b].tokens) { reason = .stopHook }
                else if out[b].tokens.count >= config.maxNewTokens { reason = .length }
                else if posOf[i] >= context { reason = .contextFull }
                if let reason { out[b].finishReason = reason; continue }
                rowOf[kept] = b; posOf[kept] = posOf[i]; tokenOf[kept] = tok
                kept += 1
            }
            active = kept
            if active == 0 { break }
            decodeStep(rows: active, cacheLength: Tc)
            for i in 0..<active { posOf[i] += 1 }
        }
        return out
    }

    /// Chooses a token for each of the first `rows` active rows from their logits: the uniform
    /// draws are taken from `rng` in row order (one per row when sampling, as a sequential loop
    /// would), then the rows are chosen in parallel.
    private func chooseTokens(rows: Int, config: SamplingConfig, rng: inout SeededRNG) {
        let V = model.shape.vocabSize
        if !config.greedy { for i in 0..<rows { uniforms[i] = rng.nextUniform() } }
        let parts = min(Parallel.width, rows)
        let (logits, order, weights, uniforms) = (self.logits!, self.order!, self.weights!, self.uniforms!)
        let (chosen, chosenLogprob) = (self.chosen!, self.chosenLogprob!)
        Parallel.parts(rows, parts: parts) { p, r in
            for i in r {
                let row = logits + i * V
                let (tok, lse) = chooseToken(row, V: V, config: config, order: order + p * V, weights: weights + p * V,
                                             uniform: uniforms[i])
                chosen[i] = tok
                chosenLogprob[i] = row[tok] - (lse ?? logSumExp(row, V))
            }
        }
    }
}

extension Array where Element: Equatable {
    func ends(with suffix: [Element]) -> Bool {
        guard count >= suffix.count else { return false }
        let start = count - suffix.count
        for (i, e) in suffix.enumerated() where self[start + i] != e { return false }
        return true
    }
}
