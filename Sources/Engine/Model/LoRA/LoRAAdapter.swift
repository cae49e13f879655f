// A LoRA adapter on a base model's linear projections, as PEFT's LoraLayer computes it:
//
//     y  = base(x) + s · (x · Aᵀ) · Bᵀ          A [r, in], B [out, r], s = α/r (rsLoRA α/√r)
//     h  = x · Aᵀ                                [rows, r], kept for the backward
//     dB += s · doutᵀ · h
//     dh  = s · dout · B
//     dA += dhᵀ · x
//     dx += dh · A
//
// The A and B matrices live in their own parameter buffer (ParameterLayout) under PEFT's module
// paths ("transformer.h.0.attn.c_attn.lora_A.weight"), so the AdamW state, the checkpoint and the
// saved file cover the adapter only; the base weights stay frozen and get no gradient. A model with
// `lora` set calls `forward`/`backward` after each projection (GPT2+Forward, Llama+Forward); `merge`
// folds the adapter into the base weights for serving and export.
import Foundation

public final class LoRAAdapter {
    public let config: LoRAConfig
    public let base: LoRABase
    /// A and B of every adapted projection, under PEFT's names without "base_model.model.".
    public let layout: ParameterLayout
    public let params: ParameterBuffer, grads: ParameterBuffer
    /// False runs the base model alone: the DPO reference without a second copy of the weights.
    public var enabled = true

    /// One adapted projection.
    struct Site {
        let a, b, da, db: UnsafeMutablePointer<Float>   // (r, in), (out, r) and their gradients
        let r: Int, inC: Int, outC: Int
        let scaling: Float
        /// Where its h [rows, r] starts in the workspace, in units of rowCapacity floats.
        let hColumn: Int
    }
    /// Indexed by LoRABase.site(layer:projection:); nil where nothing is adapted.
    let sites: [Site?]
    /// Σ r over the sites, and the largest r (the dh scratch's width).
    private let totalRank: Int, maxRank: Int
    private var workspace: FloatStorage?
    private(set) var rowCapacity = 0

    /// Resolves which projections `config` adapts on `base`. Throws naming `file` and the field when a
    /// target matches nothing, or matches a module Hilo does not adapt (embeddings, the LM head).
    public init(config: LoRAConfig, base: LoRABase, file: String = "adapter_config.json") throws {
        try config.validate(file: file)
        self.config = config; self.base = base
        func bad(_ why: String) -> EngineError { .badFile(path: file, reason: why) }
        var specs: [(name: String, shape: [Int], layer: Int?)] = []
        var chosen: [(site: Int, r: Int, scaling: Float, name: String)] = []
        var matchedNames = Set<String>()
        for l in 0..<base.layers where config.layersToTransform.map({ $0.contains(l) }) ?? true {
            for (p, proj) in base.projections.enumerated() {
                let path = base.path(layer: l, projection: p)
                guard LoRAConfig.matches(config.targetModules, path: path) else { continue }
                if let ex = config.excludeModules, LoRAConfig.matches(ex, path: path) { continue }
                if case .names(let names) = config.targetModules {
                    for n in names where path == n || path.hasSuffix("." + n) { matchedNames.insert(n) }
                }
                let (r, s) = config.rankAndScaling(path: path)
                specs += [(path + ".lora_A.weight", [r, proj.inC], l), (path + ".lora_B.weight", [proj.outC, r], l)]
                chosen.append((base.site(layer: l, projection: p), r, s, path))
            }
        }
        switch config.targetModules {
        case .names(let names):
            if let missing = names.first(where: { !matchedNames.contains($0) }) {
                let known = base.projections.map { $0.name.split(separator: ".").last.map(String.init)! }
                throw bad("target_modules: '\(missing)' matches no projection Hilo adapts in this \(base.family.rawValue) model (it adapts \(known.joined(separator: ", ")))")
            }
        case .regex(let p):
            if let other = base.otherModules.first(where: { LoRAConfig.fullMatch(p, $0) }) {
                throw bad("target_modules '\(p)' matches '\(other)', which Hilo does not adapt (only the blocks' linear projections)")
            }
        case .allLinear: break
        }
        guard !chosen.isEmpty else {
            throw bad("target_modules matches no module of this \(base.family.rawValue) model (layers_to_transform: \(config.layersToTransform.map { "\($0)" } ?? "all"))")
        }
        if let saved = config.modulesToSave, let m = saved.first(where: { $0 != "score" }) {
            throw bad("modules_to_save: '\(m)' is not supported (only a reward model's 'score' head)")
        }
        layout = ParameterLayout(specs: specs, layerCount: base.layers, scoreHead: false)
        params = ParameterBuffer(layout: layout); grads = ParameterBuffer(layout: layout)
        var sites = [Site?](repeating: nil, count: base.layers * base.projections.count)
        var column = 0
        for c in chosen {
            let proj = base.projections[c.site % base.projections.count]
            let aName = c.name + ".lora_A.weight", bName = c.name + ".lora_B.weight"
            sites[c.site] = Site(a: params[aName], b: params[bName], da: grads[aName], db: grads[bName],
                                 r: c.r, inC: proj.inC, outC: proj.outC, scaling: c.scaling, hColumn: column)
            column += c.r
        }
        self.sites = sites
        totalRank = column
        maxRank = chosen.map(\.r).max() ?? 0
    }

    /// PEFT's default initialisation: A ~ U(−1/√in, 1/√in) (kaiming_uniform with a = √5), B = 0, so the
    /// adapted model starts equal to the base. Deterministic for the rng's seed.
    public func initializeWeights(rng: inout SeededRNG) {
        params.zero()
        for site in sites.compactMap({ $0 }) {
            let bound = 1 / Float(site.inC).squareRoot()
            for i in 0..<(site.r * site.inC) { site.a[i] = (2 * rng.nextUniform() - 1) * bound }
        }
    }

    /// The module paths adapted, in layout order.
    public var adaptedModules: [String] {
        layout.tensors.compactMap { $0.name.hasSuffix(".lora_A.weight") ? String($0.name.dropLast(".lora_A.weight".count)) : nil }
    }

    /// Makes room for `rows` rows of h per site (a high-water mark); the models call it before a forward.
    func reserve(rows: Int) {
        guard rows > rowCapacity else { return }
        workspace = nil
        workspace = FloatStorage(count: (totalRank + maxRank) * rows)
        rowCapacity = rows
    }

    /// out[rows, outC] (row stride ldOut) += s · (inp · Aᵀ) · Bᵀ at `site`; keeps h for the backward.
    func forward(site index: Int, out: UnsafeMutablePointer<Float>, ldOut: Int? = nil, inp: UnsafePointer<Float>, rows: Int) {
        guard enabled, let s = sites[index] else { return }
        precondition(rows <= rowCapacity, "reserve the LoRA workspace before the forward")
        let h = workspace!.base + s.hColumn * rowCapacity
        sgemm(transB: true, M: rows, N: s.r, K: s.inC, inp, lda: s.inC, s.a, ldb: s.inC, beta: 0, h, ldc: s.r)
        sgemm(transB: true, M: rows, N: s.outC, K: s.r, alpha: s.scaling, h, lda: s.r, s.b, ldb: s.r, beta: 1, out, ldc: ldOut ?? s.outC)
    }

    /// The backward of `forward` at `site`: dA and dB accumulate; dinp (when given) gets dh · A added.
    func backward(site index: Int, dinp: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, ldOut: Int? = nil,
                  inp: UnsafePointer<Float>, rows: Int) {
        guard enabled, let s = sites[index] else { return }
        let ld = ldOut ?? s.outC
        let h = workspace!.base + s.hColumn * rowCapacity, dh = workspace!.base + totalRank * rowCapacity
        sgemm(transA: true, M: s.outC, N: s.r, K: rows, alpha: s.scaling, dout, lda: ld, h, ldb: s.r, beta: 1, s.db, ldc: s.r)
        sgemm(M: rows, N: s.r, K: s.outC, alpha: s.scaling, dout, lda: ld, s.b, ldb: s.r, beta: 0, dh, ldc: s.r)
        sgemm(transA: true, M: s.r, N: s.inC, K: rows, dh, lda: s.r, inp, ldb: s.inC, beta: 1, s.da, ldc: s.inC)
        if let dinp { sgemm(M: rows, N: s.inC, K: s.r, dh, lda: s.r, s.a, ldb: s.inC, beta: 1, dinp, ldc: s.inC) }
    }

    /// Whether every B is zero, so the adapted model equals its base (a new adapter).
    public var isIdentity: Bool {
        layout.tensors.allSatisfy { !$0.name.hasSuffix(".lora_B.weight") || !params.view($0.name).contains { $0 != 0 } }
    }

    /// Adds every adapted projection's s · B·A into the base weights `params` (a base model's layout), as
    /// peft's merge_and_unload: nn.Linear W[out, in] += s · B · A; GPT-2's Conv1D W[in, out] += s · Aᵀ · Bᵀ.
    /// The merged model decodes at the base's speed and saves as an ordinary model folder.
    public func merge(into params: ParameterBuffer) {
        let P = base.projections.count
        BLASThreads.engine {
            for (index, site) in sites.enumerated() {
                guard let s = site else { continue }
                let w = params[base.weightName(layer: index / P, projection: index % P)]
                switch base.family {
                case .gpt2:
                    sgemm(transA: true, transB: true, M: s.inC, N: s.outC, K: s.r, alpha: s.scaling, s.a, lda: s.inC,
                          s.b, ldb: s.r, beta: 1, w, ldc: s.outC)
                case .llama:
                    sgemm(M: s.outC, N: s.inC, K: s.r, alpha: s.scaling, s.b, lda: s.r, s.a, ldb: s.inC, beta: 1, w, ldc: s.inC)
                }
            }
        }
    }

    /// A copy with the same config and weights (a frozen reference of a loaded adapter).
    public func clone() throws -> LoRAAdapter {
        let c = try LoRAAdapter(config: config, base: base)
        c.params.copy(from: params)
        return c
    }
}
