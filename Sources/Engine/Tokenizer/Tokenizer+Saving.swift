// Saving a tokenizer in the files Hugging Face reads: tokenizer.json (what `tokenizers` and
// transformers' fast tokenizers load), and vocab.json + merges.txt (GPT2Tokenizer, older tools).
// Files are written to a temporary name and renamed, so a crash never leaves half a file.

import Foundation
import Support

extension Tokenizer {
    /// The merges in rank order, as token spellings.
    public var merges: [(String, String)] {
        model.merges.sorted { $0.value < $1.value }.map { (key, _) in
            (model.idToToken[Int(key >> 32)]!, model.idToToken[Int(key & 0xFFFF_FFFF)]!)
        }
    }

    /// The BPE vocabulary (token spelling → id), without added tokens that are not part of it.
    public var vocabulary: [String: Int] {
        Dictionary(model.tokenToId.map { ($0.key.value, Int($0.value)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Whether this tokenizer has GPT-2's layout, the only one Hilo writes (what it trains).
    var hasGPT2Layout: Bool {
        guard pipeline.normalizer == nil, case .byteLevel = pipeline.preTokenizer, pipeline.postProcessor == .passThrough else { return false }
        let m = pipeline.model
        return (pipeline.decoder == nil || pipeline.decoder == .byteLevel) && !m.byteFallback
            && m.continuingSubwordPrefix == nil && m.endOfWordSuffix == nil
    }

    private var useRegex: Bool {
        if case .byteLevel(_, let useRegex) = pipeline.preTokenizer { return useRegex }
        return true
    }

    /// This tokenizer as `tokenizers`' tokenizer.json: GPT-2's ByteLevel pre-tokenizer, decoder and
    /// post-processor, the BPE vocabulary in id order and merges as [a, b] pairs.
    public func tokenizerJSON() -> String {
        var s = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
        s += addedTokens.map { t in
            "{\"id\":\(t.id),\"content\":\(JSONWriter.literal(t.content)),\"single_word\":\(t.singleWord),\"lstrip\":\(t.lstrip),"
                + "\"rstrip\":\(t.rstrip),\"normalized\":\(t.normalized),\"special\":\(t.special)}"
        }.joined(separator: ",")
        s += "],\"normalizer\":null,"
        s += "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":\(addPrefixSpace),\"trim_offsets\":true,\"use_regex\":\(useRegex)},"
        s += "\"post_processor\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":false,\"use_regex\":true},"
        s += pipeline.decoder != nil ? "\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,\"use_regex\":true}," : "\"decoder\":null,"
        s += "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":"
        s += model.unkId.map { JSONWriter.literal(model.idToToken[Int($0)]!) } ?? "null"
        s += ",\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,\"fuse_unk\":\(model.fuseUnk),"
        s += "\"byte_fallback\":false,\"ignore_merges\":\(model.ignoreMerges),\"vocab\":"
        s += vocabJSON()
        s += ",\"merges\":["
        s += merges.map { "[\(JSONWriter.literal($0.0)),\(JSONWriter.literal($0.1))]" }.joined(separator: ",")
        s += "]}}\n"
        return s
    }

    /// vocab.json: token spelling → id, in id order.
    public func vocabJSON() -> String {
        "{" + model.idToToken.enumerated().compactMap { id, token in
            token.map { "\(JSONWriter.literal($0)):\(id)" }
        }.joined(separator: ",") + "}"
    }

    /// merges.txt: a version line, then one "a b" merge per line in rank order.
    public func mergesTXT() -> String {
        "#version: 0.2\n" + merges.map { "\($0.0) \($0.1)\n" }.joined()
    }

    /// Writes tokenizer.json, vocab.json and merges.txt into `directory` (created if missing).
    public func save(directory: URL) throws {
        guard hasGPT2Layout else {
            throw EngineError.invalidInput("Hilo writes byte-level BPE tokenizers of GPT-2's layout only; copy this tokenizer's tokenizer.json instead")
        }
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw EngineError.badFile(path: directory.path, reason: "cannot create the folder (\(error.localizedDescription))")
        }
        for (name, text) in [("tokenizer.json", tokenizerJSON()), ("vocab.json", vocabJSON() + "\n"), ("merges.txt", mergesTXT())] {
            try EngineError.writingFiles { try AtomicFile.write(Data(text.utf8), to: directory.appendingPathComponent(name)) }
        }
    }
}
