// The hyperparameters of a retraining run: how the reward model is refreshed and how the policy is
// updated. Chosen for small GPT-2-family models on a CPU (the starter is 4 layers, 128 wide): a run on
// 50–200 new pairs must finish in well under a minute and move the policy visibly without wrecking
// it. A run stores the recipe it used in `training_runs.config`, so a result can be traced back.
import Engine
import Foundation

public struct RetrainingRecipe: Codable, Sendable, Equatable {
    /// Reward-model refresh.
    public struct Reward: Codable, Sendable, Equatable {
        /// 1e-3: the score head starts near zero and must move within a few dozen steps. On the
        /// starter this reached 66% held-out accuracy at 200 pairs (58% at 100; chance at 50), see
        /// the README's simulated-loop table.
        public var learningRate: Float = 1e-3
        /// Three passes: the labels are few and each pair is informative.
        public var epochs: Int = 3
        /// Pairs per step: 8 keeps a step short (progress and cancellation stay responsive).
        public var batchSize: Int = 8
        /// A bound on the phase's steps, so a run's length does not grow with the whole label history.
        public var maxSteps: Int = 80
        /// Held-out share for the reported accuracy (eval/accuracy in the version's metrics).
        public var evalFraction: Double = 0.1
        public init() {}
    }

    /// Policy update (dpo, ipo, kto, ppo).
    public struct Policy: Codable, Sendable, Equatable {
        /// 1e-4: on a tiny model DPO needs a larger rate than GPT-2-small fine-tuning (~5e-6) to move
        /// at all in ~75 steps; at 3e-4 and more the simulated loop lost points at 50 pairs.
        public var learningRate: Float = 1e-4
        /// β 0.1: TRL's default; the KL leash to the reference.
        public var beta: Double = 0.1
        /// RPO's NLL weight on the chosen responses (dpo/ipo): keeps the chosen answers likely while
        /// the margin grows, which tiny models otherwise forget (their log-probs both fall).
        /// α 1: the simulated loop's best (plain DPO lost 1–7 points on the starter; α 1 gained 9 at
        /// 200 pairs).
        public var rpoAlpha: Double? = 1
        /// Three passes over every label so far.
        public var epochs: Int = 3
        public var batchSize: Int = 8
        /// A bound on the phase's steps (PPO: rollouts).
        public var maxSteps: Int = 80
        /// PPO: prompts per rollout and tokens sampled per prompt.
        public var ppoPrompts: Int = 64
        public var ppoMaxNewTokens: Int = 32
        public init() {}
    }

    public var reward = Reward()
    public var policy = Policy()
    /// Longest training row in tokens (nil: the model's context).
    public var maxLength: Int? = nil
    /// Seeds data order and new weights; the run id is added so runs differ.
    public var seed: UInt64 = 0

    public init() {}

    /// The reward phase's TrainingConfig.
    func rewardConfig(runID: Int64) -> TrainingConfig {
        TrainingConfig(learningRate: reward.learningRate, epochs: reward.epochs, batchSize: reward.batchSize, maxSteps: reward.maxSteps,
                       warmupSteps: 2, seed: seed &+ UInt64(runID), maxLength: maxLength)
    }

    /// The policy phase's TrainingConfig.
    func policyConfig(runID: Int64) -> TrainingConfig {
        TrainingConfig(learningRate: policy.learningRate, epochs: policy.epochs, batchSize: policy.batchSize, maxSteps: policy.maxSteps,
                       warmupSteps: 2, seed: seed &+ UInt64(runID) &+ 1, maxLength: maxLength)
    }
}
