// The architecture hyper-parameters of a GPT-2 model, read from and written to a Hugging Face
// `config.json`. Field names follow transformers' GPT2Config so files map one to one.
import Foundation

public struct GPT2Config: Codable, Sendable, Equatable {
    /// Tokens in the vocabulary; rows of `wte` and columns of the tied LM head.
    public var vocabSize: Int
    /// The longest sequence the model can see; rows of `wpe`.
    public var nPositions: Int
    /// The residual stream width C.
    public var nEmbd: Int
    /// Transformer blocks.
    public var nLayer: Int
    /// Attention heads; nEmbd must divide evenly by it.
    public var nHead: Int
    /// The MLP's hidden width; transformers writes null for the default 4·nEmbd.
    public var nInner: Int?
    /// LayerNorm epsilon; GPT-2 uses 1e-5 and exact parity needs the config's value.
    public var layerNormEpsilon: Float
    /// The end-of-text token that ends generations and joins pretraining documents.
    public var eosTokenId: Int?
    /// The begin token (GPT-2 uses the same id as EOS).
    public var bosTokenId: Int?
    /// Padding for batched sequence classification; the reward model needs one set.
    public var padTokenId: Int?
    /// Outputs of a sequence-classification head (`score.weight`); 1 for reward and value models.
    public var numLabels: Int?
    /// transformers' architecture names, e.g. ["GPT2LMHeadModel"] or ["GPT2ForSequenceClassification"].
    public var architectures: [String]?
    /// Always "gpt2" for the models this engine runs.
    public var modelType: String

    public init(vocabSize: Int, nPositions: Int, nEmbd: Int, nLayer: Int, nHead: Int,
                nInner: Int? = nil, layerNormEpsilon: Float = 1e-5,
                eosTokenId: Int? = nil, bosTokenId: Int? = nil, padTokenId: Int? = nil,
                numLabels: Int? = nil, architectures: [String]? = ["GPT2LMHeadModel"]) {
        self.vocabSize = vocabSize; self.nPositions = nPositions; self.nEmbd = nEmbd
        self.nLayer = nLayer; self.nHead = nHead; self.nInner = nInner
        self.layerNormEpsilon = layerNormEpsilon
        self.eosTokenId = eosTokenId; self.bosTokenId = bosTokenId; self.padTokenId = padTokenId
        self.numLabels = numLabels; self.architectures = architectures; self.modelType = "gpt2"
    }

    /// The MLP hidden width actually used.
    public var hiddenSize: Int { nInner ?? 4 * nEmbd }
    /// Width of one attention head.
    public var headSize: Int { nEmbd / nHead }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", nPositions = "n_positions", nEmbd = "n_embd"
        case nLayer = "n_layer", nHead = "n_head", nInner = "n_inner"
        case layerNormEpsilon = "layer_norm_epsilon", eosTokenId = "eos_token_id"
        case bosTokenId = "bos_token_id", padTokenId = "pad_token_id", numLabels = "num_labels"
        case architectures, modelType = "model_type"
    }

    /// Throws when the numbers cannot describe a working model.
    public func validate() throws {
        func bad(_ why: String) -> EngineError { .invalidConfig(why) }
        guard modelType == "gpt2" else { throw EngineError.unsupportedArchitecture(modelType) }
        guard vocabSize > 0 else { throw bad("vocab_size must be positive, got \(vocabSize)") }
        guard nPositions > 0 else { throw bad("n_positions must be positive, got \(nPositions)") }
        guard nLayer > 0 else { throw bad("n_layer must be positive, got \(nLayer)") }
        guard nHead > 0, nEmbd > 0, nEmbd % nHead == 0 else {
            throw bad("n_embd (\(nEmbd)) must be a positive multiple of n_head (\(nHead))")
        }
        guard hiddenSize > 0 else { throw bad("n_inner must be positive, got \(hiddenSize)") }
        guard layerNormEpsilon > 0 else { throw bad("layer_norm_epsilon must be positive") }
    }
}
