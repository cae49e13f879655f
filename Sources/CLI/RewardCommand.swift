// `hilo reward`: a reward model's score of a response to a prompt, read at the last token of prompt +
// response (tokenized separately and concatenated, no EOS appended — as the reward model trained, and as
// transformers' GPT2ForSequenceClassification reads its last non-pad token). Prints {"score"}; with
// --rows, scores every {"prompt", "response"} line of a JSONL file in batches and prints one {"score"} line
// each (the promotion check scores thousands of sampled answers this way).
import ArgumentParser
import Engine
import Foundation
import Hilo

struct RewardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward", abstract: "Score a response with a reward model.")

    @Option(help: "The reward model folder (GPT2ForSequenceClassification layout).") var model: String
    @Option(help: "The prompt text.") var prompt: String?
    @Option(help: "The response text.") var response: String?
    @Option(help: "Score every {\"prompt\", \"response\"} line of this JSONL file instead; one {\"score\"} line each.") var rows: String?
    @Flag(help: "Print one JSON object (the default output is already JSON).") var json = false

    func validate() throws {
        if rows == nil, prompt == nil || response == nil { throw ValidationError("give --prompt and --response, or --rows FILE") }
        if rows != nil, prompt != nil || response != nil { throw ValidationError("--rows scores a file; leave out --prompt and --response") }
    }

    func run() throws {
        if let rows { return try scoreRows(rows) }
        let (prompt, response) = (self.prompt!, self.response!)
        let url = URL(fileURLWithPath: model)
        let (m, tokenizer, loaded) = try ModelFolder.open(at: url)
        guard loaded.kind == .reward else {
            throw EngineError.badFile(path: url.path, reason: "not a reward model (GPT2ForSequenceClassification or a Llama-family …ForSequenceClassification with score.weight); train one with `hilo train reward`")
        }
        var ids = tokenizer.encode(prompt) + tokenizer.encode(response)
        if ids.isEmpty, let bos = m.shape.bosTokenId ?? tokenizer.eosTokenId { ids = [bos] }
        guard !ids.isEmpty else { throw ValidationError("prompt and response are empty") }
        guard ids.count <= m.shape.contextLength else {
            throw EngineError.invalidInput("prompt + response has \(ids.count) tokens, more than the model's context length (\(m.shape.contextLength))")
        }
        try m.forward(tokens: ids.map(Int32.init), batch: 1, seq: ids.count)
        try ModelCommand.printJSON(["score": Double(m.scores(at: [ids.count - 1])[0])])
    }

    /// --rows: every line of a JSONL file, scored in batches with the reward model loaded once.
    func scoreRows(_ path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw ValidationError("--rows: cannot read \(path)") }
        var items: [(prompt: String, response: String)] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any],
                  let p = object["prompt"] as? String, let r = object["response"] as? String else {
                throw ValidationError("--rows: line \(n + 1) is not an object with string \"prompt\" and \"response\"")
            }
            items.append((p, r))
        }
        let scores = try RewardScorer(folder: URL(fileURLWithPath: model)).scores(items)
        var out = ""
        for s in scores { out += "{\"score\":\(s)}\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
