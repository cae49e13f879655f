// The result of a blind side-by-side campaign between two versions: counts, win rates, 95% Wilson
// intervals and the sign test. Every number is from one named side's point of view (`viewpoint`):
// normally B, the challenger (the newly trained version), against A, the baseline (the serving one).
import Foundation

public struct SideBySideResult: Sendable, Equatable, Codable {
    /// One of the two versions of a campaign.
    public enum Side: String, Sendable, Codable { case a, b }

    /// Whose wins `wins` counts: `.b` means "B beat A" is a win and "A beat B" is a loss.
    public var viewpoint: Side
    /// Comparisons the viewpoint's version won.
    public var wins: Int
    /// Comparisons judged a tie.
    public var ties: Int
    /// Comparisons the other version won.
    public var losses: Int
    /// The confidence level of the intervals (0.95 unless asked otherwise).
    public var confidence: Double

    /// Builds the result from counts already seen from `viewpoint`.
    public init(viewpoint: Side = .b, wins: Int, ties: Int, losses: Int, confidence: Double = 0.95) {
        precondition(wins >= 0 && ties >= 0 && losses >= 0, "counts are never negative")
        precondition(confidence > 0 && confidence < 1, "confidence must lie strictly between 0 and 1")
        self.viewpoint = viewpoint
        self.wins = wins
        self.ties = ties
        self.losses = losses
        self.confidence = confidence
    }

    /// Builds B's (or A's) view from a campaign's tally, as EvalRepository.tally returns it.
    public init(aWins: Int, bWins: Int, ties: Int, viewpoint: Side = .b, confidence: Double = 0.95) {
        switch viewpoint {
        case .b: self.init(viewpoint: .b, wins: bWins, ties: ties, losses: aWins, confidence: confidence)
        case .a: self.init(viewpoint: .a, wins: aWins, ties: ties, losses: bWins, confidence: confidence)
        }
    }

    /// Builds the result from EvalRepository.tally's tuple.
    public init(tally: (a: Int, b: Int, ties: Int), viewpoint: Side = .b, confidence: Double = 0.95) {
        self.init(aWins: tally.a, bWins: tally.b, ties: tally.ties, viewpoint: viewpoint, confidence: confidence)
    }

    /// The same result from the other version's point of view.
    public func reversed() -> SideBySideResult {
        SideBySideResult(viewpoint: viewpoint == .a ? .b : .a, wins: losses, ties: ties, losses: wins, confidence: confidence)
    }

    /// All judged comparisons.
    public var total: Int { wins + ties + losses }
    /// Comparisons with a winner (ties excluded).
    public var decisive: Int { wins + losses }

    /// (wins + ties/2) / total: the probability of being preferred, a tie being half a preference.
    /// nil before the first judgment.
    public var winRate: Double? { total == 0 ? nil : (Double(wins) + Double(ties) / 2) / Double(total) }

    /// wins / (wins + losses): the win rate among decisive comparisons. nil when there are none.
    public var decisiveWinRate: Double? { decisive == 0 ? nil : Double(wins) / Double(decisive) }

    /// The Wilson interval of `winRate` (ties as half a win over all comparisons); [0, 1] with none.
    public var winRateInterval: ProportionInterval {
        .wilson(successes: Double(wins) + Double(ties) / 2, trials: Double(total), confidence: confidence)
    }

    /// The Wilson interval of `decisiveWinRate`; [0, 1] with no decisive comparison.
    public var decisiveWinRateInterval: ProportionInterval {
        .wilson(successes: Double(wins), trials: Double(decisive), confidence: confidence)
    }

    /// The exact two-sided sign-test p-value on decisive comparisons (ties dropped; 1 when there are none).
    public var signTestPValue: Double { SignTest.pValue(wins: wins, losses: losses) }
}

extension SideBySideResult {
    private enum CodingKeys: String, CodingKey { case viewpoint, wins, ties, losses, confidence }

    /// Decodes and checks the counts and confidence, so JSON from outside cannot reach a precondition.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let wins = try c.decode(Int.self, forKey: .wins), ties = try c.decode(Int.self, forKey: .ties)
        let losses = try c.decode(Int.self, forKey: .losses), confidence = try c.decode(Double.self, forKey: .confidence)
        guard wins >= 0, ties >= 0, losses >= 0, confidence > 0, confidence < 1 else {
            throw DecodingError.dataCorruptedError(forKey: .wins, in: c,
                debugDescription: "counts must not be negative and confidence must lie strictly between 0 and 1")
        }
        self.init(viewpoint: try c.decode(Side.self, forKey: .viewpoint), wins: wins, ties: ties, losses: losses, confidence: confidence)
    }
}

extension SideBySideResult {
    /// The counts and every derived statistic as one flat, JSON-ready summary for the API and admin page.
    public struct Summary: Sendable, Equatable, Codable {
        public var viewpoint: Side
        public var wins: Int, ties: Int, losses: Int, total: Int
        public var winRate: Double?, winRateLower: Double, winRateUpper: Double
        public var decisiveWinRate: Double?, decisiveWinRateLower: Double, decisiveWinRateUpper: Double
        public var signTestPValue: Double
        public var confidence: Double
    }

    public var summary: Summary {
        let all = winRateInterval, decisiveOnly = decisiveWinRateInterval
        return Summary(viewpoint: viewpoint, wins: wins, ties: ties, losses: losses, total: total,
                       winRate: winRate, winRateLower: all.lower, winRateUpper: all.upper,
                       decisiveWinRate: decisiveWinRate, decisiveWinRateLower: decisiveOnly.lower,
                       decisiveWinRateUpper: decisiveOnly.upper, signTestPValue: signTestPValue, confidence: confidence)
    }
}
