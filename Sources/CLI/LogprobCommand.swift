// `hilo logprob`: the log-probability of a completion after a prompt. Prompt and completion are
// tokenized separately and concatenated (TRL's convention: no token straddles the boundary), and
// every completion token is scored given everything before it. Prints
// {"logprob_sum", "token_logprobs", "completion_token_ids"}.
import ArgumentParser
import Engine
import Foundation

struct LogprobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logprob", abstract: "The log-probability of a completion given a prompt.")

    @Option(help: "The model folder (or a LoRA adapter folder, which names its base).") var model: String
    @Option(help: "A LoRA adapter folder (PEFT's format) applied on --model.") var adapter: String?
    @Option(help: "The prompt text (an empty prompt starts from BOS).") var prompt: String
    @Option(help: "The completion text.") var completion: String
    @Flag(help: "Print one JSON object (the default output is already JSON).") var json = false

    func run() throws {
        let url = URL(fileURLWithPath: model)
        let (m, tokenizer, _) = try ModelFolder.open(at: url, adapter: adapter.map { URL(fileURLWithPath: $0) }, as: .languageModel)
        var p = tokenizer.encode(prompt)
        let c = tokenizer.encode(completion)
        guard !c.isEmpty else { throw ValidationError("the completion tokenizes to no tokens") }
        if p.isEmpty {
            guard let bos = m.shape.bosTokenId ?? tokenizer.eosTokenId else { throw ValidationError("empty prompt and no BOS token") }
            p = [bos]
        }
        let ids = p + c
        guard ids.count <= m.shape.contextLength else {
            throw EngineError.invalidInput("prompt (\(p.count) tokens) + completion (\(c.count)) is longer than the model's context length (\(m.shape.contextLength))")
        }
        try m.forward(tokens: ids.map(Int32.init), batch: 1, seq: ids.count)
        var targets = [Int32](repeating: -1, count: ids.count)
        for t in (p.count - 1)..<(ids.count - 1) { targets[t] = Int32(ids[t + 1]) }
        let lp = try m.tokenLogprobs(targets: targets)
        let tokens = ((p.count - 1)..<(ids.count - 1)).map { Double(lp[$0]) }
        try ModelCommand.printJSON(["logprob_sum": tokens.reduce(0, +), "token_logprobs": tokens, "completion_token_ids": c])
    }
}
