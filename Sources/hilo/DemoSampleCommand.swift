// `hilo demo sample`: K sampled responses per prompt from a policy folder, through the same
// PolicySampler the server's candidate generator and evaluation campaigns use (batched KV-cache
// generation, stopping at EOS or a new "\n\nHuman:" turn). Writes {"prompt","response"} JSONL that
// `hilo demo judge` reads, so a model's rule rate on held-out prompts is two commands:
//
//     hilo demo corpus --kind prompts --split heldout --count 100 -o heldout.jsonl
//     hilo demo sample --model DIR --prompts heldout.jsonl | hilo demo judge > /dev/null
import ArgumentParser
import Engine
import Foundation
import Hilo

struct DemoSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample responses to {\"prompt\"} JSONL rows with a policy folder; writes {\"prompt\",\"response\"} JSONL.")

    @Option(help: "The policy folder (Hugging Face GPT-2 layout, with its tokenizer).") var model: String
    @Option(help: "The prompts: JSONL rows with a \"prompt\" string (as `hilo demo corpus --kind prompts` writes).") var prompts: String
    @Option(help: "Responses per prompt.") var perPrompt = 1
    @Option(help: "Sampling temperature.") var temperature: Double = 1
    @Option(help: "Nucleus sampling mass (1 disables).") var topP: Double = 0.95
    @Option(help: "Sample among the K most likely tokens.") var topK: Int?
    @Option(help: "New tokens at most per response.") var maxNewTokens = 48
    @Flag(help: "Always take the most likely token (then one response per prompt is enough).") var greedy = false
    @Option(help: "Seed of the sampler.") var seed: UInt64 = 0
    @Option(name: .shortAndLong, help: "The output file; standard output when omitted.") var output: String?

    func validate() throws {
        guard perPrompt >= 1 && perPrompt <= 64 else { throw ValidationError("--per-prompt must be 1…64") }
        guard temperature > 0 && temperature.isFinite else { throw ValidationError("--temperature must be > 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: prompts) else { throw DemoError.invalid("cannot read \(prompts)") }
        var texts: [String] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let p = obj["prompt"] as? String else {
                throw DemoError.invalid("\(prompts):\(i + 1): expected a JSON object with a \"prompt\" string")
            }
            texts.append(p)
        }
        let sampler = try PolicySampler(folder: URL(fileURLWithPath: model))
        let settings = PolicySampler.Settings(temperature: temperature, topP: topP < 1 ? topP : nil, topK: topK,
                                              maxNewTokens: maxNewTokens, greedy: greedy)
        var rng = SeededRNG(seed: seed)
        let samples = try sampler.sample(prompts: texts, perPrompt: perPrompt, settings: settings, rng: &rng)
        var out = ""
        for (prompt, group) in zip(texts, samples) {
            for s in group {
                let row = try JSONSerialization.data(withJSONObject: ["prompt": prompt, "response": s.text],
                                                     options: [.sortedKeys, .withoutEscapingSlashes])
                out += String(decoding: row, as: UTF8.self) + "\n"
            }
        }
        if let output {
            try Data(out.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } else {
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}
