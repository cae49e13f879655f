// A sample mean with its Student-t confidence interval: mean reward, mean KL. The t interval (rather
// than ±1.96 standard errors) keeps the stated coverage for the 20–100 prompts of a typical evaluation.
import Foundation

public struct MeanEstimate: Sendable, Equatable, Codable {
    /// The sample mean (0 for an empty sample).
    public var mean: Double
    /// The confidence interval of the mean; equal to the mean with fewer than two values.
    public var lower: Double
    public var upper: Double
    /// The sample standard deviation (n − 1 in the denominator; 0 with fewer than two values).
    public var standardDeviation: Double
    /// The number of values.
    public var count: Int
    public var confidence: Double

    /// The mean of `values` with a two-sided t interval at `confidence`. Throws on a non-finite value.
    public init(_ values: [Double], confidence: Double = 0.95) throws {
        guard confidence > 0, confidence < 1 else { throw EvaluationError.invalid("confidence must lie strictly between 0 and 1") }
        guard values.allSatisfy(\.isFinite) else { throw EvaluationError.invalid("values must be finite numbers") }
        let n = values.count
        self.count = n
        self.confidence = confidence
        guard n > 0 else {
            (mean, lower, upper, standardDeviation) = (0, 0, 0, 0)
            return
        }
        let mean = values.reduce(0, +) / Double(n)
        self.mean = mean
        guard n > 1 else {
            (lower, upper, standardDeviation) = (mean, mean, 0)
            return
        }
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
        let t = Distributions.studentTQuantile(0.5 + confidence / 2, degreesOfFreedom: Double(n - 1))
        let half = t * sd / Double(n).squareRoot()
        standardDeviation = sd
        lower = mean - half
        upper = mean + half
    }
}
