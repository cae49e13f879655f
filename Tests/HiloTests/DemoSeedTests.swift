// DemoSeed: a fresh database gets the demo queue and held-out prompts (split, tagged, sourced, held-out
// flag set), the same set for the same seed, nothing twice when seeded again, and all or nothing.
import Foundation
import Testing
@testable import Hilo
@testable import Store

@Suite struct DemoSeedTests {
    final class TempDB {
        let dir: URL
        let db: Database
        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-seed-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            db = try Database(path: dir.appendingPathComponent("t.db").path)
        }
        deinit { try? FileManager.default.removeItem(at: dir) }

        /// (text, source, tags, heldout) of every prompt, in id order.
        func rows() throws -> [(String, String, String, Int64)] {
            try db.read { c in
                try c.prepare("SELECT text, source, tags, heldout FROM prompts ORDER BY id").all([]) {
                    ($0.string(0), $0.optionalString(1) ?? "", $0.string(2), $0.int(3))
                }
            }
        }
    }

    @Test func seedsQueueAndHeldOutPromptsFromTheirSplitsWithTagSourceAndFlag() throws {
        let t = try TempDB()
        let result = try DemoSeed(config: .init(queue: 300, heldout: 40, seed: 3)).seed(t.db, now: 1000)
        #expect(result.queueInserted == 300)
        #expect(result.heldoutInserted == 40)
        #expect(result.existing == 0)
        let rows = try t.rows()
        #expect(rows.count == 340)
        let judge = DemoJudge()
        for (text, source, tags, heldout) in rows {
            #expect(text.hasPrefix("\n\nHuman: ") && text.hasSuffix("\n\nAssistant:"), "an HH prompt the policy was trained on: \(text)")
            #expect(judge.problem(inPrompt: text) != nil, "the judge reads the question back: \(text)")
            #expect(tags == #"["demo"]"#)
            let question = String(text.dropFirst("\n\nHuman: ".count).dropLast("\n\nAssistant:".count))
            if heldout == 1 {
                #expect(source == DemoSeed.heldoutSource)
                #expect(DemoSplit.of(question) == .heldout, "held-out prompt from another split: \(question)")
            } else {
                #expect(heldout == 0)
                #expect(source == DemoSeed.queueSource)
                #expect(DemoSplit.of(question) == .queue, "queue prompt from another split: \(question)")
            }
        }
        #expect(Set(rows.map(\.0)).count == 340, "distinct prompts")
        #expect(try t.db.read { try PromptRepository($0).heldoutCount() } == 40)
    }

    @Test func defaultSeedsFifteenHundredQueueAndOneHundredHeldOutPrompts() throws {
        let t = try TempDB()
        let result = try DemoSeed().seed(t.db, now: 1000)
        #expect(result.queueInserted == 1500)
        #expect(result.heldoutInserted == 100)
        #expect(try t.db.read { try $0.scalar("SELECT count(*) FROM prompts WHERE heldout = 0") } == 1500)
        #expect(try t.db.read { try PromptRepository($0).heldoutCount() } == 100)
    }

    @Test func sameSeedGivesTheSamePromptsAndAnotherSeedDoesNot() throws {
        let a = try TempDB(), b = try TempDB(), c = try TempDB()
        try DemoSeed(config: .init(queue: 50, heldout: 10, seed: 1)).seed(a.db, now: 1)
        try DemoSeed(config: .init(queue: 50, heldout: 10, seed: 1)).seed(b.db, now: 2)
        try DemoSeed(config: .init(queue: 50, heldout: 10, seed: 2)).seed(c.db, now: 1)
        let ra = try a.rows(), rb = try b.rows(), rc = try c.rows()
        #expect(ra.map(\.0) == rb.map(\.0))
        #expect(ra.map(\.3) == rb.map(\.3))
        #expect(ra.map(\.0) != rc.map(\.0))
    }

    @Test func seedingAgainInsertsNothingAndGrowingTheCountAddsOnlyTheNewPrompts() throws {
        let t = try TempDB()
        try DemoSeed(config: .init(queue: 60, heldout: 10)).seed(t.db, now: 1)
        let again = try DemoSeed(config: .init(queue: 60, heldout: 10)).seed(t.db, now: 2)
        #expect(again.queueInserted == 0 && again.heldoutInserted == 0)
        #expect(again.existing == 70)
        #expect(try t.rows().count == 70)
        // The queue stream is a prefix-stable draw: 80 prompts are the first 60 plus 20 more.
        let grown = try DemoSeed(config: .init(queue: 80, heldout: 10)).seed(t.db, now: 3)
        #expect(grown.queueInserted == 20)
        #expect(grown.existing == 70)
        #expect(try t.rows().count == 90)
    }

    @Test func anImportedPromptWithTheSameTextIsLeftAsItWas() throws {
        let t = try TempDB()
        let seed = DemoSeed(config: .init(queue: 5, heldout: 5))
        let first = try seed.prompts(.heldout, count: 1)[0]
        _ = try t.db.write { try PromptRepository($0).insert(NewPrompt(text: first, source: "import:x.jsonl"), now: 1) }
        let result = try seed.seed(t.db, now: 2)
        #expect(result.existing == 1)
        #expect(result.heldoutInserted == 4)
        let row = try #require(try t.rows().first)
        #expect(row.1 == "import:x.jsonl" && row.3 == 0, "an existing prompt is not re-tagged or moved out of the queue")
    }

    @Test func negativeCountsAreRejectedAndNothingIsWritten() throws {
        let t = try TempDB()
        #expect(throws: DemoError.self) { try DemoSeed(config: .init(queue: -1, heldout: 5)).seed(t.db, now: 1) }
        #expect(try t.rows().isEmpty)
    }

    @Test func aFailureHalfwayRollsBackEveryPromptOfTheSeed() throws {
        let t = try TempDB()
        // Held-out prompts are flagged after the queue's inserts: make that update fail.
        try t.db.write { try $0.execute("CREATE TRIGGER no_heldout BEFORE UPDATE OF heldout ON prompts BEGIN SELECT RAISE(ABORT, 'no held-out prompts'); END") }
        #expect(throws: (any Error).self) { try DemoSeed(config: .init(queue: 60, heldout: 5)).seed(t.db, now: 1) }
        #expect(try t.rows().isEmpty, "the queue prompts inserted before the failure are rolled back too")
    }

    @Test func setHeldoutOfAMissingPromptThrows() throws {
        let t = try TempDB()
        #expect(throws: StoreError.self) { try t.db.write { try PromptRepository($0).setHeldout(id: 42, true) } }
    }
}
