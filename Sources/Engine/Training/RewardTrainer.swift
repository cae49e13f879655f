// The reward model: a GPT-2 backbone with a scalar `score` head read at the last token of each row (the
// GPT2ForSequenceClassification layout), trained with the Bradley–Terry loss. Pairs are rankings of two;
// K-way rankings are trained as InstructGPT does: every response of a ranking forwarded once, all its
// strictly ordered pairs in one batch element, ties giving no pair (RewardLoss.ranking). A share of the
// data is held out and the run reports accuracy and margin on it.
import Foundation

public final class RewardTrainer: StageTrainer {
    let stage = TrainingStage.reward
    let policy: OptimizedModel
    public let config: TrainingConfig
    public let rewardConfig: RewardTrainingConfig
    private let trainRows: [RankingExample], heldOut: [RankingExample]
    private let builder: BatchBuilder
    private let tokens: TokenCache
    private let loss: RewardLoss

    var exampleCount: Int { trainRows.count }
    var slots: [(String, OptimizedModel)] { [("reward", policy)] }
    public var model: any CausalLM { policy.model }

    /// `model` must have a score head (load a language model `as: .reward` to start from the SFT policy).
    public init(model: any CausalLM, pairs: [PreferenceExample] = [], rankings: [RankingExample] = [], tokenize: @escaping Tokenize,
                config: TrainingConfig, reward: RewardTrainingConfig = RewardTrainingConfig()) throws {
        try config.validate()
        precondition(model.layout.hasScoreHead, "a reward model needs a score head")
        guard reward.evalFraction >= 0, reward.evalFraction < 1 else {
            throw EngineError.invalidConfig("eval fraction must be in [0, 1), got \(reward.evalFraction)")
        }
        loss = try RewardLoss(config: reward.loss)
        let all = try Self.rows(pairs: pairs, rankings: rankings)
        builder = try BatchBuilder(limits: config.limits(for: model), nPositions: model.shape.contextLength)
        tokens = try TokenCache(all.flatMap { [$0.prompt] + $0.responses }, tokenize: tokenize, vocabSize: model.shape.vocabSize)
        // The held-out split is fixed by the seed.
        var order = Array(all.indices), rng = SeededRNG(seed: config.seed ^ 0x5EED)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let nEval = all.count >= 4 ? Int((Double(all.count) * reward.evalFraction).rounded()) : 0
        heldOut = order.prefix(nEval).map { all[$0] }
        trainRows = order.dropFirst(nEval).map { all[$0] }
        for chunk in stride(from: 0, to: all.count, by: 64) {
            _ = try builder.rankings(Array(all[chunk..<min(chunk + 64, all.count)]), tokenize: tokens.callAsFunction)
        }
        self.config = config; rewardConfig = reward
        policy = OptimizedModel(model: model, config: config)
    }

    /// Pairs as rankings of two, then the rankings; each needs two responses of different rank.
    static func rows(pairs: [PreferenceExample], rankings: [RankingExample]) throws -> [RankingExample] {
        var all: [RankingExample] = []
        for p in pairs { all.append(RankingExample(prompt: p.prompt, responses: [p.chosen, p.rejected], ranks: [0, 1])) }
        all += rankings
        guard !all.isEmpty else { throw EngineError.invalidInput("the reward dataset is empty") }
        for i in all.indices where Set(all[i].ranks).count < 2 || all[i].responses.count != all[i].ranks.count {
            throw EngineError.invalidInput("reward row \(i): needs at least two responses of different rank (one rank per response)")
        }
        return all
    }

    public func train(hooks: TrainingHooks = .none, checkpoint: URL? = nil, resume: Bool = false) throws -> TrainingReport {
        try runStage(self, config: config, hooks: hooks, checkpoint: checkpoint, resume: resume)
    }

    /// Scores of every row of a batch after a forward (at each row's last token).
    private func scores(_ b: TokenBatch) -> (values: [Double], positions: [Int]) {
        let positions = b.lengths.map { $0 - 1 }
        return (model.scores(at: positions).map(Double.init), positions)
    }

    /// The loss of a batch and its gradients, without updating (the golden tests call this).
    func lossAndGradients(rows: [Int]) throws -> (RewardRankingResult, TokenBatch) {
        let rb = try builder.rankings(rows.map { trainRows[$0] }, tokenize: tokens.callAsFunction)
        model.zeroGradients()
        try model.forward(rb.batch)
        let (s, positions) = scores(rb.batch)
        let r = try loss.ranking(scores: rb.grouped(s), ranks: rb.ranks)
        model.scoreBackward(rb.flattened(r.dScores).map(Float.init), at: positions)
        model.backward()
        return (r, rb.batch)
    }

    func step(rows: [Int], lr: Float, rng: inout SeededRNG) throws -> ObjectiveMetrics {
        let (r, batch) = try lossAndGradients(rows: rows)
        let norm = try policy.update(lr: lr, context: "reward model")
        var m = r.metrics
        m["grad_norm"] = Double(norm); m["tokens"] = Double(batch.realTokens)
        return m
    }

    /// Accuracy and margin on `rows` (the held-out split by default), forward only.
    public func accuracy(on rows: [RankingExample]? = nil) throws -> ObjectiveMetrics {
        let data = rows ?? heldOut
        guard !data.isEmpty else { return [:] }
        var correct = 0.0, margin = 0.0, pairs = 0.0
        for chunk in stride(from: 0, to: data.count, by: config.batchSize) {
            let rb = try builder.rankings(Array(data[chunk..<min(chunk + config.batchSize, data.count)]), tokenize: tokens.callAsFunction)
            try model.forward(rb.batch)
            let r = try loss.ranking(scores: rb.grouped(scores(rb.batch).values), ranks: rb.ranks)
            let p = r.metrics["pairs"]!
            correct += r.metrics["accuracy"]! * p; margin += r.metrics["margin"]! * p; pairs += p
        }
        return ["eval/accuracy": correct / pairs, "eval/margin": margin / pairs, "eval/pairs": pairs]
    }

    func evaluate() throws -> ObjectiveMetrics { try accuracy() }
}
