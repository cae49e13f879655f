// A BPE tokenizer that reproduces Hugging Face `tokenizers` for the tokenizer.json files of today's
// models (GPT-2, Llama 2/3, Mistral, Phi-3, Qwen2, StarCoder…), through the library's pipeline:
//
//   encode: added tokens (<|endoftext|>…) are found in the raw text (normalized: false ones) →
//   each text segment between them is normalized (Normalizers/) → normalized added tokens are found →
//   the rest is cut into pieces (PreTokenizers/) → each piece is BPE-merged (BPEModel) with a cache
//   for pieces seen before → with add-special-tokens, the post-processor adds BOS… (PostProcessors/).
//   decode: ids → token spellings → the decoder chain (Decoders/) → text. Byte-level tokenizers
//   decode straight from a byte table.
//
// Loading lives in Tokenizer+Loading.swift and Tokenizer+JSON.swift, saving in
// Tokenizer+Saving.swift, training in BPETrainer.

import Foundation

/// The steps around the BPE model, as tokenizer.json lists them (GPT-2's byte-level by default).
struct TokenizerPipeline: Sendable {
    /// Applied to the text between added tokens (nil: the text as it is).
    var normalizer: Normalizer? = nil
    /// Cuts normalized text into pieces (nil: each segment is one piece).
    var preTokenizer: PreTokenizer? = .byteLevel(addPrefixSpace: false, useRegex: true)
    /// Unknown-symbol handling of the model (its byte-level mode follows the pre-tokenizer).
    var model = BPEOptions()
    /// What `addSpecialTokens: true` puts around the ids.
    var postProcessor: PostProcessor = .passThrough
    /// Ids back to text (nil: token spellings joined by spaces, as `tokenizers` without a decoder).
    var decoder: TokenDecoder? = .byteLevel
}

/// A BPE tokenizer with `tokenizers`' pipeline. Immutable and safe to share between threads.
public final class Tokenizer: Sendable {
    let model: BPEModel
    let pipeline: TokenizerPipeline
    /// Added and special tokens, in id order.
    public let addedTokens: [AddedToken]
    let matcher: AddedTokenMatcher
    /// Per id: its spelling (added token or vocabulary entry; nil for unused ids), the bytes the
    /// byte-level decoder turns it into, and whether it is special.
    let idStrings: [String?]
    let idBytes: [[UInt8]]
    let idSpecial: [Bool]
    let cache: BPECache
    /// Whether pieces are cut into words at the model's word-start marker (a Bool, so the hot path
    /// of byte-level tokenizers does not touch the marker array).
    let cutsWords: Bool

    /// One past the largest id: the smallest vocab_size a model needs to accept every token.
    public let vocabSize: Int
    /// The id of the end-of-text token (`<|endoftext|>` unless the files say otherwise), if any.
    public let eosTokenId: Int?
    /// The first id the post-processor puts before a text (Llama's BOS), if it puts any.
    public let bosTokenId: Int?

    /// Put a space before each text segment that does not start with one (ByteLevel add_prefix_space).
    public var addPrefixSpace: Bool {
        if case .byteLevel(let add, _) = pipeline.preTokenizer { return add }
        return false
    }

    /// Builds a byte-level BPE tokenizer (GPT-2's layout) from its parts. `merges` are token pairs
    /// in rank order; `vocab` spells tokens in byte-level characters. Added tokens not in `vocab`
    /// take the id they carry.
    public convenience init(vocab: [String: Int], merges: [(String, String)], addedTokens: [AddedToken] = [],
                            addPrefixSpace: Bool = false, useRegex: Bool = true, byteLevelDecoder: Bool = true,
                            unkToken: String? = nil, fuseUnk: Bool = false, ignoreMerges: Bool = false,
                            eosToken: String? = nil) throws {
        var pipeline = TokenizerPipeline()
        pipeline.preTokenizer = .byteLevel(addPrefixSpace: addPrefixSpace, useRegex: useRegex)
        pipeline.decoder = byteLevelDecoder ? .byteLevel : nil
        pipeline.model = BPEOptions(unkToken: unkToken, fuseUnk: fuseUnk, ignoreMerges: ignoreMerges)
        try self.init(vocab: vocab.map { ($0.key, $0.value) }, merges: merges, addedTokens: addedTokens, pipeline: pipeline, eosToken: eosToken)
    }

    /// Builds a tokenizer with any pipeline (what tokenizer.json describes). `vocab` is a list:
    /// distinct tokens may be equal as Swift Strings (canonically equivalent).
    init(vocab: [(String, Int)], merges: [(String, String)], addedTokens: [AddedToken],
         pipeline: TokenizerPipeline, eosToken: String?) throws {
        // Ids index dense tables; a file with a few huge ids must not allocate gigabytes.
        let maxId = max(vocab.map(\.1).max() ?? -1, addedTokens.map(\.id).max() ?? -1)
        guard maxId < 2 * (vocab.count + addedTokens.count) + 100_000 else {
            throw EngineError.invalidInput("token ids go up to \(maxId) for only \(vocab.count + addedTokens.count) tokens: ids must be (nearly) contiguous")
        }
        var v32: [(String, Int32)] = []
        v32.reserveCapacity(vocab.count)
        for (k, id) in vocab {
            guard id >= 0 && id < Int(Int32.max) else { throw EngineError.invalidInput("token \(tokenQuoted(k)) has id \(id), outside 0..<2^31") }
            v32.append((k, Int32(id)))
        }
        var pipeline = pipeline
        pipeline.model.byteLevel = pipeline.preTokenizer?.isByteLevel ?? false
        self.pipeline = pipeline
        let built: BPEModel
        do {
            built = try BPEModel(vocab: v32, merges: merges, options: pipeline.model)
        } catch {
            switch error { case .invalid(let why): throw EngineError.invalidInput(why) }
        }
        model = built
        cutsWords = built.wordStart != nil
        for t in addedTokens where t.id < 0 || t.id >= Int(Int32.max) {
            throw EngineError.invalidInput("added token \(tokenQuoted(t.content)) has id \(t.id), outside 0..<2^31")
        }
        // As in `tokenizers`, an added token that is also a vocabulary entry takes the entry's id.
        self.addedTokens = addedTokens.map { t in
            var t = t
            if let id = built.tokenToId[ExactString(t.content)] { t.id = Int(id) }
            return t
        }.sorted { $0.id < $1.id }
        matcher = AddedTokenMatcher(self.addedTokens)

        let size = max(built.idToToken.count, (self.addedTokens.map(\.id).max() ?? -1) + 1)
        vocabSize = size
        var strings = built.idToToken + [String?](repeating: nil, count: size - built.idToToken.count)
        var special = [Bool](repeating: false, count: size)
        for t in self.addedTokens {
            strings[t.id] = t.content
            special[t.id] = t.special
        }
        idStrings = strings
        idSpecial = special
        let byteLevelDecoder = pipeline.decoder?.isByteLevel ?? false
        idBytes = strings.map { s in
            guard let s else { return [] }
            return byteLevelDecoder ? (ByteLevel.decode(s) ?? Array(s.utf8)) : Array(s.utf8)
        }
        let eosName = eosToken ?? "<|endoftext|>"
        eosTokenId = self.addedTokens.first { $0.content == eosName }?.id ?? built.tokenToId[ExactString(eosName)].map(Int.init)
        bosTokenId = pipeline.postProcessor.apply([]).first
        cache = BPECache()
    }

    // MARK: encoding

    /// The ids of `text`. Added tokens in the text are matched as `tokenizers` does by default;
    /// with `allowSpecialTokens: false`, special ones (e.g. a user typing "<|endoftext|>") are
    /// encoded as plain text instead, like `tokenizers`' `encode_special_tokens = True`.
    /// `addSpecialTokens` applies the post-processor (Llama's BOS), as `add_special_tokens=True`.
    public func encode(_ text: String, allowSpecialTokens: Bool = true, addSpecialTokens: Bool = false) -> [Int] {
        let ids = encode(text, allowSpecialTokens: allowSpecialTokens, forceHeap: false)
        return addSpecialTokens ? pipeline.postProcessor.apply(ids) : ids
    }

    /// `forceHeap` sends every piece through the heap merge loop, uncached (tests compare both loops).
    func encode(_ text: String, allowSpecialTokens: Bool, forceHeap: Bool) -> [Int] {
        var text = text
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        text.withUTF8 { p in
            for segment in matcher.find(matcher.raw, in: p, 0..<p.count, allowSpecial: allowSpecialTokens) {
                switch segment {
                case .token(let id, _): out.append(Int32(id))
                case .text(let r):
                    encodeSegment(UnsafeBufferPointer(rebasing: p[r]), atStart: r.lowerBound == 0,
                                  allowSpecialTokens: allowSpecialTokens, into: &out, forceHeap: forceHeap)
                }
            }
        }
        return out.map(Int.init)
    }

    /// The ids of raw bytes that may not be valid UTF-8: each invalid sequence becomes U+FFFD
    /// first (as Python's `errors="replace"` and Rust's `from_utf8_lossy` do), never a crash.
    public func encode(bytes: [UInt8], allowSpecialTokens: Bool = true, addSpecialTokens: Bool = false) -> [Int] {
        encode(String(decoding: bytes, as: UTF8.self), allowSpecialTokens: allowSpecialTokens, addSpecialTokens: addSpecialTokens)
    }

    /// Normalizes one segment of text between raw added tokens, then encodes it.
    func encodeSegment(_ p: UnsafeBufferPointer<UInt8>, atStart: Bool, allowSpecialTokens: Bool,
                       into out: inout [Int32], forceHeap: Bool = false) {
        guard let normalizer = pipeline.normalizer else {
            encodeNormalized(p, atStart: atStart, allowSpecialTokens: allowSpecialTokens, into: &out, forceHeap: forceHeap)
            return
        }
        var text = normalizer.apply(String(decoding: p, as: UTF8.self))
        text.withUTF8 { q in encodeNormalized(q, atStart: atStart, allowSpecialTokens: allowSpecialTokens, into: &out, forceHeap: forceHeap) }
    }

    /// Finds the normalized added tokens, pre-tokenizes the text between and BPE-encodes each piece.
    private func encodeNormalized(_ p: UnsafeBufferPointer<UInt8>, atStart: Bool, allowSpecialTokens: Bool,
                                  into out: inout [Int32], forceHeap: Bool) {
        for segment in matcher.find(matcher.normalized, in: p, 0..<p.count, allowSpecial: allowSpecialTokens) {
            switch segment {
            case .token(let id, _): out.append(Int32(id))
            case .text(let r):
                let q = UnsafeBufferPointer(rebasing: p[r])
                if case .byteLevel(false, true)? = pipeline.preTokenizer {  // GPT-2's layout, the hot path
                    GPT2Pattern.split(q) { r in encodePiece(UnsafeBufferPointer(rebasing: q[r]), into: &out, forceHeap: forceHeap) }
                    continue
                }
                guard let pre = pipeline.preTokenizer else { encodePiece(q, into: &out, forceHeap: forceHeap); continue }
                pre.pieces(q, atStart: atStart && r.lowerBound == 0) { piece in encodePiece(piece, into: &out, forceHeap: forceHeap) }
            }
        }
    }

    /// Encodes one piece, cut first into words where no merge can cross (BPEModel.wordStart).
    @inline(__always)
    private func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [Int32], forceHeap: Bool) {
        guard cutsWords, let marker = model.wordStart, piece.count > marker.count else {
            encodeWord(piece, into: &out, forceHeap: forceHeap)
            return
        }
        var start = 0
        var i = 1
        while i + marker.count <= piece.count {
            if piece[i] == marker[0] && (1..<marker.count).allSatisfy({ piece[i + $0] == marker[$0] }) {
                let afterMarker = i >= marker.count && (0..<marker.count).allSatisfy { piece[i - marker.count + $0] == marker[$0] }
                if !afterMarker && i > start {
                    encodeWord(UnsafeBufferPointer(rebasing: piece[start..<i]), into: &out, forceHeap: forceHeap)
                    start = i
                }
                i += marker.count
            } else {
                i += 1
            }
        }
        encodeWord(UnsafeBufferPointer(rebasing: piece[start...]), into: &out, forceHeap: forceHeap)
    }

    @inline(__always)
    private func encodeWord(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [Int32], forceHeap: Bool) {
        guard !forceHeap, let key = BPECache.Key(piece) else {
            model.encodePiece(piece, into: &out, forceHeap: forceHeap)
            return
        }
        if cache.lookup(key, into: &out) { return }
        let start = out.count
        model.encodePiece(piece, into: &out)
        cache.insert(key, out[start...])
    }

    // MARK: decoding

    /// The text of `ids` as `tokenizers` decodes them: token spellings through the decoder
    /// (byte-level: bytes concatenated and read as UTF-8, each invalid sequence becoming U+FFFD).
    /// Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        let kept = ids.filter { $0 >= 0 && $0 < vocabSize && idStrings[$0] != nil && !(skipSpecialTokens && idSpecial[$0]) }
        guard let decoder = pipeline.decoder else { return kept.map { idStrings[$0]! }.joined(separator: " ") }
        guard decoder.isByteLevel else { return decoder.decodeChain(kept.map { idStrings[$0]! }).joined() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(kept.count * 4)
        for id in kept { bytes.append(contentsOf: idBytes[id]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The vocabulary spelling of an id (byte-level characters, or an added token's text).
    public func token(for id: Int) -> String? {
        guard id >= 0 && id < vocabSize else { return nil }
        return idStrings[id]
    }

    /// The id of a vocabulary spelling or added token's text.
    public func id(for token: String) -> Int? {
        if let t = addedTokens.first(where: { $0.content.utf8.elementsEqual(token.utf8) }) { return t.id }
        return model.tokenToId[ExactString(token)].map(Int.init)
    }

    /// Throws unless every id of this tokenizer has a row in a model with `modelVocabSize`
    /// embeddings (`model` names the model in the message).
    public func checkFits(modelVocabSize: Int, model: String) throws {
        if let added = addedTokens.last(where: { $0.id >= modelVocabSize }) {
            throw EngineError.invalidInput("the tokenizer does not fit \(model): added token \(tokenQuoted(added.content)) has id \(added.id), but the model's vocab_size is \(modelVocabSize) (ids 0…\(modelVocabSize - 1))")
        }
        guard vocabSize <= modelVocabSize else {
            throw EngineError.invalidInput("the tokenizer does not fit \(model): its ids go up to \(vocabSize - 1) but the model's vocab_size is \(modelVocabSize)")
        }
    }

    /// Whether `id` is a special token (skipped by `decode(_:skipSpecialTokens: true)`).
    public func isSpecial(_ id: Int) -> Bool { id >= 0 && id < vocabSize && idSpecial[id] }
}
