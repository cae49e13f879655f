// KTO on thumbs-up/down rows (prompt, completion, label) against a frozen reference. Each step forwards
// the rows and their mismatched KL rows (prompt i with completion i−1, built by BatchBuilder.kto) through
// the reference and — the KL rows without gradient — through the policy; KTOLoss gives the gradient with
// respect to the rows' summed log-probs, with z0 from the KL rows detached.
import Foundation

public final class KTOTrainer: StageTrainer {
    let stage = TrainingStage.kto
    let policy: OptimizedModel
    public let config: TrainingConfig
    public let ktoConfig: KTOTrainingConfig
    private let examples: [KTOExample]
    private let builder: BatchBuilder
    private let tokens: TokenCache
    private let loss: KTOLoss
    private let reference: any CausalLM

    var exampleCount: Int { examples.count }
    var slots: [(String, OptimizedModel)] { [("policy", policy)] }
    public var model: any CausalLM { policy.model }

    /// `reference` nil uses a frozen copy of the policy's initial weights.
    public init(policy model: any CausalLM, reference: (any CausalLM)?, examples: [KTOExample], tokenize: @escaping Tokenize,
                config: TrainingConfig, kto: KTOTrainingConfig = KTOTrainingConfig()) throws {
        try config.validate()
        loss = try KTOLoss(config: kto.loss)
        if let r = reference { try requireSameArchitecture(r, model, role: "reference model") }
        guard !examples.isEmpty else { throw EngineError.invalidInput("the KTO dataset is empty") }
        guard examples.count >= 2 else { throw EngineError.invalidInput("KTO needs at least 2 rows (the KL baseline pairs rows within a batch)") }
        builder = try BatchBuilder(limits: config.limits(for: model), nPositions: model.shape.contextLength)
        tokens = try TokenCache(examples.flatMap { [$0.prompt, $0.completion] }, tokenize: tokenize, vocabSize: model.shape.vocabSize)
        for chunk in stride(from: 0, to: examples.count, by: 64) where min(chunk + 64, examples.count) - chunk >= 2 {
            _ = try builder.kto(Array(examples[chunk..<min(chunk + 64, examples.count)]), tokenize: tokens.callAsFunction)
        }
        self.examples = examples; self.config = config; ktoConfig = kto
        self.reference = try reference ?? model.clone()
        policy = OptimizedModel(model: model, config: config)
    }

    public func train(hooks: TrainingHooks = .none, checkpoint: URL? = nil, resume: Bool = false) throws -> TrainingReport {
        try runStage(self, config: config, hooks: hooks, checkpoint: checkpoint, resume: resume)
    }

    func lossAndGradients(rows: [Int]) throws -> (KTOResult, TokenBatch) {
        // A batch of one (the last of an epoch) borrows a neighbour so the KL rows are mismatched.
        var rows = rows
        if rows.count == 1 { rows.append((rows[0] + 1) % examples.count) }
        let kb = try builder.kto(rows.map { examples[$0] }, tokenize: tokens.callAsFunction)
        try reference.forward(kb.kl)
        let refKL = try reference.rowLogprobs(kb.kl).sums
        try reference.forward(kb.batch)
        let ref = try reference.rowLogprobs(kb.batch).sums
        try model.forward(kb.kl)
        let polKL = try model.rowLogprobs(kb.kl).sums
        model.zeroGradients()
        try model.forward(kb.batch)
        let pol = try model.rowLogprobs(kb.batch).sums
        let result = try loss(KTOLogProbs(policy: pol, reference: ref, desirable: kb.desirable, policyKL: polKL, referenceKL: refKL))
        model.rowLogprobBackward(kb.batch, rowGrads: result.dPolicy)
        model.backward()
        return (result, kb.batch)
    }

    func step(rows: [Int], lr: Float, rng: inout SeededRNG) throws -> ObjectiveMetrics {
        let (result, batch) = try lossAndGradients(rows: rows)
        let norm = try policy.update(lr: lr, context: "KTO")
        var m = result.metrics
        m["grad_norm"] = Double(norm); m["tokens"] = Double(batch.realTokens)
        return m
    }
}
