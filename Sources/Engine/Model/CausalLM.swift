// What every decoder Hilo trains and samples from offers the trainers, the generator and the
// server: GPT-2 (Model/GPT2/) and the Llama family (Model/Llama/) both conform, so a trainer or a
// sampler holds `any CausalLM` and never asks which architecture it has. The model computes the
// final hidden states and the heads on them (LM head, score head); losses are written outside:
//
//     try model.forward(tokens: ids, batch: B, seq: T)
//     let lp = try model.tokenLogprobs(targets: t)      // or crossEntropyBackward, scores, logits
//     model.logprobBackward(weights: dLoss_dLogprob)    // the head's backward into hiddenGradient
//     model.backward()                                  // down through the blocks that train
import COpenBLAS
import Foundation

/// Which parameters train. The backward stops below the lowest trainable block.
///
/// "Frozen embeddings" means the token (and GPT-2's position) embeddings never change. A tied LM head
/// (GPT-2, tied Llama models) is the embedding, so a frozen embedding is also a frozen LM head, and
/// the head's (large) gradient is skipped; an untied lm_head always trains. With trainable
/// embeddings but frozen lower blocks, a tied embedding trains through the LM head only (its
/// input-side gradient would need the full backward); an untied one and GPT-2's wpe stay fixed.
public struct Freezing: Codable, Sendable, Equatable {
    /// How many blocks train, counted from the top; nil trains them all.
    public var trainableBlocks: Int?
    /// Whether the embeddings (and so a tied LM head) train.
    public var trainEmbeddings: Bool

    public init(trainableBlocks: Int? = nil, trainEmbeddings: Bool = true) {
        self.trainableBlocks = trainableBlocks; self.trainEmbeddings = trainEmbeddings
    }

    /// Everything trains.
    public static let none = Freezing()
}


/// The numbers of a model that the code around it needs, whatever the architecture.
public struct ModelShape: Sendable, Equatable {
    /// config.json's model_type ("gpt2", "llama", "qwen2", "qwen3", "smollm3").
    public var modelType: String
    /// Token ids 0..<vocabSize.
    public var vocabSize: Int
    /// The residual stream width (GPT-2's n_embd, the Llama family's hidden_size).
    public var width: Int
    /// Transformer blocks.
    public var layers: Int
    /// The longest sequence the model takes (n_positions, max_position_embeddings).
    public var contextLength: Int
    /// Special tokens from config.json: sequence limits and generation read them.
    public var bosTokenId: Int?, eosTokenId: Int?, padTokenId: Int?
}

public protocol CausalLM: AnyObject {
    /// Where each tensor lives in `params`, `grads` and the optimizer's moments.
    var layout: ParameterLayout { get }
    /// The weights, under transformers' names.
    var params: ParameterBuffer { get }
    /// The gradients, same layout; accumulated by the backward functions until zeroed.
    var grads: ParameterBuffer { get }
    /// Which tensors train; the backward stops below the lowest trainable block.
    var freezing: Freezing { get set }
    /// The lowest block that trains under `freezing`.
    var firstTrainableLayer: Int { get }
    /// A LoRA adapter on the blocks' projections: when set, only it trains and the base weights get
    /// no gradient (Model/LoRA/LoRAAdapter.swift).
    var lora: LoRAAdapter? { get set }
    /// The architecture's numbers.
    var shape: ModelShape { get }
    /// The (B, T) of the last forward.
    var batch: Int { get }
    var seq: Int { get }
    /// The final hidden states of the last forward, [B, T, C].
    var hiddenStates: UnsafePointer<Float> { get }
    /// d(loss)/d(hiddenStates), [B, T, C]: heads add into it, `backward` consumes it.
    var hiddenGradient: UnsafeMutablePointer<Float> { get }
    /// The layout of this model as a plain language model (no score head).
    var languageModelLayout: ParameterLayout { get }

    /// Runs the blocks on right-padded tokens [B, T]; throws on bad ids or a too-long sequence.
    func forward(tokens: [Int32], batch: Int, seq: Int) throws
    /// The next-token cross-entropy (negative targets unscored) times `scale`, with its backward.
    func crossEntropyBackward(targets: [Int32], scale: Float) throws -> Float
    /// log p(target) per position ([B·T]; 0 where the target is negative).
    func tokenLogprobs(targets: [Int32]) throws -> [Float]
    /// The backward of a loss on `tokenLogprobs`' values: weights = d(loss)/d(logprob).
    func logprobBackward(weights: [Float])
    /// The full logits [B, T, V] of the last forward into a caller's buffer.
    func logits(into out: UnsafeMutablePointer<Float>)
    /// The score head at one position per row, [B · numLabels].
    func scores(at positions: [Int]) -> [Float]
    /// The backward of `scores`.
    func scoreBackward(_ dScores: [Float], at positions: [Int])
    /// Backpropagates `hiddenGradient` into the gradients of every trainable tensor.
    func backward()
    /// Sets every gradient to zero (with an adapter, only the adapter's: the base gets none).
    func zeroGradients()
    /// Whether the optimizer updates this tensor under `freezing`.
    func isTrainable(_ t: ParameterLayout.Tensor) -> Bool
    /// Drops the activation workspace (recreated by the next forward).
    func releaseWorkspace()
    /// A model of the same architecture with zero weights, with or without a score head.
    func emptyCopy(scoreHead: Bool) throws -> Self
}

extension CausalLM {
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

    /// Sets the gradients of `tensors` to zero (a trainer zeroes only what trains; frozen tensors'
    /// gradients are never written).
    public func zeroGradients(of tensors: [ParameterLayout.Tensor]) {
        let base = grads.base
        Parallel.slices(of: tensors, minChunk: 1 << 18) { _, t, r in
            (base + t.offset + r.lowerBound).update(repeating: 0, count: r.count)
        }
    }

    /// Copies the weights of every tensor `other` shares with this model (a reward model from a policy).
    func copyWeights(from other: ParameterBuffer) {
        for t in layout.tensors {
            guard let o = other.layout.tensor(named: t.name), o.shape == t.shape else { continue }
            params[t.name].update(from: other[t.name], count: t.count)
        }
    }

    /// A new model with this one's config and weights (frozen references), with or without a score
    /// head; a copy of its adapter too.
    func clone(scoreHead: Bool? = nil) throws -> Self {
        let m = try emptyCopy(scoreHead: scoreHead ?? layout.hasScoreHead)
        m.copyWeights(from: params)
        m.lora = try lora?.clone()
        return m
    }

    /// Runs `body` with `adapter` in place of this model's own (nil: the base alone), e.g. a LoRA
    /// policy's reference log-probs from the same weights.
    func withAdapter<T>(_ adapter: LoRAAdapter?, _ body: () throws -> T) rethrows -> T {
        let own = lora
        lora = adapter
        defer { lora = own }
        return try body()
    }

    /// The same weights in a language-model layout (drops a shared value head before saving a policy).
    func languageModelParameters() -> ParameterBuffer {
        guard layout.hasScoreHead else { return params }
        let out = ParameterBuffer(layout: languageModelLayout)
        for t in out.layout.tensors { out[t.name].update(from: params[t.name], count: t.count) }
        return out
    }

    /// PPO's value head: the `score.weight` head at every position (the reward head reads one per row).
    ///     values[r] = hidden[r, :] · score.weight[0, :]                      r over B·T rows
    func valuesAllPositions() -> [Float] {
        precondition(layout.hasScoreHead, "a value head needs the score.weight tensor")
        let rows = batch * seq, C = shape.width
        var out = [Float](repeating: 0, count: rows)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(C), 1, hiddenStates, Int32(C),
                    params["score.weight"], 1, 0, &out, 1)
        return out
    }

    /// The backward of `valuesAllPositions` from dL/d(value) per position:
    ///     dHidden[r, :] += dValues[r] · score.weight[0, :];  dW += Σ_r dValues[r] · hidden[r, :]
    func valuesBackward(_ dValues: [Float]) {
        let rows = batch * seq, C = shape.width
        precondition(dValues.count == rows)
        cblas_sger(CblasRowMajor, Int32(rows), Int32(C), 1, dValues, 1, params["score.weight"], 1, hiddenGradient, Int32(C))
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(C), 1, hiddenStates, Int32(C), dValues, 1, 1,
                    grads["score.weight"], 1)
    }
}

/// Checks that `other` has the architecture of `base` (a DPO/KTO/PPO reference must).
func requireSameArchitecture(_ other: any CausalLM, _ base: any CausalLM, role: String) throws {
    let a = other.shape, b = base.shape
    guard a.modelType == b.modelType, other.languageModelLayout == base.languageModelLayout, a.contextLength == b.contextLength else {
        throw EngineError.invalidInput("the \(role) has another architecture than the policy: model_type \(a.modelType), vocab_size \(a.vocabSize), context \(a.contextLength), width \(a.width), layers \(a.layers) vs \(b.modelType), \(b.vocabSize), \(b.contextLength), \(b.width), \(b.layers)")
    }
}
