// A training run on model folders, the API the command line and the server's retraining loop call:
// load the models and the tokenizer, check everything before any work (β, architectures, tokenizer fit,
// empty data, an existing output), train with progress and cancellation, and write the output as a
// Hugging Face model folder that appears atomically (tokenizer files copied). A stopped run leaves a
// resumable checkpoint (default: "<out>.checkpoint"); `resume` continues from it, and a completed run
// removes it.
//
//     var job = TrainingJob(stage: .dpo, model: .folder(sft), output: out, data: rows)
//     job.dpo.loss.beta = 0.1
//     let report = try job.run(hooks: TrainingHooks(progress: { … }, shouldStop: { cancelled }))
import Foundation

public struct TrainingJob: Sendable {
    /// Where the trained model starts.
    public enum ModelSource: Sendable {
        /// A Hugging Face model folder (GPT-2 or the Llama family, by its model_type) with its tokenizer.
        case folder(URL)
        /// A new model with random weights (pretraining from scratch) and a tokenizer folder.
        case scratch(GPT2Config, tokenizer: URL)
    }

    public var stage: TrainingStage
    public var model: ModelSource
    /// The frozen reference for dpo/ipo/kto/ppo; nil uses the starting model's weights.
    public var reference: URL?
    /// The reward model folder PPO scores rollouts with.
    public var rewardModel: URL?
    /// The model folder to write.
    public var output: URL
    /// Replace an existing output folder instead of failing before training.
    public var replaceOutput = false
    public var data: TrainingData
    public var config = TrainingConfig()
    public var reward = RewardTrainingConfig()
    public var dpo = DPOTrainingConfig()
    public var kto = KTOTrainingConfig()
    public var ppo = PPOTrainingConfig()
    /// GRPO and RLOO: samples per prompt, clip, β, loss type, reward scaling.
    public var group = GroupTrainingConfig()
    /// GRPO and RLOO: the reward sources, summed with their weights.
    public var rewardSources: [RewardSourceSpec] = []
    /// The resumable checkpoint's folder; nil is "<output>.checkpoint".
    public var checkpoint: URL?
    /// Train a new LoRA adapter on the frozen model instead of the model itself (TrainingJob+LoRA.swift).
    public var lora: LoRATrainingConfig?
    /// An adapter folder to continue training on the frozen model (`model` is its base).
    public var adapter: URL?

    public init(stage: TrainingStage, model: ModelSource, output: URL, data: TrainingData) {
        self.stage = stage; self.model = model; self.output = output; self.data = data
    }

    public var checkpointURL: URL { checkpoint ?? output.deletingLastPathComponent().appendingPathComponent(output.lastPathComponent + ".checkpoint") }

    /// Loads a folder into a model of its architecture (a language model as a reward model gets a
    /// new, small random score head).
    static func loadModel(_ url: URL, as kind: ModelFolder.Kind, seed: UInt64) throws -> (any CausalLM, ModelFolder.LoadedAny) {
        let loaded = try ModelFolder.loadModel(at: url, as: kind)
        let m = loaded.model
        if loaded.newTensors.contains("score.weight") {
            var rng = SeededRNG(seed: seed ^ 0x5C0E)
            let w = m.params.view("score.weight")
            for i in 0..<w.count { w[i] = rng.nextNormal() * 0.02 }
        }
        return (m, loaded)
    }

    /// Runs the job. Throws before any training on bad input; a NonFiniteError mid-run leaves the checkpoint.
    public func run(hooks: TrainingHooks = .none, resume: Bool = false) throws -> TrainingReport {
        try config.validate()
        if FileManager.default.fileExists(atPath: output.path) && !replaceOutput {
            throw EngineError.badFile(path: output.path, reason: "already exists; choose another output folder or replace it")
        }
        if resume && !FileManager.default.fileExists(atPath: checkpointURL.appendingPathComponent("state.json").path) {
            throw EngineError.badFile(path: checkpointURL.path, reason: "no checkpoint to resume from")
        }
        // Stage options that are wrong whatever the model.
        switch stage {
        case .dpo, .ipo:
            var d = dpo; d.loss.lossType = stage == .ipo ? .ipo : (d.loss.lossType == .ipo ? .sigmoid : d.loss.lossType)
            try d.loss.validate()
        case .kto: try kto.loss.validate()
        case .ppo:
            try ppo.validate()
            guard rewardModel != nil else { throw EngineError.invalidInput("PPO needs a reward model (--reward-model)") }
        case .grpo, .rloo: try validateGroup()
        default: break
        }
        guard data.count > 0 else { throw EngineError.invalidInput("the \(stage.rawValue) dataset is empty") }
        let (start, adapterURL) = try resolvedStart()
        try validateLoRA(adapter: adapterURL)

        // The model and its tokenizer.
        let tokenizerFolder: URL
        var policy: any CausalLM, generation: GenerationDefaults?
        switch start {
        case .folder(let url):
            tokenizerFolder = url
            let (m, loaded) = try Self.loadModel(url, as: stage == .reward ? .reward : .languageModel, seed: config.seed)
            policy = m; generation = loaded.generationConfig
        case .scratch(let c, let tok):
            tokenizerFolder = tok
            let scratch = try GPT2(config: c)
            var rng = SeededRNG(seed: config.seed)
            scratch.initializeWeights(rng: &rng)
            policy = scratch
            generation = nil
        }
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder)
        try tokenizer.checkFits(modelVocabSize: policy.shape.vocabSize, model: "the model (\(tokenizerFolder.path))")
        if policy.shape.eosTokenId == nil, let eos = tokenizer.eosTokenId {
            // A config without eos_token_id: take the tokenizer's, so documents and completions end right.
            policy = try Self.withEOS(policy, eos)
        }
        switch start {
        case .folder(let base): try attachAdapter(to: policy, base: base, adapter: adapterURL)
        case .scratch: if lora != nil { throw EngineError.invalidInput("LoRA adapts an existing model: give --model") }
        }
        let tokenize: Tokenize = { tokenizer.encode($0) }
        let reference = try self.reference.map { try Self.loadModel($0, as: .languageModel, seed: config.seed).0 }

        // The stage's trainer (its init checks the data and the models against each other).
        let trainer: StageTrainer
        switch (stage, data) {
        case (.pretrain, .text(let docs)):
            trainer = try CausalLMTrainer(model: policy, documents: docs, tokenize: tokenize, config: config)
        case (.sft, .sft(let rows)):
            trainer = try CausalLMTrainer(model: policy, examples: rows, tokenize: tokenize, config: config)
        case (.reward, .preferences(let pairs, let rankings)):
            trainer = try RewardTrainer(model: policy, pairs: pairs, rankings: rankings, tokenize: tokenize, config: config, reward: reward)
        case (.dpo, .preferences(let pairs, let rankings)), (.ipo, .preferences(let pairs, let rankings)):
            guard rankings.isEmpty else { throw EngineError.invalidInput("\(stage.rawValue) trains on pairs, not rankings") }
            var d = dpo
            if stage == .ipo { d.loss.lossType = .ipo } else if d.loss.lossType == .ipo { d.loss.lossType = .sigmoid }
            trainer = try DPOTrainer(policy: policy, reference: reference, examples: pairs, tokenize: tokenize, config: config, dpo: d)
        case (.kto, .kto(let rows)):
            trainer = try KTOTrainer(policy: policy, reference: reference, examples: rows, tokenize: tokenize, config: config, kto: kto)
        case (.ppo, .prompts(let prompts)):
            let (rm, loaded) = try Self.loadModel(rewardModel!, as: .reward, seed: config.seed)
            guard loaded.newTensors.isEmpty else {
                throw EngineError.badFile(path: rewardModel!.path, reason: "not a reward model (no score head): train one with `hilo train reward`")
            }
            trainer = try PPOTrainer(policy: policy, reference: reference, reward: rm, prompts: prompts, tokenize: tokenize, config: config, ppo: ppo)
        case (.grpo, .groupPrompts(let prompts)), (.rloo, .groupPrompts(let prompts)):
            trainer = try groupTrainer(policy: policy, reference: reference, prompts: prompts, tokenizer: tokenizer)
        case (.grpo, .labelledGroups(let groups)), (.rloo, .labelledGroups(let groups)):
            trainer = try labelledTrainer(policy: policy, reference: reference, groups: groups, tokenizer: tokenizer)
        default:
            throw EngineError.invalidInput("the \(stage.rawValue) stage cannot train on these rows")
        }

        var report = try runStage(trainer, config: config, hooks: hooks, checkpoint: checkpointURL, resume: resume)
        guard report.completed else { return report }
        let trained = trainer.slots[0].1.model
        if let adapter = trained.lora {
            try adapter.save(to: output, replace: replaceOutput, tokenizerFrom: tokenizerFolder)
            try? FileManager.default.removeItem(at: checkpointURL)
            report.output = output.path
            return report
        }
        let kind: ModelFolder.Kind = stage == .reward ? .reward : .languageModel
        let params = kind == .reward ? trained.params : trained.languageModelParameters()
        let shape = trained.shape
        var gen = generation ?? GenerationDefaults(eosTokenIds: shape.eosTokenId.map { [$0] } ?? [], bosTokenId: shape.bosTokenId,
                                                   padTokenId: shape.padTokenId)
        if gen.eosTokenIds.isEmpty, let eos = shape.eosTokenId { gen.eosTokenIds = [eos] }
        try ModelFolder.save(trained, parameters: params, generationConfig: gen, to: output, replace: replaceOutput,
                             tokenizerFrom: tokenizerFolder)
        try? FileManager.default.removeItem(at: checkpointURL)
        report.output = output.path
        return report
    }

    /// The model with `eos` as its eos_token_id (and bos_token_id when that is missing too), same weights.
    static func withEOS(_ model: any CausalLM, _ eos: Int) throws -> any CausalLM {
        let out: any CausalLM
        if let g = model as? GPT2 {
            var c = g.config
            c.eosTokenId = eos; c.bosTokenId = c.bosTokenId ?? eos
            out = try GPT2(config: c, scoreHead: g.layout.hasScoreHead)
        } else if let l = model as? Llama {
            var c = l.config
            c.eosTokenId = eos; c.bosTokenId = c.bosTokenId ?? eos
            out = try Llama(config: c, scoreHead: l.layout.hasScoreHead, languageModelHead: l.layout.tensor(named: "lm_head.weight") != nil)
        } else {
            return model
        }
        out.params.copy(from: model.params)
        return out
    }
}
