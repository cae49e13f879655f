// Where each GPT-2 tensor lives in the one contiguous parameter buffer.
//
// Every tensor keeps Hugging Face's name (without the `transformer.` prefix) and exactly
// Hugging Face's shape and row-major layout — Conv1D weights are [in, out] — so loading a
// checkpoint is a copy per tensor and saving writes the same bytes back. Gradients and the
// AdamW moments use the same layout, so one offset addresses a tensor in all four buffers.
//
// Order is transformers' own: wte, wpe, then block 0…L-1 (ln_1, attn.c_attn, attn.c_proj,
// ln_2, mlp.c_fc, mlp.c_proj), then ln_f, then the optional `score` head. The blocks are
// contiguous in order, so "train only the top N blocks" is one contiguous tail of the buffer.
// Each tensor starts on a multiple of `alignment` floats (64 bytes) for vector loads.

public struct ParameterLayout: Sendable, Equatable {
    public struct Tensor: Sendable, Equatable {
        /// Hugging Face name without the `transformer.` prefix, e.g. "h.0.attn.c_attn.weight".
        public var name: String
        /// Hugging Face shape, e.g. [C, 3C] for c_attn.weight.
        public var shape: [Int]
        /// First float of the tensor in the buffer.
        public var offset: Int
        /// Number of floats.
        public var count: Int { shape.reduce(1, *) }
        /// AdamW decays matrices (embeddings included, as nanoGPT does), never biases or LayerNorm gains.
        public var decays: Bool { shape.count >= 2 }
        /// The block this tensor belongs to, or nil for embeddings, ln_f and score.
        public var layer: Int?
    }

    public static let alignment = 16

    public let config: GPT2Config
    /// Whether a `score.weight` [numLabels, C] head follows ln_f (reward and value models).
    public let hasScoreHead: Bool
    public let tensors: [Tensor]
    /// Total floats including alignment padding.
    public let totalCount: Int
    private let index: [String: Int]

    public init(config: GPT2Config, scoreHead: Bool = false) {
        let c = config.nEmbd, h = config.hiddenSize
        var specs: [(String, [Int], Int?)] = [
            ("wte.weight", [config.vocabSize, c], nil),
            ("wpe.weight", [config.nPositions, c], nil),
        ]
        for l in 0..<config.nLayer {
            let p = "h.\(l)."
            specs += [
                (p + "ln_1.weight", [c], l), (p + "ln_1.bias", [c], l),
                (p + "attn.c_attn.weight", [c, 3 * c], l), (p + "attn.c_attn.bias", [3 * c], l),
                (p + "attn.c_proj.weight", [c, c], l), (p + "attn.c_proj.bias", [c], l),
                (p + "ln_2.weight", [c], l), (p + "ln_2.bias", [c], l),
                (p + "mlp.c_fc.weight", [c, h], l), (p + "mlp.c_fc.bias", [h], l),
                (p + "mlp.c_proj.weight", [h, c], l), (p + "mlp.c_proj.bias", [c], l),
            ]
        }
        specs += [("ln_f.weight", [c], nil), ("ln_f.bias", [c], nil)]
        if scoreHead { specs.append(("score.weight", [config.numLabels ?? 1, c], nil)) }

        var tensors: [Tensor] = []
        var offset = 0
        for (name, shape, layer) in specs {
            tensors.append(Tensor(name: name, shape: shape, offset: offset, layer: layer))
            let n = shape.reduce(1, *)
            offset += (n + Self.alignment - 1) / Self.alignment * Self.alignment
        }
        self.config = config
        self.hasScoreHead = scoreHead
        self.tensors = tensors
        self.totalCount = offset
        self.index = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    }

    /// The tensor with this name (without the `transformer.` prefix), if the layout has it.
    public func tensor(named name: String) -> Tensor? { index[name].map { tensors[$0] } }

    /// The tensor with this name; a missing name is a programmer error.
    public subscript(name: String) -> Tensor {
        guard let i = index[name] else { preconditionFailure("no tensor \(name) in the GPT-2 layout") }
        return tensors[i]
    }

    /// Real parameters (without alignment padding), as transformers counts them.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// The buffer range [start, totalCount) that holds blocks `firstLayer…` plus ln_f and score:
    /// what an optimizer touches when only the top blocks train.
    public func trainableTail(fromLayer firstLayer: Int) -> Range<Int> {
        precondition(firstLayer >= 0 && firstLayer <= config.nLayer)
        let start = firstLayer < config.nLayer ? self["h.\(firstLayer).ln_1.weight"].offset : self["ln_f.weight"].offset
        return start..<totalCount
    }
}
