// The hyper-parameters of a Llama-family decoder (Llama 3.x, SmolLM2/3, Qwen2, Qwen3), as read
// from a Hugging Face config.json (LlamaConfig+JSON.swift). One fixed block — RMSNorm, rotate-half
// RoPE, grouped-query causal attention, SwiGLU MLP — with the switches these families differ in.
import Foundation

public struct LlamaConfig: Sendable, Equatable {
    /// The transformers model classes this engine computes exactly.
    public enum Family: String, Sendable, CaseIterable {
        case llama, qwen2, qwen3, smollm3
        /// transformers' causal-LM class for the family (`architectures[0]`).
        public var architecture: String {
            switch self {
            case .llama: return "LlamaForCausalLM"
            case .qwen2: return "Qwen2ForCausalLM"
            case .qwen3: return "Qwen3ForCausalLM"
            case .smollm3: return "SmolLM3ForCausalLM"
            }
        }
        /// transformers' sequence-classification class for the family (reward and value models).
        public var sequenceClassification: String {
            architecture.replacingOccurrences(of: "ForCausalLM", with: "ForSequenceClassification")
        }
    }

    /// How RoPE's inverse frequencies are derived from θ.
    public enum RopeScaling: Sendable, Equatable {
        /// θ^(-2i/d), unchanged.
        case none
        /// Llama 3.1/3.2's "llama3" rule: long wavelengths divided by `factor`, a smooth ramp between.
        case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositionEmbeddings: Int)
    }

    /// Where config.json spelled θ and the scaling: top-level `rope_theta`/`rope_scaling` (files
    /// written before transformers v5) or one `rope_parameters` object (v5). Saving keeps it.
    public enum RopeSpelling: String, Sendable { case topLevel, parameters }

    /// Which model class: decides the switches config.json does not spell (Qwen2's q/k/v biases,
    /// Qwen3's q/k norms, SmolLM3's RoPE-less layers).
    public var family: Family
    /// Tokens in the vocabulary: rows of embed_tokens and of the LM head.
    public var vocabSize: Int
    /// The residual stream width C.
    public var hiddenSize: Int
    /// The SwiGLU MLP's inner width (gate_proj and up_proj rows).
    public var intermediateSize: Int
    /// Transformer blocks.
    public var numHiddenLayers: Int
    /// Query heads.
    public var numAttentionHeads: Int
    /// Key/value heads (grouped-query attention); divides numAttentionHeads. Equal = plain multi-head.
    public var numKeyValueHeads: Int
    /// Width of one head; hidden/heads unless config.json says otherwise (Qwen3: 128 with hidden 1024).
    public var headDim: Int
    /// RMSNorm epsilon; exact parity needs the file's value (1e-5 Llama, 1e-6 Qwen).
    public var rmsNormEps: Float
    /// RoPE base θ (10000 Llama 2, 500000 Llama 3, 1e6 Qwen).
    public var ropeTheta: Double
    /// RoPE frequency scaling (none, or Llama 3's rule).
    public var ropeScaling: RopeScaling
    /// How the file spelled θ and the scaling, kept so saving writes what was read.
    public var ropeSpelling: RopeSpelling
    /// The longest context the model was trained for; longer inputs are refused.
    public var maxPositionEmbeddings: Int
    /// Whether the LM head is embed_tokens itself (then `lm_head.weight` is not stored).
    public var tieWordEmbeddings: Bool
    /// Biases on q/k/v/o projections (Llama, Qwen3, SmolLM3 `attention_bias`); Qwen2 ignores it
    /// and always has q/k/v biases and no o bias.
    public var attentionBias: Bool
    /// Biases on gate/up/down projections (Llama's `mlp_bias`; the others have none).
    public var mlpBias: Bool
    /// Per layer: whether it applies RoPE. All true except SmolLM3's `no_rope_layers` zeros (NoPE layers).
    public var ropeLayers: [Bool]
    /// Special tokens: the first EOS ends generations; pad is needed for batched reward scoring.
    public var bosTokenId: Int?, eosTokenId: Int?, padTokenId: Int?

    public init(family: Family = .llama, vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int? = nil, headDim: Int? = nil, rmsNormEps: Float = 1e-6,
                ropeTheta: Double = 10000, ropeScaling: RopeScaling = .none, ropeSpelling: RopeSpelling = .parameters,
                maxPositionEmbeddings: Int = 2048, tieWordEmbeddings: Bool = false, attentionBias: Bool = false,
                mlpBias: Bool = false, ropeLayers: [Bool]? = nil,
                bosTokenId: Int? = nil, eosTokenId: Int? = nil, padTokenId: Int? = nil) {
        self.family = family; self.vocabSize = vocabSize; self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.numKeyValueHeads = numKeyValueHeads ?? numAttentionHeads
        self.headDim = headDim ?? (numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0)
        self.rmsNormEps = rmsNormEps; self.ropeTheta = ropeTheta; self.ropeScaling = ropeScaling
        self.ropeSpelling = ropeSpelling; self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings; self.attentionBias = attentionBias; self.mlpBias = mlpBias
        self.ropeLayers = ropeLayers ?? Array(repeating: true, count: max(numHiddenLayers, 0))
        self.bosTokenId = bosTokenId; self.eosTokenId = eosTokenId; self.padTokenId = padTokenId
    }

    /// q_proj rows: numAttentionHeads · headDim.
    public var qDim: Int { numAttentionHeads * headDim }
    /// k_proj and v_proj rows: numKeyValueHeads · headDim.
    public var kvDim: Int { numKeyValueHeads * headDim }
    /// Whether q_proj/k_proj/v_proj have biases.
    public var qkvBias: Bool { family == .qwen2 || attentionBias }
    /// Whether o_proj has a bias.
    public var oBias: Bool { family != .qwen2 && attentionBias }
    /// Whether q and k pass an RMSNorm over head_dim before RoPE (Qwen3's q_norm, k_norm).
    public var qkNorm: Bool { family == .qwen3 }

    /// RoPE's inverse frequencies, headDim/2 of them, as transformers computes them in float32:
    /// inv_freq[i] = 1 / θ^(2i/d), then Llama 3's rule when configured (wavelength λ = 2π/inv_freq:
    /// λ < orig/high_freq_factor keeps it, λ > orig/low_freq_factor divides it by `factor`, and
    /// between them s = (orig/λ − low)/(high − low) blends (1−s)·inv_freq/factor + s·inv_freq).
    public var inverseFrequencies: [Float] {
        let d = headDim
        return (0..<(d / 2)).map { i -> Float in
            let base = 1 / Float(pow(Float(ropeTheta), Float(2 * i) / Float(d)))
            guard case let .llama3(factor, low, high, original) = ropeScaling else { return base }
            let wavelen = 2 * Float.pi / base
            let lowWavelen = Float(Double(original) / low), highWavelen = Float(Double(original) / high)
            if wavelen < highWavelen { return base }
            if wavelen > lowWavelen { return base / Float(factor) }
            let s = (Float(original) / wavelen - Float(low)) / Float(high - low)
            return (1 - s) * base / Float(factor) + s * base
        }
    }

    /// Throws `.invalidConfig` naming the field when the numbers cannot describe a working model.
    public func validate() throws {
        func bad(_ why: String) -> EngineError { .invalidConfig(why) }
        for (name, v) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                          ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
                          ("num_key_value_heads", numKeyValueHeads), ("head_dim", headDim),
                          ("max_position_embeddings", maxPositionEmbeddings)] where v <= 0 {
            throw bad("\(name) must be positive, got \(v)")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw bad("num_key_value_heads (\(numKeyValueHeads)) must divide num_attention_heads (\(numAttentionHeads))")
        }
        guard headDim % 2 == 0 else { throw bad("head_dim (\(headDim)) must be even: RoPE rotates pairs of halves") }
        guard rmsNormEps > 0 else { throw bad("rms_norm_eps must be positive, got \(rmsNormEps)") }
        guard ropeTheta > 0 else { throw bad("rope_theta must be positive, got \(ropeTheta)") }
        guard ropeLayers.count == numHiddenLayers else {
            throw bad("no_rope_layers has \(ropeLayers.count) entries but num_hidden_layers is \(numHiddenLayers)")
        }
        if case let .llama3(factor, low, high, original) = ropeScaling {
            guard factor > 0, low > 0, high > low, original > 0 else {
                throw bad("rope scaling 'llama3' needs factor > 0, 0 < low_freq_factor < high_freq_factor and original_max_position_embeddings > 0 (got \(factor), \(low), \(high), \(original))")
            }
        }
    }
}
