// Loading a tokenizer from Hugging Face files: tokenizer.json (the `tokenizers` format), or the
// older vocab.json + merges.txt pair. Anything Hilo cannot reproduce exactly (another model type,
// a normalizer, a pre-tokenizer other than ByteLevel) is refused with a message naming the file.

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

    /// Loads a `tokenizers` tokenizer.json holding a byte-level BPE (GPT-2 family).
    public static func load(tokenizerJSON url: URL, eosToken: String? = nil) throws -> Tokenizer {
        let root = try readJSON(url)
        let path = url.path
        func fail(_ why: String) -> EngineError { .badFile(path: path, reason: why) }
        guard let doc = root as? [String: Any] else { throw fail("not a tokenizer.json: the top level is not a JSON object") }
        guard let model = doc["model"] as? [String: Any] else { throw fail("no \"model\" object") }
        let type = model["type"] as? String ?? (model["merges"] != nil ? "BPE" : "unknown")
        guard type == "BPE" else {
            throw fail("model type \"\(type)\" is not supported: Hilo reads byte-level BPE tokenizers (GPT-2 family) only")
        }
        if let normalizer = doc["normalizer"] as? [String: Any] {
            throw fail("normalizer \"\(normalizer["type"] as? String ?? "?")\" is not supported: byte-level BPE tokenizers of the GPT-2 family have none")
        }
        // The pre-tokenizer: ByteLevel, alone or as the only step of a Sequence.
        var pre = doc["pre_tokenizer"] as? [String: Any]
        if pre?["type"] as? String == "Sequence", let steps = pre?["pretokenizers"] as? [[String: Any]], steps.count == 1 {
            pre = steps[0]
        }
        guard let pre, pre["type"] as? String == "ByteLevel" else {
            let name = (doc["pre_tokenizer"] as? [String: Any])?["type"] as? String ?? "none"
            throw fail("pre_tokenizer \"\(name)\" is not supported: Hilo needs the ByteLevel pre-tokenizer of GPT-2")
        }
        let decoder = doc["decoder"] as? [String: Any]
        if let decoder, decoder["type"] as? String != "ByteLevel" {
            throw fail("decoder \"\(decoder["type"] as? String ?? "?")\" is not supported: Hilo needs the ByteLevel decoder")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let s = model[key] as? String, !s.isEmpty { throw fail("model.\(key) \(tokenQuoted(s)) is not supported by byte-level BPE") }
        }
        if model["byte_fallback"] as? Bool == true { throw fail("model.byte_fallback is not supported by byte-level BPE") }
        if let d = model["dropout"] as? Double, d > 0 { throw fail("model.dropout \(d) is not supported: encoding would not be deterministic") }

        guard let vocabObject = model["vocab"] as? [String: Any] else { throw fail("model.vocab is missing or not an object") }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(vocabObject.count)
        for (k, v) in vocabObject {
            guard let id = v as? Int else { throw fail("model.vocab[\(tokenQuoted(k))] is not an integer id") }
            vocab[k] = id
        }
        guard let mergeList = model["merges"] as? [Any] else { throw fail("model.merges is missing or not an array") }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeList.count)
        for (i, m) in mergeList.enumerated() {
            if let s = m as? String {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw fail("merge \(i + 1) \(tokenQuoted(s)) is not two tokens separated by one space") }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = m as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String {
                merges.append((a, b))
            } else {
                throw fail("merge \(i + 1) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        var added: [AddedToken] = []
        for (i, entry) in (doc["added_tokens"] as? [[String: Any]] ?? []).enumerated() {
            guard let id = entry["id"] as? Int, let content = entry["content"] as? String else {
                throw fail("added_tokens[\(i)] needs an integer \"id\" and a string \"content\"")
            }
            added.append(AddedToken(id: id, content: content,
                                    singleWord: entry["single_word"] as? Bool ?? false,
                                    lstrip: entry["lstrip"] as? Bool ?? false,
                                    rstrip: entry["rstrip"] as? Bool ?? false,
                                    normalized: entry["normalized"] as? Bool ?? true,
                                    special: entry["special"] as? Bool ?? false))
        }
        do {
            return try Tokenizer(vocab: vocab, merges: merges, addedTokens: added,
                                 addPrefixSpace: pre["add_prefix_space"] as? Bool ?? true,
                                 useRegex: pre["use_regex"] as? Bool ?? true,
                                 byteLevelDecoder: decoder != nil,
                                 unkToken: model["unk_token"] as? String,
                                 fuseUnk: model["fuse_unk"] as? Bool ?? false,
                                 ignoreMerges: model["ignore_merges"] as? Bool ?? false,
                                 eosToken: eosToken)
        } catch EngineError.invalidInput(let why) {
            throw fail(why)
        }
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
