// The two-sided sign test of a side-by-side campaign: under "neither version is better", each decisive
// comparison is a fair coin, so B's wins among the decisive comparisons are Binomial(n, 1/2).
//
// Ties are dropped (the classical sign test): a tie says nothing about which version is better, and
// counting it as half a win would make the statistic non-integer and the exact test invalid. The cost is
// that many ties shrink n and so the test's power, which is the honest answer when annotators cannot tell.
import Foundation

public enum SignTest {
    /// The exact two-sided p-value for `wins` against `losses` (ties already removed).
    ///
    /// For a fair coin the distribution is symmetric, so the p-value is 2·P(X ≤ min(wins, losses)),
    /// capped at 1; it equals scipy.stats.binomtest(wins, wins + losses).pvalue. With no decisive
    /// comparisons there is no evidence either way and the p-value is 1.
    ///
    /// Worked example: 7 wins, 3 losses: P(X ≤ 3) = (1 + 10 + 45 + 120)/1024 = 176/1024, so p = 0.34375.
    public static func pValue(wins: Int, losses: Int) -> Double {
        precondition(wins >= 0 && losses >= 0, "counts are never negative")
        let n = wins + losses
        guard n > 0 else { return 1 }
        if wins == losses { return 1 }
        return min(1, 2 * Distributions.fairCoinCDF(min(wins, losses), trials: n))
    }
}
