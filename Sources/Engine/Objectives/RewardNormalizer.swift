// Reward scaling and clipping for PPO (TRL's use_score_scaling / use_score_norm / score_clip), on running
// statistics of every score seen so far (TRL's RunningMoments: batch mean and variance merged with
// Chan et al.'s parallel update). Dividing by the running std keeps the reward scale stable as the reward
// model or the policy drifts; clipping bounds the damage of an outlier score.
import Foundation

public struct RewardNormalizerConfig: Codable, Sendable, Equatable {
    /// Divide scores by the running standard deviation.
    public var scale: Bool
    /// Also subtract the running mean (only with `scale`).
    public var normalize: Bool
    /// Clip the (scaled) scores to [−clip, clip]; nil for no clipping.
    public var clip: Double?

    public init(scale: Bool = false, normalize: Bool = false, clip: Double? = nil) {
        self.scale = scale; self.normalize = normalize; self.clip = clip
    }

    public func validate() throws {
        if normalize && !scale { throw EngineError.invalidConfig("score normalisation needs score scaling on") }
        if let c = clip, !(c > 0 && c.isFinite) { throw EngineError.invalidConfig("score clip must be > 0, got \(c)") }
    }
}

/// Running mean and variance of every value seen (population variance; `std` with Bessel's correction).
public struct RunningMoments: Codable, Sendable, Equatable {
    public private(set) var mean = 0.0
    public private(set) var variance = 1.0
    public private(set) var std = 1.0
    /// Starts at a tiny count, as TRL, so the first batch sets the statistics.
    public private(set) var count = 1e-24

    public init() {}

    /// Merges a batch of at least two values.
    public mutating func update(_ xs: [Double]) {
        precondition(xs.count >= 2, "running moments need at least two values per update")
        let n = Double(xs.count)
        let bm = xs.reduce(0, +) / n
        let bv = xs.reduce(0) { $0 + ($1 - bm) * ($1 - bm) } / n
        let delta = bm - mean, total = count + n
        let m2 = variance * count + delta * delta * count * n / total + bv * n
        mean += delta * n / total
        variance = m2 / total
        std = (variance * total / (total - 1)).squareRoot()
        count = total
    }
}

/// The stateful normaliser a PPO trainer keeps (and checkpoints) across rollouts.
public struct RewardNormalizer: Codable, Sendable, Equatable {
    public let config: RewardNormalizerConfig
    public private(set) var moments = RunningMoments()

    public init(config: RewardNormalizerConfig) throws {
        try config.validate()
        self.config = config
    }

    /// Updates the running statistics with this rollout's scores (when scaling) and returns the scores to
    /// use as rewards.
    public mutating func callAsFunction(_ scores: [Double]) throws -> [Double] {
        try ObjectiveMath.requireFinite(scores, "objective/scores", context: "reward normaliser")
        var out = scores
        if config.scale {
            guard scores.count >= 2 else { throw EngineError.invalidInput("score scaling needs at least 2 scores per rollout, got \(scores.count)") }
            moments.update(scores)
            // TRL divides by std + float32 epsilon so a constant batch cannot divide by zero.
            let mean = config.normalize ? moments.mean : 0, divisor = moments.std + Double(Float.ulpOfOne)
            out = out.map { ($0 - mean) / divisor }
        }
        if let c = config.clip { out = out.map { min(max($0, -c), c) } }
        return out
    }
}
