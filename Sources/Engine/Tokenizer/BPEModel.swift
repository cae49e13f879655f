// The BPE model of a tokenizer: the vocabulary, the merge ranks keyed on pairs of ids, and the
// merge loop that turns one pre-tokenized piece (its raw bytes) into token ids. A piece's first
// symbols are its bytes (byte-level BPE, GPT-2/Llama 3/Qwen2) or its Unicode scalars with
// `<0xNN>` byte fallback (SentencePiece-style BPE, Llama 2/Mistral/Phi-3: BPEModel+Scalars.swift).
//
// The loop applies, again and again, the lowest-ranked merge among adjacent symbols, leftmost
// first on ties — what `tokenizers` does with its priority queue. Short pieces (nearly all) use a
// scan over a small array; long ones (runs of spaces, minified code) a heap over a linked list,
// so a 100 kB piece stays O(n log n).

/// How a BPE model turns a piece into its first symbols, as tokenizer.json's `model` says.
struct BPEOptions: Sendable {
    /// Pieces are raw bytes spelled through the byte-level table (a ByteLevel pre-tokenizer);
    /// false: pieces are Unicode scalars looked up as they are (SentencePiece-style vocabularies).
    var byteLevel = true
    /// Replaces symbols missing from the vocabulary (nil: they are dropped, as `tokenizers` does).
    var unkToken: String? = nil
    /// Consecutive unknowns become one unknown token.
    var fuseUnk = false
    /// A piece that is itself a token skips the merges (Llama 3, newer tokenizer.json files).
    var ignoreMerges = false
    /// A scalar missing from the vocabulary becomes its UTF-8 bytes as `<0xNN>` tokens (Llama 2).
    var byteFallback = false
    /// Spelled before every symbol but a piece's first (WordPiece-like BPEs, e.g. "##").
    var continuingSubwordPrefix: String? = nil
    /// Spelled after a piece's last symbol (e.g. "</w>" in the original BPE papers' vocabularies).
    var endOfWordSuffix: String? = nil
}

/// Vocabulary and merges of a BPE, plus the merge loop.
struct BPEModel: Sendable {
    /// Token spelling (byte-level characters in byte-level mode) → id, compared byte for byte.
    let tokenToId: [ExactString: Int32]
    /// id → token spelling; nil for ids the model does not use.
    let idToToken: [String?]
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    let merges: [UInt64: UInt64]
    /// The id of the single-byte token for each byte, or -1 if the vocabulary lacks it.
    let byteIds: [Int32]
    /// Scalar-mode lookups: the id of each one-scalar token, and of each `<0xNN>` byte token (-1: none).
    let scalarIds: [UInt32: Int32]
    let fallbackIds: [Int32]
    /// Replaces symbols missing from the vocabulary (nil: they are dropped).
    let unkId: Int32?
    /// Scalar mode: the UTF-8 of a word-start marker ("▁") that no token holds after another
    /// character (runs of markers aside), so no merge crosses the place before it: a piece can be
    /// cut there into words that merge (and cache) separately, with the same result.
    let wordStart: [UInt8]?
    let options: BPEOptions
    var fuseUnk: Bool { options.fuseUnk }
    var ignoreMerges: Bool { options.ignoreMerges }

    /// Pieces longer than this (in symbols) use the heap instead of the scan.
    static let scanLimit = 48

    /// Builds the model; `merges` are pairs of token spellings in rank order.
    /// Throws a reason string for merges that name unknown tokens.
    init(vocab entries: [(String, Int32)], merges pairs: [(String, String)], options: BPEOptions) throws(TokenizerBuildError) {
        var vocab: [ExactString: Int32] = [:]
        vocab.reserveCapacity(entries.count)
        let maxId = entries.map(\.1).max() ?? -1
        var names = [String?](repeating: nil, count: Int(maxId) + 1)
        for (token, id) in entries {
            guard id >= 0 else { throw .invalid("token \(tokenQuoted(token)) has negative id \(id)") }
            names[Int(id)] = token
            vocab[ExactString(token)] = id
        }
        tokenToId = vocab
        self.options = options
        idToToken = names
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(pairs.count)
        // As in `tokenizers`, the right token of a merge loses the continuing-subword prefix.
        let prefixLength = options.continuingSubwordPrefix?.utf8.count ?? 0
        for (rank, (a, b)) in pairs.enumerated() {
            let name = "merge \(rank + 1) (\(tokenQuoted(a)) \(tokenQuoted(b)))"
            guard let ia = vocab[ExactString(a)] else { throw .invalid("\(name): \(tokenQuoted(a)) is not in the vocabulary") }
            guard let ib = vocab[ExactString(b)] else { throw .invalid("\(name): \(tokenQuoted(b)) is not in the vocabulary") }
            let joined = a + String(decoding: b.utf8.dropFirst(prefixLength), as: UTF8.self)
            guard let merged = vocab[ExactString(joined)] else { throw .invalid("\(name): the merged token \(tokenQuoted(joined)) is not in the vocabulary") }
            table[Self.key(ia, ib)] = UInt64(rank) << 32 | UInt64(UInt32(merged))
        }
        self.merges = table
        byteIds = options.byteLevel ? (0..<256).map { vocab[ExactString(String(Character(ByteLevel.scalars[$0])))] ?? -1 } : []
        var scalars: [UInt32: Int32] = [:]
        if !options.byteLevel {
            for (token, id) in entries where token.unicodeScalars.count == 1 { scalars[token.unicodeScalars.first!.value] = id }
        }
        scalarIds = scalars
        // Not with a subword prefix or word suffix: their spelling depends on where the piece ends.
        let affixed = options.continuingSubwordPrefix != nil || options.endOfWordSuffix != nil
        wordStart = options.byteLevel || affixed ? nil : ["\u{2581}", " "].first { marker in
            entries.contains { $0.0.unicodeScalars.first == marker } && !entries.contains { token, _ in
                zip(token.unicodeScalars, token.unicodeScalars.dropFirst()).contains { $0 != marker && $1 == marker }
            }
        }.map { Array(String($0).utf8) }
        fallbackIds = options.byteFallback ? (0..<256).map { vocab[ExactString(Self.byteTokenName(UInt8($0)))] ?? -1 } : []
        if let unkToken = options.unkToken {
            guard let id = vocab[ExactString(unkToken)] else { throw .invalid("unk_token \(tokenQuoted(unkToken)) is not in the vocabulary") }
            unkId = id
        } else {
            unkId = nil
        }
    }

    /// The spelling of a byte-fallback token: "<0x0A>" for byte 10.
    static func byteTokenName(_ b: UInt8) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        return "<0x" + (hex.count < 2 ? "0" : "") + hex + ">"
    }

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// The merge rank and result of a pair, or nil if the pair does not merge.
    @inline(__always) func merge(_ a: Int32, _ b: Int32) -> (rank: UInt32, id: Int32)? {
        guard let v = merges[Self.key(a, b)] else { return nil }
        return (UInt32(v >> 32), Int32(truncatingIfNeeded: v & 0xFFFF_FFFF))
    }

    /// The ids of one piece given as raw bytes (valid UTF-8 in scalar mode), appended to `out`.
    func encodePiece(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [Int32], forceHeap: Bool = false) {
        if ignoreMerges, let id = tokenToId[ExactString(options.byteLevel ? ByteLevel.encode(bytes) : String(decoding: bytes, as: UTF8.self))] {
            out.append(id)
            return
        }
        var symbols = options.byteLevel ? byteSymbols(bytes) : scalarSymbols(bytes)
        if symbols.count > 1 {
            if symbols.count <= Self.scanLimit && !forceHeap { mergeByScan(&symbols) } else { mergeByHeap(&symbols) }
        }
        out.append(contentsOf: symbols)
    }

    /// Byte-level mode: one symbol per byte, through the byte-level table.
    func byteSymbols(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        var lastWasUnk = false
        for b in bytes {
            let id = byteIds[Int(b)]
            if id >= 0 {
                symbols.append(id)
                lastWasUnk = false
            } else if let unkId {
                if !(fuseUnk && lastWasUnk) { symbols.append(unkId) }
                lastWasUnk = true
            }
        }
        return symbols
    }

    /// The merge loop for short pieces: find the lowest-ranked adjacent pair, merge, repeat.
    func mergeByScan(_ symbols: inout [Int32]) {
        var ranks = [UInt32](repeating: .max, count: symbols.count)  // ranks[i]: pair (i, i+1)
        var results = [Int32](repeating: 0, count: symbols.count)
        for i in 0..<(symbols.count - 1) {
            if let m = merge(symbols[i], symbols[i + 1]) { ranks[i] = m.rank; results[i] = m.id }
        }
        var n = symbols.count
        while true {
            var best = -1
            var bestRank = UInt32.max
            for i in 0..<(n - 1) where ranks[i] < bestRank { bestRank = ranks[i]; best = i }
            if best < 0 { break }
            symbols[best] = results[best]
            symbols.remove(at: best + 1)
            ranks.remove(at: best + 1)
            results.remove(at: best + 1)
            n -= 1
            for i in [best - 1, best] where i >= 0 && i < n - 1 {
                if let m = merge(symbols[i], symbols[i + 1]) { ranks[i] = m.rank; results[i] = m.id } else { ranks[i] = .max }
            }
            ranks[n - 1] = .max
        }
    }
}

/// A string compared and hashed by its UTF-8 bytes: Swift's String equality is canonical
/// equivalence, under which distinct tokens ("ά" U+03AC and U+1F71) would be one key.
struct ExactString: Hashable, Sendable {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (a: ExactString, b: ExactString) -> Bool { a.value.utf8.elementsEqual(b.value.utf8) }

    func hash(into h: inout Hasher) {
        var v = value
        v.withUTF8 { h.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// Why a vocabulary and merges cannot form a model (the loader adds the file name).
enum TokenizerBuildError: Error {
    case invalid(String)
}

/// A token spelling in quotes, with invisible characters escaped, for error messages.
func tokenQuoted(_ s: String) -> String {
    "\"" + s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined() + "\""
}
