// Why the queue is empty (no prompts, no policy to write responses, all skipped — offered again —,
// leased to others, all labelled), what "left" counts, imports before the demo set, removing the
// demo set, the upload's own file name as the import source, and coverage without held-out prompts.
import Foundation
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

/// GET /api/v1/leases/next's `empty` object (nil when a lease came back).
private func empty(_ t: TestApp, _ u: User) async throws -> [String: Any]? {
    let r = try await t.call(.get, "/api/v1/leases/next", cookie: u.cookie).json
    return r["lease"] is NSNull ? r.dict("empty") : nil
}

@Test func theEmptyQueueNamesItsReason() async throws {
    let t = try TestApp()
    let a = try await t.user("a"), b = try await t.user("b")
    #expect(try await empty(t, a)?["reason"] as? String == "no_prompts")
    try t.seedPrompts(2)
    let task = try #require(try await t.next(a))
    #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: a.cookie).status == 201)
    _ = try #require(try await t.next(a), "a now holds the second prompt")
    let held = try #require(try await empty(t, b))
    #expect(held["reason"] as? String == "leased_to_others" && held.int("leased_to_others") == 1, "\(held)")
    try t.db.write { c in _ = try PromptRepository(c).insert(NewPrompt(text: "no responses yet"), now: 0) }
    let noPolicy = try #require(try await empty(t, b))
    #expect(noPolicy["reason"] as? String == "no_policy" && noPolicy.int("without_responses") == 1, "\(noPolicy)")
}

@Test func everythingSkippedIsOfferedAgainAndEverythingLabelledSaysSo() async throws {
    let t = try TestApp()
    let ids = try t.seedPrompts(2)
    let a = try await t.user("a")
    for _ in ids {
        let task = try #require(try await t.next(a))
        #expect(try await t.call(.post, "/api/v1/leases/\(task.leaseID)/skip", json: ["idempotency_key": "s\(task.leaseID)"], cookie: a.cookie).status == 200)
    }
    let skipped = try #require(try await empty(t, a))
    #expect(skipped["reason"] as? String == "all_skipped" && skipped.int("skipped") == 2)
    #expect(try await t.call(.get, "/api/v1/me/progress", cookie: a.cookie).json.int("left") == 0)
    let again = try await t.call(.post, "/api/v1/me/skips/reoffer", json: [String: Any](), cookie: a.cookie)
    #expect(again.status == 200 && again.json.int("reoffered") == 2)
    #expect(try await t.call(.get, "/api/v1/me/progress", cookie: a.cookie).json.int("left") == 2)
    for _ in ids {
        let task = try #require(try await t.next(a))
        #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: a.cookie).status == 201)
    }
    #expect(try await empty(t, a)?["reason"] as? String == "all_labelled")
}

@Test func leftCountsEveryPromptThePolicyWillWriteForNotOnlyTheStockedBuffer() async throws {
    let (t, _, _) = try candidateApp(prompts: 8, buffer: 2, perPrompt: 2)
    _ = try generator(t).runOnce()
    #expect(try t.scalar("SELECT count(DISTINCT prompt_id) FROM responses") == 2, "the buffer: two prompts stocked")
    let a = try await t.user("a")
    #expect(try await t.call(.get, "/api/v1/me/progress", cookie: a.cookie).json.int("left") == 8)
}

/// Seeds a small demo set and gives its queue prompts two responses each; returns their ids.
@discardableResult
private func demoWithResponses(_ t: TestApp, queue: Int, heldout: Int) throws -> [Int64] {
    try DemoSeed(config: .init(queue: queue, heldout: heldout)).seed(t.db, now: 0)
    let demo = try t.db.read { try $0.prepare("SELECT id FROM prompts WHERE source = 'demo:queue' ORDER BY id").all([]) { $0.int(0) } }
    try t.db.write { c in for id in demo { for k in 0..<2 { _ = try PromptRepository(c).addResponse(promptID: id, text: "d\(id) \(k)", origin: "import:x", now: 0) } } }
    return demo
}

@Test func importsComeBeforeTheDemoSetUnlessTurnedOff() async throws {
    let t = try TestApp()
    let demo = try demoWithResponses(t, queue: 3, heldout: 1)
    let imported = try t.seedPrompts(1)
    #expect(demo.allSatisfy { $0 < imported[0] }, "the demo prompts are older")
    let a = try await t.user("a"), b = try await t.user("b")
    #expect(try await t.next(a)?.promptID == imported[0], "the import first, though the demo prompts are older")
    try t.db.write { c in var s = try AppSettings.load(c); s.importsFirst = false; try s.save(c, now: 0) }
    t.app.settingsCache.set(nil, now: 0)
    let demoFirst = try #require(try await t.next(b))
    #expect(try t.db.read { try PromptRepository($0).byID(demoFirst.promptID)?.source } == DemoSeed.queueSource)
}

@Test func removingTheDemoSetKeepsOnlyLabelledDemoPromptsAndImports() async throws {
    let t = try TestApp()
    let demo = try demoWithResponses(t, queue: 3, heldout: 2)
    let imported = try t.seedPrompts(1)
    let a = try await t.user("a")
    try t.db.write { c in var s = try AppSettings.load(c); s.importsFirst = false; try s.save(c, now: 0) }
    t.app.settingsCache.set(nil, now: 0)
    let task = try #require(try await t.next(a))
    #expect(task.promptID == demo[0])
    #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: a.cookie).status == 201)
    let admin = try await t.user("boss", role: .admin)
    let r = try await t.call(.post, "/api/v1/demo/remove", json: [String: Any](), cookie: admin.cookie)
    #expect(r.status == 200 && r.json.int("removed") == 4 && r.json.int("kept") == 1, "\(r.text)")
    let left = try t.db.read { try $0.prepare("SELECT id FROM prompts ORDER BY id").all([]) { $0.int(0) } }
    #expect(left == [demo[0], imported[0]])
    #expect(try t.scalar("SELECT count(*) FROM responses WHERE prompt_id NOT IN (SELECT id FROM prompts)") == 0)
}

@Test func anUploadRecordsItsOwnFileNameAsTheSourceAndCoverageLeavesHeldOutPromptsOut() async throws {
    let t = try TestApp()
    let admin = try await t.user("boss", role: .admin)
    let body = Data((#"{"prompt": "U1 marker", "responses": ["x", "y"]}"# + "\n").utf8)
    let r = try await t.call(.post, "/api/v1/import", query: "format=responses&name=team%20prompts.jsonl", raw: body,
                             contentType: "application/x-ndjson", cookie: admin.cookie)
    #expect(r.status == 200, "\(r.text)")
    let sources: [String] = try t.db.read { try $0.prepare("SELECT source FROM prompts").all([]) { $0.string(0) } }
    #expect(sources == ["team prompts.jsonl"])
    let origins: [String] = try t.db.read { try $0.prepare("SELECT origin FROM responses").all([]) { $0.string(0) } }
    #expect(origins == ["import:team prompts.jsonl", "import:team prompts.jsonl"])
    let ids = try t.seedPrompts(2)
    try t.db.write { try $0.run("UPDATE prompts SET heldout = 1 WHERE id = ?", [.int(ids[0])]) }
    let cov = try await t.call(.get, "/api/v1/stats", cookie: admin.cookie).json.dict("coverage")
    #expect(cov.int("prompts") == 2, "three prompts, one held out")
}
