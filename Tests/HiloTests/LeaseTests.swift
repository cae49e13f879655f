// Annotation through the API: next task, leases and their expiry, overlap and never-twice, least
// covered first, disagreement first, concurrency, idempotent submit, undo window, skip, thumbs,
// progress and label privacy. Every check reads the database, not just the replies.
import Foundation
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

@Test func nextLeaseShowsUpToKShuffledLabelledResponsesAndTheSameTaskUntilDone() async throws {
    let t = try TestApp()
    try t.seedPrompts(1, responses: 6)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    let shown = task.list("responses")
    #expect(shown.count == 4, "K = responses_per_task = 4 by default")
    #expect(shown.map { $0["label"] as? String } == ["A", "B", "C", "D"])
    #expect(Set(task.responseIDs).count == 4)
    #expect(task.dict("prompt")["text"] as? String == "prompt 0")
    #expect(task.int("expires_at") == t.clock.now + 600_000)
    #expect(try t.scalar("SELECT count(*) FROM leases WHERE annotator_id = ?", [.int(ann.id)]) == 1)
    // Asking again (a reload) gives the same lease in the same order, and no new lease.
    let again = try #require(try await t.next(ann))
    #expect(again.leaseID == task.leaseID && again.responseIDs == task.responseIDs)
    #expect(try t.scalar("SELECT count(*) FROM leases") == 1)
    // Shuffled: over several leases the order is not always the id order.
    let orders = (1...12).map { HiloApp.shownResponses((1...4).map { Completion(id: $0, promptID: 1, text: "", origin: "", createdAt: 0) }, leaseID: $0, k: 4).map(\.id) }
    #expect(Set(orders.map { "\($0)" }).count > 3)
}

@Test func conversationPromptsComeWithTheirTurns() async throws {
    let t = try TestApp()
    let now = t.clock.now
    try t.db.write { c in
        let (id, _) = try PromptRepository(c).insert(NewPrompt(messages: [Message(role: "system", content: "Be brief."), Message(role: "user", content: "Hi?")]), now: now)
        for r in ["Hello.", "Hey."] { _ = try PromptRepository(c).addResponse(promptID: id, text: r, origin: "x", now: now) }
    }
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    let turns = task.dict("prompt").list("messages")
    #expect(turns.map { $0["role"] as? String } == ["system", "user"])
    #expect(turns.last?["content"] as? String == "Hi?")
}

@Test func withOverlapTwoEachPromptGetsTwoDifferentAnnotatorsAndNobodyGetsAPromptTwice() async throws {
    let t = try TestApp()
    try t.seedPrompts(3)
    try t.db.write { c in var s = AppSettings(); s.overlap = 2; try s.save(c, now: 0) }
    let users = [try await t.user("a"), try await t.user("b"), try await t.user("c")]
    var served: [Int64: [Int64]] = [:]  // prompt -> annotators
    for _ in 0..<4 {
        for u in users {
            guard let task = try await t.next(u) else { continue }
            served[task.promptID, default: []].append(u.id)
            #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: u.cookie).status == 201)
        }
    }
    #expect(served.count == 3)
    for (_, annotators) in served { #expect(annotators.count == 2 && Set(annotators).count == 2) }
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 6)
    #expect(try t.scalar("SELECT count(*) FROM (SELECT 1 FROM judgments GROUP BY prompt_id, annotator_id HAVING count(*) > 1)") == 0)
    for u in users { #expect(try await t.next(u) == nil) }
}

@Test func leastCoveredPromptsComeFirst() async throws {
    let t = try TestApp()
    let ids = try t.seedPrompts(3)
    try t.db.write { c in var s = AppSettings(); s.overlap = 2; try s.save(c, now: 0) }
    let a = try await t.user("a"), b = try await t.user("b")
    // a labels prompt 1 (oldest); then b should get prompt 2 (coverage 0), not prompt 1 (coverage 1).
    let first = try #require(try await t.next(a))
    #expect(first.promptID == ids[0])
    #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(first), cookie: a.cookie).status == 201)
    let second = try #require(try await t.next(b))
    #expect(second.promptID == ids[1])
}

@Test func anExpiredLeaseGoesBackToTheQueue() async throws {
    let t = try TestApp()
    let ids = try t.seedPrompts(1)
    let a = try await t.user("a"), b = try await t.user("b")
    let task = try #require(try await t.next(a))
    #expect(try await t.next(b) == nil, "the only prompt is leased to a")
    t.clock.advance(seconds: 601)
    let taken = try #require(try await t.next(b))
    #expect(taken.promptID == ids[0] && taken.leaseID != task.leaseID)
    #expect(try t.scalar("SELECT count(*) FROM leases WHERE prompt_id = ? AND expires_at > ?", [.int(ids[0]), .int(t.clock.now)]) == 1)
}

@Test func concurrentNextLeaseCallsNeverLeaseOnePromptBeyondItsOverlap() async throws {
    let t = try TestApp()
    try t.seedPrompts(20)
    var users: [User] = []
    for i in 0..<16 { users.append(try await t.user("u\(i)")) }
    let leased = try await withThrowingTaskGroup(of: Int64?.self) { group in
        for u in users { group.addTask { try await t.next(u)?.promptID } }
        return try await group.reduce(into: [Int64]()) { if let p = $1 { $0.append(p) } }
    }
    #expect(leased.count == 16)
    #expect(Set(leased).count == 16, "overlap 1: sixteen people at once get sixteen different prompts")
    #expect(try t.scalar("SELECT max(n) FROM (SELECT count(*) AS n FROM leases GROUP BY prompt_id)") == 1)
}

@Test func disagreementFirstServesAPromptWhoseAnnotatorsDisagreeForATieBreak() async throws {
    let t = try TestApp()
    let ids = try t.seedPrompts(3)
    try t.db.write { c in var s = AppSettings(); s.overlap = 2; try s.save(c, now: 0) }
    let a = try await t.user("a", role: .admin), b = try await t.user("b", role: .admin), c = try await t.user("c"), d = try await t.user("d")
    // a and b judge prompt 1 directly (no lease) and order its two responses oppositely.
    let sorted = try t.db.read { try PromptRepository($0).responses(promptID: ids[0]) }.map(\.id)
    for (u, flip) in [(a, false), (b, true)] {
        let body: [String: Any] = ["prompt_id": ids[0], "kind": "pairwise", "idempotency_key": "k",
                                   "ranks": [["response_id": sorted[flip ? 1 : 0], "rank": 1], ["response_id": sorted[flip ? 0 : 1], "rank": 2]]]
        #expect(try await t.call(.post, "/api/v1/judgments", json: body, cookie: u.cookie).status == 201)
    }
    // Without the option, prompt 1 has its two labels and c gets prompt 2.
    #expect(try await t.next(c)?.promptID == ids[1])
    // With it, the disagreement on prompt 1 comes first and wants a third, tie-breaking label.
    #expect(try await t.call(.put, "/api/v1/settings", json: ["prioritize_disagreement": true], cookie: try await t.user("boss", role: .admin).cookie).status == 200)
    t.app.settingsCache.set(nil, now: 0)
    #expect(try await t.next(d)?.promptID == ids[0])
}

@Test func aRetriedSubmitWithTheSameKeyCountsOnceAndReturnsTheSameResult() async throws {
    let t = try TestApp()
    try t.seedPrompts(1)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    let body = pairwise(task, key: "retry-me")
    let first = try await t.call(.post, "/api/v1/judgments", json: body, cookie: ann.cookie)
    let second = try await t.call(.post, "/api/v1/judgments", json: body, cookie: ann.cookie)
    #expect(first.status == 201 && second.status == 201)
    #expect(first.body == second.body)
    #expect(second.headers["Idempotent-Replayed"] == "true")
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 1)
    #expect(try t.scalar("SELECT count(*) FROM preference_pairs") == 1)
    #expect(try t.scalar("SELECT completed_at IS NOT NULL FROM leases WHERE id = ?", [.int(task.leaseID)]) == 1)
    // The same key with a different body is a client bug: 422, nothing written.
    var changed = body
    changed["rationale"] = "changed my mind"
    let conflict = try await t.call(.post, "/api/v1/judgments", json: changed, cookie: ann.cookie)
    #expect(conflict.status == 422 && conflict.message.contains("idempotency key"))
    // A new key on the finished lease is refused.
    let again = try await t.call(.post, "/api/v1/judgments", json: pairwise(task, key: "other"), cookie: ann.cookie)
    #expect(again.status == 409)
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 1)
    // The key may come as a header instead.
    let noKey = try await t.call(.post, "/api/v1/judgments", json: ["prompt_id": task.promptID, "kind": "pairwise"], cookie: ann.cookie)
    #expect(noKey.status == 422)
}

@Test func submitTrimsTheKeyReadsUTF8BodiesWithOrWithoutABOMAndRefusesInvalidUTF8() async throws {
    let t = try TestApp()
    try t.seedPrompts(3)
    let ann = try await t.user("ann")
    func body(_ task: [String: Any], key: String) throws -> Data {
        try JSONSerialization.data(withJSONObject: pairwise(task, key: key))
    }
    // Spaces and tabs around an ASCII key are dropped: the stored key and the replay match on " k1\t".
    let first = try #require(try await t.next(ann))
    let stored = try await t.call(.post, "/api/v1/judgments", raw: try body(first, key: " \tk1\t "), contentType: "application/json", cookie: ann.cookie)
    #expect(stored.status == 201, "\(stored.text)")
    #expect(try t.db.read { try $0.scalar("SELECT count(*) FROM judgments WHERE idempotency_key = 'k1'") } == 1)
    let replay = try await t.call(.post, "/api/v1/judgments", raw: try body(first, key: "k1"), contentType: "application/json", cookie: ann.cookie)
    #expect(replay.status == 201 && replay.headers["Idempotent-Replayed"] == "true")
    // A non-ASCII key is trimmed of Unicode spaces (a no-break space) as before.
    let second = try #require(try await t.next(ann))
    let unicode = try await t.call(.post, "/api/v1/judgments", raw: try body(second, key: "\u{00A0}clé\u{00A0}"), contentType: "application/json", cookie: ann.cookie)
    #expect(unicode.status == 201, "\(unicode.text)")
    #expect(try t.db.read { try $0.scalar("SELECT count(*) FROM judgments WHERE idempotency_key = 'clé'") } == 1)
    // A body with a UTF-8 byte order mark is read as before (the mark dropped).
    let third = try #require(try await t.next(ann))
    let bom = try await t.call(.post, "/api/v1/judgments", raw: Data([0xEF, 0xBB, 0xBF]) + (try body(third, key: "k3")), contentType: "application/json", cookie: ann.cookie)
    #expect(bom.status == 201, "\(bom.text)")
    // Invalid UTF-8 (a lone continuation byte inside a string) is malformed JSON: 400, nothing stored.
    var broken = Array(#"{"kind":"pairwise","idempotency_key":"k4","rationale":"x"}"#.utf8)
    broken.insert(0x80, at: broken.count - 3)
    let invalid = try await t.call(.post, "/api/v1/judgments", raw: Data(broken), contentType: "Application/JSON; charset=utf-8", cookie: ann.cookie)
    #expect(invalid.status == 400 && invalid.message == "malformed JSON")
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 3)
}

@Test func submitStoresRankingWithTiesRatingsRationaleRewriteAndTime() async throws {
    let t = try TestApp()
    try t.seedPrompts(1, responses: 3)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    let ids = task.responseIDs
    let body: [String: Any] = [
        "lease_id": task.leaseID, "kind": "ranking",
        "ranks": [["response_id": ids[0], "rank": 1], ["response_id": ids[1], "rank": 2], ["response_id": ids[2], "rank": 2]],
        "ratings": [["response_id": ids[0], "criterion": "helpfulness", "score": 7], ["response_id": ids[1], "criterion": "truthfulness", "score": 2]],
        "thumbs": [["response_id": ids[2], "up": false]],
        "rationale": "A is complete", "rewrite": "A better answer.", "time_spent_ms": 4200,
    ]
    let r = try await t.call(.post, "/api/v1/judgments", json: body, cookie: ann.cookie, headers: [("Idempotency-Key", "k1")])
    #expect(r.status == 201, "\(r.text)")
    let j = try #require(try t.db.read { try JudgmentRepository($0).byID(r.json.dict("judgment").int("id")!) })
    #expect(j.kind == .ranking && j.rationale == "A is complete" && j.rewrite == "A better answer." && j.timeSpentMs == 4200)
    #expect(Set(j.ranks) == [ResponseRank(responseID: ids[0], rank: 1), ResponseRank(responseID: ids[1], rank: 2), ResponseRank(responseID: ids[2], rank: 2)])
    #expect(Set(j.ratings.map(\.score)) == [7, 2] && j.thumbs == [Thumb(responseID: ids[2], up: false)])
    #expect(j.idempotencyKey == "k1" && j.leaseID == task.leaseID)
    #expect(try t.scalar("SELECT count(*) FROM preference_pairs") == 2, "a tie between B and C gives no pair")
}

@Test func invalidJudgmentsAreRefusedWithClearStatuses() async throws {
    let t = try TestApp()
    try t.seedPrompts(2, responses: 3)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    let ids = task.responseIDs
    func post(_ body: [String: Any]) async throws -> Reply {
        var b = body; b["lease_id"] = task.leaseID; b["idempotency_key"] = UUID().uuidString
        return try await t.call(.post, "/api/v1/judgments", json: b, cookie: ann.cookie)
    }
    #expect(try await post(["kind": "pairwise", "ranks": [["response_id": ids[0], "rank": 1]]]).status == 422)
    #expect(try await post(["kind": "ranking", "ranks": [["response_id": ids[0], "rank": 1], ["response_id": ids[1], "rank": 2]]]).message.contains("rank every shown"))
    #expect(try await post(["kind": "rating", "ratings": [["response_id": ids[0], "criterion": "speed", "score": 3]]]).message.contains("unknown criterion"))
    #expect(try await post(["kind": "rating", "ratings": [["response_id": ids[0], "criterion": "truthfulness", "score": 8]]]).status == 422)
    #expect(try await post(["kind": "pairwise", "ranks": [["response_id": 999, "rank": 1], ["response_id": ids[0], "rank": 2]]]).status == 422)
    #expect(try await post(["kind": "nonsense"]).status == 422)
    #expect(try await post(["kind": "pairwise", "colour": "red"]).message == "unknown field colour")
    #expect(try await post(["kind": "pairwise", "ranks": [["response_id": "one", "rank": 1]]]).message == "wrong type at ranks.0.response_id: expected an integer")
    #expect(try await post(["kind": "pairwise", "ranks": [["rank": 1]]]).message == "missing field ranks.0.response_id")
    #expect(try await post(["kind": "pairwise", "time_spent_ms": -5]).status == 422)
    #expect(try await post(["ranks": []]).message == "missing field kind")
    let badJSON = try await t.call(.post, "/api/v1/judgments", raw: Data("{nope".utf8), contentType: "application/json", cookie: ann.cookie)
    #expect(badJSON.status == 400)
    let wrongType = try await t.call(.post, "/api/v1/judgments", raw: Data("kind=pairwise".utf8), contentType: "application/x-www-form-urlencoded", cookie: ann.cookie)
    #expect(wrongType.status == 415)
    let otherLease = try await t.call(.post, "/api/v1/judgments", json: ["lease_id": 999, "kind": "pairwise", "idempotency_key": "z"], cookie: ann.cookie)
    #expect(otherLease.status == 404)
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 0)
}

@Test func undoWorksWithinTheWindowBringsTheTaskBackAndIsRefusedAfter() async throws {
    let t = try TestApp()
    try t.seedPrompts(2)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    let submitted = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie)
    let id = submitted.json.dict("judgment").int("id")!
    #expect(submitted.json.int("undo_until") == t.clock.now + 300_000)
    t.clock.advance(seconds: 299)
    let undone = try await t.call(.post, "/api/v1/judgments/\(id)/undo", cookie: ann.cookie)
    #expect(undone.status == 200)
    #expect(try t.scalar("SELECT undone_at FROM judgments WHERE id = ?", [.int(id)]) == t.clock.now)
    #expect(try t.scalar("SELECT count(*) FROM preference_pairs") == 0)
    // Undoing again is harmless; the task comes back next.
    #expect(try await t.call(.post, "/api/v1/judgments/\(id)/undo", cookie: ann.cookie).status == 200)
    let back = try #require(try await t.next(ann))
    #expect(back.leaseID == task.leaseID)
    // Judge again; after the window the undo is refused and the label stays.
    let second = try await t.call(.post, "/api/v1/judgments", json: pairwise(back), cookie: ann.cookie)
    #expect(second.status == 201, "\(second.text)")
    let id2 = second.json.dict("judgment").int("id")!
    t.clock.advance(seconds: 301)
    let late = try await t.call(.post, "/api/v1/judgments/\(id2)/undo", cookie: ann.cookie)
    #expect(late.status == 409 && late.message.contains("undo window"))
    #expect(try t.scalar("SELECT undone_at IS NULL FROM judgments WHERE id = ?", [.int(id2)]) == 1)
}

@Test func undoAfterFetchingTheNextLeaseBringsTheUndoneTaskBackFirst() async throws {
    let t = try TestApp()
    try t.seedPrompts(3)
    let ann = try await t.user("ann")
    let first = try #require(try await t.next(ann))
    let id = try await t.call(.post, "/api/v1/judgments", json: pairwise(first), cookie: ann.cookie).json.dict("judgment").int("id")!
    t.clock.advance(seconds: 2)
    let second = try #require(try await t.next(ann))
    #expect(second.promptID != first.promptID)
    t.clock.advance(seconds: 2)
    #expect(try await t.call(.post, "/api/v1/judgments/\(id)/undo", cookie: ann.cookie).status == 200)
    #expect(try await t.next(ann)?.leaseID == first.leaseID)
    #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(first), cookie: ann.cookie).status == 201)
    #expect(try await t.next(ann)?.leaseID == second.leaseID, "then the task fetched in between")
}

@Test func aShorterConfiguredUndoWindowIsEnforced() async throws {
    let t = try TestApp()
    try t.seedPrompts(1)
    let admin = try await t.user("boss", role: .admin)
    #expect(try await t.call(.put, "/api/v1/settings", json: ["undo_window_seconds": 10], cookie: admin.cookie).status == 200)
    let task = try #require(try await t.next(admin))
    let id = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: admin.cookie).json.dict("judgment").int("id")!
    t.clock.advance(seconds: 11)
    #expect(try await t.call(.post, "/api/v1/judgments/\(id)/undo", cookie: admin.cookie).status == 409)
}

@Test func skipFinishesTheLeaseIsIdempotentAndThePromptNeverComesBack() async throws {
    let t = try TestApp()
    let ids = try t.seedPrompts(2)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    #expect(try await t.call(.post, "/api/v1/leases/\(task.leaseID)/skip", cookie: ann.cookie).status == 200)
    #expect(try await t.call(.post, "/api/v1/leases/\(task.leaseID)/skip", cookie: ann.cookie).status == 200)
    #expect(try t.scalar("SELECT count(*) FROM judgments WHERE kind = 'skip'") == 1)
    let next = try #require(try await t.next(ann))
    #expect(next.promptID == ids[1])
    #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(next), cookie: ann.cookie).status == 201)
    #expect(try await t.next(ann) == nil, "the skipped prompt is not offered again")
    // Someone else still gets the skipped prompt: a skip is not a label.
    let other = try await t.user("other")
    #expect(try await t.next(other)?.promptID == ids[0])
}

@Test func thumbsAreStoredAsFeedbackOncePerKey() async throws {
    let t = try TestApp()
    try t.seedPrompts(1)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    let rid = task.responseIDs[0]
    for _ in 0..<2 {
        let r = try await t.call(.post, "/api/v1/responses/\(rid)/thumb", json: ["up": true], cookie: ann.cookie, headers: [("Idempotency-Key", "t1")])
        #expect(r.status == 201)
    }
    #expect(try t.scalar("SELECT count(*) FROM judgment_thumbs WHERE response_id = ? AND thumb = 1", [.int(rid)]) == 1)
    #expect(try await t.call(.post, "/api/v1/responses/99999/thumb", json: ["up": true], cookie: ann.cookie, headers: [("Idempotency-Key", "t2")]).status == 404)
    // Thumbs do not use up the task.
    #expect(try await t.next(ann)?.leaseID == task.leaseID)
}

@Test func progressCountsTodayTotalSkippedAndLeft() async throws {
    let t = try TestApp()
    try t.seedPrompts(5)
    let ann = try await t.user("ann")
    for i in 0..<3 {
        let task = try #require(try await t.next(ann))
        if i == 2 { _ = try await t.call(.post, "/api/v1/leases/\(task.leaseID)/skip", cookie: ann.cookie) }
        else { _ = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie) }
        if i == 0 { t.clock.advance(seconds: 86_400) }
    }
    let p = try await t.call(.get, "/api/v1/me/progress", cookie: ann.cookie).json
    #expect(p.int("done_total") == 2 && p.int("done_today") == 1 && p.int("skipped") == 1 && p.int("left") == 2)
}

@Test func annotatorsSeeOnlyTheirOwnLabels() async throws {
    let t = try TestApp()
    try t.seedPrompts(2)
    let a = try await t.user("a"), b = try await t.user("b")
    for u in [a, b] {
        let task = try #require(try await t.next(u))
        var body = pairwise(task)
        body["rationale"] = "secret of \(u.id)"
        #expect(try await t.call(.post, "/api/v1/judgments", json: body, cookie: u.cookie).status == 201)
    }
    let mine = try await t.call(.get, "/api/v1/me/judgments", cookie: a.cookie)
    let list = mine.json.list("judgments")
    #expect(list.count == 1 && list[0]["rationale"] as? String == "secret of \(a.id)")
    #expect(!mine.text.contains("secret of \(b.id)"))
    // b's judgment cannot be undone (or even seen) by a.
    let bJudgment = try t.scalar("SELECT id FROM judgments WHERE annotator_id = ?", [.int(b.id)])
    #expect(try await t.call(.post, "/api/v1/judgments/\(bJudgment)/undo", cookie: a.cookie).status == 404)
    #expect(try t.scalar("SELECT undone_at IS NULL FROM judgments WHERE id = ?", [.int(bJudgment)]) == 1)
    // Nor can a submit on b's lease.
    let bLease = try t.scalar("SELECT id FROM leases WHERE annotator_id = ?", [.int(b.id)])
    #expect(try await t.call(.post, "/api/v1/leases/\(bLease)/skip", cookie: a.cookie).status == 404)
}

@Test func guidelinesAndCriteriaComeFromTheSettings() async throws {
    let t = try TestApp()
    let admin = try await t.user("boss", role: .admin)
    #expect(try await t.call(.put, "/api/v1/settings", json: ["guidelines": "Be strict.", "criteria": ["accuracy"]], cookie: admin.cookie).status == 200)
    let ann = try await t.user("ann")
    let g = try await t.call(.get, "/api/v1/guidelines", cookie: ann.cookie).json
    #expect(g["guidelines"] as? String == "Be strict." && g["criteria"] as? [String] == ["accuracy"])
}

@Test func anUndoneLabelPutsAnOlderPromptBackAheadOfNewerOnes() async throws {
    let t = try TestApp()
    let ids = try t.seedPrompts(3)
    let a = try await t.user("a", role: .admin), b = try await t.user("b"), c = try await t.user("c")
    let rs = try t.db.read { try PromptRepository($0).responses(promptID: ids[0]) }.map(\.id)
    let body: [String: Any] = ["prompt_id": ids[0], "kind": "pairwise", "idempotency_key": "direct",
                               "ranks": [["response_id": rs[0], "rank": 1], ["response_id": rs[1], "rank": 2]]]
    let judged = try await t.call(.post, "/api/v1/judgments", json: body, cookie: a.cookie)
    #expect(judged.status == 201)
    #expect(try await t.next(b)?.promptID == ids[1], "prompt 1 is covered, so the scan moves past it")
    #expect(try await t.call(.post, "/api/v1/judgments/\(judged.json.dict("judgment").int("id")!)/undo", cookie: a.cookie).status == 200)
    #expect(try await t.next(c)?.promptID == ids[0], "after the undo prompt 1 is the oldest uncovered prompt again")
    let left = try await t.call(.get, "/api/v1/me/progress", cookie: a.cookie).json.int("left")
    #expect(left == 1, "prompt 3 (1 and 2 are leased to others)")
}

@Test func openLeasesCountTowardCoverageAndEqualCoverageGoesOldestFirstWhetherLabelledOrLeased() async throws {
    let t = try TestApp()
    let ids = try t.seedPrompts(3)
    try t.db.write { c in var s = AppSettings(); s.overlap = 2; try s.save(c, now: 0) }
    let a = try await t.user("a"), b = try await t.user("b"), c = try await t.user("c")
    let d = try await t.user("d"), e = try await t.user("e")
    let first = try #require(try await t.next(a))
    #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(first), cookie: a.cookie).status == 201)
    #expect(try await t.next(b)?.promptID == ids[1], "prompt 1 has a label, prompt 2 nothing")
    #expect(try await t.next(c)?.promptID == ids[2])
    // Coverage 1 everywhere now: prompt 1 by a label, prompts 2 and 3 by open leases. Oldest first.
    #expect(try await t.next(d)?.promptID == ids[0], "a labelled prompt at the same coverage as leased ones, but older")
    // Prompt 1 is at 2 (label + lease); 2 and 3 at 1 through their leases only: the older goes first.
    #expect(try await t.next(e)?.promptID == ids[1], "a prompt covered only by a lease still counts as covered once")
    #expect(try t.scalar("SELECT labels FROM prompts WHERE id = ?", [.int(ids[0])]) == 1)
}
