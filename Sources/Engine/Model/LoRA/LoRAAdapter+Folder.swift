// Adapter folders exactly as PEFT writes and reads them: adapter_config.json (LoraConfig's fields)
// and adapter_model.safetensors with keys "base_model.model.<module path>.lora_A.weight" [r, in] and
// ".lora_B.weight" [out, r], plus "base_model.model.score.weight" for a reward model's trained head
// (modules_to_save). What Hilo cannot compute exactly (DoRA, biases, other PEFT methods) is refused
// with the file and the field.
import Foundation
import Support

extension LoRAAdapter {
    public static let configFile = "adapter_config.json", weightsFile = "adapter_model.safetensors"
    /// The prefix PEFT's PeftModel puts before the base model's module paths in saved keys.
    public static let keyPrefix = "base_model.model."

    /// Reads adapter_config.json of `folder`. Throws naming the field for anything Hilo does not compute.
    public static func readConfig(at folder: URL) throws -> LoRAConfig {
        let json = try ConfigJSON(at: folder.appendingPathComponent(configFile))
        func refuse(_ why: String) -> EngineError { json.bad(why) }
        let type = try json.string("peft_type", default: nil)
        guard type == "LORA" else { throw refuse("peft_type is \(type.map { "'\($0)'" } ?? "missing"); Hilo loads LORA adapters only") }
        if try json.flag("use_dora", default: false) { throw refuse("use_dora is true: DoRA adapters are not supported") }
        let bias = try json.string("bias", default: "none") ?? "none"
        guard bias == "none" else { throw refuse("bias is '\(bias)': only 'none' is supported (the base biases stay frozen)") }
        if try json.flag("lora_bias", default: false) { throw refuse("lora_bias is true: LoRA biases are not supported") }
        if try json.flag("use_qalora", default: false) { throw refuse("use_qalora is true: QALoRA is not supported") }
        for field in ["layer_replication", "target_parameters", "trainable_token_indices", "alora_invocation_tokens", "layers_pattern"]
        where json.has(field) {
            if let list = json.dict[field] as? [Any], list.isEmpty { continue }
            if let d = json.dict[field] as? [String: Any], d.isEmpty { continue }
            throw refuse("\(field) is set: not supported by Hilo's LoRA")
        }
        let r = try json.requiredInt("r")
        func targets(_ key: String) throws -> LoRAConfig.Targets? {
            switch json.dict[key] {
            case nil, is NSNull: return nil
            case let s as String: return s == "all-linear" ? .allLinear : .regex(s)
            case let list as [Any]:
                guard let names = list as? [String] else { throw refuse("\(key) must be a list of module names or a regex") }
                return .names(names)
            case let v?: throw refuse("\(key) must be a list of module names or a regex, got \(v)")
            }
        }
        guard let target = try targets("target_modules") else {
            throw refuse("target_modules is missing: Hilo needs the adapted module names (PEFT's defaults are not guessed)")
        }
        func ints(_ key: String) throws -> [Int]? {
            switch json.dict[key] {
            case nil, is NSNull: return nil
            case let n as NSNumber: return [n.intValue]
            case let list as [NSNumber]: return list.map(\.intValue)
            case let v?: throw refuse("\(key) must be a layer index or a list of them, got \(v)")
            }
        }
        func pattern<T>(_ key: String, _ convert: (NSNumber) -> T) throws -> [String: T] {
            guard json.has(key) else { return [:] }
            guard let d = json.dict[key] as? [String: NSNumber] else { throw refuse("\(key) must map module patterns to numbers") }
            return d.mapValues(convert)
        }
        let saved: [String]?
        switch json.dict["modules_to_save"] {
        case nil, is NSNull: saved = nil
        case let list as [String]: saved = list.isEmpty ? nil : list
        case let v?: throw refuse("modules_to_save must be a list of module names, got \(v)")
        }
        return LoRAConfig(r: r, loraAlpha: try json.number("lora_alpha", default: 8), useRslora: try json.flag("use_rslora", default: false),
                          targetModules: target, excludeModules: try targets("exclude_modules"),
                          loraDropout: try json.number("lora_dropout", default: 0), fanInFanOut: try json.flag("fan_in_fan_out", default: false),
                          layersToTransform: try ints("layers_to_transform"), rankPattern: try pattern("rank_pattern") { $0.intValue },
                          alphaPattern: try pattern("alpha_pattern") { $0.doubleValue }, modulesToSave: saved,
                          baseModelNameOrPath: try json.string("base_model_name_or_path", default: nil),
                          taskType: try json.string("task_type", default: nil))
    }

    /// Loads the adapter of `folder` for `base`. Every expected tensor must be in the file with its exact
    /// shape, and every tensor in the file must be expected; `extra` names whole modules it may also hold
    /// (a reward model's "score.weight"), returned by name without the prefix.
    public static func load(from folder: URL, base: LoRABase, extra: [String: [Int]] = [:]) throws -> (LoRAAdapter, [String: [Float]]) {
        let config = try readConfig(at: folder)
        let adapter = try LoRAAdapter(config: config, base: base, file: folder.appendingPathComponent(configFile).path)
        let url = folder.appendingPathComponent(weightsFile)
        guard FileManager.default.fileExists(atPath: url.path) else {
            let legacy = FileManager.default.fileExists(atPath: folder.appendingPathComponent("adapter_model.bin").path)
            throw EngineError.badFile(path: url.path, reason: legacy
                ? "missing; the folder has adapter_model.bin (a pickle), which Hilo does not read: re-save it with safe_serialization=True"
                : "missing: an adapter folder needs adapter_model.safetensors")
        }
        let file = try SafeTensorsFile(url: url)
        var expected = Set(adapter.layout.tensors.map { keyPrefix + $0.name })
        for t in adapter.layout.tensors {
            let key = keyPrefix + t.name
            guard let info = file.info(key) else {
                throw EngineError.badFile(path: url.path, reason: "no tensor '\(key)': adapter_config.json targets \(t.name.dropLast(".lora_A.weight".count)) but the weights do not hold it")
            }
            guard info.shape == t.shape else {
                throw EngineError.badFile(path: url.path, reason: "tensor '\(key)' has shape \(info.shape), this base model needs \(t.shape): the adapter was trained on another model")
            }
            try file.read(key, into: adapter.params.view(t.name))
        }
        var modules: [String: [Float]] = [:]
        for (name, shape) in extra {
            let key = keyPrefix + name
            guard let info = file.info(key) else { continue }
            guard info.shape == shape else {
                throw EngineError.badFile(path: url.path, reason: "tensor '\(key)' has shape \(info.shape), this model needs \(shape)")
            }
            modules[name] = try file.floats(key)
            expected.insert(key)
        }
        if let stray = file.names.first(where: { !expected.contains($0) }) {
            throw EngineError.badFile(path: url.path, reason: "unexpected tensor '\(stray)': it matches no module adapter_config.json adapts in this \(base.family.rawValue) model")
        }
        for t in adapter.layout.tensors {
            let v = adapter.params.view(t.name)
            if v.contains(where: { !$0.isFinite }) {
                throw EngineError.badFile(path: url.path, reason: "tensor '\(keyPrefix + t.name)' holds NaN or infinite values")
            }
        }
        return (adapter, modules)
    }

    /// adapter_config.json as PEFT writes it (the fields PEFT's LoraConfig reads back).
    public func configJSON() throws -> Data {
        let c = config
        func targets(_ t: LoRAConfig.Targets?) -> Any {
            switch t {
            case nil: return NSNull()
            case .allLinear?: return "all-linear"
            case .regex(let s)?: return s
            case .names(let n)?: return n
            }
        }
        let dict: [String: Any] = [
            "peft_type": "LORA", "r": c.r, "lora_alpha": c.loraAlpha == c.loraAlpha.rounded() ? Int(c.loraAlpha) as Any : c.loraAlpha as Any,
            "use_rslora": c.useRslora, "target_modules": targets(c.targetModules), "exclude_modules": targets(c.excludeModules),
            "lora_dropout": c.loraDropout, "fan_in_fan_out": base.family == .gpt2, "bias": "none", "use_dora": false,
            "modules_to_save": c.modulesToSave.map { $0 as Any } ?? NSNull(),
            "layers_to_transform": c.layersToTransform.map { $0 as Any } ?? NSNull(), "layers_pattern": NSNull(),
            "rank_pattern": c.rankPattern, "alpha_pattern": c.alphaPattern,
            "base_model_name_or_path": c.baseModelNameOrPath.map { $0 as Any } ?? NSNull(),
            "task_type": c.taskType.map { $0 as Any } ?? NSNull(), "inference_mode": true, "init_lora_weights": true,
            "revision": NSNull(),
        ]
        return try JSONSerialization.data(withJSONObject: dict, options: [.prettyPrinted, .sortedKeys])
    }

    /// Writes the adapter folder atomically: adapter_config.json, adapter_model.safetensors (F32, PEFT's
    /// keys; `extra` whole modules under the same prefix) and the tokenizer files of `tokenizerFrom`.
    public func save(to folder: URL, replace: Bool = false, extra: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = [],
                     tokenizerFrom: URL? = nil) throws {
        if !replace && FileManager.default.fileExists(atPath: folder.path) {
            throw EngineError.badFile(path: folder.path, reason: "already exists; Hilo replaces an adapter folder only when asked to (--replace)")
        }
        let configData = try configJSON()
        var entries = layout.tensors.map { t in
            SafeTensorsWriter.Entry(name: Self.keyPrefix + t.name, shape: t.shape, values: UnsafeBufferPointer(params.view(t.name)))
        }
        entries += extra.map { SafeTensorsWriter.Entry(name: Self.keyPrefix + $0.name, shape: $0.shape, values: $0.values) }
        try EngineError.writingFiles { try AtomicFile.writeFolder(at: folder, replace: replace) { tmp in
            try SafeTensorsWriter.write(entries, to: tmp.appendingPathComponent(Self.weightsFile))
            try AtomicFile.write(configData, to: tmp.appendingPathComponent(Self.configFile))
            if let source = tokenizerFrom { try ModelFolder.copyTokenizerFiles(from: source, to: tmp) }
        } }
    }

    /// Whether `folder` holds an adapter (adapter_config.json) rather than a full model.
    public static func isAdapterFolder(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(configFile).path)
    }
}
