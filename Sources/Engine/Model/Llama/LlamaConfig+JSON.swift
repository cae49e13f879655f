// LlamaConfig from and to a Hugging Face config.json. Reading refuses, naming the file and the
// field, anything this engine would not compute exactly as transformers does: other model types
// (Gemma's sandwich norms, Mixtral's experts), activations other than SiLU, sliding windows, RoPE
// types other than "default" and "llama3", partial rotary. θ and the scaling are read from either
// spelling (top-level rope_theta/rope_scaling or v5's rope_parameters) and written back the same way.
import Foundation

extension LlamaConfig {
    /// Reads and validates config.json at `url`.
    public static func read(at url: URL) throws -> LlamaConfig {
        try read(ConfigJSON(at: url))
    }

    static func read(_ json: ConfigJSON) throws -> LlamaConfig {
        let modelType = try json.string("model_type", default: nil)
        let architectures = try json.architectures()
        let known = Family.allCases.map(\.architecture).joined(separator: ", ")
        guard let modelType, let family = Family(rawValue: modelType) else {
            let name = architectures?.first ?? modelType ?? "unknown"
            throw json.bad("unsupported architecture '\(name)' (model_type \(modelType.map { "\"\($0)\"" } ?? "missing")): Hilo runs GPT-2 and the Llama family (\(known))")
        }
        for a in architectures ?? [] where a != family.architecture && a != family.sequenceClassification {
            throw json.bad("unsupported architecture '\(a)' for model_type \"\(modelType)\": Hilo loads \(family.architecture) and \(family.sequenceClassification)")
        }
        if architectures?.contains(family.sequenceClassification) == true {
            let named = (json.dict["id2label"] as? [String: Any])?.count
            let labels = try named ?? json.int("num_labels", default: 1)!
            guard labels == 1 else { throw json.bad("a reward model has one label, not \(labels) (id2label)") }
        }
        let activation = try json.string("hidden_act", default: "silu")
        guard activation == "silu" else { throw json.bad("hidden_act '\(activation ?? "")' is not supported: the Llama family's MLP is SwiGLU (silu)") }
        for key in ["num_experts", "num_local_experts", "n_routed_experts"] where try json.int(key, default: 0)! > 0 {
            throw json.bad("\(key) is set: mixture-of-experts models are not supported")
        }
        if try json.flag("use_sliding_window", default: false) { throw json.bad("use_sliding_window true is not supported: Hilo attends to the whole causal context") }
        if let types = json.dict["layer_types"] as? [String], let other = types.first(where: { $0 != "full_attention" }) {
            throw json.bad("layer_types has '\(other)': only full_attention layers are supported")
        }
        if family == .llama, try json.int("pretraining_tp", default: 1)! != 1 {
            throw json.bad("pretraining_tp must be 1, got \(try json.int("pretraining_tp", default: 1)!)")
        }

        let hidden = try json.requiredInt("hidden_size"), heads = try json.requiredInt("num_attention_heads")
        let layers = try json.requiredInt("num_hidden_layers")
        var headDim = try json.int("head_dim", default: nil)
        if headDim == nil {
            guard heads > 0, hidden % heads == 0 else {
                throw json.bad("hidden_size (\(hidden)) must be a multiple of num_attention_heads (\(heads)) when head_dim is absent")
            }
            headDim = hidden / heads
        }
        let (theta, scaling, spelling) = try readRope(json, family: family)
        var config = LlamaConfig(
            family: family, vocabSize: try json.requiredInt("vocab_size"), hiddenSize: hidden,
            intermediateSize: try json.requiredInt("intermediate_size"), numHiddenLayers: layers,
            numAttentionHeads: heads, numKeyValueHeads: try json.int("num_key_value_heads", default: heads), headDim: headDim,
            rmsNormEps: Float(try json.number("rms_norm_eps", default: 1e-6)), ropeTheta: theta, ropeScaling: scaling,
            ropeSpelling: spelling, maxPositionEmbeddings: try json.int("max_position_embeddings", default: 2048)!,
            tieWordEmbeddings: try json.flag("tie_word_embeddings", default: family == .smollm3),
            attentionBias: try json.flag("attention_bias", default: false), mlpBias: try json.flag("mlp_bias", default: false),
            bosTokenId: try json.int("bos_token_id", default: nil), eosTokenId: try json.int("eos_token_id", default: nil),
            padTokenId: try json.int("pad_token_id", default: nil))
        if family == .smollm3 { config.ropeLayers = try readNoRopeLayers(json, layers: layers) }
        do { try config.validate() } catch let e as EngineError {
            if case .invalidConfig(let why) = e { throw json.bad(why) }
            throw e
        }
        return config
    }

    /// θ, the scaling and the spelling, from rope_parameters or rope_theta/rope_scaling.
    private static func readRope(_ json: ConfigJSON, family: Family) throws -> (Double, RopeScaling, RopeSpelling) {
        let defaultTheta = family == .smollm3 ? 2_000_000 : 10000.0   // transformers' default_theta
        let spelling: RopeSpelling
        let theta: Double
        let scaling: ConfigJSON?
        if let p = try json.object("rope_parameters") {
            spelling = .parameters
            theta = try p.number("rope_theta", default: try json.number("rope_theta", default: defaultTheta))
            if json.has("rope_theta"), try json.number("rope_theta", default: 0) != theta {
                throw json.bad("rope_theta (\(try json.number("rope_theta", default: 0))) contradicts rope_parameters.rope_theta (\(theta))")
            }
            scaling = p
        } else {
            spelling = .topLevel
            theta = try json.number("rope_theta", default: defaultTheta)
            scaling = try json.object("rope_scaling")
        }
        if try json.number("partial_rotary_factor", default: 1) != 1 || scaling?.number("partial_rotary_factor", default: 1) ?? 1 != 1 {
            throw json.bad("partial_rotary_factor other than 1 is not supported: Hilo rotates the whole head")
        }
        guard let s = scaling else { return (theta, .none, spelling) }
        let typeKey = s.has("rope_type") ? "rope_type" : "type"
        let type = try s.string(typeKey, default: "default") ?? "default"
        switch type {
        case "default": return (theta, .none, spelling)
        case "llama3":
            let factor = try s.number("factor", default: .nan), low = try s.number("low_freq_factor", default: .nan)
            let high = try s.number("high_freq_factor", default: .nan)
            for (k, v) in [("factor", factor), ("low_freq_factor", low), ("high_freq_factor", high)] where v.isNaN {
                throw s.bad("missing field \(s.prefix)\(k) (rope type 'llama3' needs it)")
            }
            let original = try s.requiredInt("original_max_position_embeddings")
            return (theta, .llama3(factor: factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: original), spelling)
        default:
            throw s.bad("\(s.prefix)\(typeKey) '\(type)' is not supported: Hilo computes RoPE types 'default' and 'llama3'")
        }
    }

    /// SmolLM3's per-layer RoPE switch: `no_rope_layers[i]` is 1 where layer i uses RoPE, 0 where it
    /// does not; absent, every `no_rope_layer_interval`-th layer (default 4) skips it.
    private static func readNoRopeLayers(_ json: ConfigJSON, layers: Int) throws -> [Bool] {
        guard json.has("no_rope_layers") else {
            let interval = try json.int("no_rope_layer_interval", default: 4)!
            guard interval > 0 else { throw json.bad("no_rope_layer_interval must be positive, got \(interval)") }
            return (0..<layers).map { ($0 + 1) % interval != 0 }
        }
        guard let list = json.dict["no_rope_layers"] as? [NSNumber], list.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw json.bad("no_rope_layers must be a list of 0 and 1, got \(json.dict["no_rope_layers"]!)")
        }
        return list.map { $0 == 1 }
    }

    /// config.json as transformers writes it for this config, θ spelled as it was read.
    /// `dtype` is what the weights are stored in ("float32" or "bfloat16"); `reward` writes the
    /// …ForSequenceClassification class with one label (transformers needs pad_token_id to batch).
    public func jsonData(dtype: String = "float32", reward: Bool = false) throws -> Data {
        func decimal(_ x: Double) -> Double { Double("\(Float(x))") ?? x }
        var rope: [String: Any] = ["rope_type": "default"]
        if case let .llama3(factor, low, high, original) = ropeScaling {
            rope = ["rope_type": "llama3", "factor": factor, "low_freq_factor": low, "high_freq_factor": high,
                    "original_max_position_embeddings": original]
        }
        var dict: [String: Any] = [
            "architectures": [reward ? family.sequenceClassification : family.architecture], "model_type": family.rawValue,
            "vocab_size": vocabSize, "hidden_size": hiddenSize, "intermediate_size": intermediateSize,
            "num_hidden_layers": numHiddenLayers, "num_attention_heads": numAttentionHeads,
            "num_key_value_heads": numKeyValueHeads, "head_dim": headDim, "hidden_act": "silu",
            "rms_norm_eps": decimal(Double(rmsNormEps)), "max_position_embeddings": maxPositionEmbeddings,
            "tie_word_embeddings": tieWordEmbeddings, "attention_dropout": 0.0, "initializer_range": 0.02,
            "use_cache": true, "dtype": dtype,
            "bos_token_id": bosTokenId.map { $0 as Any } ?? NSNull(), "eos_token_id": eosTokenId.map { $0 as Any } ?? NSNull(),
            "pad_token_id": padTokenId.map { $0 as Any } ?? NSNull(),
        ]
        switch ropeSpelling {
        case .parameters:
            rope["rope_theta"] = ropeTheta
            dict["rope_parameters"] = rope
        case .topLevel:
            dict["rope_theta"] = ropeTheta
            dict["rope_scaling"] = rope["rope_type"] as? String == "default" ? NSNull() : rope
        }
        if family != .qwen2 { dict["attention_bias"] = attentionBias }
        if family == .llama || family == .smollm3 { dict["mlp_bias"] = mlpBias }
        if family == .llama { dict["pretraining_tp"] = 1 }
        if family != .llama { dict["use_sliding_window"] = false; dict["sliding_window"] = NSNull() }
        if family == .smollm3 { dict["no_rope_layers"] = ropeLayers.map { $0 ? 1 : 0 } }
        if reward {
            dict["id2label"] = ["0": "LABEL_0"]; dict["label2id"] = ["LABEL_0": 0]
            if padTokenId == nil { dict["pad_token_id"] = eosTokenId ?? 0 }
        }
        return try JSONSerialization.data(withJSONObject: dict, options: [.prettyPrinted, .sortedKeys])
    }
}
