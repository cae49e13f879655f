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

/// Checks that `other` has the architecture of `base` (a DPO/KTO/PPO reference must).
func requireSameArchitecture(_ other: GPT2Config, _ base: GPT2Config, role: String) throws {
    let a = (other.vocabSize, other.nPositions, other.nEmbd, other.nLayer, other.nHead, other.hiddenSize)
    let b = (base.vocabSize, base.nPositions, base.nEmbd, base.nLayer, base.nHead, base.hiddenSize)
    guard a == b else {
        throw EngineError.invalidInput("the \(role) has another architecture than the policy: vocab_size \(a.0), n_positions \(a.1), n_embd \(a.2), n_layer \(a.3), n_head \(a.4) vs \(b.0), \(b.1), \(b.2), \(b.3), \(b.4)")
    }
}

extension TokenBatch {
    /// Real tokens in the batch (what tokens/s counts).
    var realTokens: Int { lengths.reduce(0, +) }
    /// Target ids as the model's Int32.
    var targets32: [Int32] { targets.map { Int32(truncatingIfNeeded: $0) } }
}
