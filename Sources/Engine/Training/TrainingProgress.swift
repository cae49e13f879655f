// How a training run talks to its caller: a progress callback after every step, a cancellation check
// before every step, and the report it returns. The engine never prints; the command line draws a
// progress bar from the callback and the server's retraining loop stores the metrics.
import Foundation

/// One step's progress.
public struct TrainingProgress: Sendable {
    /// Steps done so far (1-based after the first step).
    public var step: Int
    /// Steps the run will take.
    public var totalSteps: Int
    /// This step's metrics, TRL's names: "loss", "rewards/margins", "objective/kl", "tokens/s", …
    public var metrics: ObjectiveMetrics
    /// Seconds since the run (or the resumed part of it) started.
    public var elapsed: Double
    /// Problems this step revealed, as sentences (e.g. DPO's chosen log-prob falling while the margin
    /// grows); each is raised once per run and also listed in the report.
    public var warnings: [String] = []
}

/// The caller's side of a run. Both closures run on the training thread, between steps.
public struct TrainingHooks: Sendable {
    /// Called after every step.
    public var progress: @Sendable (TrainingProgress) -> Void
    /// Asked before every step; true stops the run (a resumable checkpoint is written).
    public var shouldStop: @Sendable () -> Bool

    public init(progress: @escaping @Sendable (TrainingProgress) -> Void = { _ in },
                shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.progress = progress; self.shouldStop = shouldStop
    }

    public static let none = TrainingHooks()
}

/// What a run returns.
public struct TrainingReport: Codable, Sendable {
    public var stage: TrainingStage
    /// Steps done in total (a resumed run counts the earlier ones).
    public var steps: Int
    public var totalSteps: Int
    /// false when the run was stopped (cancelled) before its last step.
    public var completed: Bool
    /// The last step's metrics.
    public var metrics: ObjectiveMetrics
    /// Held-out metrics after training (reward model: "eval/accuracy", "eval/margin").
    public var evaluation: ObjectiveMetrics
    /// Mean of each metric over the run's steps.
    public var meanMetrics: ObjectiveMetrics
    /// Wall-clock seconds of this process's part of the run.
    public var seconds: Double
    /// Tokens processed per second over the run.
    public var tokensPerSecond: Double
    /// The model folder written (completed runs), or nil.
    public var output: String?
    /// The resumable checkpoint written (stopped runs), or nil.
    public var checkpoint: String?
    /// Every warning the run raised (see TrainingProgress.warnings), in order.
    public var warnings: [String] = []
}

extension TrainingReport {
    private enum CodingKeys: String, CodingKey {
        case stage, steps, totalSteps, completed, metrics, evaluation, meanMetrics, seconds, tokensPerSecond, output, checkpoint, warnings
    }

    /// Reads reports stored before `warnings` existed too.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stage = try c.decode(TrainingStage.self, forKey: .stage)
        steps = try c.decode(Int.self, forKey: .steps)
        totalSteps = try c.decode(Int.self, forKey: .totalSteps)
        completed = try c.decode(Bool.self, forKey: .completed)
        metrics = try c.decode(ObjectiveMetrics.self, forKey: .metrics)
        evaluation = try c.decode(ObjectiveMetrics.self, forKey: .evaluation)
        meanMetrics = try c.decode(ObjectiveMetrics.self, forKey: .meanMetrics)
        seconds = try c.decode(Double.self, forKey: .seconds)
        tokensPerSecond = try c.decode(Double.self, forKey: .tokensPerSecond)
        output = try c.decodeIfPresent(String.self, forKey: .output)
        checkpoint = try c.decodeIfPresent(String.self, forKey: .checkpoint)
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
    }
}
