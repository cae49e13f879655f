// `hilo sample`: responses of a policy folder to a file of prompts, as JSON Lines
// {"prompt", "response", "finish_reason", "sample"}: the same sampler the server's candidate generator
// and evaluation campaigns use. Input lines are {"prompt": …} objects (a prompt-only dataset, as TRL's
// online trainers read) or raw text, one prompt per line. The output feeds `hilo demo judge`, a reward
// model (`hilo reward`), or an import (`hilo import`).
import ArgumentParser
import Engine
import Foundation
import Hilo
import Support

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Sample responses of a model folder to a JSONL file of prompts.")

    @Option(help: "The policy model folder.") var model: String
    @Option(help: "The prompts: JSONL with a \"prompt\" field, or one raw prompt per line.") var prompts: String
    @Option(help: "Responses per prompt.") var numSamples: Int = 1
    @Option(help: "Sampling temperature.") var temperature: Double = 1
    @Option(help: "Nucleus sampling mass (1 disables).") var topP: Double = 0.95
    @Option(help: "Sample among the K most likely tokens only.") var topK: Int?
    @Option(help: "New tokens per response at most.") var maxNewTokens: Int = 48
    @Flag(help: "Always take the most likely token (one response per prompt is then enough).") var greedy = false
    @Option(help: "Seed of the sampler: the same seed gives the same responses.") var seed: UInt64 = 0
    @Option(name: .shortAndLong, help: "The output file (written atomically); standard output when omitted.") var output: String?

    func validate() throws {
        guard numSamples >= 1 else { throw ValidationError("--num-samples must be at least 1") }
        guard temperature > 0 || greedy else { throw ValidationError("--temperature must be > 0 (or use --greedy)") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: prompts) else { throw ValidationError("cannot read \(prompts)") }
        let texts = try Self.readPrompts(data, source: prompts)
        guard !texts.isEmpty else { throw ValidationError("\(prompts) holds no prompts") }
        let sampler = try PolicySampler(folder: URL(fileURLWithPath: model))
        let settings = PolicySampler.Settings(temperature: temperature, topP: topP < 1 ? topP : nil, topK: topK,
                                              maxNewTokens: maxNewTokens, greedy: greedy)
        var rng = SeededRNG(seed: seed)
        let samples = try sampler.sample(prompts: texts, perPrompt: numSamples, settings: settings, rng: &rng)
        var out = ""
        for (prompt, row) in zip(texts, samples) {
            for (k, s) in row.enumerated() {
                let object: [String: Any] = ["prompt": prompt, "response": s.text, "finish_reason": s.finishReason, "sample": k]
                let line = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                out += String(decoding: line, as: UTF8.self) + "\n"
            }
        }
        if let output {
            let bytes = Data(out.utf8)
            try AtomicFile.write(to: URL(fileURLWithPath: output)) { file in try bytes.withUnsafeBytes { try file.write($0) } }
        } else {
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }

    /// Prompts from JSONL ({"prompt": text}) or raw lines; a line that is a JSON object without a string
    /// "prompt" is an error naming the line.
    static func readPrompts(_ data: Data, source: String) throws -> [String] {
        var texts: [String] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let l = line.hasSuffix("\r") ? line.dropLast() : line
            if l.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if l.first == "{" {
                guard let o = (try? JSONSerialization.jsonObject(with: Data(l.utf8))) as? [String: Any], let p = o["prompt"] as? String else {
                    throw ValidationError("\(source):\(i + 1): expected {\"prompt\": \"…\"}")
                }
                texts.append(p)
            } else {
                texts.append(String(l))
            }
        }
        return texts
    }
}
