// One model under optimisation: the model, its AdamW state and the tensors that train (from the
// config's freezing). The trainers compute gradients with the model's forward/heads/backward; this
// applies the step: gradient-norm check (a non-finite norm stops the run before any weight changes),
// clipping, AdamW at the step's learning rate. The causal-LM step (pretraining, SFT, the benchmark)
// is here in full: gradient accumulation over micro-batches, the non-finite checks, the update.
import Foundation

public final class OptimizedModel {
    public let model: any CausalLM
    public let adam: AdamW
    public private(set) var trainable: [ParameterLayout.Tensor]

    /// The model as it is frozen now (`model.freezing`), updated by AdamW with `adamW`. With a LoRA
    /// adapter only the adapter trains: AdamW's moments and the checkpoint cover its buffer alone.
    public init(model: any CausalLM, adamW: AdamWConfig) {
        self.model = model
        adam = AdamW(layout: model.lora?.layout ?? model.layout, config: adamW)
        let first = model.firstTrainableLayer   // layer freezing combines with LoRA: adapters below it stay as they are
        trainable = model.lora?.layout.tensors.filter { ($0.layer ?? 0) >= first } ?? model.layout.tensors.filter { model.isTrainable($0) }
    }

    /// The buffer the optimizer updates: the adapter's with LoRA, the model's otherwise (and its gradients).
    public var trainedParams: ParameterBuffer { model.lora?.params ?? model.params }
    public var trainedGrads: ParameterBuffer { model.lora?.grads ?? model.grads }

    /// A stage's model: the config's freezing and AdamW settings.
    convenience init(model: any CausalLM, config: TrainingConfig) {
        model.freezing = config.freezing
        self.init(model: model, adamW: config.adamW())
    }

    /// Clips and applies the accumulated gradients. Returns the norm before clipping.
    @discardableResult
    public func update(lr: Float, context: String) throws -> Float {
        let norm = gradientNorm(trainedGrads, tensors: trainable)
        guard norm.isFinite else { throw NonFiniteError(quantity: "grad_norm", value: Double(norm), context: context) }
        // Clipping is a factor AdamW applies as it reads each gradient (no second norm, no pass rewriting them).
        let scale = adam.config.maxGradNorm.map { clipScale(norm: norm, maxNorm: $0) } ?? 1
        adam.update(params: trainedParams, grads: trainedGrads, tensors: trainable, lr: lr, gradScale: scale)
        return norm
    }

    /// Zeroes the gradients, then accumulates those of the mean next-token cross-entropy over every
    /// scored target of `microBatches`, exactly as if they were one batch. Returns that mean and the
    /// number of scored targets. A non-finite loss throws before its backward runs.
    func crossEntropyGradients(_ microBatches: [TokenBatch], context: String) throws -> (loss: Float, tokens: Int) {
        let total = microBatches.reduce(0) { $0 + $1.scoredCount }
        guard total > 0 else { throw EngineError.invalidInput("a batch has no completion tokens to train on") }
        model.zeroGradients()
        var loss: Float = 0
        for b in microBatches {
            try model.forward(b)
            loss += try model.crossEntropyBackward(targets: b.targets32, scale: 1 / Float(total))
            guard loss.isFinite else { throw NonFiniteError(quantity: "loss", value: Double(loss), context: context) }
            model.backward()
        }
        return (loss, total)
    }

    /// One causal-LM optimizer step over `microBatches` (gradient accumulation) at learning rate `lr`:
    /// the cross-entropy gradients, then `update`. Stops with NonFiniteError, weights untouched, on a
    /// non-finite loss or gradient norm.
    @discardableResult
    public func languageModelStep(_ microBatches: [TokenBatch], lr: Float, context: String = "train") throws -> TrainStepResult {
        let (loss, tokens) = try crossEntropyGradients(microBatches, context: context)
        let norm = try update(lr: lr, context: context)
        return TrainStepResult(loss: loss, gradNorm: norm, learningRate: lr, tokens: tokens)
    }
}

/// What one causal-LM step did.
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
