// Any model folder Hilo runs, whatever its architecture: config.json's `model_type` decides
// ("gpt2" → GPT2, "llama"/"qwen2"/"qwen3"/"smollm3" → Llama), and anything else is refused naming
// the field and its value. The trainers, the samplers, the scorers and the commands load, open and
// save folders here and hold the result as `any CausalLM`.
import Foundation

extension ModelFolder {
    /// The architectures Hilo computes, as config.json's model_type names them.
    public enum Architecture: Sendable, Equatable {
        case gpt2
        case llama(LlamaConfig.Family)
    }

    /// The architecture config.json's `model_type` names (its `architectures` when model_type is absent).
    public static func architecture(at folder: URL) throws -> Architecture {
        let json = try ConfigJSON(at: folder.appendingPathComponent("config.json"))
        let modelType = try json.string("model_type", default: nil)
        let architectures = try json.architectures() ?? []
        if modelType == "gpt2" || (modelType == nil && architectures.contains { $0.hasPrefix("GPT2") }) { return .gpt2 }
        if let t = modelType, let family = LlamaConfig.Family(rawValue: t) { return .llama(family) }
        if modelType == nil, let family = LlamaConfig.Family.allCases.first(where: { f in
            architectures.contains { $0 == f.architecture || $0 == f.sequenceClassification } }) {
            return .llama(family)
        }
        let known = (["gpt2"] + LlamaConfig.Family.allCases.map(\.rawValue)).map { "\"\($0)\"" }.joined(separator: ", ")
        let name = architectures.first ?? modelType ?? "unknown"
        throw json.bad("unsupported architecture '\(name)' (model_type \(modelType.map { "\"\($0)\"" } ?? "missing")): Hilo runs model_type \(known)")
    }

    /// The number of transformer blocks config.json declares, without reading any weights.
    public static func layerCount(at folder: URL) throws -> Int {
        switch try architecture(at: folder) {
        case .gpt2: return try inspect(at: folder).config.nLayer
        case .llama: return try LlamaConfig.read(at: folder.appendingPathComponent("config.json")).numHiddenLayers
        }
    }

    /// What the folder holds (language or reward model) and transformers' class name for it, from
    /// config.json (and, for GPT-2, the safetensors headers), without reading any weights.
    public static func describe(at folder: URL) throws -> (kind: Kind, architecture: String) {
        switch try architecture(at: folder) {
        case .gpt2:
            let info = try inspect(at: folder)
            return (info.kind, info.architecture)
        case .llama:
            let url = folder.appendingPathComponent("config.json")
            let family = try LlamaConfig.read(at: url).family
            let reward = try ConfigJSON(at: url).architectures()?.contains(family.sequenceClassification) == true
            return reward ? (.reward, family.sequenceClassification) : (.languageModel, family.architecture)
        }
    }

    /// The dtype of the folder's weights from the safetensors headers ("F32", "BF16", … or "mixed").
    public static func weightsDType(at folder: URL) throws -> String {
        let dtypes = Set(try openWeights(in: folder).flatMap { $0.tensors.map(\.dtype.rawValue) })
        return dtypes.count == 1 ? dtypes.first! : "mixed"
    }

    /// A model folder loaded into a model of its architecture.
    public struct LoadedAny {
        public var model: any CausalLM
        /// A causal LM or a reward (sequence-classification) model.
        public var kind: Kind
        /// generation_config.json, or what transformers derives from config.json.
        public var generationConfig: GenerationDefaults
        /// The dtype the tensors were stored in ("F32", "F16", "BF16", or "mixed").
        public var sourceDType: String
        /// Layout tensors the folder did not have, at zero (["score.weight"]: an LM as a reward model).
        public var newTensors: [String]
    }

    /// Loads `folder` as `kind` (nil: what it holds) into a GPT2 or a Llama by its model_type, with
    /// the adapter folder `adapter` merged in; an adapter-only `folder` loads as its base + itself.
    public static func loadModel(at folder: URL, adapter: URL? = nil, as kind: Kind? = nil) throws -> LoadedAny {
        if adapter == nil, LoRAAdapter.isAdapterOnly(folder) {
            return try loadModel(at: LoRAAdapter.baseFolder(of: folder), adapter: folder, as: kind)
        }
        switch try architecture(at: folder) {
        case .gpt2:
            let loaded = try adapter.map { try load(base: folder, adapter: $0, as: kind) } ?? load(at: folder, as: kind)
            let m = try GPT2(config: loaded.config, scoreHead: loaded.kind == .reward)
            m.params.copy(from: loaded.parameters)
            return LoadedAny(model: m, kind: loaded.kind, generationConfig: loaded.generationConfig,
                             sourceDType: loaded.sourceDType, newTensors: loaded.newTensors)
        case .llama:
            let loaded = try adapter.map { try loadLlama(base: folder, adapter: $0, as: kind) } ?? loadLlama(at: folder, as: kind)
            let m = try Llama(config: loaded.config, scoreHead: loaded.kind == .reward, languageModelHead: loaded.kind == .languageModel)
            m.params.copy(from: loaded.parameters)
            return LoadedAny(model: m, kind: loaded.kind, generationConfig: loaded.generationConfig,
                             sourceDType: loaded.sourceDType, newTensors: loaded.newTensors)
        }
    }

    /// The model of `folder` (+ the adapter folder `adapter`, merged) as `kind` (nil: whatever the
    /// folder holds), with its tokenizer. Throws when the tokenizer does not fit the model's
    /// vocabulary. The server's samplers and scorers (candidates, evaluation, RLAIF) and the commands
    /// open folders this way; an adapter folder opens as its base with the adapter merged.
    public static func open(at folder: URL, adapter: URL? = nil, as kind: Kind? = nil) throws -> (model: any CausalLM, tokenizer: Tokenizer, loaded: LoadedAny) {
        let loaded = try loadModel(at: folder, adapter: adapter, as: kind)
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder(for: folder, adapter: adapter))
        try tokenizer.checkFits(modelVocabSize: loaded.model.shape.vocabSize, model: folder.path)
        return (loaded.model, tokenizer, loaded)
    }

    /// Saves `parameters` (a language-model or reward layout of `model`'s architecture) as a folder
    /// transformers loads: GPT-2 as GPT2LMHeadModel / GPT2ForSequenceClassification in F32, the
    /// Llama family as …ForCausalLM / …ForSequenceClassification in F32.
    public static func save(_ model: any CausalLM, parameters: ParameterBuffer? = nil, generationConfig: GenerationDefaults?,
                            to folder: URL, replace: Bool = false, tokenizerFrom: URL? = nil) throws {
        let parameters = parameters ?? model.params
        let kind: Kind = parameters.layout.hasScoreHead ? .reward : .languageModel
        if let m = model as? GPT2 {
            try save(config: m.config, kind: kind, parameters: parameters, generationConfig: generationConfig, to: folder,
                     replace: replace, tokenizerFrom: tokenizerFrom)
        } else if let m = model as? Llama {
            if !replace && FileManager.default.fileExists(atPath: folder.path) {
                throw EngineError.badFile(path: folder.path, reason: "already exists; Hilo replaces a model folder only when asked to (--replace)")
            }
            var out = parameters
            if kind == .reward, parameters.layout.tensor(named: "lm_head.weight") != nil {
                // A value head shared with an untied LM: the reward folder has no lm_head.
                out = ParameterBuffer(layout: ParameterLayout(llama: m.config, scoreHead: true, languageModelHead: false))
                for t in out.layout.tensors { out[t.name].update(from: parameters[t.name], count: t.count) }
            }
            try saveLlama(config: m.config, parameters: out, generationConfig: generationConfig, to: folder, replace: replace,
                          tokenizerFrom: tokenizerFrom)
        } else {
            preconditionFailure("no folder format for \(type(of: model))")
        }
    }
}
