// Loading a tokenizer from a model folder: tokenizer.json (the `tokenizers` format, read by
// Tokenizer+JSON.swift), or GPT-2's older vocab.json + merges.txt pair. Errors name the file.

import Foundation

extension Tokenizer {
    /// Loads `tokenizer.json` from a model folder, or else `vocab.json` + `merges.txt`.
    /// `tokenizer_config.json`'s `eos_token`, when present, names the end-of-text token.
    public static func load(directory: URL) throws -> Tokenizer {
        let fm = FileManager.default
        let json = directory.appendingPathComponent("tokenizer.json")
        let eos = eosTokenName(in: directory)
        if fm.fileExists(atPath: json.path) { return try load(tokenizerJSON: json, eosToken: eos) }
        let vocab = directory.appendingPathComponent("vocab.json")
        let merges = directory.appendingPathComponent("merges.txt")
        if fm.fileExists(atPath: vocab.path) && fm.fileExists(atPath: merges.path) {
            return try load(vocab: vocab, merges: merges, eosToken: eos)
        }
        throw EngineError.badFile(path: directory.path, reason: "no tokenizer found: expected tokenizer.json, or vocab.json and merges.txt")
    }

    /// Loads GPT-2's original files. `specialTokens` that the vocabulary holds become special
    /// added tokens (GPT-2's `<|endoftext|>`, id 50256); the pre-tokenizer is GPT-2's, without a
    /// prefix space, as transformers' GPT2Tokenizer sets it up.
    public static func load(vocab vocabURL: URL, merges mergesURL: URL,
                            specialTokens: [String] = ["<|endoftext|>"], eosToken: String? = nil) throws -> Tokenizer {
        guard let object = try readJSON(vocabURL) as? [String: Any] else {
            throw EngineError.badFile(path: vocabURL.path, reason: "not a vocabulary: the top level is not a JSON object of token → id")
        }
        var vocab: [String: Int] = [:]
        for (k, v) in object {
            guard let id = v as? Int else { throw EngineError.badFile(path: vocabURL.path, reason: "the id of \(tokenQuoted(k)) is not an integer") }
            vocab[k] = id
        }
        let data: Data
        do { data = try Data(contentsOf: mergesURL) } catch {
            throw EngineError.badFile(path: mergesURL.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EngineError.badFile(path: mergesURL.path, reason: "not UTF-8 text")
        }
        var merges: [(String, String)] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty || (lineNumber == 1 && line.hasPrefix("#version")) { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw EngineError.badFile(path: mergesURL.path, reason: "line \(lineNumber): \(tokenQuoted(String(line))) is not two tokens separated by one space")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        let added = specialTokens.compactMap { s in vocab[s].map { AddedToken(id: $0, content: s, special: true) } }
        do {
            return try Tokenizer(vocab: vocab, merges: merges, addedTokens: added, eosToken: eosToken)
        } catch EngineError.invalidInput(let why) {
            throw EngineError.badFile(path: mergesURL.path, reason: why)
        }
    }

    /// Parses a JSON file, turning a missing or malformed file into an error naming it.
    static func readJSON(_ url: URL) throws -> Any {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            let missing = !FileManager.default.fileExists(atPath: url.path)
            throw EngineError.badFile(path: url.path, reason: missing ? "no such file" : "cannot read the file (\(error.localizedDescription))")
        }
        do { return try JSONSerialization.jsonObject(with: data) } catch {
            throw EngineError.badFile(path: url.path, reason: "not valid JSON (truncated or corrupt): \(error.localizedDescription)")
        }
    }

    /// The `eos_token` of tokenizer_config.json (a string or {"content": …}), if the folder has one.
    static func eosTokenName(in directory: URL) -> String? {
        let url = directory.appendingPathComponent("tokenizer_config.json")
        guard let data = try? Data(contentsOf: url),
              let doc = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        if let s = doc["eos_token"] as? String { return s }
        return (doc["eos_token"] as? [String: Any])?["content"] as? String
    }
}
