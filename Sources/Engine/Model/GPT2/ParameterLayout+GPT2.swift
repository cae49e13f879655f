// Where each GPT-2 tensor lives in the parameter buffer.
//
// Every tensor keeps Hugging Face's name (without the `transformer.` prefix) and exactly
// Hugging Face's shape and row-major layout — Conv1D weights are [in, out] — so loading a
// checkpoint is a copy per tensor and saving writes the same bytes back.
//
// Order is transformers' own: wte, wpe, then block 0…L-1 (ln_1, attn.c_attn, attn.c_proj,
// ln_2, mlp.c_fc, mlp.c_proj), then ln_f, then the optional `score` head.

extension ParameterLayout {
    public init(config: GPT2Config, scoreHead: Bool = false) {
        let c = config.nEmbd, h = config.hiddenSize
        var specs: [(name: String, shape: [Int], layer: Int?)] = [
            ("wte.weight", [config.vocabSize, c], nil),
            ("wpe.weight", [config.nPositions, c], nil),
        ]
        for l in 0..<config.nLayer {
            let p = "h.\(l)."
            specs += [
                (p + "ln_1.weight", [c], l), (p + "ln_1.bias", [c], l),
                (p + "attn.c_attn.weight", [c, 3 * c], l), (p + "attn.c_attn.bias", [3 * c], l),
                (p + "attn.c_proj.weight", [c, c], l), (p + "attn.c_proj.bias", [c], l),
                (p + "ln_2.weight", [c], l), (p + "ln_2.bias", [c], l),
                (p + "mlp.c_fc.weight", [c, h], l), (p + "mlp.c_fc.bias", [h], l),
                (p + "mlp.c_proj.weight", [h, c], l), (p + "mlp.c_proj.bias", [c], l),
            ]
        }
        specs += [("ln_f.weight", [c], nil), ("ln_f.bias", [c], nil)]
        if scoreHead { specs.append(("score.weight", [config.numLabels ?? 1, c], nil)) }
        self.init(specs: specs, layerCount: config.nLayer, scoreHead: scoreHead)
    }
}
