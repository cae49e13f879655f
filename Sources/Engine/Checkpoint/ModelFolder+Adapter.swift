// Adapter folders wherever a model folder is read for inference: an adapter folder (adapter_config.json,
// no config.json) loads as its base (base_model_name_or_path) with the adapter merged in, so every
// command and the server's samplers run base + adapter at the base model's decoding speed. Training
// keeps the adapter separate instead (TrainingJob+LoRA.swift).
import Foundation

extension LoRAAdapter {
    /// The base model folder an adapter folder names (base_model_name_or_path): an absolute path, or one
    /// relative to the working directory or, failing that, to the adapter folder's parent.
    public static func baseFolder(of adapter: URL) throws -> URL {
        let config = try readConfig(at: adapter)
        guard let name = config.baseModelNameOrPath, !name.isEmpty else {
            throw EngineError.badFile(path: adapter.appendingPathComponent(configFile).path,
                                      reason: "base_model_name_or_path is empty: give the base model folder explicitly (--model BASE --adapter DIR)")
        }
        let candidates = name.hasPrefix("/") ? [URL(fileURLWithPath: name)]
            : [URL(fileURLWithPath: name), adapter.deletingLastPathComponent().appendingPathComponent(name)]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("config.json").path) }) else {
            throw EngineError.badFile(path: adapter.appendingPathComponent(configFile).path,
                                      reason: "base_model_name_or_path '\(name)' is not a model folder here (Hilo loads no models from a hub): give it with --model BASE --adapter DIR")
        }
        return found
    }

    /// Whether `folder` is an adapter alone (adapter_config.json without config.json).
    static func isAdapterOnly(_ folder: URL) -> Bool {
        isAdapterFolder(folder) && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path)
    }
}

extension ModelFolder {
    /// The GPT-2 model of `base` with the adapter of `adapter` merged into its weights (a reward
    /// adapter's trained score head replaces the base's).
    public static func load(base: URL, adapter: URL, as kind: Kind? = nil) throws -> LoadedModel {
        var loaded = try load(at: base, as: kind)
        try mergeAdapter(adapter, base: LoRABase(gpt2: loaded.config), into: loaded.parameters, newTensors: &loaded.newTensors)
        return loaded
    }

    /// The Llama-family model of `base` with the adapter of `adapter` merged into its weights (a reward
    /// adapter's trained score head replaces the base's).
    public static func loadLlama(base: URL, adapter: URL, as kind: Kind? = nil) throws -> LoadedLlama {
        var loaded = try loadLlama(at: base, as: kind)
        try mergeAdapter(adapter, base: LoRABase(llama: loaded.config), into: loaded.parameters, newTensors: &loaded.newTensors)
        return loaded
    }

    /// Merges the adapter folder `adapter` into `parameters` (a model of `base`'s projections); a saved
    /// score head (modules_to_save) replaces the parameters' and leaves `newTensors`.
    private static func mergeAdapter(_ adapter: URL, base: LoRABase, into parameters: ParameterBuffer, newTensors: inout [String]) throws {
        let extra = parameters.layout.hasScoreHead ? ["score.weight": parameters.layout["score.weight"].shape] : [:]
        let (lora, modules) = try LoRAAdapter.load(from: adapter, base: base, extra: extra)
        lora.merge(into: parameters)
        if let score = modules["score.weight"] {
            parameters["score.weight"].update(from: score, count: score.count)
            newTensors.removeAll { $0 == "score.weight" }
        }
        try checkFinite(parameters, in: adapter)
    }

    /// The folder whose tokenizer serves `folder` (+ `adapter`): an adapter's own files when it has them
    /// (Hilo copies them in), otherwise its base's; a model folder's own otherwise.
    public static func tokenizerFolder(for folder: URL, adapter: URL? = nil) throws -> URL {
        func hasTokenizer(_ url: URL) -> Bool { tokenizerFiles.contains { FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path) } }
        if let adapter { return hasTokenizer(adapter) ? adapter : folder }
        if LoRAAdapter.isAdapterOnly(folder) { return hasTokenizer(folder) ? folder : try LoRAAdapter.baseFolder(of: folder) }
        return folder
    }
}
