// The repositories: annotators and sessions by token hash, idempotent judgments and their rules,
// undo, preference pairs derived from rankings, leases, model versions, runs, settings.
import Testing
@testable import Store

@Test func annotatorsAreFoundByTokenHashOnlyWhileEnabled() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let repo = AnnotatorRepository(c)
        let ada = try repo.create(name: "ada", role: .admin, token: "secret-token", now: 5)
        #expect(try repo.byToken("secret-token") == ada)
        #expect(try repo.byToken("wrong") == nil)
        // Only the hash is stored.
        #expect(try c.scalar("SELECT count(*) FROM annotators WHERE token_hash = ?", [.blob(SHA256.hash("secret-token"))]) == 1)
        #expect(try c.scalar("SELECT count(*) FROM annotators WHERE CAST(token_hash AS TEXT) LIKE '%secret%'") == 0)
        try repo.setDisabled(ada.id, true)
        #expect(try repo.byToken("secret-token") == nil)
        #expect(throws: StoreError.self) { _ = try repo.create(name: "ada", role: .annotator, token: nil, now: 6) }
        #expect(try repo.pseudo("imported", now: 7) == repo.pseudo("imported", now: 8))
    }
}

@Test func sessionsExpireAndEndOnLogout() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let a = try AnnotatorRepository(c).create(name: "bo", role: .annotator, token: nil, now: 0)
        let s = SessionRepository(c)
        try s.create(token: "cookie", annotatorID: a.id, now: 1_000, ttlMs: 500)
        #expect(try s.annotator(token: "cookie", now: 1_499)?.id == a.id)
        #expect(try s.annotator(token: "cookie", now: 1_500) == nil)
        #expect(try s.deleteExpired(now: 2_000) == 1)
        try s.create(token: "c2", annotatorID: a.id, now: 1_000, ttlMs: 500)
        try s.delete(token: "c2")
        #expect(try s.annotator(token: "c2", now: 1_001) == nil)
    }
}

@Test func aRetriedSubmitWithTheSameKeyCountsOnce() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let (pid, r) = try seedPrompt(c, "p", responses: 2)
        let a = try AnnotatorRepository(c).create(name: "a", role: .annotator, token: "t", now: 0)
        var j = NewJudgment(annotatorID: a.id, promptID: pid, kind: .pairwise)
        j.ranks = [ResponseRank(responseID: r[0], rank: 1), ResponseRank(responseID: r[1], rank: 2)]
        j.idempotencyKey = "k1"
        let first = try JudgmentRepository(c).submit(j, now: 10)
        let again = try JudgmentRepository(c).submit(j, now: 11)
        #expect(first.created && !again.created)
        #expect(again.judgment == first.judgment)
        #expect(try c.scalar("SELECT count(*) FROM judgments") == 1)
        #expect(try JudgmentRepository(c).pairs().count == 1)
    }
}

@Test func aNewJudgmentIsReturnedExactlyAsReadingItBackGivesIt() throws {
    // submitNew builds its answer without reading the rows back: orders, flags and optional fields
    // must match byID, or a client would see one judgment at submit and another when it reloads.
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let (pid, r) = try seedPrompt(c, "p", responses: 3)
        let a = try AnnotatorRepository(c).create(name: "a", role: .annotator, token: "t", now: 0)
        let repo = JudgmentRepository(c)
        var ranking = NewJudgment(annotatorID: a.id, promptID: pid, kind: .ranking)
        ranking.ranks = [ResponseRank(responseID: r[2], rank: 2), ResponseRank(responseID: r[0], rank: 3), ResponseRank(responseID: r[1], rank: 2)]
        ranking.bothBad = true
        ranking.timeSpentMs = 1500
        ranking.idempotencyKey = "k-ranking"
        var feedback = NewJudgment(annotatorID: a.id, promptID: pid, kind: .feedback)
        // "Z" < "a" < "é" as bytes; "é" composed vs "e" + combining accent differ as bytes, not as Swift strings.
        feedback.ratings = [Rating(responseID: r[1], criterion: "\u{E9}", score: 3), Rating(responseID: r[1], criterion: "e\u{301}x", score: 4),
                            Rating(responseID: r[1], criterion: "a", score: 5), Rating(responseID: r[0], criterion: "Z", score: 6)]
        feedback.thumbs = [Thumb(responseID: r[2], up: false), Thumb(responseID: r[0], up: true)]
        feedback.rationale = "line one\nline two \u{1F600}"
        for j in [ranking, feedback] {
            #expect(try repo.existingID(j) == nil)
            let made = try repo.submitNew(j, now: 42)
            let read = try #require(try repo.byID(made.id))
            #expect(made == read)
            #expect(try repo.existingID(j) == (j.idempotencyKey == nil ? nil : made.id))
        }
        let stored = try #require(try repo.recent(annotatorID: a.id, limit: 2).last)
        #expect(stored.ranks.map(\.responseID) == [r[1], r[2], r[0]], "by rank, then response")
        #expect(stored.createdAt == 42 && stored.undoneAt == nil && stored.bothBad && stored.timeSpentMs == 1500)
    }
}

@Test func judgmentsThatBreakTheirKindsRulesAreRejected() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let (pid, r) = try seedPrompt(c, "p", responses: 3)
        let (_, other) = try seedPrompt(c, "q", responses: 2)
        let a = try AnnotatorRepository(c).create(name: "a", role: .annotator, token: "t", now: 0)
        let repo = JudgmentRepository(c)
        func attempt(_ kind: JudgmentKind, _ edit: (inout NewJudgment) -> Void) -> String? {
            var j = NewJudgment(annotatorID: a.id, promptID: pid, kind: kind)
            edit(&j)
            do { _ = try repo.submit(j, now: 1); return nil } catch { return "\(error)" }
        }
        #expect(attempt(.pairwise) { $0.ranks = [ResponseRank(responseID: r[0], rank: 1)] }?.contains("exactly 2") == true)
        #expect(attempt(.ranking) { $0.ranks = [ResponseRank(responseID: r[0], rank: 1), ResponseRank(responseID: other[0], rank: 2)] }?
            .contains("does not belong to prompt") == true)
        #expect(attempt(.rating) { $0.ratings = [Rating(responseID: r[0], criterion: "helpful", score: 8)] }?.contains("outside 1…7") == true)
        #expect(attempt(.rewrite) { _ in }?.contains("missing") == true)
        #expect(attempt(.skip) { $0.thumbs = [Thumb(responseID: r[0], up: true)] }?.contains("no labels") == true)
        #expect(attempt(.feedback) { $0.bothBad = true; $0.thumbs = [Thumb(responseID: r[0], up: false)] }?.contains("both-bad") == true)
        #expect(try c.scalar("SELECT count(*) FROM judgments") == 0)
        // A valid rating, feedback and rewrite are stored with their parts.
        var rating = NewJudgment(annotatorID: a.id, promptID: pid, kind: .rating)
        rating.ratings = [Rating(responseID: r[0], criterion: "helpful", score: 7), Rating(responseID: r[1], criterion: "helpful", score: 2)]
        rating.rationale = "r1 answers"
        let stored = try repo.submit(rating, now: 3).judgment
        #expect(stored.ratings.map(\.score) == [7, 2])
        #expect(stored.rationale == "r1 answers")
    }
}

@Test func aRankingWithTiesGivesEveryStrictlyOrderedPair() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let (pid, r) = try seedPrompt(c, "p", responses: 4)
        let a = try AnnotatorRepository(c).create(name: "a", role: .annotator, token: "t", now: 0)
        // r0 best, r1 and r2 tied second, r3 last: 1 + 1 + 1 (r0 over each) + 2 (r1, r2 over r3) = 5 pairs; no r1-r2 pair.
        try rank(c, annotator: a.id, prompt: pid, r, [1, 2, 2, 3])
        let pairs = Set(try JudgmentRepository(c).pairs().map { [$0.chosenID, $0.rejectedID] })
        #expect(pairs == [[r[0], r[1]], [r[0], r[2]], [r[0], r[3]], [r[1], r[3]], [r[2], r[3]]])
    }
}

@Test func allTieBothBadAndUndoneJudgmentsGiveNoPairs() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let (pid, r) = try seedPrompt(c, "p", responses: 3)
        let a = try AnnotatorRepository(c).create(name: "a", role: .annotator, token: "t", now: 0)
        try rank(c, annotator: a.id, prompt: pid, r, [1, 1, 1])
        try rank(c, annotator: a.id, prompt: pid, r, [1, 2, 3], bothBad: true)
        let undone = try rank(c, annotator: a.id, prompt: pid, Array(r[0...1]), [1, 2], now: 10_000)
        #expect(try JudgmentRepository(c).pairs().count == 1)
        #expect(try JudgmentRepository(c).undo(judgmentID: undone.id, annotatorID: a.id, now: 15_000, windowMs: 30_000))
        #expect(try JudgmentRepository(c).pairs().isEmpty)
        #expect(try c.scalar("SELECT count(*) FROM judgments") == 3) // kept, not deleted
        #expect(try JudgmentRepository(c).undo(judgmentID: undone.id, annotatorID: a.id, now: 15_001, windowMs: 30_000) == false)
    }
}

@Test func undoIsRefusedAfterTheWindowAndForSomeoneElsesJudgment() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let (pid, r) = try seedPrompt(c, "p", responses: 2)
        let a = try AnnotatorRepository(c).create(name: "a", role: .annotator, token: "t", now: 0)
        let b = try AnnotatorRepository(c).create(name: "b", role: .annotator, token: "u", now: 0)
        let j = try rank(c, annotator: a.id, prompt: pid, r, [1, 2], now: 1_000)
        #expect(throws: StoreError.self) { _ = try JudgmentRepository(c).undo(judgmentID: j.id, annotatorID: b.id, now: 1_001, windowMs: 60_000) }
        #expect(throws: StoreError.self) { _ = try JudgmentRepository(c).undo(judgmentID: j.id, annotatorID: a.id, now: 61_001, windowMs: 60_000) }
        #expect(try JudgmentRepository(c).byID(j.id)?.undoneAt == nil)
    }
}

@Test func judgingThroughALeaseCompletesItAndLeavesOthersOpen() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let (p1, _) = try seedPrompt(c, "p1", responses: 2)
        let (p2, _) = try seedPrompt(c, "p2", responses: 2)
        let ids = try (0..<2).map { try AnnotatorRepository(c).create(name: "a\($0)", role: .annotator, token: "t\($0)", now: 0).id }
        let leases = LeaseRepository(c)
        let l1 = try leases.create(promptID: p1, annotatorID: ids[0], now: 0, expiresAt: 1_000)
        let l2 = try leases.create(promptID: p2, annotatorID: ids[1], now: 5, expiresAt: 1_005)
        #expect(try leases.byID(l1.id) == l1)
        #expect(l2.id != l1.id && l2.leasedAt == 5 && l2.expiresAt == 1_005 && l2.completedAt == nil)
        var j = NewJudgment(annotatorID: ids[1], promptID: p2, kind: .skip)
        j.leaseID = l2.id
        _ = try JudgmentRepository(c).submit(j, now: 20)
        #expect(try leases.byID(l2.id)?.completedAt == 20)
        #expect(try leases.byID(l1.id)?.completedAt == nil)
    }
}

@Test func oneServingModelPerKindAndRunsMoveThroughTheirStates() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let models = ModelRepository(c)
        let m1 = try models.create(name: "policy-1", kind: .policy, parentID: nil, path: "/m/1", now: 1)
        let m2 = try models.create(name: "policy-2", kind: .policy, parentID: m1.id, path: "/m/2", now: 2)
        try models.setServing(m1.id)
        try models.setServing(m2.id)
        #expect(try models.serving(.policy)?.id == m2.id)
        #expect(try models.byID(m1.id)?.serving == false)

        let runs = TrainingRunRepository(c)
        let run = try runs.enqueue(kind: .dpo, config: #"{"beta":0.1}"#, baseModelID: m2.id, now: 3)
        #expect(try runs.nextQueued()?.id == run.id)
        try runs.start(run.id, labelsUsed: 40, labelWatermark: 99, now: 4)
        #expect(throws: StoreError.self) { try runs.start(run.id, labelsUsed: 1, labelWatermark: 1, now: 5) }
        try runs.log(run.id, step: 1, metrics: [("loss", 0.69), ("accuracy", 0.5)], now: 5)
        try runs.log(run.id, step: 2, metrics: [("loss", 0.6)], now: 6)
        try runs.finish(run.id, status: .succeeded, outputModelID: m2.id, now: 7)
        let done = try runs.byID(run.id)!
        #expect(done.status == .succeeded && done.labelsUsed == 40 && done.labelWatermark == 99 && done.finishedAt == 7)
        #expect(try runs.metrics(run.id).map(\.value) == [0.5, 0.69, 0.6])
    }
    #expect(try t.db.check() == [])
}

@Test func settingsAndIdempotentRepliesRoundTrip() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let s = SettingsRepository(c)
        try s.set("labels_per_prompt", .number(3), now: 1)
        try s.set("labels_per_prompt", .number(5), now: 2)
        #expect(try s.get("labels_per_prompt") == .number(5))
        #expect(try s.get("missing") == nil)
        let a = try AnnotatorRepository(c).create(name: "a", role: .annotator, token: "t", now: 0)
        try s.storeIdempotentReply(annotatorID: a.id, key: "k", reply: "{\"ok\":true}", now: 1)
        try s.storeIdempotentReply(annotatorID: a.id, key: "k", reply: "{\"ok\":false}", now: 2)
        #expect(try s.idempotentReply(annotatorID: a.id, key: "k") == "{\"ok\":true}")
    }
}
