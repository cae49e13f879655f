// The settings of a training run, one struct shared by every stage plus one per stage. All Codable and
// Sendable so the server can store them with a retraining job and the command line can print them.
import Foundation

/// What every stage has in common: optimisation, data order, freezing, sequence limits, checkpoints.
public struct TrainingConfig: Codable, Sendable, Equatable {
    /// Peak learning rate (AdamW); small models tolerate 1e-3, GPT-2 small fine-tuning wants ~1e-5–5e-5.
    public var learningRate: Float
    /// Passes over the data; the run has epochs × ⌈rows / batchSize⌉ optimizer steps (PPO: rollouts).
    public var epochs: Int
    /// Examples per optimizer step (DPO: pairs; PPO: prompts per rollout).
    public var batchSize: Int
    /// Caps the number of steps (e.g. for a quick try); nil runs every epoch.
    public var maxSteps: Int?
    /// Linear warmup steps; a few percent of the run keeps early updates from wrecking a pretrained model.
    public var warmupSteps: Int
    /// How the learning rate falls after warmup (linear to zero is TRL's default).
    public var decay: LRSchedule.Decay
    /// Decoupled weight decay on matrices; 0 for fine-tuning (TRL's default), ~0.1 for pretraining.
    public var weightDecay: Float
    /// Clip the global gradient norm to this; nil turns clipping off. 1.0 is TRL's default.
    public var maxGradNorm: Float?
    /// Seeds the data order, sampling and any new weights, so a run is reproducible and resumable.
    public var seed: UInt64
    /// Train only the top N transformer blocks (plus ln_f and heads); nil trains all. Fewer blocks train
    /// faster because the backward stops early.
    public var trainableBlocks: Int?
    /// Whether wte/wpe (and so the tied LM head) train; freezing them saves the large embedding update.
    public var trainEmbeddings: Bool
    /// Longest row (prompt + completion, or a pretraining block); nil uses the model's n_positions.
    public var maxLength: Int?
    /// Prompt tokens kept when a row is too long (its last ones); nil is half of maxLength.
    public var maxPromptLength: Int?

    public init(learningRate: Float = 5e-5, epochs: Int = 1, batchSize: Int = 8, maxSteps: Int? = nil,
                warmupSteps: Int = 0, decay: LRSchedule.Decay = .linear, weightDecay: Float = 0,
                maxGradNorm: Float? = 1, seed: UInt64 = 0, trainableBlocks: Int? = nil, trainEmbeddings: Bool = true,
                maxLength: Int? = nil, maxPromptLength: Int? = nil) {
        self.learningRate = learningRate; self.epochs = epochs; self.batchSize = batchSize; self.maxSteps = maxSteps
        self.warmupSteps = warmupSteps; self.decay = decay; self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm; self.seed = seed; self.trainableBlocks = trainableBlocks
        self.trainEmbeddings = trainEmbeddings; self.maxLength = maxLength; self.maxPromptLength = maxPromptLength
    }

    public func validate() throws {
        func bad(_ s: String) -> EngineError { .invalidConfig(s) }
        guard learningRate > 0, learningRate.isFinite else { throw bad("learning rate must be > 0, got \(learningRate)") }
        guard epochs >= 1 else { throw bad("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw bad("batch size must be at least 1, got \(batchSize)") }
        if let m = maxSteps, m < 1 { throw bad("max steps must be at least 1, got \(m)") }
        guard warmupSteps >= 0 else { throw bad("warmup steps must be ≥ 0, got \(warmupSteps)") }
        guard weightDecay >= 0 else { throw bad("weight decay must be ≥ 0, got \(weightDecay)") }
        if let g = maxGradNorm, !(g > 0) { throw bad("max grad norm must be > 0, got \(g)") }
        if let n = trainableBlocks, n < 0 { throw bad("trainable blocks must be ≥ 0, got \(n)") }
    }

    var freezing: Freezing { Freezing(trainableBlocks: trainableBlocks, trainEmbeddings: trainEmbeddings) }

    func adamW() -> AdamWConfig {
        AdamWConfig(learningRate: learningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: weightDecay, maxGradNorm: maxGradNorm)
    }

    /// The sequence limits for a model.
    func limits(for model: any CausalLM) -> SequenceLimits {
        SequenceLimits(shape: model.shape, maxLength: maxLength, maxPromptLength: maxPromptLength)
    }
}

/// The stages `hilo train` runs.
public enum TrainingStage: String, Codable, Sendable, CaseIterable {
    case pretrain, sft, reward, dpo, ipo, kto, ppo, grpo, rloo
}

/// Reward-model training.
public struct RewardTrainingConfig: Codable, Sendable, Equatable {
    /// The Bradley–Terry loss options (centering coefficient).
    public var loss: RewardLossConfig
    /// Share of the comparisons held out to report accuracy and margin on unseen data (0 disables).
    public var evalFraction: Double

    public init(loss: RewardLossConfig = RewardLossConfig(), evalFraction: Double = 0.1) {
        self.loss = loss; self.evalFraction = evalFraction
    }
}

/// DPO and its family (ipo, hinge, robust, cDPO via label smoothing, RPO's NLL term).
public struct DPOTrainingConfig: Codable, Sendable, Equatable {
    /// The loss (type, β, label smoothing, NLL weight).
    public var loss: DPOConfig
    /// Compute the reference log-probs of every pair once before training, then free the reference
    /// model: half the forward work per step and one model less in memory.
    public var precomputeReference: Bool

    public init(loss: DPOConfig = DPOConfig(), precomputeReference: Bool = true) {
        self.loss = loss; self.precomputeReference = precomputeReference
    }
}

/// KTO on thumbs up/down rows.
public struct KTOTrainingConfig: Codable, Sendable, Equatable {
    /// β and the desirable/undesirable weights.
    public var loss: KTOConfig
    public init(loss: KTOConfig = KTOConfig()) { self.loss = loss }
}

/// PPO with a frozen reference and reward model and a trained value model.
public struct PPOTrainingConfig: Codable, Sendable, Equatable {
    /// Clip ranges, value weight, γ, λ, KL estimator, reward whitening.
    public var ppo: PPOConfig
    /// β of the per-token KL penalty: fixed or adaptive (target, horizon).
    public var kl: KLControllerConfig
    /// Scaling, normalisation and clipping of the reward model's scores.
    public var rewardNormalization: RewardNormalizerConfig
    /// Passes over each rollout (TRL's num_ppo_epochs, 4).
    public var ppoEpochs: Int
    /// Rows per policy/value update within a rollout; the rollout is split into minibatches of this size.
    public var minibatchSize: Int
    /// Tokens sampled per prompt at most.
    public var maxNewTokens: Int
    /// Sampling temperature of the rollouts (1 samples the policy itself, which PPO's ratio assumes).
    public var temperature: Float
    /// Put the value head on the policy's backbone (one model, one forward) instead of a separate value
    /// model initialised from the reward model (TRL's default, more memory, often steadier).
    public var shareValueBackbone: Bool
    /// Penalty added to the score of a rollout that did not end with EOS (TRL's missing_eos_penalty); nil off.
    public var missingEOSPenalty: Double?

    public init(ppo: PPOConfig = PPOConfig(), kl: KLControllerConfig = KLControllerConfig(),
                rewardNormalization: RewardNormalizerConfig = RewardNormalizerConfig(), ppoEpochs: Int = 4,
                minibatchSize: Int = 4, maxNewTokens: Int = 24, temperature: Float = 1, shareValueBackbone: Bool = false,
                missingEOSPenalty: Double? = nil) {
        self.ppo = ppo; self.kl = kl; self.rewardNormalization = rewardNormalization; self.ppoEpochs = ppoEpochs
        self.minibatchSize = minibatchSize; self.maxNewTokens = maxNewTokens; self.temperature = temperature
        self.shareValueBackbone = shareValueBackbone; self.missingEOSPenalty = missingEOSPenalty
    }

    public func validate() throws {
        try ppo.validate(); try kl.validate(); try rewardNormalization.validate()
        guard ppoEpochs >= 1 else { throw EngineError.invalidConfig("PPO epochs must be at least 1, got \(ppoEpochs)") }
        guard minibatchSize >= 1 else { throw EngineError.invalidConfig("PPO minibatch size must be at least 1, got \(minibatchSize)") }
        guard maxNewTokens >= 1 else { throw EngineError.invalidConfig("PPO max new tokens must be at least 1, got \(maxNewTokens)") }
        guard temperature > 0 else { throw EngineError.invalidConfig("PPO temperature must be > 0, got \(temperature)") }
    }
}
