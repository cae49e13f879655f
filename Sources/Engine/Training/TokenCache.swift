// Every text of a dataset tokenized once, up front: a tokenizer that does not fit the model fails before
// any work (an id outside the vocabulary), and the per-step batch building does no BPE work.
import Foundation

final class TokenCache {
    private var map: [String: [Int]] = [:]
    private let tokenize: Tokenize
    private let vocabSize: Int

    init(_ texts: [String], tokenize: @escaping Tokenize, vocabSize: Int) throws {
        self.tokenize = tokenize; self.vocabSize = vocabSize
        for t in texts where map[t] == nil { map[t] = try checked(t) }
    }

    private func checked(_ text: String) throws -> [Int] {
        let ids = try tokenize(text)
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabSize }) {
            throw EngineError.invalidInput("token id \(bad) (from \"\(text.prefix(40))\") is outside the model's vocabulary of \(vocabSize) tokens: the tokenizer does not match the model")
        }
        return ids
    }

    /// The ids of `text` (tokenized now if it was not in the dataset).
    func callAsFunction(_ text: String) throws -> [Int] {
        if let ids = map[text] { return ids }
        let ids = try checked(text)
        map[text] = ids
        return ids
    }
}

extension TokenBatch {
    /// Real tokens in the batch (what tokens/s counts).
    var realTokens: Int { lengths.reduce(0, +) }
    /// Target ids as the model's Int32.
    var targets32: [Int32] { targets.map { Int32(truncatingIfNeeded: $0) } }
}
