// `hilo model merge --model BASE --adapter DIR --out DIR`: a LoRA adapter (PEFT's format) merged into
// its base as PEFT's merge_and_unload does (W += s·B·A), written as a full model folder for serving
// and export. GPT-2 and the Llama family; the tokenizer files come from the adapter folder when it has
// them, otherwise from the base.
import ArgumentParser
import Engine
import Foundation

extension ModelCommand {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge a LoRA adapter folder (PEFT's format) into its base and write a full model folder.")

        @Option(help: "The base model folder (default: the adapter's base_model_name_or_path).") var model: String?
        @Option(help: "The adapter folder (adapter_config.json, adapter_model.safetensors).") var adapter: String
        @Option(help: "The model folder to write; it must not exist unless --replace is given.") var out: String
        @Flag(help: "Replace OUT if it exists.") var replace = false
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let adapterURL = URL(fileURLWithPath: adapter), target = URL(fileURLWithPath: out)
            let base = try model.map { URL(fileURLWithPath: $0) } ?? LoRAAdapter.baseFolder(of: adapterURL)
            let hasTokenizer = ModelFolder.tokenizerFiles.contains { FileManager.default.fileExists(atPath: adapterURL.appendingPathComponent($0).path) }
            let tokenizerFrom = hasTokenizer ? adapterURL : base
            let modules = try LoRAAdapter.readConfig(at: adapterURL)
            let merged = try ModelFolder.loadModel(at: base, adapter: adapterURL)
            try ModelFolder.save(merged.model, generationConfig: merged.generationConfig, to: target, replace: replace, tokenizerFrom: tokenizerFrom)
            let architecture = try ModelFolder.describe(at: target).architecture, count = merged.model.layout.parameterCount
            if json {
                try ModelCommand.printJSON(["base": base.path, "adapter": adapterURL.path, "output": target.path, "architecture": architecture,
                                            "parameters": count, "r": modules.r, "lora_alpha": modules.loraAlpha])
            } else {
                print("wrote \(target.path): \(architecture), \(count.formatted()) parameters, base \(base.path) + adapter (r \(modules.r))")
            }
        }
    }
}
