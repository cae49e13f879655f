// Turns text examples into the token batches the objectives train on: SFT rows, DPO preference pairs,
// KTO rows with their mismatched KL rows, and reward-model pairs and K-way rankings. Prompt and
// completion are tokenized separately and concatenated (TRL's convention, so a token never straddles the
// boundary); the loss sits on completion tokens only. The tokenizer is passed in as a closure, so this
// file does not depend on any tokenizer implementation.
//
// EOS: SFT, DPO and KTO completions end with EOS so the policy learns to stop (as TRL). Reward-model rows
// do not: transformers' GPT2ForSequenceClassification scores the last token that is not the pad token,
// and GPT-2 pads with EOS, so a trailing EOS would be skipped there and the exported model would score a
// different position than Hilo trained. Hilo reads the score at `TokenBatch.lastIndices`.
import Foundation

/// Text to token ids (a GPT-2 BPE tokenizer, in practice).
public typealias Tokenize = (String) throws -> [Int]

public struct SFTExample: Codable, Sendable, Equatable {
    public var prompt: String
    public var completion: String
    public init(prompt: String, completion: String) { self.prompt = prompt; self.completion = completion }
}

public struct PreferenceExample: Codable, Sendable, Equatable {
    public var prompt: String
    public var chosen: String
    public var rejected: String
    public init(prompt: String, chosen: String, rejected: String) { self.prompt = prompt; self.chosen = chosen; self.rejected = rejected }
}

public struct KTOExample: Codable, Sendable, Equatable {
    public var prompt: String
    public var completion: String
    /// true = thumbs up.
    public var desirable: Bool
    public init(prompt: String, completion: String, desirable: Bool) {
        self.prompt = prompt; self.completion = completion; self.desirable = desirable
    }
}

public struct RankingExample: Codable, Sendable, Equatable {
    public var prompt: String
    public var responses: [String]
    /// One rank per response, smaller is better, equal ranks are ties.
    public var ranks: [Int]
    public init(prompt: String, responses: [String], ranks: [Int]) { self.prompt = prompt; self.responses = responses; self.ranks = ranks }
}

/// 2B rows: the B chosen rows first, then the B rejected rows in the same order (TRL's concatenated forward).
public struct PreferenceBatch: Sendable, Equatable {
    public var batch: TokenBatch
    public var pairs: Int { batch.rows / 2 }
    public var chosenTokens: [Int] { Array(batch.completionTokens.prefix(pairs)) }
    public var rejectedTokens: [Int] { Array(batch.completionTokens.suffix(pairs)) }
    /// Splits a per-row quantity (log-probs, scores) into its chosen and rejected halves.
    public func split(_ perRow: [Double]) -> (chosen: [Double], rejected: [Double]) {
        precondition(perRow.count == batch.rows, "one value per row expected")
        return (Array(perRow.prefix(pairs)), Array(perRow.suffix(pairs)))
    }
}

/// N rows (prompt i + completion i) and N KL rows (prompt i + completion i−1, cyclically).
public struct KTOBatch: Sendable, Equatable {
    public var batch: TokenBatch
    public var kl: TokenBatch
    public var desirable: [Bool]
}

/// All responses of all rankings, each once: ranking g owns rows `groups[g]`.
public struct RankingBatch: Sendable, Equatable {
    public var batch: TokenBatch
    public var groups: [Range<Int>]
    public var ranks: [[Int]]
    /// Regroups per-row scores into one array per ranking (RewardLoss.ranking's input).
    public func grouped(_ perRow: [Double]) -> [[Double]] { groups.map { Array(perRow[$0]) } }
    /// Flattens per-ranking gradients back to rows.
    public func flattened(_ perRanking: [[Double]]) -> [Double] { perRanking.flatMap { $0 } }
}

public struct BatchBuilder: Sendable {
    public let limits: SequenceLimits

    /// `nPositions` is the model's; limits beyond it are rejected.
    public init(limits: SequenceLimits, nPositions: Int? = nil) throws {
        try limits.validate(nPositions: nPositions)
        self.limits = limits
    }

    public func sft(_ examples: [SFTExample], tokenize: Tokenize) throws -> TokenBatch {
        try nonEmpty(examples.count, "SFT")
        var items: [([Int], [Int])] = [], cut = 0
        for e in examples {
            let t = limits.truncate(prompt: try prompt(e.prompt, tokenize), completions: [try completion(e.completion, tokenize, eos: true)])
            items.append((t.prompt, t.completions[0])); if t.cut { cut += 1 }
        }
        return TokenBatch.pack(items, pad: limits.padTokenId, truncated: cut)
    }

    /// DPO/IPO pairs (EOS after each completion).
    public func preference(_ examples: [PreferenceExample], tokenize: Tokenize) throws -> PreferenceBatch {
        try pairs(examples, tokenize: tokenize, eos: true)
    }

    /// Reward-model pairs (no EOS, see the header).
    public func rewardPairs(_ examples: [PreferenceExample], tokenize: Tokenize) throws -> PreferenceBatch {
        try pairs(examples, tokenize: tokenize, eos: false)
    }

    public func kto(_ examples: [KTOExample], tokenize: Tokenize) throws -> KTOBatch {
        try nonEmpty(examples.count, "KTO")
        guard examples.count >= 2 else {
            throw EngineError.invalidInput("KTO needs at least 2 rows per batch to build the mismatched KL pairs, got 1")
        }
        let prompts = try examples.map { try prompt($0.prompt, tokenize) }
        let completions = try examples.map { try completion($0.completion, tokenize, eos: true) }
        var rows: [([Int], [Int])] = [], klRows: [([Int], [Int])] = [], cut = 0, klCut = 0
        for i in examples.indices {
            let t = limits.truncate(prompt: prompts[i], completions: [completions[i]])
            rows.append((t.prompt, t.completions[0])); if t.cut { cut += 1 }
            let j = (i + examples.count - 1) % examples.count
            let k = limits.truncate(prompt: prompts[i], completions: [completions[j]])
            klRows.append((k.prompt, k.completions[0])); if k.cut { klCut += 1 }
        }
        return KTOBatch(batch: .pack(rows, pad: limits.padTokenId, truncated: cut),
                        kl: .pack(klRows, pad: limits.padTokenId, truncated: klCut),
                        desirable: examples.map(\.desirable))
    }

    /// Reward-model rankings: every response of every ranking once (no EOS).
    public func rankings(_ examples: [RankingExample], tokenize: Tokenize) throws -> RankingBatch {
        try nonEmpty(examples.count, "ranking")
        var rows: [([Int], [Int])] = [], groups: [Range<Int>] = [], cut = 0
        for (g, e) in examples.enumerated() {
            guard e.responses.count >= 2, e.responses.count == e.ranks.count else {
                throw EngineError.invalidInput("ranking \(g): need at least 2 responses and one rank each, got \(e.responses.count) responses and \(e.ranks.count) ranks")
            }
            let t = limits.truncate(prompt: try prompt(e.prompt, tokenize),
                                    completions: try e.responses.map { try completion($0, tokenize, eos: false) })
            if t.cut { cut += 1 }
            groups.append(rows.count..<(rows.count + e.responses.count))
            rows += t.completions.map { (t.prompt, $0) }
        }
        return RankingBatch(batch: .pack(rows, pad: limits.padTokenId, truncated: cut), groups: groups, ranks: examples.map(\.ranks))
    }

    // MARK: - Rows

    private func pairs(_ examples: [PreferenceExample], tokenize: Tokenize, eos: Bool) throws -> PreferenceBatch {
        try nonEmpty(examples.count, "preference")
        var chosen: [([Int], [Int])] = [], rejected: [([Int], [Int])] = [], cut = 0
        for e in examples {
            let t = limits.truncate(prompt: try prompt(e.prompt, tokenize),
                                    completions: [try completion(e.chosen, tokenize, eos: eos), try completion(e.rejected, tokenize, eos: eos)])
            chosen.append((t.prompt, t.completions[0])); rejected.append((t.prompt, t.completions[1]))
            if t.cut { cut += 1 }
        }
        return PreferenceBatch(batch: .pack(chosen + rejected, pad: limits.padTokenId, truncated: cut))
    }

    private func prompt(_ text: String, _ tokenize: Tokenize) throws -> [Int] {
        var ids = try tokenize(text)
        try limits.checkVocabulary(ids, text: text)
        if ids.isEmpty {
            guard let bos = limits.bosTokenId else {
                throw EngineError.invalidInput("a prompt tokenizes to no tokens and no BOS token is configured")
            }
            ids = [bos]
        }
        return ids
    }

    private func completion(_ text: String, _ tokenize: Tokenize, eos: Bool) throws -> [Int] {
        let ids = try tokenize(text)
        try limits.checkVocabulary(ids, text: text)
        let out = eos ? ids + [limits.eosTokenId] : ids
        guard !out.isEmpty else { throw EngineError.invalidInput("a completion tokenizes to no tokens") }
        return out
    }

    private func nonEmpty(_ n: Int, _ what: String) throws {
        guard n > 0 else { throw EngineError.invalidInput("\(what) batch is empty") }
    }
}
