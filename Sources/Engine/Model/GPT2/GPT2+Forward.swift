// The forward pass through the blocks and ln_f, caching what the backward needs.
import Foundation

extension GPT2 {
    /// Tensor pointers of one block (weights or gradients).
    struct BlockTensors {
        var ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, mlpW, mlpB: UnsafeMutablePointer<Float>
        init(_ buf: ParameterBuffer, layer l: Int) {
            let p = "h.\(l)."
            ln1w = buf[p + "ln_1.weight"]; ln1b = buf[p + "ln_1.bias"]
            attnW = buf[p + "attn.c_attn.weight"]; attnB = buf[p + "attn.c_attn.bias"]
            projW = buf[p + "attn.c_proj.weight"]; projB = buf[p + "attn.c_proj.bias"]
            ln2w = buf[p + "ln_2.weight"]; ln2b = buf[p + "ln_2.bias"]
            fcW = buf[p + "mlp.c_fc.weight"]; fcB = buf[p + "mlp.c_fc.bias"]
            mlpW = buf[p + "mlp.c_proj.weight"]; mlpB = buf[p + "mlp.c_proj.bias"]
        }
    }

    /// Checks ids and shape; throws a clear error for bad input.
    func validateTokens(_ tokens: UnsafeBufferPointer<Int32>, batch B: Int, seq T: Int) throws {
        guard B > 0, T > 0 else { throw EngineError.invalidInput("batch and sequence length must be positive (got B=\(B), T=\(T))") }
        guard T <= config.nPositions else {
            throw EngineError.invalidInput("sequence of \(T) tokens is longer than the model's n_positions (\(config.nPositions))")
        }
        try checkInputTokens(tokens, batch: B, seq: T, vocabSize: config.vocabSize)
    }

    /// Runs the blocks and ln_f on tokens [B, T] (row-major). Afterwards `hiddenStates` holds the
    /// final hidden states and `hiddenGradient` is zero. Right padding needs no attention mask:
    /// attention is causal, so pads after a sequence never reach its real positions.
    public func forward(tokens: UnsafeBufferPointer<Int32>, batch B: Int, seq T: Int) throws {
        try validateTokens(tokens, batch: B, seq: T)
        BLASThreads.engine { forwardBlocks(tokens: tokens, batch: B, seq: T) }
    }

    /// `forward` after validation, with the products on the engine's threads.
    private func forwardBlocks(tokens: UnsafeBufferPointer<Int32>, batch B: Int, seq T: Int) {
        let a = ensureWorkspace(batch: B, seq: T)
        batch = B; seq = T
        a.cachedLogitRows = 0
        logprobsReady = false
        a.tokens.update(from: tokens.baseAddress!, count: B * T)
        let C = config.nEmbd, H = config.hiddenSize, BT = B * T, eps = config.layerNormEpsilon
        encoderForward(a.resid[0], a.tokens, params["wte.weight"], params["wpe.weight"], B: B, T: T, C: C)
        lora?.reserve(rows: BT)
        for l in 0..<config.nLayer {
            let w = blockParams[l], site = l * 4
            layerNormForward(a.ln1[l], a.ln1Mean[l], a.ln1Rstd[l], a.resid[l], w.ln1w, w.ln1b, rows: BT, C: C, eps: eps)
            matmulForward(a.qkv[l], a.ln1[l], w.attnW, w.attnB, rows: BT, inC: C, outC: 3 * C)
            lora?.forward(site: site + GPT2Projection.attn, out: a.qkv[l], inp: a.ln1[l], rows: BT)
            attentionForward(a.atty[l], a.att[l], a.qkv[l], B: B, T: T, C: C, NH: config.nHead)
            matmulForward(a.res2[l], a.atty[l], w.projW, w.projB, residual: a.resid[l], rows: BT, inC: C, outC: C)
            lora?.forward(site: site + GPT2Projection.attnProj, out: a.res2[l], inp: a.atty[l], rows: BT)
            layerNormForward(a.ln2[l], a.ln2Mean[l], a.ln2Rstd[l], a.res2[l], w.ln2w, w.ln2b, rows: BT, C: C, eps: eps)
            matmulForward(a.fch[l], a.ln2[l], w.fcW, w.fcB, rows: BT, inC: C, outC: H)
            lora?.forward(site: site + GPT2Projection.fc, out: a.fch[l], inp: a.ln2[l], rows: BT)
            geluForward(a.geluOut, a.fch[l], count: BT * H)
            matmulForward(a.resid[l + 1], a.geluOut, w.mlpW, w.mlpB, residual: a.res2[l], rows: BT, inC: H, outC: C)
            lora?.forward(site: site + GPT2Projection.mlpProj, out: a.resid[l + 1], inp: a.geluOut, rows: BT)
        }
        layerNormForward(a.lnf, a.lnfMean, a.lnfRstd, a.resid[config.nLayer], params["ln_f.weight"],
                         params["ln_f.bias"], rows: BT, C: C, eps: eps)
        Parallel.zero(a.dHidden, BT * C)
    }

    /// `forward` on a Swift array.
    public func forward(tokens: [Int32], batch B: Int, seq T: Int) throws {
        try tokens.withUnsafeBufferPointer { try forward(tokens: $0, batch: B, seq: T) }
    }
}
