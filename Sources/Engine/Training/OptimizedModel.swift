// One model under optimisation: the GPT2, its AdamW state and the tensors that train (from the
// config's freezing). The trainers compute gradients with the model's forward/heads/backward; this
// applies the step: gradient-norm check (a non-finite norm stops the run before any weight changes),
// clipping, AdamW at the step's learning rate.
import Foundation

final class OptimizedModel {
    let model: GPT2
    let adam: AdamW
    private(set) var trainable: [ParameterLayout.Tensor]

    init(model: GPT2, config: TrainingConfig) {
        model.freezing = config.freezing
        self.model = model
        adam = AdamW(layout: model.layout, config: config.adamW())
        trainable = model.layout.tensors.filter { model.isTrainable($0) }
    }

    /// Clips and applies the accumulated gradients. Returns the norm before clipping.
    @discardableResult
    func update(lr: Float, context: String) throws -> Float {
        let norm = gradientNorm(model.grads, tensors: trainable)
        guard norm.isFinite else { throw NonFiniteError(quantity: "grad_norm", value: Double(norm), context: context) }
        // Clipping is a factor AdamW applies as it reads each gradient (no second norm, no pass rewriting them).
        let scale = adam.config.maxGradNorm.map { clipScale(norm: norm, maxNorm: $0) } ?? 1
        adam.update(params: model.params, grads: model.grads, tensors: trainable, lr: lr, gradScale: scale)
        return norm
    }
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
