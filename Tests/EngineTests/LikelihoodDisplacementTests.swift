// The DPO likelihood-displacement monitor on hand-made step sequences: a chosen log-prob that keeps
// falling while the margin grows is reported once, after the start-up steps; a dip that recovers, a
// fall without a margin, and a rising chosen log-prob are not.
import Testing
@testable import Engine

@Suite struct LikelihoodDisplacementTests {
    /// Feeds (chosen shift per token, margin) per step; returns the steps that raised a warning.
    private func warnings(_ steps: [(Double, Double)]) -> [Int] {
        var m = LikelihoodDisplacementMonitor()
        return steps.enumerated().compactMap { i, s in
            m.observe(step: i + 1, chosenShiftPerToken: s.0, margins: s.1, chosenReward: 0.1 * s.0) != nil ? i + 1 : nil
        }
    }

    @Test func aChosenLogprobThatKeepsFallingWhileTheMarginGrowsWarnsOnce() {
        let falling = (0..<40).map { (-0.2 * Double($0), 0.05 * Double($0)) }
        let w = warnings(falling)
        #expect(w.count == 1)
        // The EMA passes −1 at about step 9; the warning waits for the 10th step and 3 steps in a row.
        #expect((10...14).contains(w.first ?? 0), "\(w)")
    }

    @Test func anEarlyDipThatRecoversAFallWithoutMarginAndARiseDoNotWarn() {
        let dip = (0..<40).map { i in (i < 4 ? -2.0 : 0.1, 0.5) }
        #expect(warnings(dip).isEmpty)
        let noMargin = (0..<40).map { _ in (-3.0, -0.2) }
        #expect(warnings(noMargin).isEmpty)
        let rising = (0..<40).map { (0.02 * Double($0), 0.1 * Double($0)) }
        #expect(warnings(rising).isEmpty)
    }
}
