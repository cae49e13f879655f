// Byte-level BPE tokenizer, identical to Hugging Face `tokenizers` for GPT-2-family tokenizers.
//
// encode: split the text around added tokens (<|endoftext|>…), pre-tokenize each remaining
// segment with GPT-2's pattern (Pretokenizer), and BPE-merge each piece's bytes (BPEModel), with a
// cache for pieces seen before. decode: map ids back to bytes through the byte-level table and
// read them as UTF-8, invalid sequences becoming U+FFFD.
//
// Loading lives in Tokenizer+Loading.swift, saving in Tokenizer+Saving.swift, training in BPETrainer.

import Foundation

/// A byte-level BPE tokenizer (GPT-2 family). Immutable and safe to share between threads.
public final class Tokenizer: Sendable {
    let model: BPEModel
    /// Added and special tokens, in id order.
    public let addedTokens: [AddedToken]
    let matcher: AddedTokenMatcher
    /// Put a space before each text segment that does not start with one (ByteLevel add_prefix_space).
    public let addPrefixSpace: Bool
    /// Pre-tokenize with GPT-2's pattern (false: each segment is one piece).
    let useRegex: Bool
    /// Decode through the byte-level table (false: tokens joined by spaces, `tokenizers` without a decoder).
    let byteLevelDecoder: Bool
    /// Per id: the bytes it decodes to (empty for unused ids), and whether it is special.
    let idBytes: [[UInt8]]
    let idSpecial: [Bool]
    let cache: BPECache

    /// One past the largest id: the smallest vocab_size a model needs to accept every token.
    public let vocabSize: Int
    /// The id of the end-of-text token (`<|endoftext|>` unless the files say otherwise), if any.
    public let eosTokenId: Int?

    /// Builds a tokenizer from its parts. `merges` are token pairs in rank order; `vocab` spells
    /// tokens in byte-level characters. Added tokens not in `vocab` take the id they carry.
    public init(vocab: [String: Int], merges: [(String, String)], addedTokens: [AddedToken] = [],
                addPrefixSpace: Bool = false, useRegex: Bool = true, byteLevelDecoder: Bool = true,
                unkToken: String? = nil, fuseUnk: Bool = false, ignoreMerges: Bool = false,
                eosToken: String? = nil) throws {
        // Ids index dense tables; a file with a few huge ids must not allocate gigabytes.
        let maxId = max(vocab.values.max() ?? -1, addedTokens.map(\.id).max() ?? -1)
        guard maxId < 2 * (vocab.count + addedTokens.count) + 100_000 else {
            throw EngineError.invalidInput("token ids go up to \(maxId) for only \(vocab.count + addedTokens.count) tokens: ids must be (nearly) contiguous")
        }
        var v32: [String: Int32] = [:]
        v32.reserveCapacity(vocab.count)
        for (k, id) in vocab {
            guard id >= 0 && id < Int(Int32.max) else { throw EngineError.invalidInput("token \(tokenQuoted(k)) has id \(id), outside 0..<2^31") }
            v32[k] = Int32(id)
        }
        do {
            model = try BPEModel(vocab: v32, merges: merges, unkToken: unkToken, fuseUnk: fuseUnk, ignoreMerges: ignoreMerges)
        } catch {
            switch error { case .invalid(let why): throw EngineError.invalidInput(why) }
        }
        for t in addedTokens where t.id < 0 || t.id >= Int(Int32.max) {
            throw EngineError.invalidInput("added token \(tokenQuoted(t.content)) has id \(t.id), outside 0..<2^31")
        }
        // As in `tokenizers`, an added token that is also a vocabulary entry takes the entry's id.
        self.addedTokens = addedTokens.map { t in
            var t = t
            if let id = vocab[t.content] { t.id = id }
            return t
        }.sorted { $0.id < $1.id }
        matcher = AddedTokenMatcher(self.addedTokens)
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
        self.byteLevelDecoder = byteLevelDecoder

        let size = max(model.idToToken.count, (self.addedTokens.map(\.id).max() ?? -1) + 1)
        vocabSize = size
        var strings = model.idToToken + [String?](repeating: nil, count: size - model.idToToken.count)
        var special = [Bool](repeating: false, count: size)
        for t in self.addedTokens {
            strings[t.id] = t.content
            special[t.id] = t.special
        }
        idSpecial = special
        idBytes = strings.map { s in
            guard let s else { return [] }
            return byteLevelDecoder ? (ByteLevel.decode(s) ?? Array(s.utf8)) : Array(s.utf8)
        }
        let eosName = eosToken ?? "<|endoftext|>"
        eosTokenId = self.addedTokens.first { $0.content == eosName }?.id ?? vocab[eosName]
        cache = BPECache()
    }

    // MARK: encoding

    /// The ids of `text`. Added tokens in the text are matched as `tokenizers` does by default;
    /// with `allowSpecialTokens: false`, special ones (e.g. a user typing "<|endoftext|>") are
    /// encoded as plain text instead, like `tokenizers`' `encode_special_tokens = True`.
    public func encode(_ text: String, allowSpecialTokens: Bool = true) -> [Int] {
        encode(text, allowSpecialTokens: allowSpecialTokens, forceHeap: false)
    }

    /// `forceHeap` sends every piece through the heap merge loop, uncached (tests compare both loops).
    func encode(_ text: String, allowSpecialTokens: Bool, forceHeap: Bool) -> [Int] {
        var text = text
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        text.withUTF8 { p in
            for segment in matcher.segments(p, allowSpecial: allowSpecialTokens) {
                switch segment {
                case .token(let id, _): out.append(Int32(id))
                case .text(let r): encodeSegment(UnsafeBufferPointer(rebasing: p[r]), into: &out, forceHeap: forceHeap)
                }
            }
        }
        return out.map(Int.init)
    }

    /// The ids of raw bytes that may not be valid UTF-8: each invalid sequence becomes U+FFFD
    /// first (as Python's `errors="replace"` and Rust's `from_utf8_lossy` do), never a crash.
    public func encode(bytes: [UInt8], allowSpecialTokens: Bool = true) -> [Int] {
        encode(String(decoding: bytes, as: UTF8.self), allowSpecialTokens: allowSpecialTokens)
    }

    /// Pre-tokenizes and BPE-encodes one segment of text between added tokens.
    func encodeSegment(_ p: UnsafeBufferPointer<UInt8>, into out: inout [Int32], forceHeap: Bool = false) {
        if addPrefixSpace && p.first != 0x20 {
            var prefixed = [UInt8](repeating: 0x20, count: p.count + 1)
            prefixed.withUnsafeMutableBufferPointer { q in
                _ = UnsafeMutableBufferPointer(rebasing: q[1...]).initialize(from: p)
            }
            prefixed.withUnsafeBufferPointer { q in encodePieces(q, into: &out, forceHeap: forceHeap) }
        } else {
            encodePieces(p, into: &out, forceHeap: forceHeap)
        }
    }

    private func encodePieces(_ p: UnsafeBufferPointer<UInt8>, into out: inout [Int32], forceHeap: Bool) {
        guard useRegex else { encodePiece(p, into: &out, forceHeap: forceHeap); return }
        Pretokenizer.split(p) { r in encodePiece(UnsafeBufferPointer(rebasing: p[r]), into: &out, forceHeap: forceHeap) }
    }

    @inline(__always)
    private func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [Int32], forceHeap: Bool) {
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

    /// The text of `ids`: token bytes concatenated and read as UTF-8, each invalid sequence
    /// becoming U+FFFD, as `tokenizers` decodes. Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        if !byteLevelDecoder {
            return ids.compactMap { id -> String? in
                guard id >= 0 && id < vocabSize, !idBytes[id].isEmpty, !(skipSpecialTokens && idSpecial[id]) else { return nil }
                return String(decoding: idBytes[id], as: UTF8.self)
            }.joined(separator: " ")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && id < vocabSize {
            if skipSpecialTokens && idSpecial[id] { continue }
            bytes.append(contentsOf: idBytes[id])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The vocabulary spelling of an id (byte-level characters, or an added token's text).
    public func token(for id: Int) -> String? {
        guard id >= 0 && id < vocabSize else { return nil }
        if let t = addedTokens.first(where: { $0.id == id }) { return t.content }
        return id < model.idToToken.count ? model.idToToken[id] : nil
    }

    /// The id of a vocabulary spelling or added token's text.
    public func id(for token: String) -> Int? {
        if let t = addedTokens.first(where: { $0.content == token }) { return t.id }
        return model.tokenToId[token].map(Int.init)
    }

    /// Throws unless every id of this tokenizer has a row in a model with `modelVocabSize`
    /// embeddings (`model` names the model in the message).
    public func checkFits(modelVocabSize: Int, model: String) throws {
        guard vocabSize <= modelVocabSize else {
            throw EngineError.invalidInput("the tokenizer does not fit \(model): its ids go up to \(vocabSize - 1) but the model's vocab_size is \(modelVocabSize)")
        }
    }

    /// Whether `id` is a special token (skipped by `decode(_:skipSpecialTokens: true)`).
    public func isSpecial(_ id: Int) -> Bool { id >= 0 && id < vocabSize && idSpecial[id] }
}
