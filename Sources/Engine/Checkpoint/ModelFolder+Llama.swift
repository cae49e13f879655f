// Llama-family model folders (LlamaForCausalLM, Qwen2/Qwen3/SmolLM3ForCausalLM): config.json,
// model.safetensors or the shards of model.safetensors.index.json (F32, F16 or BF16), read into
// one ParameterBuffer of ParameterLayout(llama:), and saved back as transformers' save_pretrained
// writes them (F32 or BF16, the tied head stored once, θ spelled as it was read), atomically.
//
// A …ForSequenceClassification folder (reward model) is `model.*` and `score.weight`. Loading a
// causal LM as a reward model drops lm_head and leaves score.weight at zero for the caller (the
// reward model starts from the policy); loading a tied reward model as an LM drops score.
//
// Matching is done on the headers before any data is read: a missing tensor, a wrong shape or
// dtype, or a tensor no such model has is an error naming the file, the tensor and the config
// fields its shape comes from. An explicit lm_head.weight in a tied model must equal embed_tokens.
import Foundation
import Support

/// A Llama-family folder loaded into memory.
public struct LoadedLlama {
    public var config: LlamaConfig
    /// A causal LM or a reward (sequence-classification) model, as loaded.
    public var kind: ModelFolder.Kind = .languageModel
    /// generation_config.json, or what transformers derives from config.json when it is absent.
    public var generationConfig: GenerationDefaults
    /// Every tensor at its ParameterLayout(llama:) offset.
    public var parameters: ParameterBuffer
    /// The dtype the tensors were stored in ("F32", "F16", "BF16", or "mixed").
    public var sourceDType: String
    /// Layout tensors the folder did not have (["score.weight"] for an LM loaded as a reward model).
    public var newTensors: [String] = []
}

extension ModelFolder {
    /// Whether `folder`'s config.json names a Llama-family model_type (llama, qwen2, qwen3, smollm3).
    /// False for GPT-2 and for anything unreadable or unknown, which the GPT-2 loader then refuses by name.
    public static func holdsLlamaFamily(at folder: URL) -> Bool {
        guard let json = try? ConfigJSON(at: folder.appendingPathComponent("config.json")),
              let type = json.dict["model_type"] as? String else { return false }
        return LlamaConfig.Family(rawValue: type) != nil
    }

    /// Loads a Llama-family folder as `kind` (nil: what its architectures say); every problem is an
    /// EngineError naming the file and what is wrong.
    public static func loadLlama(at folder: URL, as kind: Kind? = nil, allowNonFinite: Bool = false) throws -> LoadedLlama {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EngineError.badFile(path: folder.path, reason: "no such model folder")
        }
        let configURL = folder.appendingPathComponent("config.json")
        let config = try LlamaConfig.read(at: configURL)
        let folderKind: Kind = try ConfigJSON(at: configURL).architectures()?.contains(config.family.sequenceClassification) == true
            ? .reward : .languageModel
        let kind = kind ?? folderKind
        let layout = ParameterLayout(llama: config, scoreHead: kind == .reward, languageModelHead: kind == .languageModel)
        let files = try openWeights(in: folder)
        var sources: [String: Source] = [:]
        var tiedHead: Source?
        var unexpected: [Source] = []
        for f in files {
            for t in f.tensors {
                let source = Source(file: f, info: t)
                if let other = sources[t.name] {
                    throw EngineError.badFile(path: f.path, reason: "tensor '\(t.name)' is also in \(other.file.path)")
                }
                if layout.tensor(named: t.name) != nil { sources[t.name] = source }
                else if t.name == "lm_head.weight" && config.tieWordEmbeddings { tiedHead = source }
                else if t.name == "lm_head.weight" || t.name == "score.weight" { continue }   // the other kind's head
                else if !t.name.hasSuffix("rotary_emb.inv_freq") { unexpected.append(source) }
            }
        }
        let what = "a \(kind == .reward ? config.family.sequenceClassification : config.family.architecture) with this config.json"
        if let first = unexpected.first {
            let names = unexpected.prefix(5).map { "'\($0.info.name)'" }.joined(separator: ", ")
            throw EngineError.badFile(path: first.file.path, reason: "unexpected tensor\(unexpected.count > 1 ? "s" : "") \(names): not part of \(what)")
        }
        let weightsPath = files.count == 1 ? files[0].path : folder.appendingPathComponent("model.safetensors.index.json").path
        let newTensors = kind == .reward && folderKind == .languageModel ? ["score.weight"] : []
        for t in layout.tensors where !newTensors.contains(t.name) {
            guard let s = sources[t.name] else {
                throw EngineError.badFile(path: weightsPath, reason: "missing tensor '\(t.name)' that \(what) needs")
            }
            guard s.info.shape == t.shape else {
                throw EngineError.badFile(path: s.file.path, reason: "tensor '\(t.name)' has shape \(s.info.shape) but config.json needs \(t.shape) (\(shapeOrigin(t.name, config)))")
            }
            guard s.info.dtype.isLoadable else {
                throw EngineError.badFile(path: s.file.path, reason: "tensor '\(t.name)' has dtype \(s.info.dtype.rawValue); Hilo loads F32, F16 and BF16 only")
            }
        }
        let parameters = ParameterBuffer(layout: layout)
        for t in layout.tensors where !newTensors.contains(t.name) { try sources[t.name]!.file.read(t.name, into: parameters.view(t.name)) }
        if !allowNonFinite { try checkFinite(parameters, in: folder) }
        if let head = tiedHead {
            // A tied model that also stores its head: it must be the embedding itself.
            guard head.info.shape == layout["model.embed_tokens.weight"].shape, head.info.dtype.isLoadable,
                  try head.file.floats(head.info.name).elementsEqual(parameters.view("model.embed_tokens.weight")) else {
                throw EngineError.badFile(path: head.file.path, reason: "tensor 'lm_head.weight' differs from model.embed_tokens.weight but config.json says tie_word_embeddings true")
            }
        }
        let generationURL = folder.appendingPathComponent("generation_config.json")
        let generation = FileManager.default.fileExists(atPath: generationURL.path)
            ? try GenerationDefaults.read(at: generationURL)
            : GenerationDefaults(eosTokenIds: config.eosTokenId.map { [$0] } ?? [], bosTokenId: config.bosTokenId, padTokenId: config.padTokenId)
        let dtypes = Set(layout.tensors.compactMap { sources[$0.name]?.info.dtype.rawValue })
        return LoadedLlama(config: config, kind: kind, generationConfig: generation, parameters: parameters,
                           sourceDType: dtypes.count == 1 ? dtypes.first! : "mixed", newTensors: newTensors)
    }

    /// The config fields a layout tensor's shape follows from, for shape errors.
    private static func shapeOrigin(_ name: String, _ c: LlamaConfig) -> String {
        if name.hasSuffix("q_proj.weight") || name.hasSuffix("q_proj.bias") || name.hasSuffix("o_proj.weight") {
            return "num_attention_heads \(c.numAttentionHeads) × head_dim \(c.headDim) = \(c.qDim), hidden_size \(c.hiddenSize)"
        }
        if name.contains("k_proj") || name.contains("v_proj") {
            return "num_key_value_heads \(c.numKeyValueHeads) × head_dim \(c.headDim) = \(c.kvDim), hidden_size \(c.hiddenSize)"
        }
        if name.hasSuffix("q_norm.weight") || name.hasSuffix("k_norm.weight") { return "head_dim \(c.headDim)" }
        if name.contains("mlp.") { return "intermediate_size \(c.intermediateSize), hidden_size \(c.hiddenSize)" }
        if name == "score.weight" { return "one label, hidden_size \(c.hiddenSize)" }
        if name.contains("embed_tokens") || name.hasPrefix("lm_head") { return "vocab_size \(c.vocabSize), hidden_size \(c.hiddenSize)" }
        return "hidden_size \(c.hiddenSize)"
    }

    /// Saves a Llama-family folder atomically: config.json (θ in the spelling read), model.safetensors
    /// in `dtype` (.f32 or .bf16; a tied head is not stored), generation_config.json, and the
    /// tokenizer files of `tokenizerFrom` (with a tokenizer_config.json written when they have none), all
    /// appearing together or not at all. A layout with a score head and no untied lm_head is saved as the
    /// family's …ForSequenceClassification.
    public static func saveLlama(config: LlamaConfig, parameters: ParameterBuffer, dtype: SafeTensorsFile.DType = .f32,
                                 generationConfig: GenerationDefaults? = nil, to folder: URL, replace: Bool = false,
                                 tokenizerFrom: URL? = nil) throws {
        precondition(dtype == .f32 || dtype == .bf16, "Llama folders are saved in F32 or BF16")
        let reward = parameters.layout.hasScoreHead
        precondition(parameters.layout == ParameterLayout(llama: config, scoreHead: reward, languageModelHead: !reward),
                     "config does not match the parameter layout")
        let configData = try config.jsonData(dtype: dtype == .bf16 ? "bfloat16" : "float32", reward: reward)
        let generation = generationConfig
            ?? GenerationDefaults(eosTokenIds: config.eosTokenId.map { [$0] } ?? [], bosTokenId: config.bosTokenId, padTokenId: config.padTokenId)
        let generationData = try generation.jsonData()
        let entries = parameters.layout.tensors.map { t in
            SafeTensorsWriter.Entry(name: t.name, shape: t.shape, values: UnsafeBufferPointer(start: parameters.base + t.offset, count: t.count))
        }
        try EngineError.writingFiles { try AtomicFile.writeFolder(at: folder, replace: replace) { tmp in
            try SafeTensorsWriter.write(entries, dtype: dtype, to: tmp.appendingPathComponent("model.safetensors"))
            try AtomicFile.write(configData, to: tmp.appendingPathComponent("config.json"))
            try AtomicFile.write(generationData, to: tmp.appendingPathComponent("generation_config.json"))
            if let source = tokenizerFrom { try copyTokenizerFiles(from: source, to: tmp) }
            try writeTokenizerConfigIfMissing(in: tmp, TokenizerSettings(
                tokenizerClass: "PreTrainedTokenizerFast", modelMaxLength: config.maxPositionEmbeddings, bosTokenId: config.bosTokenId,
                eosTokenId: config.eosTokenId, padTokenId: config.padTokenId, unknownIsEndOfText: false))
        } }
    }
}
