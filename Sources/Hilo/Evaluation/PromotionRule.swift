// When the loop promotes a newly trained version over the serving one, decided on a side-by-side result
// from the new version's point of view (B = new, A = serving). The decision comes with a sentence for the
// admin page saying which condition held or failed, with the numbers.
import Foundation

public struct PromotionRule: Sendable, Equatable, Codable {
    /// The statistical evidence the rule asks for.
    public enum Criterion: String, Sendable, Codable {
        /// The lower Wilson bound of the win rate over all comparisons (ties as half) exceeds 0.5.
        /// Why the default: it needs the new version to be better with confidence, and ties count.
        case wilsonLowerBound
        /// The two-sided sign test on decisive comparisons has p < alpha and B has more wins than losses.
        case signTest
        /// Both of the above.
        case both
    }

    /// Why: below this, even a perfect record is luck of a few prompts; a campaign has to finish first.
    public var minimumComparisons: Int = 30
    public var criterion: Criterion = .wilsonLowerBound
    /// Why: the confidence of the Wilson bound (0.95 matches the intervals shown to the admin).
    public var confidence: Double = 0.95
    /// Why: the sign test's significance level; 0.05 is the convention an admin expects.
    public var alpha: Double = 0.05
    /// Why: the win rate (ties as half) must also reach this, so a tiny but "significant" gain on a huge
    /// campaign does not churn the serving version. 0.5 disables it.
    public var minimumWinRate: Double = 0.5

    public init(minimumComparisons: Int = 30, criterion: Criterion = .wilsonLowerBound, confidence: Double = 0.95,
                alpha: Double = 0.05, minimumWinRate: Double = 0.5) {
        self.minimumComparisons = minimumComparisons
        self.criterion = criterion
        self.confidence = confidence
        self.alpha = alpha
        self.minimumWinRate = minimumWinRate
    }

    /// Throws a readable error for nonsensical settings (the rule may come from an admin's JSON).
    public func validate() throws {
        guard minimumComparisons >= 1 else { throw EvaluationError.invalid("minimumComparisons must be at least 1") }
        guard confidence > 0, confidence < 1 else { throw EvaluationError.invalid("confidence must lie strictly between 0 and 1") }
        guard alpha > 0, alpha < 1 else { throw EvaluationError.invalid("alpha must lie strictly between 0 and 1") }
        guard minimumWinRate >= 0, minimumWinRate <= 1 else { throw EvaluationError.invalid("minimumWinRate must lie in 0...1") }
    }

    /// Whether to promote, and why.
    public struct Decision: Sendable, Equatable, Codable {
        public var promote: Bool
        public var reason: String
    }

    /// Decides on the serving version A against the new version B: `aWins`, `bWins`, `ties` as tallied.
    public func decide(aWins: Int, bWins: Int, ties: Int) throws -> Decision {
        try decide(SideBySideResult(aWins: aWins, bWins: bWins, ties: ties, viewpoint: .b, confidence: confidence))
    }

    /// Decides on a result seen from either side; it is turned to B's (the new version's) point of view.
    /// Its intervals are recomputed at this rule's confidence.
    public func decide(_ result: SideBySideResult) throws -> Decision {
        try validate()
        var r = result.viewpoint == .b ? result : result.reversed()
        r.confidence = confidence
        let record = "\(r.wins)–\(r.ties)–\(r.losses) (wins–ties–losses of the new version)"
        guard r.total >= minimumComparisons else {
            return Decision(promote: false, reason: "not enough judgments: \(r.total) of \(minimumComparisons) needed, \(record)")
        }
        let rate = r.winRate ?? 0
        let wilson = r.winRateInterval
        let p = r.signTestPValue
        let level = Self.percent(confidence)
        let wilsonHolds = wilson.lower > 0.5
        let signHolds = p < alpha && r.wins > r.losses
        let wilsonText = "the \(level) Wilson lower bound of the win rate \(Self.fixed(rate)) is \(Self.fixed(wilson.lower))"
            + (wilsonHolds ? " > 0.5" : " ≤ 0.5")
        let signText = "the sign-test p-value is \(Self.fixed(p))" + (signHolds ? " < \(alpha)" : (r.wins > r.losses ? " ≥ \(alpha)" : " with no more wins than losses"))
        let evidence: Bool, because: String
        switch criterion {
        case .wilsonLowerBound: (evidence, because) = (wilsonHolds, wilsonText)
        case .signTest: (evidence, because) = (signHolds, signText)
        case .both: (evidence, because) = (wilsonHolds && signHolds, wilsonText + " and " + signText)
        }
        guard evidence else { return Decision(promote: false, reason: "not better with confidence: \(because); \(record)") }
        guard rate >= minimumWinRate else {
            return Decision(promote: false, reason: "win rate \(Self.fixed(rate)) is below the required \(Self.fixed(minimumWinRate)); \(record)")
        }
        return Decision(promote: true, reason: "promote: \(because); \(record)")
    }

    static func fixed(_ x: Double) -> String {
        x != 0 && abs(x) < 0.001 ? String(format: "%.2g", x) : String(format: "%.3f", x)
    }

    static func percent(_ c: Double) -> String {
        let v = c * 100
        return v == v.rounded() ? "\(Int(v))%" : String(format: "%.1f%%", v)
    }
}
