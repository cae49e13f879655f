// Where each tensor of a model lives in the one contiguous parameter buffer, for any
// architecture: an ordered list of Hugging Face names and shapes, each at its own offset.
//
// Gradients and the AdamW moments use the same layout, so one offset addresses a tensor in all
// four buffers and the optimizer is one flat loop. Each architecture lists its tensors in
// transformers' own order (GPT-2: ParameterLayout+GPT2.swift; Llama family: LlamaLayout.swift),
// blocks contiguous in order, so "train only the top N blocks" is one contiguous tail of the
// buffer. Each tensor starts on a multiple of `alignment` floats (64 bytes) for vector loads.

public struct ParameterLayout: Sendable, Equatable {
    public struct Tensor: Sendable, Equatable {
        /// Hugging Face name without the base-model prefix, e.g. "h.0.attn.c_attn.weight" or
        /// "model.layers.0.self_attn.q_proj.weight" (the Llama family keeps its `model.` prefix).
        public var name: String
        /// Hugging Face shape, e.g. [C, 3C] for GPT-2's c_attn.weight, [out, in] for nn.Linear.
        public var shape: [Int]
        /// First float of the tensor in the buffer.
        public var offset: Int
        /// Number of floats.
        public var count: Int { shape.reduce(1, *) }
        /// AdamW decays matrices (embeddings included, as nanoGPT does), never biases or norm gains.
        public var decays: Bool { shape.count >= 2 }
        /// The block this tensor belongs to, or nil for embeddings, final norm and heads.
        public var layer: Int?
    }

    public static let alignment = 16

    /// Transformer blocks (tensors with `layer` 0..<layerCount).
    public let layerCount: Int
    /// Whether a `score.weight` [numLabels, C] head follows the final norm (reward and value models).
    public let hasScoreHead: Bool
    public let tensors: [Tensor]
    /// Total floats including alignment padding.
    public let totalCount: Int
    private let index: [String: Int]

    /// A layout of `specs` (name, shape, block) in order.
    init(specs: [(name: String, shape: [Int], layer: Int?)], layerCount: Int, scoreHead: Bool) {
        var tensors: [Tensor] = []
        var offset = 0
        for (name, shape, layer) in specs {
            tensors.append(Tensor(name: name, shape: shape, offset: offset, layer: layer))
            let n = shape.reduce(1, *)
            offset += (n + Self.alignment - 1) / Self.alignment * Self.alignment
        }
        self.layerCount = layerCount
        self.hasScoreHead = scoreHead
        self.tensors = tensors
        self.totalCount = offset
        self.index = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    }

    /// The tensor with this name, if the layout has it.
    public func tensor(named name: String) -> Tensor? { index[name].map { tensors[$0] } }

    /// The tensor with this name; a missing name is a programmer error.
    public subscript(name: String) -> Tensor {
        guard let i = index[name] else { preconditionFailure("no tensor \(name) in the parameter layout") }
        return tensors[i]
    }

    /// Real parameters (without alignment padding), as transformers counts them.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// The buffer range [start, totalCount) that holds blocks `firstLayer…` plus what follows
    /// them (final norm, heads): what an optimizer touches when only the top blocks train.
    public func trainableTail(fromLayer firstLayer: Int) -> Range<Int> {
        precondition(firstLayer >= 0 && firstLayer <= layerCount)
        let lastBlockTensor = tensors.lastIndex { $0.layer != nil } ?? -1
        let first = firstLayer < layerCount ? tensors.firstIndex { $0.layer == firstLayer } : nil
        let start = first ?? (lastBlockTensor + 1 < tensors.count ? lastBlockTensor + 1 : tensors.count)
        return (start < tensors.count ? tensors[start].offset : totalCount)..<totalCount
    }
}
