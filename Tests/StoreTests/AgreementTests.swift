// Agreement statistics against values worked out by hand.
import Testing
@testable import Store

/// Example 1: two annotators rank three responses of one prompt.
///   A: r1=1, r2=2, r3=3        B: r1=1, r2=3, r3=2
/// Percent agreement over the response pairs: (r1,r2) A r1>r2, B r1>r2 agree; (r1,r3) agree;
/// (r2,r3) A r2>r3, B r3>r2 disagree -> 2/3.
/// Alpha, units = responses: r1 (1,1), r2 (2,3), r3 (3,2); each unit has m = 2, so each ordered
/// value pair adds 1/(2-1) = 1: o11 = 2, o23 = o32 = 2. Marginals n1 = n2 = n3 = 2, n = 6.
/// Ordinal δ²: δ12 = (n1+n2 - (n1+n2)/2)² = (4-2)² = 4; δ23 = (4-2)² = 4; δ13 = (6-2)² = 16.
/// Σ o δ² = o23·4 + o32·4 = 16.  Σ n_c n_k δ² (c≠k, both orders) = 2·(2·2·4) + 2·(2·2·4) + 2·(2·2·16) = 192.
/// alpha = 1 - (n-1)·16/192 = 1 - 80/192 = 7/12 ≈ 0.583333.
@Test func twoAnnotatorsSwappingTheLastTwoGiveTwoThirdsAndSevenTwelfths() throws {
    #expect(abs(Agreement.ordinalAlpha(units: [[1, 1], [2, 3], [3, 2]])! - 7.0 / 12.0) < 1e-12)
    #expect(Agreement.percentAgreement(items: [[1, 1], [1, 1], [1, -1]]) == (2, 3))

    // The same through the database.
    let t = try TestDB()
    let report = try t.db.write { (c: Connection) throws -> AgreementReport in
        let (pid, r) = try seedPrompt(c, "p", responses: 3)
        let a = try AnnotatorRepository(c).create(name: "A", role: .annotator, token: "a", now: 0).id
        let b = try AnnotatorRepository(c).create(name: "B", role: .annotator, token: "b", now: 0).id
        try rank(c, annotator: a, prompt: pid, r, [1, 2, 3])
        try rank(c, annotator: b, prompt: pid, r, [1, 3, 2])
        return try StatsRepository(c).agreement()
    }
    #expect(report.overall.agreements == 2 && report.overall.comparisons == 3)
    #expect(abs(report.overall.alpha! - 7.0 / 12.0) < 1e-12)
    #expect(abs(report.prompts[1]!.alpha! - 7.0 / 12.0) < 1e-12)
}

/// Example 2: three annotators, two pairwise prompts, a tie and a missing label.
///   P1 (a, b): A a>b, B a>b, C tie.        P2 (c, d): A d>c, B c>d, C did not judge.
/// Percent agreement: P1 item (a,b): values +1, +1, 0 -> AB agree, AC and BC disagree: 1/3.
///   P2 item (c,d): -1, +1 -> 0/1. Overall 1/4. Per annotator: A 1/3 (AB on P1 agree, AC, AB on P2 not),
///   B 1/3, C 0/2.
/// Alpha with dense ranks, units a (1,1,1), b (2,2,1), c (2,1), d (1,2):
///   a: m = 3, six ordered (1,1) pairs of weight 1/2 -> o11 += 3.
///   b: (2,2) twice -> o22 += 1; (2,1) twice and (1,2) twice -> o21 += 1, o12 += 1.
///   c and d: o12 += 1 and o21 += 1 each.   So o11 = 3, o22 = 1, o12 = o21 = 3; n1 = 6, n2 = 4, n = 10.
///   δ²12 = (6 + 4 - (6 + 4)/2)² = 25. Σ o δ² = 6·25 = 150; Σ n n δ² = 2·6·4·25 = 1200.
///   alpha = 1 - 9·150/1200 = -0.125.
/// Per prompt: P1 units a, b: o11 = 3, o22 = 1, o12 = o21 = 1; n1 = 4, n2 = 2, n = 6; δ² = 3² = 9;
///   alpha = 1 - 5·18/144 = 0.375.  P2 units c, d: o12 = o21 = 2, n1 = n2 = 2, n = 4, δ² = 4;
///   alpha = 1 - 3·16/32 = -0.5.
/// Without C: units a (1,1), b (2,2), c (2,1), d (1,2): o11 = o22 = o12 = o21 = 2, n1 = n2 = 4, n = 8,
///   δ² = 16; alpha = 1 - 7·64/512 = 0.125.
@Test func threeAnnotatorsWithATieAndAMissingLabelMatchTheHandCalculation() throws {
    #expect(abs(Agreement.ordinalAlpha(units: [[1, 1, 1], [2, 2, 1], [2, 1], [1, 2]])! - -0.125) < 1e-12)
    let t = try TestDB()
    let (report, ids) = try t.db.write { (c: Connection) throws -> (AgreementReport, [Int64]) in
        let (p1, ab) = try seedPrompt(c, "p1", responses: 2)
        let (p2, cd) = try seedPrompt(c, "p2", responses: 2)
        let ids = try ["A", "B", "C"].map { try AnnotatorRepository(c).create(name: $0, role: .annotator, token: $0, now: 0).id }
        try rank(c, annotator: ids[0], prompt: p1, ab, [1, 2])
        try rank(c, annotator: ids[1], prompt: p1, ab, [1, 2])
        try rank(c, annotator: ids[2], prompt: p1, ab, [1, 1])
        try rank(c, annotator: ids[0], prompt: p2, cd, [2, 1])
        try rank(c, annotator: ids[1], prompt: p2, cd, [1, 2])
        // Labels that must not count: an undone one, a both-bad one, and an AI one.
        let undone = try rank(c, annotator: ids[2], prompt: p2, cd, [2, 1], now: 5_000)
        _ = try JudgmentRepository(c).undo(judgmentID: undone.id, annotatorID: ids[2], now: 5_001, windowMs: 10_000)
        let ai = try AnnotatorRepository(c).pseudo("ai:judge", now: 0)
        try rank(c, annotator: ai, prompt: p2, cd, [2, 1], origin: .ai)
        return (try StatsRepository(c).agreement(), ids)
    }
    #expect(report.overall.agreements == 1 && report.overall.comparisons == 4)
    #expect(abs(report.overall.alpha! - -0.125) < 1e-12)
    #expect(abs(report.prompts[1]!.alpha! - 0.375) < 1e-12)
    #expect(abs(report.prompts[2]!.alpha! - -0.5) < 1e-12)
    #expect(report.annotators[ids[0]]!.agreements == 1 && report.annotators[ids[0]]!.comparisons == 3)
    #expect(report.annotators[ids[1]]!.agreements == 1 && report.annotators[ids[1]]!.comparisons == 3)
    #expect(report.annotators[ids[2]]!.agreements == 0 && report.annotators[ids[2]]!.comparisons == 2)
    #expect(abs(report.annotators[ids[2]]!.alphaWithout! - 0.125) < 1e-12)
}

@Test func perfectAgreementIsOneAndNoVariationIsUndefined() {
    #expect(Agreement.ordinalAlpha(units: [[1, 1], [2, 2], [3, 3]]) == 1)
    #expect(Agreement.ordinalAlpha(units: [[1, 1], [1, 1]]) == nil)
    #expect(Agreement.ordinalAlpha(units: [[1], [2]]) == nil) // nothing pairable
    #expect(Agreement.dense([1, 1, 3, 7]) == [1, 1, 2, 3])
}
