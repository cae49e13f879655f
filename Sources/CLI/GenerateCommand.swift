// `hilo generate`: a continuation of a prompt with a model folder's KV-cache generator. Prints the new
// text (or, with --json, {"text", "token_ids", "finish_reason"}: new tokens only, EOS and stop strings
// included). Sampling defaults come from the folder's generation_config.json.
import ArgumentParser
import Engine
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate a continuation of a prompt.")

    @Option(help: "The model folder (or a LoRA adapter folder, which names its base).") var model: String
    @Option(help: "A LoRA adapter folder (PEFT's format) applied on --model (merged in memory: decoding runs at the base's speed).") var adapter: String?
    @Option(help: "The prompt text.") var prompt: String
    @Flag(help: "Wrap the prompt in the HH chat template: \"\\n\\nHuman: PROMPT\\n\\nAssistant:\".") var chat = false
    @Option(help: "New tokens at most (default: generation_config.json's, else 64).") var maxNewTokens: Int?
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float?
    @Option(help: "Sample among the K most likely tokens.") var topK: Int?
    @Option(help: "Sample from the smallest set of tokens reaching probability P.") var topP: Float?
    @Option(help: "Seed of the sampler.") var seed: UInt64 = 0
    @Flag(help: "Always take the most likely token.") var greedy = false
    @Option(help: "Stop when the output ends with this text (repeatable; included in the output).") var stop: [String] = []
    @Flag(help: "Print one JSON object: {\"text\", \"token_ids\", \"finish_reason\"}.") var json = false

    func run() throws {
        let url = URL(fileURLWithPath: model)
        let (m, tokenizer, loaded) = try ModelFolder.open(at: url, adapter: adapter.map { URL(fileURLWithPath: $0) }, as: .languageModel)
        let text = chat ? try ChatTemplate.render([ChatTurn(role: .user, content: prompt)], addGenerationPrompt: true) : prompt
        var ids = tokenizer.encode(text).map(Int32.init)
        if ids.isEmpty, let bos = m.shape.bosTokenId ?? loaded.generationConfig.bosTokenId ?? tokenizer.eosTokenId { ids = [Int32(bos)] }
        let d = loaded.generationConfig
        let t = temperature ?? d.temperature ?? 1
        let isGreedy = greedy || t == 0 || (temperature == nil && topK == nil && topP == nil && d.doSample == false)
        var eos = d.eosTokenIds.map(Int32.init)
        if eos.isEmpty, let e = m.shape.eosTokenId ?? tokenizer.eosTokenId { eos = [Int32(e)] }
        let config = SamplingConfig(maxNewTokens: maxNewTokens ?? d.maxNewTokens ?? 64, greedy: isGreedy, temperature: isGreedy ? 1 : t,
                                    topK: topK ?? d.topK, topP: topP ?? d.topP, eosTokenIds: eos)
        var rng = SeededRNG(seed: seed)
        let stops = stop.filter { !$0.isEmpty }
        let gen = try Generator(model: m).generate(prompts: [ids], config: config, rng: &rng, shouldStop: stops.isEmpty ? nil : { _, toks in
            let s = tokenizer.decode(toks.map(Int.init))
            return stops.contains { s.hasSuffix($0) }
        })[0]
        let out = tokenizer.decode(gen.tokens.map(Int.init), skipSpecialTokens: true)
        if json {
            let obj: [String: Any] = ["text": out, "token_ids": gen.tokens.map(Int.init), "finish_reason": gen.finishReason.rawValue]
            try ModelCommand.printJSON(obj)
        } else {
            print(out)
        }
    }
}
