// One model under optimisation: the GPT2, its AdamW state and the tensors that train (from the
// config's freezing). The trainers compute gradients with the model's forward/heads/backward; this
// applies the step: gradient-norm check (a non-finite norm stops the run before any weight changes),
// clipping, AdamW at the step's learning rate. The causal-LM step (pretraining, SFT, the benchmark)
// is here in full: gradient accumulation over micro-batches, the non-finite checks, the update.
import Foundation

public final class OptimizedModel {
    public let model: GPT2
    public let adam: AdamW
    public private(set) var trainable: [ParameterLayout.Tensor]

    /// The model as it is frozen now (`model.freezing`), updated by AdamW with `adamW`. With a LoRA
    /// adapter only the adapter trains: AdamW's moments and the checkpoint cover its buffer alone.
    public init(model: GPT2, adamW: AdamWConfig) {
        self.model = model
        adam = AdamW(layout: model.lora?.layout ?? model.layout, config: adamW)
        let first = model.firstTrainableLayer   // layer freezing combines with LoRA: adapters below it stay as they are
        trainable = model.lora?.layout.tensors.filter { ($0.layer ?? 0) >= first } ?? model.layout.tensors.filter { model.isTrainable($0) }
    }

    /// The buffer the optimizer updates: the adapter's with LoRA, the model's otherwise (and its gradients).
    public var trainedParams: ParameterBuffer { model.lora?.params ?? model.params }
    public var trainedGrads: ParameterBuffer { model.lora?.grads ?? model.grads }

    /// A stage's model: the config's freezing and AdamW settings.
    convenience init(model: GPT2, config: TrainingConfig) {
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

extension GPT2 {
    /// Forward on a TokenBatch's ids.
    func forward(_ b: TokenBatch) throws {
        try forward(tokens: b.inputIds.map { Int32(truncatingIfNeeded: $0) }, batch: b.rows, seq: b.width)
    }

    /// After `forward(b)`: log p of every target (0 elsewhere), and the sums over each row's targets.
    func rowLogprobs(_ b: TokenBatch) throws -> (perToken: [Float], sums: [Double]) {
        let lp = try tokenLogprobs(targets: b.targets.map { Int32(truncatingIfNeeded: $0) })
        var sums = [Double](repeating: 0, count: b.rows)
        for p in 0..<lp.count where b.targets[p] >= 0 { sums[p / b.width] += Double(lp[p]) }
        return (lp, sums)
    }

    /// The backward of a loss on the per-row sums: dL/d(sum of row b) spread over the row's targets.
    func rowLogprobBackward(_ b: TokenBatch, rowGrads: [Double]) {
        var w = [Float](repeating: 0, count: b.rows * b.width)
        for p in 0..<w.count where b.targets[p] >= 0 { w[p] = Float(rowGrads[p / b.width]) }
        logprobBackward(weights: w)
    }

    /// Runs `body` with `adapter` in place of this model's own (nil: the base alone), e.g. a LoRA
    /// policy's reference log-probs from the same weights.
    func withAdapter<T>(_ adapter: LoRAAdapter?, _ body: () throws -> T) rethrows -> T {
        let own = lora
        lora = adapter
        defer { lora = own }
        return try body()
    }

    /// Copies the weights of every tensor `other` shares with this model (a reward model from a policy).
    func copyWeights(from other: ParameterBuffer) {
        for t in layout.tensors {
            guard let o = other.layout.tensor(named: t.name), o.shape == t.shape else { continue }
            params[t.name].update(from: other[t.name], count: t.count)
        }
    }

    /// A new model with this one's config and weights (frozen references), with or without a score head.
    func clone(scoreHead: Bool? = nil) throws -> GPT2 {
        let m = try GPT2(config: config, scoreHead: scoreHead ?? layout.hasScoreHead)
        m.copyWeights(from: params)
        m.lora = try lora?.clone()
        return m
    }

    /// The same weights in a language-model layout (drops a shared value head before saving a policy).
    func languageModelParameters() -> ParameterBuffer {
        guard layout.hasScoreHead else { return params }
        let out = ParameterBuffer(layout: ParameterLayout(config: config, scoreHead: false))
        for t in out.layout.tensors { out[t.name].update(from: params[t.name], count: t.count) }
        return out
    }
}
