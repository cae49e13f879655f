// Matching a folder's tensors to the GPT-2 layout before any data is read: which file and
// header entry supplies each layout tensor, which names are ignored, and every error that a
// folder can have short of corrupt tensor bytes.
import Foundation

extension ModelFolder {
    struct Source {
        let file: SafeTensorsFile
        let info: SafeTensorsFile.TensorInfo
    }

    struct Plan {
        let config: GPT2Config
        let kind: ModelFolder.Kind
        /// Layout name → where its data lives.
        let sources: [String: Source]
        /// An explicit `lm_head.weight` to check against wte, if the files have one.
        let tiedHead: Source?
        let ignored: [String]
        let files: [SafeTensorsFile]
        let prefixed: Bool
        let dtype: String
        /// The kind the folder holds (which may differ from `kind`, the kind requested).
        let folderKind: ModelFolder.Kind
        /// Layout tensors the folder does not have (a score head for an LM loaded as a reward model).
        let newTensors: [String]

        init(folder: URL, as requestedKind: ModelFolder.Kind? = nil) throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw EngineError.badFile(path: folder.path, reason: "no such model folder")
            }
            let (readConfig, configKind) = try ModelFolder.readConfig(at: folder.appendingPathComponent("config.json"))
            let files = try ModelFolder.openWeights(in: folder)

            // Every tensor name across the files, once.
            var all: [String: Source] = [:]
            for f in files {
                for t in f.tensors {
                    if let other = all[t.name] {
                        throw EngineError.badFile(path: f.path, reason: "tensor '\(t.name)' is also in \(other.file.path)")
                    }
                    all[t.name] = Source(file: f, info: t)
                }
            }
            let folderKind = configKind ?? (all["score.weight"] != nil || all["transformer.score.weight"] != nil ? .reward : .languageModel)
            let kind = requestedKind ?? folderKind
            var config = readConfig
            if kind == .reward && (config.numLabels == nil || folderKind != .reward) { config.numLabels = 1 }
            let layout = ParameterLayout(config: config, scoreHead: kind == .reward)

            var sources: [String: Source] = [:]
            var tiedHead: Source?
            var ignored: [String] = []
            var unexpected: [Source] = []
            var prefixed = false
            for name in all.keys.sorted() {
                let source = all[name]!
                var canonical = name
                if name.hasPrefix("transformer.") { canonical = String(name.dropFirst("transformer.".count)); prefixed = true }
                if layout.tensor(named: canonical) != nil {
                    if let other = sources[canonical] {
                        throw EngineError.badFile(path: source.file.path, reason: "both '\(other.info.name)' and '\(name)' name tensor \(canonical)")
                    }
                    sources[canonical] = source
                } else if canonical == "score.weight" && kind == .languageModel && folderKind == .reward {
                    ignored.append(name)   // a reward model loaded as a language model drops its head
                } else if canonical == "lm_head.weight" {
                    tiedHead = source; ignored.append(name)
                } else if ModelFolder.isMaskBuffer(canonical) {
                    ignored.append(name)
                } else {
                    unexpected.append(source)
                }
            }
            if let first = unexpected.first {
                let names = unexpected.prefix(5).map { "'\($0.info.name)'" }.joined(separator: ", ")
                let more = unexpected.count > 5 ? " and \(unexpected.count - 5) more" : ""
                throw EngineError.badFile(path: first.file.path, reason: "unexpected tensor\(unexpected.count > 1 ? "s" : "") \(names)\(more): not part of a \(kind == .reward ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel") with this config.json")
            }
            let weightsPath = files.count == 1 ? files[0].path : folder.appendingPathComponent("model.safetensors.index.json").path
            var newTensors: [String] = []
            for t in layout.tensors {
                if t.name == "score.weight" && folderKind != .reward { newTensors.append(t.name); continue }
                guard let source = sources[t.name] else {
                    let alt = t.name == "score.weight" ? "" : " (or 'transformer.\(t.name)')"
                    throw EngineError.badFile(path: weightsPath, reason: "missing tensor '\(t.name)'\(alt) that a \(kind == .reward ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel") with this config.json needs")
                }
                guard source.info.shape == t.shape else {
                    throw EngineError.badFile(path: source.file.path, reason: "tensor '\(source.info.name)' has shape \(source.info.shape) but config.json (n_embd \(config.nEmbd), n_layer \(config.nLayer), vocab_size \(config.vocabSize), n_positions \(config.nPositions)) needs \(t.shape)")
                }
                guard source.info.dtype.isLoadable else {
                    throw EngineError.badFile(path: source.file.path, reason: "tensor '\(source.info.name)' has dtype \(source.info.dtype.rawValue); Hilo loads F32, F16 and BF16 only")
                }
            }
            if let head = tiedHead {
                let wte = layout["wte.weight"]
                guard head.info.shape == wte.shape else {
                    throw EngineError.badFile(path: head.file.path, reason: "tensor '\(head.info.name)' has shape \(head.info.shape) but the tied head must match wte.weight \(wte.shape)")
                }
                guard head.info.dtype.isLoadable else {
                    throw EngineError.badFile(path: head.file.path, reason: "tensor '\(head.info.name)' has dtype \(head.info.dtype.rawValue); Hilo loads F32, F16 and BF16 only")
                }
            }
            let dtypes = Set(layout.tensors.compactMap { sources[$0.name]?.info.dtype.rawValue })
            self.config = config
            self.kind = kind
            self.sources = sources
            self.tiedHead = tiedHead
            self.ignored = ignored
            self.files = files
            self.prefixed = prefixed
            self.dtype = dtypes.count == 1 ? dtypes.first! : "mixed"
            self.folderKind = folderKind
            self.newTensors = newTensors
        }
    }

    /// `h.N.attn.bias` and `h.N.attn.masked_bias`: the causal mask old checkpoints stored.
    static func isMaskBuffer(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "h" && Int(parts[1]) != nil && parts[2] == "attn"
            && (parts[3] == "bias" || parts[3] == "masked_bias")
    }

    /// The folder's safetensors files: model.safetensors, or the shards its index lists.
    static func openWeights(in folder: URL) throws -> [SafeTensorsFile] {
        let fm = FileManager.default
        let single = folder.appendingPathComponent("model.safetensors")
        if fm.fileExists(atPath: single.path) { return [try SafeTensorsFile(url: single)] }
        let indexURL = folder.appendingPathComponent("model.safetensors.index.json")
        if fm.fileExists(atPath: indexURL.path) {
            guard let data = try? Data(contentsOf: indexURL),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = json["weight_map"] as? [String: String] else {
                throw EngineError.badFile(path: indexURL.path, reason: "not a safetensors index: needs a weight_map object of tensor name → file")
            }
            var files: [String: SafeTensorsFile] = [:]
            for shard in Set(map.values).sorted() {
                guard !shard.contains("/"), !shard.hasPrefix(".") else {
                    throw EngineError.badFile(path: indexURL.path, reason: "shard name '\(shard)' must be a file in the folder")
                }
                let url = folder.appendingPathComponent(shard)
                guard fm.fileExists(atPath: url.path) else {
                    throw EngineError.badFile(path: indexURL.path, reason: "weight_map lists shard '\(shard)', which is not in the folder")
                }
                files[shard] = try SafeTensorsFile(url: url)
            }
            // Every tensor the index names must be in the shard it names.
            for (name, shard) in map.sorted(by: { $0.key < $1.key }) where files[shard]?.info(name) == nil {
                throw EngineError.badFile(path: indexURL.path, reason: "weight_map puts tensor '\(name)' in '\(shard)', which does not hold it")
            }
            return files.keys.sorted().map { files[$0]! }
        }
        if fm.fileExists(atPath: folder.appendingPathComponent("pytorch_model.bin").path) {
            throw EngineError.badFile(path: single.path, reason: "no such file; the folder has only pytorch_model.bin (a pickle), which Hilo does not read: re-save it with transformers' save_pretrained(safe_serialization=True)")
        }
        throw EngineError.badFile(path: single.path, reason: "no such file (a model folder needs model.safetensors)")
    }
}
