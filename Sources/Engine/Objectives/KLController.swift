// The coefficient β of PPO's KL penalty: fixed, or adapted towards a target KL (Ziegler et al. 2019,
// TRL's AdaptiveKLController). After each rollout with observed KL k over n samples:
//     e = clip(k / target − 1, −0.2, 0.2),   β ← β·(1 + e·n / horizon)
// so β grows while the policy drifts further than the target and shrinks while it stays closer.
import Foundation

public struct KLControllerConfig: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case fixed, adaptive }

    /// fixed keeps β; adaptive steers the measured KL towards `target`.
    public var kind: Kind
    /// Starting β. TRL's PPOv2 default is 0.05 (fixed); the original adaptive setup starts at 0.2.
    public var initialCoef: Double
    /// The KL (nats per sequence, TRL's objective/kl) the adaptive controller aims for; Ziegler et al. use 6.
    public var target: Double
    /// Samples over which a 20% error changes β by 20%; larger is slower. Ziegler et al. use 10000.
    public var horizon: Double

    public init(kind: Kind = .fixed, initialCoef: Double = 0.05, target: Double = 6, horizon: Double = 10000) {
        self.kind = kind; self.initialCoef = initialCoef; self.target = target; self.horizon = horizon
    }

    public func validate() throws {
        guard initialCoef >= 0, initialCoef.isFinite else { throw EngineError.invalidConfig("KL coefficient must be ≥ 0, got \(initialCoef)") }
        if kind == .adaptive {
            guard target > 0, target.isFinite else { throw EngineError.invalidConfig("adaptive KL target must be > 0, got \(target)") }
            guard horizon > 0, horizon.isFinite else { throw EngineError.invalidConfig("adaptive KL horizon must be > 0, got \(horizon)") }
        }
    }
}

/// A value type: the trainer owns it and saves it in the checkpoint (Codable) so a resume continues with the same β.
public struct KLController: Codable, Sendable, Equatable {
    public let config: KLControllerConfig
    /// The current β.
    public private(set) var value: Double

    public init(config: KLControllerConfig) throws {
        try config.validate()
        self.config = config
        self.value = config.initialCoef
    }

    /// Feeds the KL measured on the last rollout (`samples` sequences). Throws on a non-finite KL, the
    /// PPO stop signal, without changing β.
    public mutating func update(currentKL: Double, samples: Int) throws {
        try ObjectiveMath.requireFinite(currentKL, "objective/kl", context: "KL controller")
        guard config.kind == .adaptive else { return }
        let error = min(max(currentKL / config.target - 1, -0.2), 0.2)
        value *= 1 + error * Double(samples) / config.horizon
    }
}
