// LoRA in a training run: the policy's base stays frozen and a new adapter (`lora`) or a loaded one
// (`adapter`, or a `--model` that is itself an adapter folder) trains alone; the run writes an adapter
// folder in PEFT's format that names its base (base_model_name_or_path) and carries the tokenizer
// files. The DPO reference is the base with the adapter off, or a frozen copy of a loaded adapter.
import Foundation

/// The settings of a new adapter, as TRL's and PEFT's command lines spell them.
public struct LoRATrainingConfig: Sendable, Equatable {
    /// The rank r (PEFT's default is 8).
    public var r: Int
    /// lora_alpha; nil takes 2·r, the usual choice in TRL's and PEFT's examples.
    public var alpha: Double?
    /// target_modules; nil takes PEFT's defaults for the family (GPT-2 c_attn; Llama q_proj, v_proj).
    public var targets: LoRAConfig.Targets?
    /// lora_dropout; Hilo trains without dropout, so only 0 is accepted.
    public var dropout: Double
    /// rsLoRA's α/√r scaling instead of α/r.
    public var rslora: Bool

    public init(r: Int, alpha: Double? = nil, targets: LoRAConfig.Targets? = nil, dropout: Double = 0, rslora: Bool = false) {
        self.r = r; self.alpha = alpha; self.targets = targets; self.dropout = dropout; self.rslora = rslora
    }
}

extension TrainingJob {
    /// The stages LoRA trains here (the reward head and PPO's value model are not wired yet).
    static let loraStages: Set<TrainingStage> = [.pretrain, .sft, .dpo, .ipo, .kto]

    /// Where the run starts when `model` is an adapter folder: its base and the adapter to continue.
    func resolvedStart() throws -> (model: ModelSource, adapter: URL?) {
        if case .folder(let url) = model, LoRAAdapter.isAdapterOnly(url) {
            guard adapter == nil else { throw EngineError.invalidInput("--model \(url.path) is an adapter folder; give the base as --model with --adapter") }
            return (.folder(try LoRAAdapter.baseFolder(of: url)), url)
        }
        return (model, adapter)
    }

    /// Checks the LoRA options against the stage before any work.
    func validateLoRA(adapter: URL?) throws {
        guard lora != nil || adapter != nil else { return }
        guard Self.loraStages.contains(stage) else {
            throw EngineError.invalidInput("LoRA trains the pretrain, sft, dpo, ipo and kto stages; \(stage.rawValue) trains the full model")
        }
        if lora != nil && adapter != nil { throw EngineError.invalidInput("give --lora-r for a new adapter or --adapter to continue one, not both") }
        if let l = lora {
            guard l.r > 0 else { throw EngineError.invalidInput("--lora-r must be a positive rank, got \(l.r)") }
            guard l.dropout == 0 else { throw EngineError.invalidInput("--lora-dropout \(l.dropout): Hilo's LoRA trains without dropout (give 0)") }
        }
    }

    /// Puts the run's adapter on `policy` (loaded from `adapter`, or new from `lora` with PEFT's
    /// initialisation, seeded), naming `base` as its base model.
    func attachAdapter(to policy: any CausalLM, base: URL, adapter: URL?) throws {
        let family = LoRABase(model: policy)
        let attached: LoRAAdapter
        if let adapter {
            let loaded = try LoRAAdapter.load(from: adapter, base: family).0
            var config = loaded.config
            config.baseModelNameOrPath = base.standardizedFileURL.path
            config.loraDropout = 0   // an adapter trained with dropout (PEFT's 0.05 is common) continues without it
            attached = try LoRAAdapter(config: config, base: family)
            attached.params.copy(from: loaded.params)
        } else if let l = lora {
            let config = LoRAConfig(r: l.r, loraAlpha: l.alpha ?? Double(2 * l.r), useRslora: l.rslora,
                                    targetModules: l.targets ?? LoRAConfig.defaultTargets(for: family.family), fanInFanOut: family.family == .gpt2,
                                    baseModelNameOrPath: base.standardizedFileURL.path, taskType: "CAUSAL_LM")
            attached = try LoRAAdapter(config: config, base: family, file: "--lora-targets")
            var rng = SeededRNG(seed: self.config.seed ^ 0x10_7A)
            attached.initializeWeights(rng: &rng)
        } else {
            return
        }
        policy.lora = attached
    }
}
