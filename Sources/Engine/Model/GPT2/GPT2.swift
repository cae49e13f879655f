// GPT-2 exactly as transformers' GPT2LMHeadModel computes it, on one parameter buffer.
//
// A loss is written outside the model:
//
//     try model.forward(tokens: ids, batch: B, seq: T)      // blocks + ln_f → hiddenStates [B, T, C]
//     let loss = model.crossEntropyBackward(...)             // or tokenLogprobs + logprobBackward,
//                                                            // logits + logitsBackward, scores + scoreBackward
//     model.backward()                                       // from the hidden-state gradient down
//
// Gradients accumulate into `grads` (same layout as `params`) until `zeroGradients()`, which is
// what gradient accumulation needs. Which tensors get gradients is decided by `freezing`.
import Foundation

public final class GPT2: CausalLM {
    public let config: GPT2Config
    public let layout: ParameterLayout
    /// The weights, in Hugging Face's names, shapes and layout.
    public let params: ParameterBuffer
    /// The gradients, same layout; accumulated by the backward functions.
    public let grads: ParameterBuffer
    /// Which tensors train; the backward stops early below the first trainable block.
    public var freezing: Freezing = .none
    /// A LoRA adapter on the blocks' projections: when set, only it (and a score head) trains and the
    /// base weights get no gradient (Model/LoRA/LoRAAdapter.swift).
    public var lora: LoRAAdapter?

    var acts: Activations?
    /// Each block's weight and gradient pointers, looked up once (no string keys in the hot path).
    let blockParams: [BlockTensors], blockGrads: [BlockTensors]
    /// Caps the LM head's rows per chunk (tests use it to exercise several chunks on a tiny model).
    var headChunkLimit: Int?
    /// Whether the workspace holds the log-sum-exps of a `tokenLogprobs` call on the current forward.
    var logprobsReady = false
    /// The (B, T) of the last forward.
    public internal(set) var batch = 0, seq = 0

    /// A model with zero weights; load a checkpoint into `params` or call `initializeWeights`.
    public init(config: GPT2Config, scoreHead: Bool = false) throws {
        try config.validate()
        self.config = config
        layout = ParameterLayout(config: config, scoreHead: scoreHead)
        params = ParameterBuffer(layout: layout)
        grads = ParameterBuffer(layout: layout)
        let (p, g) = (params, grads)
        blockParams = (0..<config.nLayer).map { BlockTensors(p, layer: $0) }
        blockGrads = (0..<config.nLayer).map { BlockTensors(g, layer: $0) }
    }

    /// GPT-2's initialisation: N(0, 0.02) weights, residual projections (attn.c_proj, mlp.c_proj)
    /// N(0, 0.02/√(2·n_layer)), zero biases, unit LayerNorm gains. Deterministic for the rng's seed.
    public func initializeWeights(rng: inout SeededRNG, std: Float = 0.02) {
        params.zero()
        let projStd = std / Float(2 * config.nLayer).squareRoot()
        for t in layout.tensors {
            let p = params[t.name]
            if t.name.hasSuffix("ln_1.weight") || t.name.hasSuffix("ln_2.weight") || t.name == "ln_f.weight" {
                p.update(repeating: 1, count: t.count)
            } else if t.shape.count >= 2 {
                let s = t.name.hasSuffix("c_proj.weight") ? projStd : std
                rng.fillNormal(p, count: t.count, std: s)
            }
        }
    }

    /// Sets every gradient to zero (with an adapter: its gradients and the trainable base tensors' only,
    /// so the frozen base's gradient buffer is never touched and costs no memory).
    public func zeroGradients() {
        guard let lora else { grads.zero(); return }
        lora.grads.zero()
        zeroGradients(of: layout.tensors.filter { isTrainable($0) })
    }

    /// The lowest block that trains.
    public var firstTrainableLayer: Int {
        config.nLayer - min(max(freezing.trainableBlocks ?? config.nLayer, 0), config.nLayer)
    }

    /// Whether the optimizer updates this tensor under `freezing`.
    public func isTrainable(_ t: ParameterLayout.Tensor) -> Bool {
        if lora != nil { return t.name == "score.weight" }  // LoRA: a reward model's head trains fully (modules_to_save)
        if let l = t.layer { return l >= firstTrainableLayer }
        switch t.name {
        case "wte.weight": return freezing.trainEmbeddings
        case "wpe.weight": return freezing.trainEmbeddings && firstTrainableLayer == 0
        default: return true  // ln_f and score
        }
    }

    /// The final hidden states (ln_f output) of the last forward, [B, T, C].
    public var hiddenStates: UnsafePointer<Float> {
        precondition(acts != nil, "call forward first")
        return UnsafePointer(acts!.lnf)
    }

    /// The gradient of the loss with respect to `hiddenStates`, [B, T, C]. The head functions add
    /// into it; a custom head may too. `forward` zeroes it and `backward` consumes it.
    public var hiddenGradient: UnsafeMutablePointer<Float> {
        precondition(acts != nil, "call forward first")
        return acts!.dHidden
    }

    /// Makes sure the workspace holds a (B, T) batch, growing it to a new high-water mark if needed.
    func ensureWorkspace(batch B: Int, seq T: Int) -> Activations {
        if let a = acts, a.rowCapacity >= B * T, a.attCapacity >= B * T * T { return a }
        let rows = max(B * T, acts?.rowCapacity ?? 0)
        let att = max(B * T * T, acts?.attCapacity ?? 0)
        acts = nil  // free the old workspace before allocating the larger one
        let a = Activations(config: config, rows: rows, attention: att)
        acts = a
        return a
    }

    /// Drops the workspace (it is recreated on the next forward).
    public func releaseWorkspace() { acts = nil }

    public var shape: ModelShape {
        ModelShape(modelType: "gpt2", vocabSize: config.vocabSize, width: config.nEmbd, layers: config.nLayer,
                   contextLength: config.nPositions, bosTokenId: config.bosTokenId, eosTokenId: config.eosTokenId,
                   padTokenId: config.padTokenId)
    }

    public var languageModelLayout: ParameterLayout { ParameterLayout(config: config, scoreHead: false) }

    public func emptyCopy(scoreHead: Bool) throws -> GPT2 { try GPT2(config: config, scoreHead: scoreHead) }
}
