// How the leaderboard is fitted and reported: the prior, the anchor of the scale and the bootstrap.
import Foundation

public struct BradleyTerryConfig: Sendable, Equatable, Codable {
    /// Where score 0 is on the scale.
    public enum Anchor: Sendable, Equatable, Codable {
        /// The mean score of all versions is 0: nothing is special, the board reads as "above/below average".
        case mean
        /// This version scores 0 (e.g. the starter policy): every score reads as "better than v1 by".
        /// Its own bootstrap interval is then [0, 0] by construction.
        case version(Int64)
    }

    /// Virtual games each version plays against a fixed version of strength 0, half won and half lost.
    /// Why: without it, a version that won every game has an infinite MLE and versions in separate
    /// components of the comparison graph have no common scale. One game is a weak prior (a version
    /// with 10–0 is still far up the board) that keeps every score finite and ties each component to 0.
    /// Must be > 0.
    public var priorGames: Double = 1
    /// Why: an Elo-like scale people already read (400 points ≈ 10:1 odds); score = eloScale·log₁₀ odds.
    public var eloScale: Double = 400
    /// Why: the admin decides what "0" means on the board.
    public var anchor: Anchor = .mean
    /// Bootstrap resamples of the comparisons. Why: 1000 gives stable 2.5%/97.5% percentiles; 0 skips the
    /// intervals (then lower = upper = score).
    public var resamples: Int = 1000
    /// Why: the coverage of the bootstrap percentile intervals; 0.95 as for the side-by-side intervals.
    public var confidence: Double = 0.95
    /// Newton stops once the largest gradient entry is below this. Why: 1e-10 is far below any visible
    /// score difference yet reached in a handful of iterations.
    public var tolerance: Double = 1e-10
    /// Why: a bound on work for pathological input; Newton with a prior converges in well under 50.
    public var maxIterations: Int = 100

    public init(priorGames: Double = 1, eloScale: Double = 400, anchor: Anchor = .mean, resamples: Int = 1000,
                confidence: Double = 0.95, tolerance: Double = 1e-10, maxIterations: Int = 100) {
        self.priorGames = priorGames
        self.eloScale = eloScale
        self.anchor = anchor
        self.resamples = resamples
        self.confidence = confidence
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// Throws a readable error for values that make no sense (the config may come from an admin's JSON).
    public func validate() throws {
        guard priorGames > 0, priorGames.isFinite else { throw EvaluationError.invalid("priorGames must be a positive number") }
        guard eloScale > 0, eloScale.isFinite else { throw EvaluationError.invalid("eloScale must be a positive number") }
        guard resamples >= 0, resamples <= 100_000 else { throw EvaluationError.invalid("resamples must lie in 0...100000") }
        guard confidence > 0, confidence < 1 else { throw EvaluationError.invalid("confidence must lie strictly between 0 and 1") }
        guard tolerance > 0, maxIterations > 0 else { throw EvaluationError.invalid("tolerance and maxIterations must be positive") }
    }
}

extension BradleyTerryConfig.Anchor {
    /// JSON: the string "mean" or a version id number, as an admin would write it.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let version = try? c.decode(Int64.self) { self = .version(version); return }
        guard (try? c.decode(String.self)) == "mean" else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "anchor must be \"mean\" or a version id")
        }
        self = .mean
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .mean: try c.encode("mean")
        case .version(let v): try c.encode(v)
        }
    }
}

/// Bad input to an evaluation computation, with a message for the API's 4xx.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String { switch self { case .invalid(let m): m } }
}
