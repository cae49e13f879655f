// config.json in a Hugging Face model folder: read transformers' GPT2Config (keys Hilo does not
// use are tolerated, missing ones take transformers' defaults), refuse anything that is not a
// GPT-2 Hilo can run exactly, and write a config that transformers loads as it is.
import Foundation

extension ModelFolder {
    /// The architectures Hilo loads and saves.
    public static let supportedArchitectures = ["GPT2LMHeadModel", "GPT2Model", "GPT2ForSequenceClassification"]

    /// Reads config.json: the model config and the kind its `architectures` name (nil when absent).
    public static func readConfig(at url: URL) throws -> (config: GPT2Config, kind: ModelFolder.Kind?) {
        let json = try ConfigJSON(at: url)
        let dict = json.dict
        func bad(_ reason: String) -> EngineError { json.bad(reason) }
        let architectures = try json.architectures()
        let modelType = dict["model_type"] as? String
        guard modelType == "gpt2" else {
            let name = architectures?.first ?? modelType ?? "unknown"
            throw bad("unsupported architecture '\(name)' (model_type \(modelType.map { "\"\($0)\"" } ?? "missing")): Hilo runs GPT-2-family models (model_type \"gpt2\") only")
        }
        var kind: ModelFolder.Kind?
        for a in architectures ?? [] {
            guard supportedArchitectures.contains(a) else {
                throw bad("unsupported architecture '\(a)': Hilo loads \(supportedArchitectures.joined(separator: ", "))")
            }
            kind = a == "GPT2ForSequenceClassification" ? .reward : (kind ?? .languageModel)
        }

        func int(_ key: String, default value: Int?) throws -> Int? { try json.int(key, default: value) }
        func number(_ key: String, default value: Double) throws -> Double { try json.number(key, default: value) }
        func flag(_ key: String, default value: Bool) throws -> Bool { try json.flag(key, default: value) }

        // Settings that change the arithmetic: Hilo computes exactly transformers' default GPT-2.
        let activation = dict["activation_function"] as? String ?? "gelu_new"
        guard ["gelu_new", "gelu_pytorch_tanh"].contains(activation) else {
            throw bad("activation_function '\(activation)' is not supported: Hilo's GPT-2 uses GELU in its tanh form (gelu_new)")
        }
        guard try flag("scale_attn_weights", default: true) else { throw bad("scale_attn_weights false is not supported") }
        guard try !flag("scale_attn_by_inverse_layer_idx", default: false) else {
            throw bad("scale_attn_by_inverse_layer_idx true is not supported")
        }
        guard try !flag("add_cross_attention", default: false) else { throw bad("add_cross_attention true (an encoder-decoder GPT-2) is not supported") }
        guard try flag("tie_word_embeddings", default: true) else {
            throw bad("tie_word_embeddings false is not supported: Hilo ties the output head to wte, as GPT-2 does")
        }

        var numLabels = try int("num_labels", default: nil)
        if numLabels == nil, let labels = dict["id2label"] as? [String: Any] { numLabels = labels.count }
        if numLabels == nil, kind == .reward { numLabels = 2 }   // transformers' default without id2label
        let nPositions = try int("n_positions", default: nil) ?? int("n_ctx", default: 1024)!
        var config = GPT2Config(
            vocabSize: try int("vocab_size", default: 50257)!, nPositions: nPositions,
            nEmbd: try int("n_embd", default: 768)!, nLayer: try int("n_layer", default: 12)!,
            nHead: try int("n_head", default: 12)!, nInner: try int("n_inner", default: nil),
            layerNormEpsilon: Float(try number("layer_norm_epsilon", default: 1e-5)),
            eosTokenId: try int("eos_token_id", default: 50256), bosTokenId: try int("bos_token_id", default: 50256),
            padTokenId: try int("pad_token_id", default: nil), numLabels: numLabels, architectures: architectures)
        config.modelType = "gpt2"
        do { try config.validate() } catch let e as EngineError { throw bad(e.description) }
        if let n = numLabels, n < 1 { throw bad("num_labels must be at least 1, got \(n)") }
        return (config, kind)
    }

    /// config.json as transformers writes it for this config and kind.
    public static func configJSON(_ config: GPT2Config, kind: ModelFolder.Kind) throws -> Data {
        func decimal(_ f: Float) -> Double { Double("\(f)") ?? Double(f) }
        var dict: [String: Any] = [
            "activation_function": "gelu_new",
            "add_cross_attention": false,
            "architectures": [kind == .reward ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel"],
            "attn_pdrop": 0.1, "embd_pdrop": 0.1, "resid_pdrop": 0.1,
            "bos_token_id": config.bosTokenId.map { $0 as Any } ?? NSNull(),
            "eos_token_id": config.eosTokenId.map { $0 as Any } ?? NSNull(),
            "pad_token_id": config.padTokenId.map { $0 as Any } ?? NSNull(),
            "dtype": "float32",
            "initializer_range": 0.02,
            "layer_norm_epsilon": decimal(config.layerNormEpsilon),
            "model_type": "gpt2",
            "n_ctx": config.nPositions,
            "n_embd": config.nEmbd, "n_head": config.nHead, "n_layer": config.nLayer,
            "n_inner": config.nInner.map { $0 as Any } ?? NSNull(),
            "n_positions": config.nPositions,
            "reorder_and_upcast_attn": false,
            "scale_attn_by_inverse_layer_idx": false,
            "scale_attn_weights": true,
            "summary_activation": NSNull(), "summary_first_dropout": 0.1, "summary_proj_to_labels": true,
            "summary_type": "cls_index", "summary_use_proj": true,
            "tie_word_embeddings": true,
            "use_cache": true,
            "vocab_size": config.vocabSize,
        ]
        if kind == .reward {
            let n = config.numLabels ?? 1
            dict["id2label"] = Dictionary(uniqueKeysWithValues: (0..<n).map { ("\($0)", "LABEL_\($0)") })
            dict["label2id"] = Dictionary(uniqueKeysWithValues: (0..<n).map { ("LABEL_\($0)", $0) })
        }
        return try JSONSerialization.data(withJSONObject: dict, options: [.prettyPrinted, .sortedKeys])
    }

    /// A Codable error as one line: which key and what was wrong.
    static func describeDecodingError(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "not valid JSON" }
        func path(_ c: [CodingKey]) -> String { c.map(\.stringValue).joined(separator: ".") }
        switch e {
        case .typeMismatch(let type, let ctx): return "\(path(ctx.codingPath)) has the wrong type (expected \(type))"
        case .valueNotFound(_, let ctx): return "\(path(ctx.codingPath)) is null"
        case .keyNotFound(let key, _): return "missing key \(key.stringValue)"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "not valid JSON" : "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "not valid JSON"
        }
    }
}
