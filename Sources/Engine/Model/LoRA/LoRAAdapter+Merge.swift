// Merging an adapter into its base for serving and export, as PEFT's merge_and_unload does:
//     nn.Linear  W[out, in] += s · B · A
//     Conv1D     W[in, out] += s · (B · A)ᵀ = s · Aᵀ · Bᵀ      (GPT-2, fan_in_fan_out)
// The merged weights decode at the base model's speed (one product per projection, the KV-cache
// paths unchanged) and save as an ordinary model folder.

extension LoRAAdapter {
    /// Adds every adapted projection's s · B·A into the base weights `params` (a base model's layout).
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
}
