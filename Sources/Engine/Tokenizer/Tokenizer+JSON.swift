// Reading a `tokenizers` tokenizer.json: the BPE model, added tokens, and each pipeline component
// (normalizer, pre_tokenizer, post_processor, decoder). Whatever Hilo cannot reproduce exactly (a
// Unigram or WordPiece model, BERT's normalizer, BPE dropout…) is refused with the field's path,
// e.g. `pre_tokenizer.pretokenizers[1].type "Whitespace" is not supported`.

import Foundation

extension Tokenizer {
    /// Loads a `tokenizers` tokenizer.json holding a BPE model.
    public static func load(tokenizerJSON url: URL, eosToken: String? = nil) throws -> Tokenizer {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            let missing = !FileManager.default.fileExists(atPath: url.path)
            throw EngineError.badFile(path: url.path, reason: missing ? "no such file" : "cannot read the file (\(error.localizedDescription))")
        }
        do {
            let root = TokenizerJSONField(try TokenizerJSONParser.parse([UInt8](data)), path: "")
            guard root.value is JSONObject else { throw EngineError.invalidInput("not a tokenizer.json: the top level is not a JSON object") }
            return try parse(root, eosToken: eosToken)
        } catch EngineError.invalidInput(let why) {
            throw EngineError.badFile(path: url.path, reason: why)
        }
    }

    static func parse(_ doc: TokenizerJSONField, eosToken: String?) throws -> Tokenizer {
        let model = doc["model"]
        guard !model.isNull else { throw model.fail("is missing") }
        let type = (model["type"].value as? String) ?? (model["merges"].isNull ? "unknown" : "BPE")
        guard type == "BPE" else {
            throw EngineError.invalidInput("model.type \(tokenQuoted(type)) is not supported: Hilo reads BPE tokenizers only")
        }
        if let d = model["dropout"].value as? Double, d > 0 { throw model["dropout"].fail("\(d) is not supported: encoding would not be deterministic") }
        var pipeline = TokenizerPipeline()
        pipeline.model = BPEOptions(unkToken: try model["unk_token"].optionalString(),
                                    fuseUnk: try model["fuse_unk"].bool(default: false),
                                    ignoreMerges: try model["ignore_merges"].bool(default: false),
                                    byteFallback: try model["byte_fallback"].bool(default: false),
                                    continuingSubwordPrefix: try model["continuing_subword_prefix"].optionalString().flatMap { $0.isEmpty ? nil : $0 },
                                    endOfWordSuffix: try model["end_of_word_suffix"].optionalString().flatMap { $0.isEmpty ? nil : $0 })
        pipeline.normalizer = try normalizer(doc["normalizer"])
        pipeline.preTokenizer = try preTokenizer(doc["pre_tokenizer"])
        pipeline.postProcessor = try postProcessor(doc["post_processor"])
        pipeline.decoder = try decoder(doc["decoder"])

        let vocab = try model["vocab"].object().map { ($0.0, try $0.1.int()) }
        var merges: [(String, String)] = []
        let mergeList = try model["merges"].array()
        merges.reserveCapacity(mergeList.count)
        for (i, m) in mergeList.enumerated() {
            if let s = m.value as? String {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw EngineError.invalidInput("merge \(i + 1) \(tokenQuoted(s)) is not two tokens separated by one space") }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = m.value as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String {
                merges.append((a, b))
            } else {
                throw EngineError.invalidInput("merge \(i + 1) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        var added: [AddedToken] = []
        for entry in doc["added_tokens"].isNull ? [] : try doc["added_tokens"].array() {
            added.append(AddedToken(id: try entry["id"].int(), content: try entry["content"].string(),
                                    singleWord: try entry["single_word"].bool(default: false),
                                    lstrip: try entry["lstrip"].bool(default: false),
                                    rstrip: try entry["rstrip"].bool(default: false),
                                    normalized: try entry["normalized"].bool(default: true),
                                    special: try entry["special"].bool(default: false)))
        }
        return try Tokenizer(vocab: vocab, merges: merges, addedTokens: added, pipeline: pipeline, eosToken: eosToken)
    }

    static func normalizer(_ f: TokenizerJSONField) throws -> Normalizer? {
        if f.isNull { return nil }
        switch try f.type() {
        case "NFC": return .nfc
        case "NFKC": return .nfkc
        case "NFD": return .nfd
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Replace": return .replace(pattern: try f["pattern"].pattern(), content: try f["content"].string())
        case "Prepend": return .prepend(try f["prepend"].string())
        case "Strip": return .strip(left: try f["strip_left"].bool(default: true), right: try f["strip_right"].bool(default: true))
        case "Sequence": return .sequence(try f["normalizers"].array().compactMap(normalizer))
        default: throw f.unsupported()
        }
    }

    static func preTokenizer(_ f: TokenizerJSONField) throws -> PreTokenizer? {
        if f.isNull { return nil }
        switch try f.type() {
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try f["add_prefix_space"].bool(default: true), useRegex: try f["use_regex"].bool(default: true))
        case "Split":
            let name = try f["behavior"].string()
            guard let behavior = SplitBehavior(rawValue: name) else { throw f["behavior"].fail("\(tokenQuoted(name)) is not a split behavior") }
            return .split(pattern: try f["pattern"].pattern(), behavior: behavior, invert: try f["invert"].bool(default: false))
        case "Digits":
            return .digits(individual: try f["individual_digits"].bool(default: false))
        case "Metaspace":
            return .metaspace(replacement: String(try f["replacement"].scalar()), prependScheme: try prependScheme(f), split: try f["split"].bool(default: true))
        case "Sequence":
            let fields = try f["pretokenizers"].array()
            let steps = try fields.compactMap(preTokenizer)
            // After ByteLevel the text is spelled in byte-level characters: only the model may follow.
            for (i, step) in steps.dropLast().enumerated() where step.isByteLevel || step.containsByteLevel {
                throw fields[i].fail("is ByteLevel but not the last step: Hilo needs ByteLevel last")
            }
            return .sequence(steps)
        default: throw f.unsupported()
        }
    }

    /// Metaspace's prepend_scheme, or the older add_prefix_space switch.
    static func prependScheme(_ f: TokenizerJSONField) throws -> PreTokenizer.PrependScheme {
        if let name = try f["prepend_scheme"].optionalString() {
            guard let s = PreTokenizer.PrependScheme(rawValue: name) else { throw f["prepend_scheme"].fail("\(tokenQuoted(name)) is not always, first or never") }
            return s
        }
        return try f["add_prefix_space"].bool(default: true) ? .always : .never
    }

    static func postProcessor(_ f: TokenizerJSONField) throws -> PostProcessor {
        if f.isNull { return .passThrough }
        switch try f.type() {
        case "ByteLevel": return .passThrough
        case "TemplateProcessing":
            var before: [Int] = [], after: [Int] = []
            var seenSequence = false
            for item in try f["single"].array() {
                if !item["Sequence"].isNull { seenSequence = true; continue }
                let name = try item["SpecialToken"]["id"].string()
                let ids = try f["special_tokens"][name]["ids"].array().map { try $0.int() }
                if seenSequence { after += ids } else { before += ids }
            }
            return .template(before: before, after: after)
        case "RobertaProcessing", "BertProcessing":
            let cls = try f["cls"].array(), sep = try f["sep"].array()
            guard cls.count == 2, sep.count == 2 else { throw f.fail("needs cls and sep as [token, id]") }
            return .template(before: [try cls[1].int()], after: [try sep[1].int()])
        case "Sequence": return .sequence(try f["processors"].array().map(postProcessor))
        default: throw f.unsupported()
        }
    }

    static func decoder(_ f: TokenizerJSONField) throws -> TokenDecoder? {
        if f.isNull { return nil }
        switch try f.type() {
        case "ByteLevel": return .byteLevel
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Metaspace": return .metaspace(replacement: try f["replacement"].scalar(), prependScheme: try prependScheme(f))
        case "Replace": return .replace(pattern: try f["pattern"].pattern(), content: try f["content"].string())
        case "Strip": return .strip(content: try f["content"].scalar(), start: try f["start"].int(default: 0), stop: try f["stop"].int(default: 0))
        case "Sequence": return .sequence(try f["decoders"].array().compactMap(decoder))
        default: throw f.unsupported()
        }
    }
}
