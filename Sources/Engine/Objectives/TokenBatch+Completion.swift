// Moving per-position quantities of a TokenBatch to and from the right-padded completion grid PPO works
// on. In a TokenBatch, row b's completion token k (k = 0…n_b−1) is predicted at position
// promptLengths[b] − 1 + k; PPO's arrays (log-probs, values, rewards, advantages) hold it at column k of
// a [B, maxCompletion] grid described by a ResponseMask. Also the batch of a PPO rollout: prompt ids plus
// the generated ids, as they came from the generator.
import Foundation

extension TokenBatch {
    /// The completion grid's mask: lengths = completion tokens per row, width = the longest.
    public func completionMask() throws -> ResponseMask {
        let n = completionTokens
        return try ResponseMask(lengths: n, width: n.max() ?? 0)
    }

    /// Gathers a per-position array [B·T] (e.g. SequenceLogProbs.perToken, or a value head's outputs) into
    /// the completion grid [B·W].
    public func gatherCompletion(_ perPosition: [Double], mask: ResponseMask) -> [Double] {
        precondition(perPosition.count == rows * width && mask.rows == rows, "shape mismatch")
        var out = [Double](repeating: 0, count: mask.count)
        for b in 0..<rows {
            for k in 0..<mask.lengths[b] { out[b * mask.width + k] = perPosition[b * width + promptLengths[b] - 1 + k] }
        }
        return out
    }

    /// The inverse: spreads a completion-grid array (e.g. PPOLoss's dLogprobs) back to positions [B·T], 0 elsewhere.
    public func scatterCompletion(_ grid: [Double], mask: ResponseMask) -> [Double] {
        precondition(grid.count == mask.count && mask.rows == rows, "shape mismatch")
        var out = [Double](repeating: 0, count: rows * width)
        for b in 0..<rows {
            for k in 0..<mask.lengths[b] { out[b * width + promptLengths[b] - 1 + k] = grid[b * mask.width + k] }
        }
        return out
    }
}

extension BatchBuilder {
    /// A batch from token ids already produced (a PPO rollout: prompt ids and the generated ids, EOS
    /// included if the generator stopped on it). The truncation policy applies; nothing is appended.
    public func tokens(prompts: [[Int]], completions: [[Int]]) throws -> TokenBatch {
        guard !prompts.isEmpty, prompts.count == completions.count else {
            throw EngineError.invalidInput("rollout batch: \(prompts.count) prompts for \(completions.count) completions")
        }
        var items: [([Int], [Int])] = [], cut = 0
        for (i, (p, c)) in zip(prompts, completions).enumerated() {
            guard !p.isEmpty, !c.isEmpty else { throw EngineError.invalidInput("rollout row \(i): empty prompt or completion") }
            try limits.checkVocabulary(p + c, text: "rollout row \(i)")
            let t = limits.truncate(prompt: p, completions: [c])
            items.append((t.prompt, t.completions[0])); if t.cut { cut += 1 }
        }
        return TokenBatch.pack(items, pad: limits.padTokenId, truncated: cut)
    }
}
