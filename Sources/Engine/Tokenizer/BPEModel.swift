// The BPE model of a byte-level tokenizer: the vocabulary, the merge ranks keyed on pairs of ids,
// and the merge loop that turns one pre-tokenized piece (its raw bytes) into token ids.
//
// The loop applies, again and again, the lowest-ranked merge among adjacent symbols, leftmost
// first on ties — what `tokenizers` does with its priority queue. Short pieces (nearly all) use a
// scan over a small array; long ones (runs of spaces, minified code) a heap over a linked list,
// so a 100 kB piece stays O(n log n).

/// Vocabulary and merges of a byte-level BPE, plus the merge loop.
struct BPEModel: Sendable {
    /// Token spelling (byte-level characters) → id.
    let tokenToId: [String: Int32]
    /// id → token spelling; nil for ids the model does not use.
    let idToToken: [String?]
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    let merges: [UInt64: UInt64]
    /// The id of the single-byte token for each byte, or -1 if the vocabulary lacks it.
    let byteIds: [Int32]
    /// Replaces bytes missing from the vocabulary (nil: they are dropped, as `tokenizers` does).
    let unkId: Int32?
    /// Whether consecutive unknowns become one unknown token.
    let fuseUnk: Bool
    /// Whether a piece that is itself a token skips the merges (newer tokenizer.json files).
    let ignoreMerges: Bool

    /// Pieces longer than this (in symbols) use the heap instead of the scan.
    static let scanLimit = 48

    /// Builds the model; `merges` are pairs of token spellings in rank order.
    /// Throws a reason string for merges that name unknown tokens.
    init(vocab: [String: Int32], merges pairs: [(String, String)], unkToken: String?,
         fuseUnk: Bool, ignoreMerges: Bool) throws(TokenizerBuildError) {
        tokenToId = vocab
        let maxId = vocab.values.max() ?? -1
        var names = [String?](repeating: nil, count: Int(maxId) + 1)
        for (token, id) in vocab {
            guard id >= 0 else { throw .invalid("token \(tokenQuoted(token)) has negative id \(id)") }
            names[Int(id)] = token
        }
        idToToken = names
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(pairs.count)
        for (rank, (a, b)) in pairs.enumerated() {
            guard let ia = vocab[a] else { throw .invalid("merge \(rank + 1) (\(tokenQuoted(a)) \(tokenQuoted(b))): \(tokenQuoted(a)) is not in the vocabulary") }
            guard let ib = vocab[b] else { throw .invalid("merge \(rank + 1) (\(tokenQuoted(a)) \(tokenQuoted(b))): \(tokenQuoted(b)) is not in the vocabulary") }
            guard let merged = vocab[a + b] else { throw .invalid("merge \(rank + 1) (\(tokenQuoted(a)) \(tokenQuoted(b))): the merged token \(tokenQuoted(a + b)) is not in the vocabulary") }
            table[Self.key(ia, ib)] = UInt64(rank) << 32 | UInt64(UInt32(merged))
        }
        self.merges = table
        byteIds = (0..<256).map { vocab[String(Character(ByteLevel.scalars[$0]))] ?? -1 }
        if let unkToken {
            guard let id = vocab[unkToken] else { throw .invalid("unk_token \(tokenQuoted(unkToken)) is not in the vocabulary") }
            unkId = id
        } else {
            unkId = nil
        }
        self.fuseUnk = fuseUnk
        self.ignoreMerges = ignoreMerges
    }

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// The merge rank and result of a pair, or nil if the pair does not merge.
    @inline(__always) func merge(_ a: Int32, _ b: Int32) -> (rank: UInt32, id: Int32)? {
        guard let v = merges[Self.key(a, b)] else { return nil }
        return (UInt32(v >> 32), Int32(truncatingIfNeeded: v & 0xFFFF_FFFF))
    }

    /// The ids of one piece given as raw bytes, appended to `out`.
    func encodePiece(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [Int32], forceHeap: Bool = false) {
        if ignoreMerges, let id = tokenToId[ByteLevel.encode(bytes)] {
            out.append(id)
            return
        }
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
        if symbols.count > 1 {
            if symbols.count <= Self.scanLimit && !forceHeap { mergeByScan(&symbols) } else { mergeByHeap(&symbols) }
        }
        out.append(contentsOf: symbols)
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

/// Why a vocabulary and merges cannot form a model (the loader adds the file name).
enum TokenizerBuildError: Error {
    case invalid(String)
}

/// A token spelling in quotes, with invisible characters escaped, for error messages.
func tokenQuoted(_ s: String) -> String {
    "\"" + s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined() + "\""
}
