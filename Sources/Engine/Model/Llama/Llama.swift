// A Llama-family decoder (Llama 3.x, SmolLM2/3, Qwen2, Qwen3) exactly as transformers'
// …ForCausalLM computes it in float32, on one parameter buffer (ParameterLayout(llama:)).
//
// As for GPT-2, a loss is written outside the model:
//
//     try model.forward(tokens: ids, batch: B, seq: T)      // blocks + model.norm → hiddenStates [B, T, C]
//     let loss = try model.crossEntropyBackward(targets: t, scale: 1 / n)   // or logits(into:)
//     model.backward()                                       // from the hidden-state gradient down
//
// Gradients accumulate into `grads` (same layout as `params`) until `zeroGradients()`.
import Foundation

public final class Llama: CausalLM {
    public let config: LlamaConfig
    public let layout: ParameterLayout
    /// The weights, under transformers' names and shapes.
    public let params: ParameterBuffer
    /// The gradients, same layout; accumulated by the backward functions.
    public let grads: ParameterBuffer
    /// Which tensors train; the backward stops below the lowest trainable block.
    public var freezing: Freezing = .none
    /// Whether the model has its LM head (a reward model loaded from …ForSequenceClassification
    /// has no lm_head when untied; its logits are then unavailable).
    public let languageModelHead: Bool
    /// A LoRA adapter on the blocks' projections: when set, only it trains and the base weights get
    /// no gradient (Model/LoRA/LoRAAdapter.swift).
    public var lora: LoRAAdapter?

    var acts: LlamaActivations?
    /// Each block's weight and gradient pointers, looked up once.
    let blockParams: [LlamaBlock], blockGrads: [LlamaBlock]
    /// RoPE's inverse frequencies (headDim/2), float32 as transformers computes them.
    let inverseFrequencies: [Float]
    /// Caps the LM head's rows per chunk (tests use it to exercise several chunks on a tiny model).
    var headChunkLimit: Int?
    /// Whether `tokenLogprobs` saved log-sum-exps for `logprobBackward` on the current forward,
    /// and whether the head chunk still holds all rows' logits (one chunk) for it to reuse.
    var logprobsReady = false, logitsCached = false
    /// The (B, T) of the last forward.
    public internal(set) var batch = 0, seq = 0

    /// A model with zero weights; load a checkpoint into `params` or call `initializeWeights`.
    /// `scoreHead` adds score.weight (reward and value models); `languageModelHead` false drops an
    /// untied lm_head (…ForSequenceClassification folders have none).
    public init(config: LlamaConfig, scoreHead: Bool = false, languageModelHead: Bool = true) throws {
        try config.validate()
        self.config = config
        self.languageModelHead = languageModelHead || config.tieWordEmbeddings
        layout = ParameterLayout(llama: config, scoreHead: scoreHead, languageModelHead: languageModelHead)
        params = ParameterBuffer(layout: layout)
        grads = ParameterBuffer(layout: layout)
        let (p, g) = (params, grads)
        blockParams = (0..<config.numHiddenLayers).map { LlamaBlock(p, layer: $0) }
        blockGrads = (0..<config.numHiddenLayers).map { LlamaBlock(g, layer: $0) }
        inverseFrequencies = config.inverseFrequencies
    }

    /// transformers' initialisation: N(0, std) matrices, zero biases, unit norm gains.
    /// Deterministic for the rng's seed.
    public func initializeWeights(rng: inout SeededRNG, std: Float = 0.02) {
        params.zero()
        for t in layout.tensors {
            if t.name.hasSuffix("norm.weight") || t.name.hasSuffix("layernorm.weight") {
                params[t.name].update(repeating: 1, count: t.count)
            } else if t.shape.count >= 2 {
                rng.fillNormal(params[t.name], count: t.count, std: std)
            }
        }
    }

    /// Sets every gradient to zero (with an adapter, only the adapter's: the base gets none).
    public func zeroGradients() { if let lora { lora.grads.zero() } else { grads.zero() } }

    /// The lowest block that trains.
    public var firstTrainableLayer: Int {
        config.numHiddenLayers - min(max(freezing.trainableBlocks ?? config.numHiddenLayers, 0), config.numHiddenLayers)
    }

    /// Whether the optimizer updates this tensor under `freezing`: blocks from firstTrainableLayer
    /// up; embed_tokens when the embeddings train (and, untied, when every block does: its only
    /// gradient is then the input side); model.norm, an untied lm_head and score always.
    public func isTrainable(_ t: ParameterLayout.Tensor) -> Bool {
        if let l = t.layer { return l >= firstTrainableLayer }
        guard t.name == "model.embed_tokens.weight" else { return true }
        return freezing.trainEmbeddings && (config.tieWordEmbeddings || firstTrainableLayer == 0)
    }

    /// Whether the LM head's weight gradient is accumulated (not for a frozen tied embedding).
    var headTrains: Bool { !config.tieWordEmbeddings || freezing.trainEmbeddings }

    public var shape: ModelShape {
        ModelShape(modelType: config.family.rawValue, vocabSize: config.vocabSize, width: config.hiddenSize,
                   layers: config.numHiddenLayers, contextLength: config.maxPositionEmbeddings,
                   bosTokenId: config.bosTokenId, eosTokenId: config.eosTokenId, padTokenId: config.padTokenId)
    }

    public var languageModelLayout: ParameterLayout { ParameterLayout(llama: config) }

    public func emptyCopy(scoreHead: Bool) throws -> Llama {
        try Llama(config: config, scoreHead: scoreHead, languageModelHead: layout.tensor(named: "lm_head.weight") != nil)
    }

    /// The LM head's weight [V, C]: embed_tokens when tied, lm_head otherwise (and their gradients).
    var headWeight: UnsafeMutablePointer<Float> { params[config.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"] }
    var headGradient: UnsafeMutablePointer<Float> { grads[config.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"] }

    /// The final hidden states (model.norm output) of the last forward, [B, T, C].
    public var hiddenStates: UnsafePointer<Float> {
        precondition(acts != nil, "call forward first")
        return UnsafePointer(acts!.lnf)
    }

    /// The gradient of the loss with respect to `hiddenStates`, [B, T, C]: the heads add into it,
    /// `forward` zeroes it and `backward` consumes it.
    public var hiddenGradient: UnsafeMutablePointer<Float> {
        precondition(acts != nil, "call forward first")
        return acts!.dHidden
    }

    /// Makes sure the workspace holds a (B, T) batch, growing it to a new high-water mark if needed.
    func ensureWorkspace(batch B: Int, seq T: Int) -> LlamaActivations {
        if let a = acts, a.rowCapacity >= B * T, a.attCapacity >= B * T * T { return a }
        let rows = max(B * T, acts?.rowCapacity ?? 0), att = max(B * T * T, acts?.attCapacity ?? 0)
        acts = nil  // free the old workspace before allocating the larger one
        let a = LlamaActivations(config: config, rows: rows, attention: att)
        acts = a
        return a
    }

    /// Drops the workspace (it is recreated on the next forward).
    public func releaseWorkspace() { acts = nil }
}
