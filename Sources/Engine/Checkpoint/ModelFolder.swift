// Hugging Face model folders: `config.json`, `model.safetensors` (or shards listed in
// `model.safetensors.index.json`) and `generation_config.json`, loaded into one ParameterBuffer
// and saved back so transformers loads them as they are.
//
// Loading maps names with or without the `transformer.` prefix to the layout's names and copies
// each tensor to its offset (F16/BF16 converted to Float). Rules, as transformers applies them:
// - `lm_head.weight` is tied to `wte.weight`. Old checkpoints that store it are accepted when it
//   equals wte exactly (after conversion); a different head is refused, since Hilo's GPT-2 always
//   ties them and would silently compute other logits.
// - `attn.bias` / `attn.masked_bias` (causal-mask buffers in old checkpoints) are ignored.
// - A missing tensor, a wrong shape, or a tensor no GPT-2 has is an error naming file and tensor.
// Saving writes what transformers' `save_pretrained` writes: base-model tensors prefixed with
// `transformer.`, `score.weight` unprefixed for reward models, no `lm_head.weight`, F32, and
// the whole folder appears atomically.
import Foundation
import Support

extension ModelFolder {
    /// What a model folder holds: a language model (GPT2LMHeadModel) or a reward / value model
    /// (GPT2ForSequenceClassification with a `score` head).
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case languageModel = "lm"
        case reward = "reward"
    }
}

/// A model folder loaded into memory.
public struct LoadedModel {
    public var config: GPT2Config
    public var kind: ModelFolder.Kind
    /// generation_config.json, or what transformers derives from config.json when it is absent.
    public var generationConfig: GenerationDefaults
    /// Every tensor at its layout offset; the layout has a score head iff kind is .reward.
    public var parameters: ParameterBuffer
    /// The dtype the tensors were stored in ("F32", "F16", "BF16", or "mixed").
    public var sourceDType: String
    /// Layout tensors the folder did not have, left at zero for the caller to initialise:
    /// ["score.weight"] when a language model is loaded as a reward model, else empty.
    public var newTensors: [String] = []
}

extension ModelFolder {
    /// What `ModelFolder.inspect` reports without reading any tensor data.
    public struct Info: Sendable, Equatable {
        public var config: GPT2Config
        public var kind: Kind
        /// The architecture name transformers uses for this kind.
        public var architecture: String
        /// Real parameters (transformers' count: the tied head counts once).
        public var parameterCount: Int
        /// The dtype the tensors are stored in ("F32", "F16", "BF16", or "mixed").
        public var dtype: String
        /// Whether names carried the `transformer.` prefix.
        public var prefixed: Bool
        /// Tensors in the files that Hilo ignores (tied lm_head, attention-mask buffers).
        public var ignoredTensors: [String]
        /// The safetensors files read.
        public var files: [String]
    }
}

public enum ModelFolder {
    /// Tokenizer files `save` copies from a source folder when asked.
    public static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                        "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja"]

    /// Loads a model folder; every problem is an EngineError naming the file and what is wrong.
    /// `kind` nil loads what the folder holds. `.reward` on a language model gives a reward model
    /// whose `score.weight` is zero and listed in `newTensors` (a reward model starts from the
    /// policy); `.languageModel` on a reward model drops its score head.
    /// `allowNonFinite` is for format conversion alone (`hilo model convert` keeps an F16 overflow's
    /// infinity as it is); everything that runs the model refuses NaN and ±infinity.
    public static func load(at folder: URL, as kind: ModelFolder.Kind? = nil, allowNonFinite: Bool = false) throws -> LoadedModel {
        if LoRAAdapter.isAdapterOnly(folder) { return try load(base: LoRAAdapter.baseFolder(of: folder), adapter: folder, as: kind) }
        let plan = try Plan(folder: folder, as: kind)
        let layout = ParameterLayout(config: plan.config, scoreHead: plan.kind == .reward)
        let parameters = ParameterBuffer(layout: layout)
        for t in layout.tensors {
            guard let source = plan.sources[t.name] else { continue }   // a new tensor stays zero
            try source.file.read(source.info.name, into: parameters.view(t.name))
        }
        if let head = plan.tiedHead {
            // An old checkpoint with an explicit head: it must be the embedding itself.
            let values = try head.file.floats(head.info.name)
            let wte = parameters.view("wte.weight")
            var maxDiff: Float = 0
            for i in 0..<values.count where values[i] != wte[i] && !(values[i].isNaN && wte[i].isNaN) {
                maxDiff = max(maxDiff, abs(values[i] - wte[i]).isNaN ? .infinity : abs(values[i] - wte[i]))
            }
            if maxDiff > 0 {
                throw EngineError.badFile(path: head.file.path, reason: "tensor '\(head.info.name)' differs from wte.weight (max difference \(maxDiff)): Hilo ties the output head to the token embedding as GPT-2 does, and cannot load an untied head")
            }
        }
        if !allowNonFinite { try checkFinite(parameters, in: folder) }
        let generationURL = folder.appendingPathComponent("generation_config.json")
        let generation = FileManager.default.fileExists(atPath: generationURL.path)
            ? try GenerationDefaults.read(at: generationURL) : GenerationDefaults(modelConfig: plan.config)
        return LoadedModel(config: plan.config, kind: plan.kind, generationConfig: generation,
                           parameters: parameters, sourceDType: plan.dtype, newTensors: plan.newTensors)
    }

    /// Reads config.json and the safetensors headers and checks every tensor's name and shape,
    /// without reading tensor data (fast for any model size).
    public static func inspect(at folder: URL) throws -> Info {
        let plan = try Plan(folder: folder)
        let layout = ParameterLayout(config: plan.config, scoreHead: plan.kind == .reward)
        return Info(config: plan.config, kind: plan.kind,
                         architecture: plan.kind == .reward ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel",
                         parameterCount: layout.parameterCount, dtype: plan.dtype, prefixed: plan.prefixed,
                         ignoredTensors: plan.ignored, files: plan.files.map(\.path))
    }

    /// Saves a model folder atomically: config.json, model.safetensors (F32) and
    /// generation_config.json appear together under `folder` or not at all. `replace` allows an
    /// existing folder to be swapped out; `tokenizerFrom` copies the tokenizer files it has, and a
    /// tokenizer_config.json is written when it has none (ModelFolder+TokenizerConfig.swift).
    public static func save(config: GPT2Config, kind: ModelFolder.Kind, parameters: ParameterBuffer,
                            generationConfig: GenerationDefaults? = nil, to folder: URL,
                            replace: Bool = false, tokenizerFrom: URL? = nil) throws {
        precondition(parameters.layout.hasScoreHead == (kind == .reward), "a reward model's layout has the score head, a language model's does not")
        precondition(parameters.layout.tensor(named: "wte.weight")?.shape == [config.vocabSize, config.nEmbd]
                     && parameters.layout.layerCount == config.nLayer, "config does not match the parameter layout")
        var config = config
        config.modelType = "gpt2"
        config.architectures = [kind == .reward ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel"]
        if kind == .reward {
            config.numLabels = parameters.layout["score.weight"].shape[0]
            // transformers scores the last non-padding token and needs a pad id for batches.
            if config.padTokenId == nil { config.padTokenId = config.eosTokenId ?? 0 }
        }
        let configData = try configJSON(config, kind: kind)
        let generationData = try (generationConfig ?? GenerationDefaults(modelConfig: config)).jsonData()
        if !replace && FileManager.default.fileExists(atPath: folder.path) {
            throw EngineError.badFile(path: folder.path, reason: "already exists; Hilo replaces a model folder only when asked to (--replace)")
        }
        try EngineError.writingFiles { try AtomicFile.writeFolder(at: folder, replace: replace) { tmp in
            try SafeTensorsWriter.write(parameters, name: { $0 == "score.weight" ? $0 : "transformer." + $0 },
                                        to: tmp.appendingPathComponent("model.safetensors"))
            try AtomicFile.write(configData, to: tmp.appendingPathComponent("config.json"))
            try AtomicFile.write(generationData, to: tmp.appendingPathComponent("generation_config.json"))
            if let source = tokenizerFrom { try copyTokenizerFiles(from: source, to: tmp) }
            try writeTokenizerConfigIfMissing(in: tmp, TokenizerSettings(
                tokenizerClass: "GPT2Tokenizer", modelMaxLength: config.nPositions, bosTokenId: config.bosTokenId,
                eosTokenId: config.eosTokenId, padTokenId: config.padTokenId, unknownIsEndOfText: true))
        } }
    }

    /// Throws, naming the first such tensor, when loaded weights hold NaN or ±infinity: a model that
    /// would only ever produce NaN logits (a diverged run's checkpoint, a corrupt conversion) is
    /// refused at load, in every command and in `hilo serve`, not found out when it generates.
    static func checkFinite(_ parameters: ParameterBuffer, in folder: URL) throws {
        for t in parameters.layout.tensors {
            let values = parameters.view(t.name)
            var bad = 0
            for i in 0..<values.count where !values[i].isFinite { bad += 1 }
            if bad > 0 {
                throw EngineError.badFile(path: folder.path, reason: "tensor '\(t.name)' has \(bad) of \(values.count) values that are NaN or infinite; the weights are unusable")
            }
        }
    }

    /// Copies the tokenizer files `source` has into `folder`.
    static func copyTokenizerFiles(from source: URL, to folder: URL) throws {
        for name in tokenizerFiles {
            let from = source.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: from.path) else { continue }
            let data: Data
            do { data = try Data(contentsOf: from) } catch {
                throw EngineError.badFile(path: from.path, reason: "cannot read: \(error.localizedDescription)")
            }
            try AtomicFile.write(data, to: folder.appendingPathComponent(name))
        }
    }

    /// Saves a loaded model (see `save(config:kind:parameters:…)`).
    public static func save(_ model: LoadedModel, to folder: URL, replace: Bool = false, tokenizerFrom: URL? = nil) throws {
        try save(config: model.config, kind: model.kind, parameters: model.parameters, generationConfig: model.generationConfig,
                 to: folder, replace: replace, tokenizerFrom: tokenizerFrom)
    }
}
