// `hilo tokenize` (text → token ids with a model's tokenizer) and `hilo tokenizer train`
// (a new byte-level BPE tokenizer from corpus files, saved as tokenizer.json, vocab.json, merges.txt).
import ArgumentParser
import Engine
import Foundation

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the token ids of a text, as the model's tokenizer encodes it.")

    @Option(help: "A model folder with tokenizer.json (or vocab.json and merges.txt), or a tokenizer.json file.")
    var model: String

    @Flag(help: "Print one JSON object: {\"ids\": […]}.")
    var json = false

    @Flag(help: "Encode special tokens written in the text (e.g. <|endoftext|>) as plain text.")
    var specialAsText = false

    @Flag(help: "Add the special tokens of the tokenizer's post-processor (e.g. Llama's BOS), as transformers' add_special_tokens=True; by default the ids are those of the text alone.")
    var addSpecialTokens = false

    @Flag(help: "Print only how many tokens and bytes the text has (e.g. to size a dataset).")
    var count = false

    @Argument(help: "The text; read from standard input when omitted (invalid UTF-8 becomes U+FFFD).")
    var text: String?

    func run() throws {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: model, isDirectory: &isFolder)
        let url = URL(fileURLWithPath: model)
        let tokenizer = exists && !isFolder.boolValue ? try Tokenizer.load(tokenizerJSON: url) : try Tokenizer.load(directory: url)
        let ids: [Int]
        var inputBytes = text?.utf8.count ?? 0
        if let text {
            ids = tokenizer.encode(text, allowSpecialTokens: !specialAsText, addSpecialTokens: addSpecialTokens)
        } else {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            inputBytes = input.count
            ids = tokenizer.encode(bytes: [UInt8](input), allowSpecialTokens: !specialAsText, addSpecialTokens: addSpecialTokens)
        }
        if count {
            print(json ? "{\"count\":\(ids.count),\"bytes\":\(inputBytes)}" : "\(ids.count) tokens in \(inputBytes) bytes")
            return
        }
        let list = ids.map(String.init).joined(separator: json ? "," : " ")
        print(json ? "{\"ids\":[\(list)]}" : list)
    }
}

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer", abstract: "Tokenizer tools.", subcommands: [TokenizerTrainCommand.self])
}

struct TokenizerTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a byte-level BPE tokenizer (GPT-2 style) on text files.",
        discussion: "Writes tokenizer.json, vocab.json and merges.txt into --out; Hugging Face tokenizers and transformers load them as they are.")

    @Option(parsing: .upToNextOption, help: "UTF-8 text files to learn from (invalid bytes become U+FFFD).")
    var corpus: [String]

    @Option(help: "The vocabulary size, special tokens and the 256 byte tokens included.")
    var vocabSize: Int

    @Option(help: "The folder to write (created if missing).")
    var out: String

    @Option(name: .customLong("special"), help: "A special token; repeat for several (default: <|endoftext|>).")
    var special: [String] = []

    @Option(help: "Do not merge pairs seen fewer times than this.")
    var minFrequency: Int = 0

    @Flag(help: "Put a space before each text that does not start with one (GPT-2: off).")
    var addPrefixSpace = false

    @Flag(help: "Print one JSON object describing the result.")
    var json = false

    func validate() throws {
        guard !corpus.isEmpty else { throw ValidationError("give at least one --corpus file") }
    }

    func run() throws {
        let config = BPETrainerConfig(vocabSize: vocabSize, specialTokens: special.isEmpty ? ["<|endoftext|>"] : special,
                                      minFrequency: minFrequency, addPrefixSpace: addPrefixSpace)
        var trainer = try BPETrainer(config: config)
        let started = Date()
        var bytes = 0
        for path in corpus {
            guard FileManager.default.fileExists(atPath: path) else { throw EngineError.badFile(path: path, reason: "no such file") }
            guard let data = FileManager.default.contents(atPath: path) else { throw EngineError.badFile(path: path, reason: "cannot read the file") }
            bytes += data.count
            trainer.feed(bytes: [UInt8](data))
        }
        let tokenizer = try trainer.train()
        let dir = URL(fileURLWithPath: out)
        try tokenizer.save(directory: dir)
        let seconds = Date().timeIntervalSince(started)
        if json {
            print("{\"out\":\(jsonQuote(dir.path)),\"vocab_size\":\(tokenizer.vocabSize),\"merges\":\(tokenizer.merges.count),\"corpus_bytes\":\(bytes),\"words\":\(trainer.distinctWords),\"seconds\":\(String(format: "%.3f", seconds))}")
        } else {
            print("wrote \(dir.path)/tokenizer.json, vocab.json, merges.txt: vocab \(tokenizer.vocabSize), \(tokenizer.merges.count) merges from \(bytes) bytes (\(trainer.distinctWords) distinct words) in \(String(format: "%.1f", seconds)) s")
        }
    }

    private func jsonQuote(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
