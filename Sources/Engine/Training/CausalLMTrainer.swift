// Causal language modelling: domain pretraining on raw text (documents joined with EOS, cut into blocks
// of maxLength tokens, PretrainingBlocks) and supervised fine-tuning on prompt/completion pairs with the
// loss on completion tokens only (BatchBuilder.sft; the completion ends with EOS). The loss is the mean
// token cross-entropy of the batch, through the model's fused LM-head backward.
import Foundation

public final class CausalLMTrainer: StageTrainer {
    enum Data { case blocks(PretrainingBlocks), sft([SFTExample]) }

    let stage: TrainingStage
    let policy: OptimizedModel
    public let config: TrainingConfig
    private let data: Data
    private let builder: BatchBuilder
    private let tokens: TokenCache

    var exampleCount: Int {
        switch data { case .blocks(let b): return b.count; case .sft(let e): return e.count }
    }
    var slots: [(String, OptimizedModel)] { [("model", policy)] }
    public var model: any CausalLM { policy.model }

    /// Pretraining on documents (raw text), in blocks of the config's maxLength (default n_positions).
    public init(model: any CausalLM, documents: [String], tokenize: @escaping Tokenize, config: TrainingConfig) throws {
        try config.validate()
        let limits = config.limits(for: model)
        builder = try BatchBuilder(limits: limits, nPositions: model.shape.contextLength)
        guard !documents.allSatisfy(\.isEmpty) else { throw EngineError.invalidInput("the pretraining dataset is empty") }
        tokens = try TokenCache(documents, tokenize: tokenize, vocabSize: model.shape.vocabSize)
        let blocks = try PretrainingBlocks(documents: documents, tokenize: tokens.callAsFunction, eosTokenId: limits.eosTokenId,
                                           blockSize: limits.maxLength, keepTail: true, vocabSize: model.shape.vocabSize)
        data = .blocks(blocks); stage = .pretrain; self.config = config
        policy = OptimizedModel(model: model, config: config)
    }

    /// Supervised fine-tuning on prompt/completion pairs.
    public init(model: any CausalLM, examples: [SFTExample], tokenize: @escaping Tokenize, config: TrainingConfig) throws {
        try config.validate()
        guard !examples.isEmpty else { throw EngineError.invalidInput("the SFT dataset is empty") }
        builder = try BatchBuilder(limits: config.limits(for: model), nPositions: model.shape.contextLength)
        tokens = try TokenCache(examples.flatMap { [$0.prompt, $0.completion] }, tokenize: tokenize, vocabSize: model.shape.vocabSize)
        for chunk in stride(from: 0, to: examples.count, by: 64) {   // every row builds (fails now, not mid-run)
            _ = try builder.sft(Array(examples[chunk..<min(chunk + 64, examples.count)]), tokenize: tokens.callAsFunction)
        }
        data = .sft(examples); stage = .sft; self.config = config
        policy = OptimizedModel(model: model, config: config)
    }

    /// Trains to the end, or until `hooks.shouldStop()` (then a resumable checkpoint is written at `checkpoint`).
    public func train(hooks: TrainingHooks = .none, checkpoint: URL? = nil, resume: Bool = false) throws -> TrainingReport {
        try runStage(self, config: config, hooks: hooks, checkpoint: checkpoint, resume: resume)
    }

    func batch(_ rows: [Int]) throws -> TokenBatch {
        switch data {
        case .blocks(let b): return b.batch(rows)
        case .sft(let e): return try builder.sft(rows.map { e[$0] }, tokenize: tokens.callAsFunction)
        }
    }

    /// The mean cross-entropy of the batch and its gradients, without updating (the golden tests call this).
    func lossAndGradients(rows: [Int]) throws -> (loss: Float, batch: TokenBatch) {
        let b = try batch(rows)
        return (try policy.crossEntropyGradients([b], context: stage.rawValue).loss, b)
    }

    func step(rows: [Int], lr: Float, rng: inout SeededRNG) throws -> ObjectiveMetrics {
        let b = try batch(rows)
        let r = try policy.languageModelStep([b], lr: lr, context: stage.rawValue)
        return ["loss": Double(r.loss), "grad_norm": Double(r.gradNorm), "tokens": Double(b.realTokens)]
    }
}
