// Trains a byte-level BPE tokenizer on a corpus, for pretraining a model from scratch.
//
// The algorithm is `tokenizers`' BpeTrainer: special tokens take the first ids, then the 256
// byte characters in code-point order, then one token per merge. Words (pre-tokenized pieces) are
// counted once; pair counts are kept up to date incrementally as each merge rewrites only the
// words that contain the pair, and a lazy max-heap picks the most frequent pair — ties going to
// the smaller (left id, right id), which is what makes the result match `tokenizers` merge for
// merge on the fixture corpus. Special tokens in the corpus separate text and are never merged.

import Foundation

/// What to train; stored with nothing else so a run can be described and repeated.
public struct BPETrainerConfig: Codable, Sendable, Equatable {
    /// The vocabulary size to reach, special tokens and the 256 byte tokens included: the model's
    /// embedding rows. Training stops earlier if no pair occurs often enough.
    public var vocabSize: Int
    /// Tokens matched whole in text and given the first ids (GPT-2: just `<|endoftext|>`).
    public var specialTokens: [String]
    /// Pairs seen fewer times than this are not merged (0: any pair, even one seen once, may merge).
    public var minFrequency: Int
    /// GPT-2 uses false; true makes a word at the start of a text encode like one after a space.
    public var addPrefixSpace: Bool

    public init(vocabSize: Int, specialTokens: [String] = ["<|endoftext|>"], minFrequency: Int = 0,
                addPrefixSpace: Bool = false) {
        self.vocabSize = vocabSize
        self.specialTokens = specialTokens
        self.minFrequency = minFrequency
        self.addPrefixSpace = addPrefixSpace
    }
}

/// Counts words from a corpus fed in pieces, then learns merges with `train()`.
public struct BPETrainer {
    public let config: BPETrainerConfig
    /// Pre-tokenized pieces (raw bytes) and how often each occurred.
    private(set) var wordCounts: [[UInt8]: Int] = [:]
    private let matcher: AddedTokenMatcher

    public init(config: BPETrainerConfig) throws {
        guard config.vocabSize >= 256 + config.specialTokens.count else {
            throw EngineError.invalidInput("vocab size \(config.vocabSize) is too small: it needs the 256 byte tokens and \(config.specialTokens.count) special token(s)")
        }
        guard config.vocabSize < Int(Int32.max) else { throw EngineError.invalidInput("vocab size \(config.vocabSize) is too large") }
        if let empty = config.specialTokens.firstIndex(of: "") { throw EngineError.invalidInput("special token \(empty + 1) is empty") }
        guard Set(config.specialTokens).count == config.specialTokens.count else {
            throw EngineError.invalidInput("special tokens repeat: \(config.specialTokens)")
        }
        self.config = config
        matcher = AddedTokenMatcher(config.specialTokens.enumerated().map { AddedToken(id: $0.offset, content: $0.element) })
    }

    /// The number of distinct words counted so far.
    public var distinctWords: Int { wordCounts.count }

    /// Counts the words of one text (a document, a line): special tokens split it, the GPT-2
    /// pattern splits the rest.
    public mutating func feed(_ text: String) {
        var text = text
        text.withUTF8 { p in
            for case .text(let r) in matcher.segments(p, allowSpecial: true) {
                var segment = Array(UnsafeBufferPointer(rebasing: p[r]))
                if config.addPrefixSpace && segment.first != 0x20 { segment.insert(0x20, at: 0) }
                segment.withUnsafeBufferPointer { q in
                    GPT2Pattern.split(q) { piece in wordCounts[Array(q[piece]), default: 0] += 1 }
                }
            }
        }
    }

    /// Counts the words of a whole corpus file's bytes (invalid UTF-8 becomes U+FFFD). Large
    /// inputs are cut into chunks of about `chunkSize` bytes, each cut right after a lone newline
    /// between a visible ASCII character and an ASCII letter or digit ("x\ny"): the pattern makes
    /// that newline a piece of its own either way, so the counts equal feeding the whole text.
    public mutating func feed(bytes: [UInt8], chunkSize: Int = 1 << 20) {
        @inline(__always) func isAlnum(_ b: UInt8) -> Bool { b &- 0x30 < 10 || (b | 0x20) &- 0x61 < 26 }
        var start = 0
        while start < bytes.count {
            var end = max(start + chunkSize, start + 1)
            while end < bytes.count - 1 {
                if bytes[end] == 0x0A && bytes[end - 1] &- 0x21 < 0x5E && isAlnum(bytes[end + 1]) { end += 1; break }
                end += 1
            }
            if end >= bytes.count - 1 { end = bytes.count }
            feed(String(decoding: bytes[start..<end], as: UTF8.self))
            start = end
        }
    }

    /// Learns the merges and returns the tokenizer (GPT-2 layout: ByteLevel pre-tokenizer and decoder).
    public func train() throws -> Tokenizer {
        // 1–2. Special tokens, then the byte alphabet in code-point order.
        var idToWord: [String] = config.specialTokens
        var wordToId: [String: Int32] = [:]
        for (i, s) in idToWord.enumerated() { wordToId[s] = Int32(i) }
        for scalar in ByteLevel.scalars.sorted(by: { $0.value < $1.value }) {
            let s = String(Character(scalar))
            if wordToId[s] == nil { wordToId[s] = Int32(idToWord.count); idToWord.append(s) }
        }
        let byteIds = (0..<256).map { wordToId[String(Character(ByteLevel.scalars[$0]))]! }

        // 3. Words as symbol ids.
        var words: [BPETrainingWord] = []
        var counts: [Int] = []
        words.reserveCapacity(wordCounts.count)
        for (bytes, count) in wordCounts {
            words.append(BPETrainingWord(symbols: bytes.map { byteIds[Int($0)] }))
            counts.append(count)
        }

        // 4. Pair counts and, per pair, the words that hold it.
        var pairCounts: [UInt64: Int] = [:]
        var whereToUpdate: [UInt64: [Int32]] = [:]
        for (w, word) in words.enumerated() {
            let s = word.symbols
            guard s.count > 1 else { continue }
            for i in 0..<(s.count - 1) {
                let key = BPEModel.key(s[i], s[i + 1])
                pairCounts[key, default: 0] += counts[w]
                if whereToUpdate[key]?.last != Int32(w) { whereToUpdate[key, default: []].append(Int32(w)) }
            }
        }
        var queue = BPEMergeQueue()
        for (pair, positions) in whereToUpdate where pairCounts[pair]! > 0 {
            queue.push(count: pairCounts[pair]!, pair: pair, positions: positions)
        }
        whereToUpdate.removeAll(keepingCapacity: true)

        // 5. Merge the most frequent pair until the vocabulary is full.
        var merges: [(Int32, Int32)] = []
        while idToWord.count < config.vocabSize, var top = queue.pop() {
            let current = pairCounts[top.pair]!
            if top.count != current {
                top.count = current
                queue.push(top)
                continue
            }
            if top.count < 1 || config.minFrequency > top.count { break }
            let a = Int32(truncatingIfNeeded: top.pair >> 32), b = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
            let newToken = idToWord[Int(a)] + idToWord[Int(b)]
            let newId: Int32
            if let existing = wordToId[newToken] {
                newId = existing
            } else {
                newId = Int32(idToWord.count)
                idToWord.append(newToken)
                wordToId[newToken] = newId
            }
            merges.append((a, b))
            for w in queue.positions(of: top) {
                let n = counts[Int(w)]
                words[Int(w)].merge(a, b, into: newId) { pair, change in
                    pairCounts[pair, default: 0] += change * n
                    if change > 0, whereToUpdate[pair]?.last != w { whereToUpdate[pair, default: []].append(w) }
                }
            }
            for (pair, positions) in whereToUpdate where pairCounts[pair]! > 0 {
                queue.push(count: pairCounts[pair]!, pair: pair, positions: positions)
            }
            whereToUpdate.removeAll(keepingCapacity: true)
        }

        var vocab: [String: Int] = [:]
        for (i, s) in idToWord.enumerated() { vocab[s] = i }
        let added = config.specialTokens.enumerated().map { AddedToken(id: $0.offset, content: $0.element, special: true) }
        return try Tokenizer(vocab: vocab, merges: merges.map { (idToWord[Int($0.0)], idToWord[Int($0.1)]) },
                             addedTokens: added, addPrefixSpace: config.addPrefixSpace,
                             eosToken: config.specialTokens.first)
    }
}
