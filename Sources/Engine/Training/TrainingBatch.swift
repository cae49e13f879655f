// A batch for next-token training: input ids [B, T] and the targets the loss scores, with
// right padding for sequences of different lengths and an optional per-position loss mask.

public struct TrainingBatch: Sendable, Equatable {
    /// Rows of the batch.
    public var batch: Int
    /// Positions per row (the longest sequence; shorter rows are right-padded).
    public var seq: Int
    /// Input ids [B·T], row-major; padding uses `padId`.
    public var tokens: [Int32]
    /// Next-token targets [B·T]: tokens[b, t+1], or -1 where nothing is scored (padding, masked).
    public var targets: [Int32]

    public init(batch: Int, seq: Int, tokens: [Int32], targets: [Int32]) {
        precondition(tokens.count == batch * seq && targets.count == batch * seq)
        self.batch = batch; self.seq = seq; self.tokens = tokens; self.targets = targets
    }

    /// Pads `sequences` on the right to the longest one. `lossMasks[i][t]` (optional, same length
    /// as sequence i) says whether token t is a scored *target* — false for a prompt's tokens in
    /// supervised fine-tuning. A sequence needs at least one token.
    public init(sequences: [[Int32]], lossMasks: [[Bool]]? = nil, padId: Int32 = 0) throws {
        guard !sequences.isEmpty, sequences.allSatisfy({ !$0.isEmpty }) else {
            throw EngineError.invalidInput("a training batch needs at least one non-empty sequence")
        }
        if let lossMasks, lossMasks.count != sequences.count || zip(lossMasks, sequences).contains(where: { $0.count != $1.count }) {
            throw EngineError.invalidInput("each loss mask must have one entry per token of its sequence")
        }
        let B = sequences.count, T = sequences.map(\.count).max()!
        var tokens = [Int32](repeating: padId, count: B * T)
        var targets = [Int32](repeating: -1, count: B * T)
        for (b, s) in sequences.enumerated() {
            for t in 0..<s.count {
                tokens[b * T + t] = s[t]
                if t + 1 < s.count, lossMasks?[b][t + 1] ?? true { targets[b * T + t] = s[t + 1] }
            }
        }
        self.init(batch: B, seq: T, tokens: tokens, targets: targets)
    }

    /// Positions that carry a target.
    public var scoredCount: Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
}
