// Schema version 3: prompts.labels, the coverage counter next-task walks. Its triggers must keep it
// equal to a count from scratch after every kind of change, and the migration must backfill it.
import Foundation
import Testing
@testable import Store

/// The counted labels of every prompt, computed from scratch (the definition in Migration3.swift).
private func recount(_ c: Connection) throws -> [Int64] {
    try c.prepare("""
        SELECT (SELECT count(*) FROM judgments j JOIN annotators an ON an.id = j.annotator_id
                WHERE j.prompt_id = p.id AND j.undone_at IS NULL AND j.kind NOT IN ('skip', 'feedback')
                  AND j.origin = 'human' AND an.token_hash IS NOT NULL)
        FROM prompts p ORDER BY p.id
        """).all([]) { $0.int(0) }
}

private func counters(_ c: Connection) throws -> [Int64] {
    try c.prepare("SELECT labels FROM prompts ORDER BY id").all([]) { $0.int(0) }
}

private func pairwise(_ annotator: Int64, _ prompt: (Int64, [Int64]), key: String, origin: LabelOrigin = .human) -> NewJudgment {
    var j = NewJudgment(annotatorID: annotator, promptID: prompt.0, kind: .pairwise)
    j.ranks = [ResponseRank(responseID: prompt.1[0], rank: 1), ResponseRank(responseID: prompt.1[1], rank: 2)]
    j.origin = origin
    j.idempotencyKey = key
    return j
}

@Test func theCoverageCounterFollowsLabelsSkipsFeedbackUndoDeletesAndTokenChangesExactly() throws {
    let t = try TestDB()
    try t.db.write { c in
        let p1 = try seedPrompt(c, "one", responses: 2), p2 = try seedPrompt(c, "two", responses: 2), p3 = try seedPrompt(c, "three", responses: 2)
        let ann = AnnotatorRepository(c)
        let a = try ann.create(name: "a", role: .annotator, token: "token-a", now: 1).id
        let b = try ann.create(name: "b", role: .annotator, token: "token-b", now: 1).id
        let imported = try ann.pseudo("imported", now: 1)
        let repo = JudgmentRepository(c)

        let first = try repo.submit(pairwise(a, p1, key: "1"), now: 2).judgment.id
        _ = try repo.submit(pairwise(b, p1, key: "2"), now: 2)
        _ = try repo.submit(pairwise(a, p2, key: "3"), now: 2)
        _ = try repo.submit(pairwise(b, p2, key: "4", origin: .ai), now: 2)     // AI labels do not count
        _ = try repo.submit(pairwise(imported, p3, key: "5"), now: 2)           // no token: does not count
        var skip = NewJudgment(annotatorID: b, promptID: p3.0, kind: .skip)
        skip.idempotencyKey = "6"
        _ = try repo.submit(skip, now: 2)                                       // skips do not count
        var thumb = NewJudgment(annotatorID: a, promptID: p3.0, kind: .feedback)
        thumb.thumbs = [Thumb(responseID: p3.1[0], up: true)]
        thumb.idempotencyKey = "7"
        _ = try repo.submit(thumb, now: 2)                                      // thumbs-only feedback does not count
        _ = try repo.submit(pairwise(a, p1, key: "1"), now: 3)                  // a replayed key writes nothing
        #expect(try counters(c) == [2, 1, 0])

        #expect(try repo.undo(judgmentID: first, annotatorID: a, now: 3, windowMs: 10))
        #expect(try counters(c) == [1, 1, 0])

        // b loses the ability to log in: b's labels stop counting; a new token brings them back.
        try c.run("UPDATE annotators SET token_hash = NULL WHERE id = ?", [.int(b)])
        #expect(try counters(c) == [0, 1, 0])
        try ann.setToken(b, token: "token-b2")
        #expect(try counters(c) == [1, 1, 0])
        try ann.setToken(b, token: "token-b3")                                  // token to token: no change
        #expect(try counters(c) == [1, 1, 0])
        // The pseudo annotator gets a token: its imported label on prompt 3 starts counting.
        try ann.setToken(imported, token: "token-i")
        #expect(try counters(c) == [1, 1, 1])

        try c.run("DELETE FROM judgments WHERE annotator_id = ? AND prompt_id = ?", [.int(a), .int(p2.0)])
        #expect(try counters(c) == [1, 0, 1])
        try c.run("UPDATE judgments SET undone_at = NULL WHERE id = ?", [.int(first)])
        #expect(try counters(c) == [2, 0, 1])
        #expect(try counters(c) == recount(c))
    }
}

@Test func aVersion2DatabaseWithLabelsMigratesToVersion3WithTheCounterBackfilled() throws {
    let dir = TempDir()
    let path = dir.path("v2.db")
    do {
        let v2 = try databaseAtVersion(2, path: path)
        try v2.write { c in
            let p1 = try seedPrompt(c, "one", responses: 2), p2 = try seedPrompt(c, "two", responses: 2)
            _ = try seedPrompt(c, "three", responses: 2)
            let ann = AnnotatorRepository(c)
            let a = try ann.create(name: "a", role: .annotator, token: "token-a", now: 1).id
            let b = try ann.create(name: "b", role: .annotator, token: "token-b", now: 1).id
            let imported = try ann.pseudo("imported", now: 1)
            try oldPairwise(c, annotator: a, prompt: p1, key: "1", now: 2)
            try oldPairwise(c, annotator: b, prompt: p1, key: "2", now: 2)
            try oldPairwise(c, annotator: a, prompt: p2, key: "3", now: 2, undoneAt: 3)
            try oldPairwise(c, annotator: imported, prompt: p2, key: "4", now: 2)
        }
        #expect(try v2.schemaVersion() == 2)
    }
    let db = try Database(path: path)
    #expect(try db.schemaVersion() == Migrations.latestVersion) // 3, and the later steps after it
    #expect(try db.read { try counters($0) } == [2, 0, 0])
    #expect(try db.check().isEmpty)
    // The index that next-task walks exists and is used for "labels = ? … ORDER BY id".
    let plan = try db.read { c in
        try c.prepare("EXPLAIN QUERY PLAN SELECT id FROM prompts WHERE heldout = 0 AND labels = 0 ORDER BY id LIMIT 1").all([]) { $0.string(3) }
    }
    #expect(plan.joined().contains("prompts_by_coverage"), "plan: \(plan)")
}

@Test func dbCheckReportsACoverageCounterOutOfStep() throws {
    let t = try TestDB()
    try t.db.write { c in
        _ = try seedPrompt(c, "one", responses: 2)
        try c.run("UPDATE prompts SET labels = 5")
    }
    #expect(try t.db.check() == ["prompt coverage counter (prompts.labels) out of step with its labels: id 1"])
}
