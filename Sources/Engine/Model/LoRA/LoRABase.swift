// The linear projections a base model offers LoRA, under the module paths PEFT sees in the
// transformers model (`transformer.h.0.attn.c_attn`, `model.layers.0.self_attn.q_proj`), with
// their input and output widths. A site is (block, projection); the models call the adapter at
// each site by its index, so the hot path never matches a name.

public struct LoRABase: Sendable, Equatable {
    public enum Family: String, Sendable { case gpt2, llama }

    /// One projection of a block: its path inside the block and its widths.
    public struct Projection: Sendable, Equatable {
        /// e.g. "attn.c_attn" or "self_attn.q_proj".
        public var name: String
        public var inC: Int, outC: Int
    }

    public let family: Family
    /// Blocks in the model.
    public let layers: Int
    /// The block's projections in the order the forward runs them.
    public let projections: [Projection]
    /// Modules PEFT could target that Hilo does not adapt (a target matching them is refused).
    public let otherModules: [String]
    /// The PEFT path of block `l`'s modules, ending in a dot.
    let blockPrefix: @Sendable (Int) -> String

    public static func == (a: LoRABase, b: LoRABase) -> Bool {
        a.family == b.family && a.layers == b.layers && a.projections == b.projections
    }

    /// GPT-2's Conv1D projections (weights [in, out]); reward models have the same paths under `transformer.`.
    public init(gpt2 c: GPT2Config) {
        family = .gpt2; layers = c.nLayer
        let C = c.nEmbd, H = c.hiddenSize
        projections = [Projection(name: "attn.c_attn", inC: C, outC: 3 * C), Projection(name: "attn.c_proj", inC: C, outC: C),
                       Projection(name: "mlp.c_fc", inC: C, outC: H), Projection(name: "mlp.c_proj", inC: H, outC: C)]
        otherModules = ["lm_head", "score", "transformer.wte", "transformer.wpe"]
        blockPrefix = { "transformer.h.\($0)." }
    }

    /// The Llama family's nn.Linear projections (weights [out, in]).
    public init(llama c: LlamaConfig) {
        family = .llama; layers = c.numHiddenLayers
        let C = c.hiddenSize, I = c.intermediateSize, Q = c.qDim, KV = c.kvDim
        projections = [Projection(name: "self_attn.q_proj", inC: C, outC: Q), Projection(name: "self_attn.k_proj", inC: C, outC: KV),
                       Projection(name: "self_attn.v_proj", inC: C, outC: KV), Projection(name: "self_attn.o_proj", inC: Q, outC: C),
                       Projection(name: "mlp.gate_proj", inC: C, outC: I), Projection(name: "mlp.up_proj", inC: C, outC: I),
                       Projection(name: "mlp.down_proj", inC: I, outC: C)]
        otherModules = ["lm_head", "score", "model.embed_tokens"]
        blockPrefix = { "model.layers.\($0)." }
    }

    /// The projections of `model`'s architecture (GPT-2 or the Llama family).
    public init(model: any CausalLM) {
        if let m = model as? GPT2 { self.init(gpt2: m.config) }
        else if let m = model as? Llama { self.init(llama: m.config) }
        else { preconditionFailure("no LoRA projections for \(type(of: model))") }
    }

    /// The PEFT module path of projection `p` of block `l`.
    public func path(layer l: Int, projection p: Int) -> String { blockPrefix(l) + projections[p].name }

    /// The site index of (block, projection): what the models pass to the adapter.
    func site(layer l: Int, projection p: Int) -> Int { l * projections.count + p }

    /// The base parameter (Hilo's layout name) holding the weight of projection `p` of block `l`.
    func weightName(layer l: Int, projection p: Int) -> String {
        switch family {
        case .gpt2: return "h.\(l).\(projections[p].name).weight"
        case .llama: return path(layer: l, projection: p) + ".weight"
        }
    }
}

/// GPT-2's projections by site index within a block.
enum GPT2Projection { static let attn = 0, attnProj = 1, fc = 2, mlpProj = 3 }
/// The Llama family's projections by site index within a block.
enum LlamaProjection { static let q = 0, k = 1, v = 2, o = 3, gate = 4, up = 5, down = 6 }
