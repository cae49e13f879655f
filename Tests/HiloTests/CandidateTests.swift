// The candidate generator: it stocks exactly the buffer of unlabelled, non-held-out prompts with the
// serving policy version's responses (recording version and sampling), restocks after the serving
// version changes, bounds its retries, and next-task shows the serving version's responses (with
// imported ones) without ever changing what an open lease shows.
import Foundation
import TestHelpers
import Testing
@testable import Hilo
@testable import Store

extension TestApp {
    func set(_ body: (inout AppSettings) -> Void) throws {
        let now = clock.now
        try db.write { c in
            var s = try AppSettings.load(c)
            body(&s)
            try s.validate()
            try s.save(c, now: now)
        }
        app.settingsCache.set(nil, now: 0)
    }

    /// Model responses of a prompt: (origin, model_version_id, sampling).
    func modelResponses(_ promptID: Int64) throws -> [Completion] {
        try db.read { try PromptRepository($0).responses(promptID: promptID) }.filter { $0.modelVersionID != nil }
    }
}

func generator(_ t: TestApp, seed: UInt64 = 42) -> CandidateGenerator {
    var config = CandidateGenerator.Config()
    config.seed = seed
    config.batchPrompts = 3
    return CandidateGenerator(db: t.app.db, clock: t.app.config.clock, board: t.app.candidates, config: config)
}

/// Small buffers and short responses keep the tiny models fast.
func smallCandidates(_ s: inout AppSettings, buffer: Int = 4, perPrompt: Int = 3) {
    s.candidates.bufferPrompts = buffer
    s.candidates.perPrompt = perPrompt
    s.candidates.maxNewTokens = 6
}

/// A test app for the generator: `prompts` prompts without responses, small candidate settings
/// (then `more`), and policy-v1 registered from the tiny policy-a. Returns the app, the prompt ids
/// and policy-v1's model version id.
func candidateApp(prompts: Int, buffer: Int = 4, perPrompt: Int = 3,
                  _ more: (inout AppSettings) -> Void = { _ in }) throws -> (t: TestApp, ids: [Int64], v1: Int64) {
    let t = try TestApp()
    let ids = try t.seedPrompts(prompts, responses: 0)
    try t.set { smallCandidates(&$0, buffer: buffer, perPrompt: perPrompt); more(&$0) }
    let v1 = try TinyModels.register(t.db, "policy-v1", .policy, folder: "policy-a")
    return (t, ids, v1)
}

@Suite(.serialized) struct CandidateTests {
    @Test func generatorStocksExactlyTheBufferWithServingResponsesSkippingHeldOutAndRecordsSampling() throws {
        let (t, ids, v1) = try candidateApp(prompts: 8)
        try t.db.write { try $0.run("UPDATE prompts SET heldout = 1 WHERE id = ?", [.int(ids[1])]) }
        let report = try generator(t).runOnce()

        let stocked = [ids[0], ids[2], ids[3], ids[4]]
        for id in ids {
            let rs = try t.modelResponses(id)
            if stocked.contains(id) {
                #expect(rs.count == 3, "prompt \(id): per_prompt responses")
                #expect(Set(rs.map(\.text)).count == 3, "distinct texts")
                for r in rs {
                    #expect(r.origin == "model:policy-v1" && r.modelVersionID == v1)
                    let text = try #require(r.sampling)
                    let sampling = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                    #expect(sampling["temperature"] as? Double == 1 && sampling["top_p"] as? Double == 0.95)
                    #expect(sampling["max_new_tokens"] as? Int == 6 && sampling["model"] as? String == "policy-v1")
                    #expect(sampling["seed"] is NSNumber && sampling["greedy"] as? Bool == false)
                }
            } else {
                #expect(rs.isEmpty, "prompt \(id) is held out or beyond the buffer")
            }
        }
        #expect(report.generated == 12)
        let status = t.app.candidates.status
        #expect(status.version == "policy-v1" && status.versionId == v1 && status.stockedPrompts == 4 && status.bufferPrompts == 4)
        #expect(status.unlabelledPrompts == 7, "8 prompts, one held out, none labelled")
        #expect(status.generatedTotal == 12 && status.tokensTotal > 0 && (status.tokensPerSecond ?? 0) > 0)
        #expect(try generator(t).runOnce().generated == 0, "a stocked buffer needs nothing")
    }

    @Test func labellingAPromptMovesTheBufferOnAndTheLabelledPromptKeepsItsResponses() async throws {
        let (t, ids, _) = try candidateApp(prompts: 5, buffer: 2, perPrompt: 2)
        let gen = generator(t)
        try gen.runOnce()
        #expect(try ids.map { try t.modelResponses($0).count } == [2, 2, 0, 0, 0])
        let ann = try await t.user("ann")
        let task = try #require(try await t.next(ann))
        #expect(task.promptID == ids[0])
        #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie).status == 201)
        try gen.runOnce()
        #expect(try ids.map { try t.modelResponses($0).count } == [2, 2, 2, 0, 0])
        #expect(t.app.candidates.status.unlabelledPrompts == 4)
    }

    @Test func onceEveryPromptIsLabelledThePassGeneratesNothingAndReportsNoUnlabelledPrompts() async throws {
        let (t, ids, _) = try candidateApp(prompts: 2, buffer: 4, perPrompt: 2)
        let gen = generator(t)
        #expect(try gen.runOnce().generated == 4)
        #expect(t.app.candidates.status.unlabelledPrompts == 2)
        let ann = try await t.user("ann")
        for id in ids {
            let task = try #require(try await t.next(ann))
            #expect(task.promptID == id)
            #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie).status == 201)
        }
        #expect(try gen.runOnce().generated == 0)
        let status = t.app.candidates.status
        #expect(status.unlabelledPrompts == 0 && status.stockedPrompts == 0 && status.error == nil)
        let admin = try await t.user("boss", role: .admin)
        let reply = try await t.call(.get, "/api/v1/candidates/status", cookie: admin.cookie)
        #expect(reply.status == 200 && reply.json.int("unlabelled_prompts") == 0, "\(reply.text)")
    }

    @Test func aNewServingVersionRestocksUnlabelledPromptsAndTasksShowOnlyItsResponses() async throws {
        let (t, ids, v1) = try candidateApp(prompts: 4, buffer: 4, perPrompt: 2) { $0.overlap = 2 }
        // Prompt 4 has two imported responses too: they are always in its pool.
        let imported = try t.db.write { c in
            try (0..<2).map { try PromptRepository(c).addResponse(promptID: ids[3], text: "imported \($0)", origin: "import:test", now: 1).id }
        }
        let gen = generator(t)
        try gen.runOnce()
        let ann = try await t.user("ann")
        let first = try #require(try await t.next(ann))
        #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(first), cookie: ann.cookie).status == 201)

        let v2 = try TinyModels.register(t.db, "policy-v2", .policy, folder: "policy-b")
        // Before restocking, unlabelled prompts whose only model responses are v1's wait, except
        // prompt 4, carried by its imported pair (its pool is fixed: imported + its newest version's).
        let bob = try await t.user("bob")
        let carried = try #require(try await t.next(bob))
        #expect(carried.promptID == ids[3])
        let poolOf3 = Set(imported + (try t.modelResponses(ids[3]).map(\.id)))
        #expect(Set(carried.responseIDs) == poolOf3)
        #expect(try await t.call(.post, "/api/v1/leases/\(carried.leaseID)/skip", cookie: bob.cookie).status == 200)
        // The labelled prompt (overlap 2) keeps showing the v1 pool its first judgment saw.
        let second = try #require(try await t.next(bob))
        #expect(second.promptID == ids[0])
        #expect(Set(second.responseIDs) == Set(try t.modelResponses(ids[0]).map(\.id)))
        #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(second), cookie: bob.cookie).status == 201)
        #expect(try await t.next(bob) == nil, "the rest waits for restocking")

        try gen.runOnce()
        #expect(t.app.candidates.status.version == "policy-v2")
        #expect(try t.modelResponses(ids[0]).allSatisfy { $0.modelVersionID == v1 }, "labelled prompts are not restocked")
        for id in ids[1...] {
            let byVersion = Dictionary(grouping: try t.modelResponses(id), by: { $0.modelVersionID! }).mapValues(\.count)
            #expect(byVersion == [v1: 2, v2: 2], "prompt \(id)")
        }
        let cat = try await t.user("cat")
        var seen: Set<Int64> = []
        while let task = try await t.next(cat) {
            seen.insert(task.promptID)
            let rs = try t.db.read { try PromptRepository($0).responses(promptID: task.promptID) }
            let shown = rs.filter { task.responseIDs.contains($0.id) }
            #expect(shown.allSatisfy { $0.modelVersionID == v2 || $0.modelVersionID == nil }, "never an older version's")
            #expect(shown.count == (task.promptID == ids[3] ? 4 : 2))
            if task.promptID == ids[3] { #expect(Set(imported).isSubset(of: Set(task.responseIDs))) }
            #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: cat.cookie).status == 201)
        }
        #expect(seen == Set(ids[1...]), "prompt 1 has its two labels")
    }

    @Test func anOpenLeaseKeepsItsResponsesWhileANewVersionArrives() async throws {
        let (t, ids, _) = try candidateApp(prompts: 2, buffer: 2, perPrompt: 2)
        let gen = generator(t)
        try gen.runOnce()
        let ann = try await t.user("ann")
        let task = try #require(try await t.next(ann))
        t.clock.advance(seconds: 5)
        let v2 = try TinyModels.register(t.db, "policy-v2", .policy, folder: "policy-b")
        try gen.runOnce()
        #expect(try t.modelResponses(task.promptID).allSatisfy { $0.modelVersionID != v2 }, "a leased prompt is not restocked")
        let other = ids.first { $0 != task.promptID }!
        #expect(try t.modelResponses(other).contains { $0.modelVersionID == v2 })
        // Even if the lease's prompt gets new responses (say, after its lease expired), the lease shows what it showed.
        try t.db.write { c in
            _ = try PromptRepository(c).addResponse(promptID: task.promptID, text: "late v2", origin: "model:policy-v2", modelVersionID: v2, now: t.clock.now)
        }
        let again = try #require(try await t.next(ann))
        #expect(again.leaseID == task.leaseID && again.responseIDs == task.responseIDs)
        #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie).status == 201)
    }

    @Test func withGenerationOffPromptsWithAnOlderVersionsResponsesAreNotHeldBack() async throws {
        let (t, ids, v1) = try candidateApp(prompts: 2, buffer: 2, perPrompt: 2)
        try generator(t).runOnce()
        try TinyModels.register(t.db, "policy-v2", .policy, folder: "policy-b")
        let ann = try await t.user("ann")
        #expect(try await t.next(ann) == nil, "generation on: they wait for policy-v2's responses")
        try t.set { $0.candidates.enabled = false }
        let task = try #require(try await t.next(ann))
        #expect(task.promptID == ids[0])
        #expect(Set(task.responseIDs) == Set(try t.modelResponses(ids[0]).filter { $0.modelVersionID == v1 }.map(\.id)))
        #expect(try generator(t).runOnce().generated == 0, "generation off: nothing is generated")
    }

    @Test func aPolicyThatRepeatsItselfGetsBoundedRetriesAndIsLeftAlone() throws {
        let (t, ids, _) = try candidateApp(prompts: 3, buffer: 2, perPrompt: 4) { $0.candidates.temperature = 0.0001 }
        let gen = generator(t)
        try gen.runOnce()
        #expect(try ids.map { try t.modelResponses($0).count } == [1, 1, 1], "one distinct response each; the buffer moves past exhausted prompts")
        #expect(t.app.candidates.status.exhaustedPrompts == 3)
        #expect(t.app.candidates.status.duplicatesSkipped == 3 * (4 + 3 + 3) - 3, "3 rounds each: 4 samples, then 3, then 3")
        #expect(try gen.runOnce().generated == 0, "left alone until the next version")
    }

    @Test func theWorkerThreadStocksByItselfAndASubmitWakesIt() async throws {
        let (t, ids, _) = try candidateApp(prompts: 4, buffer: 2, perPrompt: 2) { $0.candidates.pollSeconds = 3600 }
        let gen = generator(t)
        gen.start()
        defer { gen.stop() }
        #expect(try await eventually { try t.modelResponses(ids[1]).count == 2 }, "the first stock")
        #expect(t.app.candidates.status.running)
        let ann = try await t.user("ann")
        let task = try #require(try await t.next(ann))
        #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie).status == 201)
        #expect(try await eventually { try t.modelResponses(ids[2]).count == 2 }, "the submit's wake-up")
        gen.stop()
        #expect(!t.app.candidates.status.running)
    }

    @Test func statusRouteIsForAdminsAndReportsTheWorker() async throws {
        let t = try candidateApp(prompts: 2, buffer: 2, perPrompt: 2).t
        try generator(t).runOnce()
        let admin = try await t.user("boss", role: .admin), ann = try await t.user("ann")
        #expect(try await t.call(.get, "/api/v1/candidates/status", cookie: ann.cookie).status == 403)
        let r = try await t.call(.get, "/api/v1/candidates/status", cookie: admin.cookie)
        #expect(r.status == 200)
        #expect(r.json["version"] as? String == "policy-v1" && r.json.int("stocked_prompts") == 2 && r.json.int("generated_total") == 4)
        #expect(r.json["running"] as? Bool == false)
    }

    @Test func candidateSettingsAreValidated() async throws {
        let t = try TestApp()
        let admin = try await t.user("boss", role: .admin)
        let bad = try await t.call(.put, "/api/v1/settings", json: ["candidates": ["poll_seconds": 0]], cookie: admin.cookie)
        #expect(bad.status == 422 && bad.message.contains("candidates.poll_seconds"))
        let ok = try await t.call(.put, "/api/v1/settings", json: ["candidates": ["poll_seconds": 5, "buffer_prompts": 10],
                                                                    "rlaif": ["auto_label": true, "confidence_threshold": 0.8, "score_responses": false]],
                                  cookie: admin.cookie)
        #expect(ok.status == 200)
        #expect(ok.json.dict("candidates").int("poll_seconds") == 5 && ok.json.dict("candidates").int("per_prompt") == 4)
        #expect(ok.json.dict("rlaif")["auto_label"] as? Bool == true && ok.json.dict("rlaif")["score_responses"] as? Bool == false)
        let threshold = try await t.call(.put, "/api/v1/settings", json: ["rlaif": ["confidence_threshold": 0.5]], cookie: admin.cookie)
        #expect(threshold.status == 422 && threshold.message.contains("rlaif.confidence_threshold"))
    }

    @Test func handWrittenTaskJSONWithScoresMatchesJSONEncoderByteForByte() throws {
        let task = NextLeaseDTO(lease: LeaseDTO(id: 7, expiresAt: 9, prompt: PromptDTO(id: 3, text: "p", messages: nil),
                                             responses: [ShownResponse(label: "A", id: 10, text: "a")], criteria: ["c"],
                                             scores: [ScoreDTO(responseId: 10, score: -1.25), ScoreDTO(responseId: 11, score: 2)]))
        guard case .bytes(let data) = API.fast(task).body else { Issue.record("not bytes"); return }
        #expect(String(decoding: data, as: UTF8.self) == String(decoding: try API.encoder.encode(task), as: UTF8.self))
    }
}

/// A submit wakes the candidate worker only while its last pass stocked a serving policy's responses
/// (enabled, a version); otherwise the wake would be a wasted pass on every label.
@Test func aSubmitWakesTheCandidateWorkerOnlyWhileItStocksAPolicy() {
    let board = CandidateBoard()
    let calls = Locked(0)
    board.register(wake: { calls.withLock { $0 += 1 } })
    board.labelled()
    #expect(calls.withLock { $0 } == 0, "no serving policy: no wake")
    board.update { $0.versionId = 7 }
    board.labelled()
    #expect(calls.withLock { $0 } == 1, "stocking version 7: one wake")
    board.update { $0.enabled = false }
    board.labelled()
    #expect(calls.withLock { $0 } == 1, "candidates disabled: no wake")
    board.wake()
    #expect(calls.withLock { $0 } == 2, "wake() (a promotion) always reaches the worker")
}
