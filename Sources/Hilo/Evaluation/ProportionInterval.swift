// A confidence interval for a proportion, by Wilson's score method (Wilson 1927). Unlike the textbook
// p ± z·√(p(1−p)/n), it stays inside [0, 1], is not degenerate at 0 or n successes, and keeps close to
// its nominal coverage for the small n a human evaluation campaign has.
import Foundation

public struct ProportionInterval: Sendable, Equatable, Codable {
    /// The lower bound, in [0, 1].
    public var lower: Double
    /// The upper bound, in [0, 1].
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// The Wilson score interval for `successes` out of `trials`.
    ///
    /// `successes` may be fractional (ties counted as half a win). With no trials nothing is known and
    /// the interval is the whole [0, 1].
    ///
    ///     center = (p̂ + z²/2n) / (1 + z²/n),  half = z/(1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²)
    public static func wilson(successes: Double, trials: Double, confidence: Double = 0.95) -> ProportionInterval {
        precondition(trials >= 0 && successes >= 0 && successes <= trials, "successes must lie in 0...trials")
        guard trials > 0 else { return ProportionInterval(lower: 0, upper: 1) }
        let z = Distributions.normalCritical(confidence: confidence)
        let n = trials, p = successes / trials, z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        // Clamp rounding only: mathematically the bounds lie in [0, 1] and equal 0 or 1 at p̂ = 0 or 1.
        return ProportionInterval(lower: max(0, center - half), upper: min(1, center + half))
    }

    /// Whether `value` lies inside the closed interval.
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }
}
