// The language-modelling training step: gradient accumulation over micro-batches, global
// gradient clipping, the learning-rate schedule and AdamW on the trainable tensors only.
// Deterministic: the same weights, batches and hyper-parameters give the same bits.

public struct TrainStepResult: Sendable, Equatable {
    /// Mean cross-entropy over every scored token of every micro-batch.
    public var loss: Float
    /// Global gradient norm before clipping.
    public var gradNorm: Float
    /// The learning rate this step used.
    public var learningRate: Float
    /// Scored tokens in the step.
    public var tokens: Int
}

public final class Trainer {
    public let model: GPT2
    public let optimizer: AdamW
    public var schedule: LRSchedule
    /// The tensors the optimizer updates (from the model's freezing when the trainer was made).
    public let trainable: [ParameterLayout.Tensor]

    public init(model: GPT2, optimizer config: AdamWConfig, schedule: LRSchedule) {
        self.model = model
        optimizer = AdamW(layout: model.layout, config: config)
        self.schedule = schedule
        trainable = model.layout.tensors.filter { model.isTrainable($0) }
    }

    /// Optimizer steps taken.
    public var step: Int { optimizer.step }

    /// One optimizer step over `microBatches` (gradient accumulation): the loss is the mean over all
    /// their scored tokens, exactly as if they were one batch.
    @discardableResult
    public func step(_ microBatches: [TrainingBatch]) throws -> TrainStepResult {
        let total = microBatches.reduce(0) { $0 + $1.scoredCount }
        guard total > 0 else { throw EngineError.invalidInput("the step has no scored tokens") }
        model.zeroGradients(of: trainable)
        var loss: Float = 0
        for mb in microBatches {
            try model.forward(tokens: mb.tokens, batch: mb.batch, seq: mb.seq)
            loss += try model.crossEntropyBackward(targets: mb.targets, scale: 1 / Float(total))
            model.backward()
        }
        // Clipping is a factor AdamW applies as it reads each gradient (no pass rewriting them).
        let norm = gradientNorm(model.grads, tensors: trainable)
        let scale = optimizer.config.maxGradNorm.map { clipScale(norm: norm, maxNorm: $0) } ?? 1
        let lr = schedule.learningRate(at: optimizer.step)
        optimizer.update(params: model.params, grads: model.grads, tensors: trainable, lr: lr, gradScale: scale)
        return TrainStepResult(loss: loss, gradNorm: norm, learningRate: lr, tokens: total)
    }
}
