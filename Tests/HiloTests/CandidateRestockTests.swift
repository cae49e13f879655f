// The candidate generator after a promotion: the bookkeeping it kept for the previous serving version
// (prompts done, tries, prompts left alone) never holds the new version back, and a promotion through
// the loop wakes the running worker through its one wake path, so the new version's responses arrive
// without waiting for the poll interval. Also the BackgroundWorker the loop's threads run on.
import Foundation
import TestHelpers
import Testing
@testable import Hilo
@testable import Store

@Suite(.serialized) struct CandidateRestockTests {
    @Test func aPromotionRestocksPromptsThePreviousVersionFinishedOrLeftAloneElseTheyStayEmpty() throws {
        let t = try TestApp()
        let ids = try t.seedPrompts(4, responses: 0)
        // Near-greedy sampling: each version writes one distinct text per prompt, so after v1's pass every
        // prompt is both done and exhausted (left alone) in the generator's state.
        try t.set { smallCandidates(&$0, buffer: 4, perPrompt: 2); $0.candidates.temperature = 0.0001 }
        let v1 = try TinyModels.register(t.db, "policy-v1", .policy, folder: "policy-a")
        let gen = generator(t)
        try gen.runOnce()
        #expect(gen.state.versionID == v1 && gen.state.exhausted == Set(ids) && gen.state.done == Set(ids))
        #expect(try gen.runOnce().generated == 0, "v1 leaves them alone")

        let v2 = try TinyModels.register(t.db, "policy-v2", .policy, folder: "policy-b")
        let report = try gen.runOnce()
        for id in ids {
            let rs = try t.modelResponses(id)
            let byVersion = Dictionary(grouping: rs, by: { $0.modelVersionID! }).mapValues(\.count)
            #expect(byVersion[v2] == 1, "prompt \(id): the new version's response (v1's bookkeeping must not skip it)")
            // v1's response stays, unless v2 wrote the same text: then that unshown row became v2's.
            #expect(byVersion[v1, default: 0] <= 1 && Set(rs.map(\.text)).count == rs.count, "prompt \(id)")
        }
        #expect(report.generated == 4)
        #expect(gen.state.versionID == v2 && gen.state.tries == Dictionary(uniqueKeysWithValues: ids.map { ($0, 3) }))
        let status = t.app.candidates.status
        #expect(status.version == "policy-v2" && status.versionId == v2 && status.exhaustedPrompts == 4)
    }

    @Test func aPromotionThroughTheLoopWakesTheRunningGeneratorBeforeItsPollInterval() async throws {
        let h = try LoopHarness()
        let now = h.clock.now
        let ids = try h.db.write { c in try (0..<3).map { try PromptRepository(c).insert(NewPrompt(text: "what is \($0) plus 1?"), now: now).0 } }
        try h.settings(#"{"retraining": {"automatic": false}, "candidates": {"buffer_prompts": 3, "per_prompt": 2, "max_new_tokens": 4, "poll_seconds": 3600}}"#)
        let services = Services(app: h.app, loop: h.loop)
        try services.start()
        defer { services.stop() }
        let v1 = try #require(try h.loop.servingPolicy()).id

        func versions(_ id: Int64) throws -> [Int64: Int] {
            let rs = try h.db.read { try PromptRepository($0).responses(promptID: id) }
            return Dictionary(grouping: rs.compactMap(\.modelVersionID), by: { $0 }).mapValues(\.count)
        }
        #expect(try await eventually { try ids.allSatisfy { try versions($0)[v1] == 2 } }, "v1's stock")

        // A second version (another random tiny GPT-2), promoted as an admin would.
        let folder = h.dir.appendingPathComponent("other")
        try TinyPolicy.write(to: folder, seed: 2)
        let v2 = try h.db.write { c in
            try ModelRepository(c).create(name: "policy-v2", kind: .policy, parentID: v1, path: folder.path, now: now).id
        }
        try h.loop.store.promote(v2, trigger: .admin, reason: "test")
        #expect(try await eventually { try ids.allSatisfy { try versions($0)[v2] == 2 } },
                "v2's stock after the promotion's wake-up (the poll is an hour)")
        #expect(h.app.candidates.status.version == "policy-v2")
        services.stop()
        #expect(!h.app.candidates.status.running)
    }

    @Test func backgroundWorkerRunsAPassPerWakeAndEveryConcurrentStopReturnsOnlyAfterTheThreadEnded() async throws {
        final class Counter: @unchecked Sendable { // `n` and `inPass` guarded by `lock`
            let lock = NSLock(); var n = 0; var inPass = false
        }
        let counter = Counter()
        let worker = BackgroundWorker(.init(name: "hilo-test", pollSeconds: 3600, niceness: nil))
        worker.start {
            counter.lock.lock(); counter.n += 1; counter.inPass = true; counter.lock.unlock()
            Thread.sleep(forTimeInterval: 0.2) // a pass in progress when stop() comes
            counter.lock.lock(); counter.inPass = false; counter.lock.unlock()
            return nil
        }
        func count() -> Int { counter.lock.lock(); defer { counter.lock.unlock() }; return counter.n }
        try await eventually { count() >= 1 }
        #expect(count() == 1, "the first pass runs at once")
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(count() == 1, "then it sleeps for the poll interval")
        worker.wake()
        try await eventually { count() >= 2 }
        #expect(count() == 2, "a wake-up runs a pass")
        // The second pass has begun (it counts and marks itself in one locked step) and lasts 0.2 s.
        // Two threads stop it at once (the signal handler and `hilo serve`'s main path do): both return
        // only once the pass has finished and the thread has ended.
        let results = Counter() // `n`: the stops that returned after the pass had ended
        let threads = (0..<2).map { _ in
            Thread {
                worker.stop()
                results.lock.lock(); counter.lock.lock()
                if !counter.inPass { results.n += 1 }
                counter.lock.unlock(); results.lock.unlock()
            }
        }
        threads.forEach { $0.start() }
        #expect(try await eventually { !threads.contains { !$0.isFinished } }, "both stops returned")
        let stopped = results.lock.withLock { results.n }
        #expect(stopped == 2)
        worker.wake()   // stop() joined the thread, so no pass can follow, now or later
        #expect(count() == 2 && worker.isStopping, "no pass after stop")
        worker.stop() // again: returns at once
    }
}
