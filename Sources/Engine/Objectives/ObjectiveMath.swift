// Shared numerics for the alignment objectives: stable log-sigmoid, input checks that run before any
// work, and the error raised when a loss or KL stops being finite.
//
// Every objective works in Double on per-sequence (or per-token) quantities that the model computes
// (summed completion log-probs, reward scores, values). They are small arrays, so Double costs nothing
// and keeps the analytic gradients exact to ~1e-15 against the torch reference.
import Foundation

/// Metrics of one step, keyed by TRL's names ("rewards/chosen", "objective/kl", …).
public typealias ObjectiveMetrics = [String: Double]

/// Thrown when a loss, a KL estimate or a gradient is NaN or infinite: training must stop (and the
/// trainer save what it has) instead of writing NaNs into the weights.
public struct NonFiniteError: Error, CustomStringConvertible, Equatable {
    /// The quantity that went bad, with TRL's metric name where there is one ("objective/kl", "loss").
    public var quantity: String
    /// The offending value (NaN or ±inf).
    public var value: Double
    /// What the caller was doing, e.g. "PPO policy loss" or "DPO".
    public var context: String

    public var description: String {
        "\(context): \(quantity) is \(value) (not finite); training stopped before updating the weights. "
            + "Lower the learning rate, raise the KL coefficient or check the inputs."
    }
}

enum ObjectiveMath {
    /// σ(x), stable for large |x|.
    @inline(__always) static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }

    /// log σ(x) = min(x, 0) − log(1 + e^{−|x|}), stable for large |x|.
    @inline(__always) static func logSigmoid(_ x: Double) -> Double {
        min(x, 0) - log1p(exp(-abs(x)))
    }

    /// Throws `NonFiniteError` when `value` is NaN or infinite.
    static func requireFinite(_ value: Double, _ quantity: String, context: String) throws {
        guard value.isFinite else { throw NonFiniteError(quantity: quantity, value: value, context: context) }
    }

    /// Throws `NonFiniteError` naming the first non-finite element.
    static func requireFinite(_ values: [Double], _ quantity: String, context: String) throws {
        if let bad = values.first(where: { !$0.isFinite }) {
            throw NonFiniteError(quantity: quantity, value: bad, context: context)
        }
    }

    /// Checks that every array has `count` elements and that count > 0.
    static func requireBatch(_ context: String, count: Int, _ arrays: [(String, Int)]) throws {
        guard count > 0 else { throw EngineError.invalidInput("\(context): empty batch") }
        for (name, n) in arrays where n != count {
            throw EngineError.invalidInput("\(context): \(name) has \(n) elements, expected \(count)")
        }
    }

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }
}
