// The options of a GRPO or RLOO run (TRL's GRPOConfig / RLOOConfig), beyond the shared TrainingConfig
// (learning rate, prompts per step = batchSize, steps, seed).
import Foundation

/// Which group-relative objective a GroupRLTrainer optimises.
public enum GroupAlgorithm: String, Codable, Sendable, CaseIterable {
    /// Group-mean baseline, optional std scaling, token-level clipped loss, optional k3 KL in the loss.
    case grpo
    /// Leave-one-out baseline, KL (k1) in the reward, sequence-level clipped loss.
    case rloo
}

public struct GroupTrainingConfig: Codable, Sendable, Equatable {
    public var algorithm: GroupAlgorithm
    /// G, completions sampled per prompt (TRL's num_generations: 8 for GRPO, 2 for RLOO); at least 2.
    public var numGenerations: Int
    /// Tokens sampled per completion at most (TRL's max_completion_length).
    public var maxNewTokens: Int
    /// Sampling temperature (1 samples the policy itself, which the importance ratios assume).
    public var temperature: Float
    /// Updates on each generation batch (TRL's num_iterations, μ in the GRPO paper); > 1 makes the ratio
    /// move away from 1, and the clip matters.
    public var numIterations: Int
    /// Rows (samples) per optimizer step; nil = the whole generation batch, one step per iteration (TRL's
    /// default, steps_per_generation = 1 without gradient accumulation).
    public var minibatchSize: Int?
    /// GRPO's advantage scaling (TRL's scale_rewards).
    public var scaleRewards: RewardScaling
    /// GRPO's clip window, KL coefficient and loss aggregation (maxCompletionLength is set from maxNewTokens).
    public var grpo: GRPOConfig
    /// RLOO's clip window, KL coefficient and advantage normalisation.
    public var rloo: RLOOConfig

    public init(algorithm: GroupAlgorithm = .grpo, numGenerations: Int? = nil, maxNewTokens: Int = 48, temperature: Float = 1,
                numIterations: Int = 1, minibatchSize: Int? = nil, scaleRewards: RewardScaling = .group,
                grpo: GRPOConfig = GRPOConfig(), rloo: RLOOConfig = RLOOConfig()) {
        self.algorithm = algorithm; self.numGenerations = numGenerations ?? (algorithm == .grpo ? 8 : 2)
        self.maxNewTokens = maxNewTokens; self.temperature = temperature; self.numIterations = numIterations
        self.minibatchSize = minibatchSize; self.scaleRewards = scaleRewards
        self.grpo = grpo; self.rloo = rloo
        self.grpo.maxCompletionLength = maxNewTokens
    }

    /// β of the algorithm in use (0: no reference model is loaded).
    public var beta: Double { algorithm == .grpo ? grpo.beta : rloo.beta }

    public func validate() throws {
        func bad(_ s: String) -> EngineError { .invalidConfig(s) }
        guard numGenerations >= 2 else { throw bad("--num-generations must be at least 2 (a group needs siblings to compare), got \(numGenerations)") }
        guard maxNewTokens >= 1 else { throw bad("--max-new-tokens must be at least 1, got \(maxNewTokens)") }
        guard temperature > 0, temperature.isFinite else { throw bad("--temperature must be > 0, got \(temperature)") }
        guard numIterations >= 1 else { throw bad("--num-iterations must be at least 1, got \(numIterations)") }
        if let m = minibatchSize { guard m >= 1 else { throw bad("--minibatch must be at least 1, got \(m)") } }
        try grpo.validate(); try rloo.validate()
    }
}
