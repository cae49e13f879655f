// The Llama family's tensors in the one parameter buffer (ParameterLayout), under transformers'
// own names and nn.Linear's [out, in] shapes, so loading is a copy per tensor and saving writes
// the same names back; and `LlamaBlock`, one block's tensors as named pointers (llm.c's
// ParameterTensors), looked up once so the forward and backward never hash a string.
//
// Order: model.embed_tokens, then per block input_layernorm, self_attn (q, k, v with optional
// biases, optional q_norm/k_norm, o), post_attention_layernorm, mlp (gate, up, down), then
// model.norm, then lm_head when it is not tied to embed_tokens (and the model has an LM head), then
// score when it has a score head. A …ForSequenceClassification (reward) model is `model.*` and
// `score.weight` [numLabels, C]: no lm_head. PPO's policy with a shared value head has both.

extension ParameterLayout {
    /// The layout of a Llama-family model: …ForCausalLM by default; `scoreHead` adds score.weight
    /// [1, C]; `languageModelHead` false drops an untied lm_head (…ForSequenceClassification).
    public init(llama c: LlamaConfig, scoreHead: Bool = false, languageModelHead: Bool = true) {
        let C = c.hiddenSize, I = c.intermediateSize, Q = c.qDim, KV = c.kvDim, hd = c.headDim
        var specs: [(name: String, shape: [Int], layer: Int?)] = [("model.embed_tokens.weight", [c.vocabSize, C], nil)]
        for l in 0..<c.numHiddenLayers {
            let p = "model.layers.\(l)."
            var block: [(String, [Int])] = [(p + "input_layernorm.weight", [C])]
            for (name, rows) in [("q_proj", Q), ("k_proj", KV), ("v_proj", KV)] {
                block.append((p + "self_attn.\(name).weight", [rows, C]))
                if c.qkvBias { block.append((p + "self_attn.\(name).bias", [rows])) }
            }
            if c.qkNorm { block += [(p + "self_attn.q_norm.weight", [hd]), (p + "self_attn.k_norm.weight", [hd])] }
            block.append((p + "self_attn.o_proj.weight", [C, Q]))
            if c.oBias { block.append((p + "self_attn.o_proj.bias", [C])) }
            block.append((p + "post_attention_layernorm.weight", [C]))
            for (name, shape) in [("gate_proj", [I, C]), ("up_proj", [I, C]), ("down_proj", [C, I])] {
                block.append((p + "mlp.\(name).weight", shape))
                if c.mlpBias { block.append((p + "mlp.\(name).bias", [shape[0]])) }
            }
            specs += block.map { ($0.0, $0.1, l) }
        }
        specs.append(("model.norm.weight", [C], nil))
        if !c.tieWordEmbeddings && languageModelHead { specs.append(("lm_head.weight", [c.vocabSize, C], nil)) }
        if scoreHead { specs.append(("score.weight", [1, C], nil)) }
        self.init(specs: specs, layerCount: c.numHiddenLayers, scoreHead: scoreHead)
    }
}

/// One block's tensors (weights or gradients) in a Llama-family parameter buffer. Shapes with
/// C = hidden, I = intermediate, Q = heads·head_dim, KV = kv_heads·head_dim, hd = head_dim.
struct LlamaBlock {
    let inputNorm: UnsafeMutablePointer<Float>          // (C) input_layernorm
    let qW, kW, vW: UnsafeMutablePointer<Float>         // (Q, C), (KV, C), (KV, C)
    let qB, kB, vB: UnsafeMutablePointer<Float>?        // (Q), (KV), (KV) when qkvBias
    let qNorm, kNorm: UnsafeMutablePointer<Float>?      // (hd) each when qkNorm
    let oW: UnsafeMutablePointer<Float>                 // (C, Q)
    let oB: UnsafeMutablePointer<Float>?                // (C) when oBias
    let postNorm: UnsafeMutablePointer<Float>           // (C) post_attention_layernorm
    let gateW, upW, downW: UnsafeMutablePointer<Float>  // (I, C), (I, C), (C, I)
    let gateB, upB, downB: UnsafeMutablePointer<Float>? // (I), (I), (C) when mlpBias

    init(_ buf: ParameterBuffer, layer l: Int) {
        let p = "model.layers.\(l)."
        func at(_ name: String) -> UnsafeMutablePointer<Float> { buf[p + name] }
        func maybe(_ name: String) -> UnsafeMutablePointer<Float>? {
            buf.layout.tensor(named: p + name).map { buf.base + $0.offset }
        }
        inputNorm = at("input_layernorm.weight")
        qW = at("self_attn.q_proj.weight"); kW = at("self_attn.k_proj.weight"); vW = at("self_attn.v_proj.weight")
        qB = maybe("self_attn.q_proj.bias"); kB = maybe("self_attn.k_proj.bias"); vB = maybe("self_attn.v_proj.bias")
        qNorm = maybe("self_attn.q_norm.weight"); kNorm = maybe("self_attn.k_norm.weight")
        oW = at("self_attn.o_proj.weight"); oB = maybe("self_attn.o_proj.bias")
        postNorm = at("post_attention_layernorm.weight")
        gateW = at("mlp.gate_proj.weight"); upW = at("mlp.up_proj.weight"); downW = at("mlp.down_proj.weight")
        gateB = maybe("mlp.gate_proj.bias"); upB = maybe("mlp.up_proj.bias"); downB = maybe("mlp.down_proj.bias")
    }
}
