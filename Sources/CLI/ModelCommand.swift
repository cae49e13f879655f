// `hilo model info DIR` and `hilo model convert IN OUT`: inspect a Hugging Face GPT-2 model
// folder, and re-save one (F16/BF16 → F32, any naming → transformers' own) as a Hilo folder;
// `convert` also re-saves Llama-family folders (Llama, SmolLM3, Qwen2, Qwen3) in F32 or BF16.
import ArgumentParser
import Engine
import Foundation

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Inspect and convert Hugging Face GPT-2 model folders.",
        subcommands: [Info.self, Convert.self, Merge.self])

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a model folder's architecture, kind, parameter count, dtype and vocabulary.",
            discussion: "Reads config.json and the safetensors headers only, and checks every tensor's name and shape.")

        @Argument(help: "The model folder (config.json, model.safetensors).")
        var dir: String

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() throws {
            let url = URL(fileURLWithPath: dir)
            if case .llama = try ModelFolder.architecture(at: url) { return try infoLlama(url) }
            let info = try ModelFolder.inspect(at: url)
            if json {
                var object = ModelCommand.summary(info)
                object["path"] = url.path
                object["prefixed"] = info.prefixed
                object["ignored_tensors"] = info.ignoredTensors
                object["files"] = info.files
                try ModelCommand.printJSON(object)
                return
            }
            let c = info.config
            let kind = info.kind == .reward ? "reward model, \(c.numLabels ?? 1) output\((c.numLabels ?? 1) == 1 ? "" : "s")" : "language model"
            print(url.path)
            print("  architecture  \(info.architecture) (\(kind))")
            print("  parameters    \(info.parameterCount.formatted())")
            print("  dtype         \(info.dtype)")
            print("  vocab         \(c.vocabSize)")
            print("  shape         \(c.nLayer) layers, \(c.nEmbd) wide, \(c.nHead) heads, context \(c.nPositions)")
            print("  tokens        eos \(c.eosTokenId.map(String.init) ?? "none"), pad \(c.padTokenId.map(String.init) ?? "none")")
            if !info.ignoredTensors.isEmpty { print("  ignored       \(info.ignoredTensors.joined(separator: ", "))") }
        }

        /// `info` for a Llama-family folder: config.json and the safetensors headers.
        private func infoLlama(_ url: URL) throws {
            let c = try LlamaConfig.read(at: url.appendingPathComponent("config.json"))
            let (kind, architecture) = try ModelFolder.describe(at: url)
            let count = ParameterLayout(llama: c, scoreHead: kind == .reward, languageModelHead: kind == .languageModel).parameterCount
            let dtype = try ModelFolder.weightsDType(at: url)
            if json {
                try ModelCommand.printJSON([
                    "architecture": architecture, "kind": kind.rawValue, "parameters": count, "dtype": dtype, "path": url.path,
                    "vocab_size": c.vocabSize, "num_hidden_layers": c.numHiddenLayers, "hidden_size": c.hiddenSize,
                    "num_attention_heads": c.numAttentionHeads, "num_key_value_heads": c.numKeyValueHeads, "head_dim": c.headDim,
                    "max_position_embeddings": c.maxPositionEmbeddings, "tie_word_embeddings": c.tieWordEmbeddings,
                    "eos_token_id": c.eosTokenId.map { $0 as Any } ?? NSNull(), "pad_token_id": c.padTokenId.map { $0 as Any } ?? NSNull(),
                ])
                return
            }
            print(url.path)
            print("  architecture  \(architecture) (\(kind == .reward ? "reward model, 1 output" : "language model"))")
            print("  parameters    \(count.formatted())")
            print("  dtype         \(dtype)")
            print("  vocab         \(c.vocabSize)")
            print("  shape         \(c.numHiddenLayers) layers, \(c.hiddenSize) wide, \(c.numAttentionHeads)/\(c.numKeyValueHeads) heads of \(c.headDim), context \(c.maxPositionEmbeddings)")
            print("  tokens        eos \(c.eosTokenId.map(String.init) ?? "none"), pad \(c.padTokenId.map(String.init) ?? "none")")
        }
    }

    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-save a model folder as Hilo writes it: F32, transformers' tensor names, atomically.",
            discussion: """
                Reads F32, F16 or BF16 weights with or without the `transformer.` prefix (a tied lm_head and \
                old attention-mask buffers are dropped) and writes config.json, model.safetensors and \
                generation_config.json that transformers loads as they are. Tokenizer files are copied. \
                Llama-family folders (Llama, SmolLM3, Qwen2, Qwen3; sharded or not) keep their names and \
                config (RoPE spelled as read) and are written in F32, or BF16 with --dtype bf16.
                """)

        @Argument(help: "The model folder to read.")
        var input: String

        @Argument(help: "The folder to write; it must not exist unless --replace is given.")
        var output: String

        @Flag(help: "Replace OUTPUT if it exists (the old folder is swapped out, never half-written).")
        var replace = false

        @Option(help: "Tensor dtype to write: f32, or bf16 (Llama-family folders only).")
        var dtype = "f32"

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() throws {
            let source = URL(fileURLWithPath: input), target = URL(fileURLWithPath: output)
            guard dtype == "f32" || dtype == "bf16" else { throw ValidationError("--dtype must be f32 or bf16, got '\(dtype)'") }
            if ModelFolder.holdsLlamaFamily(at: source) { return try convertLlama(source, target) }
            guard dtype == "f32" else { throw ValidationError("--dtype bf16 is for Llama-family folders; GPT-2 folders are written in F32") }
            let info = try ModelFolder.inspect(at: source)
            let model = try ModelFolder.load(at: source, allowNonFinite: true)   // a faithful copy, infinities included
            try ModelFolder.save(model, to: target, replace: replace, tokenizerFrom: source)
            if json {
                var object = ModelCommand.summary(info)
                object["input"] = source.path
                object["output"] = target.path
                object["source_dtype"] = info.dtype
                object["dtype"] = "F32"
                object["dropped_tensors"] = info.ignoredTensors
                try ModelCommand.printJSON(object)
            } else {
                print("wrote \(target.path): \(info.architecture), \(info.parameterCount.formatted()) parameters, \(info.dtype) → F32")
            }
        }

        /// `convert` for a Llama-family folder.
        private func convertLlama(_ source: URL, _ target: URL) throws {
            let model = try ModelFolder.loadLlama(at: source, allowNonFinite: true)   // as what it holds: an LM or a reward model
            let out: SafeTensorsFile.DType = dtype == "bf16" ? .bf16 : .f32
            try ModelFolder.saveLlama(config: model.config, parameters: model.parameters, dtype: out,
                                      generationConfig: model.generationConfig, to: target, replace: replace, tokenizerFrom: source)
            let c = model.config, count = model.parameters.layout.parameterCount
            if json {
                try ModelCommand.printJSON([
                    "architecture": model.kind == .reward ? c.family.sequenceClassification : c.family.architecture,
                    "kind": model.kind.rawValue, "parameters": count, "input": source.path,
                    "output": target.path, "source_dtype": model.sourceDType, "dtype": out.rawValue,
                    "vocab_size": c.vocabSize, "num_hidden_layers": c.numHiddenLayers, "hidden_size": c.hiddenSize,
                    "num_attention_heads": c.numAttentionHeads, "num_key_value_heads": c.numKeyValueHeads, "head_dim": c.headDim,
                ])
            } else {
                print("wrote \(target.path): \(c.family.architecture), \(count.formatted()) parameters, \(model.sourceDType) → \(out.rawValue)")
            }
        }
    }

    /// The fields `info` and `convert` share, with transformers' key names.
    static func summary(_ info: ModelFolder.Info) -> [String: Any] {
        let c = info.config
        var object: [String: Any] = [
            "architecture": info.architecture, "kind": info.kind.rawValue, "parameters": info.parameterCount,
            "dtype": info.dtype, "vocab_size": c.vocabSize, "n_layer": c.nLayer, "n_embd": c.nEmbd,
            "n_head": c.nHead, "n_positions": c.nPositions,
            "eos_token_id": c.eosTokenId.map { $0 as Any } ?? NSNull(),
            "pad_token_id": c.padTokenId.map { $0 as Any } ?? NSNull(),
        ]
        if info.kind == .reward { object["num_labels"] = c.numLabels ?? 1 }
        return object
    }

    static func printJSON(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}
