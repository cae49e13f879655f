// The QA share of the queue: with overlap 2, a share of new leases goes to a second label of a
// recently labelled prompt, so agreement is measurable within the first dozens of labels instead of
// after one label on every prompt. Checked through the API and the admin's statistics.
import Foundation
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

/// Two annotators take turns labelling `labels` tasks from 200 prompts at overlap 2; returns the
/// admin's agreement statistics and how many prompts ended up with two labels.
private func alternate(labels: Int, qaShare: Double) async throws -> (comparisons: Int64, doubled: Int64) {
    let t = try TestApp()
    try t.seedPrompts(200)
    try t.db.write { c in var s = AppSettings(); s.overlap = 2; s.qaShare = qaShare; try s.save(c, now: 0) }
    let users = [try await t.user("a"), try await t.user("b")]
    let admin = try await t.user("boss", role: .admin)
    for i in 0..<labels {
        let u = users[i % 2]
        let task = try #require(try await t.next(u))
        #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: u.cookie).status == 201)
    }
    let stats = try await t.call(.get, "/api/v1/stats", cookie: admin.cookie).json
    let doubled = try t.scalar("SELECT count(*) FROM prompts WHERE labels = 2")
    return (stats.dict("agreement").int("comparisons") ?? -1, doubled)
}

@Test func withOverlapTwoTheQAShareGivesAgreementWithinTheFirstTwelveLabels() async throws {
    let early = try await alternate(labels: 12, qaShare: 0.15)
    #expect(early.doubled == 1, "lease 7 is the first QA lease: one prompt has its second label")
    #expect(early.comparisons >= 1, "agreement has a comparison after 12 labels")
    let later = try await alternate(labels: 24, qaShare: 0.15)
    #expect(later.doubled == 3, "leases 7, 14 and 20 are QA leases")
    #expect(later.comparisons >= 3)
}

@Test func withoutTheQAShareLeastCoveredFirstGivesNoAgreementUntilEveryPromptHasALabel() async throws {
    let none = try await alternate(labels: 24, qaShare: 0)
    #expect(none.doubled == 0 && none.comparisons == 0, "the trade-off the share exists for")
}

@Test func theQAShareSpreadsEvenlyAndNeedsOverlapTwo() {
    let rules = QueueRules(overlap: 2, prioritizeDisagreement: false, onPolicyOnly: false, leaseMs: 1, qaShare: 0.15)
    #expect((1...40).filter { rules.isQALease(Int64($0)) } == [7, 14, 20, 27, 34, 40])
    var single = rules; single.overlap = 1
    #expect((1...40).filter { single.isQALease(Int64($0)) }.isEmpty)
}

@Test func qaShareOutsideZeroToHalfIsRefusedNamingTheField() async throws {
    let t = try TestApp()
    let admin = try await t.user("boss", role: .admin)
    let r = try await t.call(.put, "/api/v1/settings", json: ["qa_share": 0.9], cookie: admin.cookie)
    #expect(r.status == 422 && r.text.contains("qa_share must be between 0 and 0.5"), "\(r.text)")
    #expect(try await t.call(.get, "/api/v1/settings", cookie: admin.cookie).json["qa_share"] as? Double == 0.15)
}
