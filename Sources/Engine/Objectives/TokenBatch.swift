// The token-level batch every trainer feeds the model: right-padded rows of token ids, the next-token
// target of each position (−1 where no loss is taken), and each row's real length. Rows are built from a
// prompt and a completion (tokenized separately and concatenated, TRL's convention) under one
// truncation policy, so SFT, DPO, KTO and the reward model see the same tokens for the same text.
//
// Layout: [rows, width] row-major; inputIds[b·T + t] is the token at position t; targets[b·T + t] is the
// token at t+1 when that token is a completion token, else −1 (so a row's summed completion log-prob is
// Σ_t log p(targets[t] | ≤ t) over targets ≥ 0). Positions ≥ lengths[b] hold `padTokenId` and −1. With
// causal attention and right padding the real positions never see the padding, so `lengths` is the
// attention mask.
//
// Truncation (`SequenceLimits`): when prompt + the longest completion of the example exceeds maxLength,
// the prompt keeps its *last* max(maxPromptLength, maxLength − longest) tokens (the end of a prompt — the
// latest turn — matters most), then every completion is cut at its end to fit. A cut completion loses
// its EOS. `TokenBatch.truncatedRows` counts the examples that were cut.
import Foundation

public struct SequenceLimits: Codable, Sendable, Equatable {
    /// The longest row, prompt included; at most the model's n_positions.
    public var maxLength: Int
    /// Prompt tokens kept when an example is too long (its last ones); TRL's max_prompt_length.
    public var maxPromptLength: Int
    /// GPT-2's <|endoftext|> (50256): appended to completions so the model learns to stop.
    public var eosTokenId: Int
    /// Filler for padding positions (never attended, never a target). GPT-2 has no pad token; EOS is usual.
    public var padTokenId: Int
    /// Prepended when a prompt tokenizes to nothing, so the first completion token has a position that
    /// predicts it. nil makes an empty prompt an error.
    public var bosTokenId: Int?
    /// The model's vocabulary size: any token id outside 0..<vocabSize means the tokenizer does not belong
    /// to the model, and is an error before training starts. nil skips the check.
    public var vocabSize: Int?

    public init(maxLength: Int, maxPromptLength: Int? = nil, eosTokenId: Int, padTokenId: Int? = nil,
                bosTokenId: Int? = nil, vocabSize: Int? = nil) {
        self.maxLength = maxLength; self.maxPromptLength = maxPromptLength ?? maxLength / 2
        self.eosTokenId = eosTokenId; self.padTokenId = padTokenId ?? eosTokenId; self.bosTokenId = bosTokenId
        self.vocabSize = vocabSize
    }

    /// Limits for a model: maxLength = n_positions, EOS/BOS/pad from its config (GPT-2's 50256 by default).
    public init(config: GPT2Config, maxLength: Int? = nil, maxPromptLength: Int? = nil) {
        self.init(shape: ModelShape(modelType: "gpt2", vocabSize: config.vocabSize, width: config.nEmbd, layers: config.nLayer,
                                    contextLength: config.nPositions, bosTokenId: config.bosTokenId,
                                    eosTokenId: config.eosTokenId, padTokenId: config.padTokenId),
                  maxLength: maxLength, maxPromptLength: maxPromptLength)
    }

    /// Limits for a model of any architecture: maxLength = its context, EOS/BOS/pad from its config.
    public init(shape: ModelShape, maxLength: Int? = nil, maxPromptLength: Int? = nil) {
        let eos = shape.eosTokenId ?? 50256
        self.init(maxLength: maxLength ?? shape.contextLength, maxPromptLength: maxPromptLength, eosTokenId: eos,
                  padTokenId: shape.padTokenId ?? eos, bosTokenId: shape.bosTokenId ?? eos, vocabSize: shape.vocabSize)
    }

    public func validate(nPositions: Int? = nil) throws {
        guard maxLength >= 2 else { throw EngineError.invalidConfig("max_length must be at least 2, got \(maxLength)") }
        if let n = nPositions, maxLength > n {
            throw EngineError.invalidConfig("max_length \(maxLength) exceeds the model's n_positions \(n)")
        }
        guard maxPromptLength >= 1, maxPromptLength < maxLength else {
            throw EngineError.invalidConfig("max_prompt_length must be in 1..<max_length (\(maxLength)), got \(maxPromptLength)")
        }
        if let v = vocabSize {
            for (name, id) in [("eos_token_id", eosTokenId), ("pad_token_id", padTokenId), ("bos_token_id", bosTokenId ?? 0)]
            where id < 0 || id >= v {
                throw EngineError.invalidConfig("\(name) \(id) is outside the vocabulary (\(v) tokens)")
            }
        }
    }

    /// Throws when a token id cannot belong to the model's vocabulary: the tokenizer does not match it.
    func checkVocabulary(_ ids: [Int], text: String) throws {
        guard let v = vocabSize, let bad = ids.first(where: { $0 < 0 || $0 >= v }) else { return }
        throw EngineError.invalidInput("token id \(bad) (from \"\(text.prefix(40))…\") is outside the model's vocabulary of \(v) tokens: the tokenizer does not match the model")
    }

    /// Applies the truncation policy to one prompt and its completions. Returns the kept prompt, the kept
    /// completions, and whether anything was cut.
    func truncate(prompt: [Int], completions: [[Int]]) -> (prompt: [Int], completions: [[Int]], cut: Bool) {
        let longest = completions.map(\.count).max() ?? 0
        guard prompt.count + longest > maxLength else { return (prompt, completions, false) }
        let keep = min(prompt.count, max(maxPromptLength, maxLength - longest))
        let room = maxLength - keep
        return (Array(prompt.suffix(keep)), completions.map { Array($0.prefix(room)) }, true)
    }
}

public struct TokenBatch: Sendable, Equatable {
    /// B.
    public var rows: Int
    /// T, the longest row of this batch (≤ maxLength).
    public var width: Int
    /// [B, T] token ids, padded with the pad id.
    public var inputIds: [Int]
    /// [B, T] next-token targets on completion positions, −1 elsewhere.
    public var targets: [Int]
    /// Real tokens per row.
    public var lengths: [Int]
    /// Prompt tokens per row (after truncation).
    public var promptLengths: [Int]
    /// Examples that the truncation policy cut.
    public var truncatedRows: Int

    /// Completion tokens (targets ≥ 0) of each row: the token count DPO's ipo and NLL need.
    public var completionTokens: [Int] {
        (0..<rows).map { b in targets[(b * width)..<((b + 1) * width)].filter { $0 >= 0 }.count }
    }

    /// Flat index of each row's last real token: where a reward/value head reads its score.
    public var lastIndices: [Int] { (0..<rows).map { $0 * width + lengths[$0] - 1 } }

    /// [B, T] attention mask (1 real, 0 padding).
    public var attentionMask: [Int] {
        var m = [Int](repeating: 0, count: rows * width)
        for b in 0..<rows { for t in 0..<lengths[b] { m[b * width + t] = 1 } }
        return m
    }

    /// Packs (prompt, completion) rows: targets on the completion tokens only.
    static func pack(_ items: [(prompt: [Int], completion: [Int])], pad: Int, truncated: Int) -> TokenBatch {
        let width = items.map { $0.prompt.count + $0.completion.count }.max() ?? 0
        var ids = [Int](repeating: pad, count: items.count * width)
        var targets = [Int](repeating: -1, count: items.count * width)
        for (b, item) in items.enumerated() {
            let row = item.prompt + item.completion, base = b * width
            for (t, id) in row.enumerated() { ids[base + t] = id }
            for t in 0..<(row.count - 1) where t + 1 >= item.prompt.count { targets[base + t] = row[t + 1] }
        }
        return TokenBatch(rows: items.count, width: width, inputIds: ids, targets: targets,
                          lengths: items.map { $0.prompt.count + $0.completion.count },
                          promptLengths: items.map(\.prompt.count), truncatedRows: truncated)
    }
}

extension TokenBatch {
    /// Rows given whole as ids and next-token targets [rows, width] (−1: not scored), every position
    /// real: golden files and benchmarks, whose targets are already laid out.
    public init(rows: Int, width: Int, inputIds: [Int], targets: [Int]) {
        precondition(inputIds.count == rows * width && targets.count == rows * width, "ids and targets must be [rows, width]")
        self.init(rows: rows, width: width, inputIds: inputIds, targets: targets, lengths: Array(repeating: width, count: rows),
                  promptLengths: Array(repeating: 0, count: rows), truncatedRows: 0)
    }

    /// `sequences` right-padded with `pad` to the longest, every next token a target (pretraining
    /// rows). Each sequence needs at least one token.
    public init(sequences: [[Int]], pad: Int = 0) throws {
        guard !sequences.isEmpty, sequences.allSatisfy({ !$0.isEmpty }) else {
            throw EngineError.invalidInput("a training batch needs at least one non-empty sequence")
        }
        self = .pack(sequences.map { (prompt: [], completion: $0) }, pad: pad, truncated: 0)
    }

    /// Positions that carry a target (what a mean token loss divides by).
    public var scoredCount: Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
}
