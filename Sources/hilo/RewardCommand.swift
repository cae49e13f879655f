// `hilo reward`: a reward model's score of a response to a prompt, read at the last token of prompt +
// response (tokenized separately and concatenated, no EOS appended — as the reward model trained, and as
// transformers' GPT2ForSequenceClassification reads its last non-pad token). Prints {"score"}.
import ArgumentParser
import Engine
import Foundation

struct RewardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reward", abstract: "Score a response with a reward model.")

    @Option(help: "The reward model folder (GPT2ForSequenceClassification layout).") var model: String
    @Option(help: "The prompt text.") var prompt: String
    @Option(help: "The response text.") var response: String
    @Flag(help: "Print one JSON object (the default output is already JSON).") var json = false

    func run() throws {
        let url = URL(fileURLWithPath: model)
        let loaded = try ModelFolder.load(at: url)
        guard loaded.kind == .reward else {
            throw EngineError.badFile(path: url.path, reason: "not a reward model (GPT2ForSequenceClassification with score.weight); train one with `hilo train reward`")
        }
        let tokenizer = try Tokenizer.load(directory: url)
        try tokenizer.checkFits(modelVocabSize: loaded.config.vocabSize, model: url.path)
        var ids = tokenizer.encode(prompt) + tokenizer.encode(response)
        if ids.isEmpty, let bos = loaded.config.bosTokenId ?? tokenizer.eosTokenId { ids = [bos] }
        guard !ids.isEmpty else { throw ValidationError("prompt and response are empty") }
        guard ids.count <= loaded.config.nPositions else {
            throw EngineError.invalidInput("prompt + response has \(ids.count) tokens, more than the model's n_positions (\(loaded.config.nPositions))")
        }
        let m = try GPT2(config: loaded.config, scoreHead: true)
        m.params.copy(from: loaded.parameters)
        try m.forward(tokens: ids.map(Int32.init), batch: 1, seq: ids.count)
        try ModelCommand.printJSON(["score": Double(m.scores(at: [ids.count - 1])[0])])
    }
}
