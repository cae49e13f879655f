// Learning-rate schedules: linear warmup, then constant, linear or cosine decay to a floor.
import Foundation

public struct LRSchedule: Codable, Sendable, Equatable {
    public enum Decay: String, Codable, Sendable { case constant, linear, cosine }
    /// The learning rate reached at the end of warmup.
    public var peak: Float
    /// Steps of linear warmup from peak/warmupSteps to peak; 0 starts at peak.
    public var warmupSteps: Int
    /// The total number of optimizer steps; decay reaches `minLR` at the last one.
    public var totalSteps: Int
    /// How the rate falls after warmup.
    public var decay: Decay
    /// The floor the decay ends at (nanoGPT uses peak/10).
    public var minLR: Float

    public init(peak: Float, warmupSteps: Int = 0, totalSteps: Int, decay: Decay = .cosine, minLR: Float = 0) {
        self.peak = peak; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
        self.decay = decay; self.minLR = minLR
    }

    /// The rate for optimizer step `step` (0-based).
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
        switch decay {
        case .constant: return peak
        case .linear: return peak + (minLR - peak) * Float(progress)
        case .cosine: return minLR + (peak - minLR) * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
