// The model store: --policy registration (first start, unchanged, a different folder), promote and
// rollback recorded in model_promotions, pruning that never touches serving versions, rollback targets
// or the reference's folder, and start-up recovery after a simulated crash.
import Foundation
import Testing
@testable import Engine
@testable import Hilo
@testable import Store

@Suite(.serialized) struct ModelStoreTests {
    /// A copy of the policy folder committed as a new version (as a run would write it).
    func addVersion(_ h: LoopHarness, kind: ModelKind = .policy, parent: Int64?) throws -> ModelVersionRecord {
        let tmp = h.loop.store.temporaryFolder(for: kind.rawValue)
        try FileManager.default.copyItem(at: h.policyFolder, to: tmp)
        return try h.loop.store.commit([.init(kind: kind, folder: tmp, parentID: parent, metrics: "{}")], runID: nil, labelsUsed: 0)[0]
    }

    @Test func policyRegistrationCopiesTheFolderOnceAndADifferentFolderBecomesANewServingVersion() throws {
        let h = try LoopHarness(register: false)
        #expect(try h.loop.store.registerPolicy(from: h.policyFolder) == .first("policy-v1"))
        #expect(try h.loop.store.registerPolicy(from: h.policyFolder) == .unchanged("policy-v1"))
        let models = try h.models()
        #expect(models.map(\.name) == ["policy-v1", "reference-v1"] && models.allSatisfy(\.serving))
        #expect(models[0].path == h.modelsDir.appendingPathComponent("policy-v1").path && models[1].path == models[0].path)
        let other = h.dir.appendingPathComponent("other")
        try TinyPolicy.write(to: other, seed: 2)
        #expect(try h.loop.store.registerPolicy(from: other) == .replaced("policy-v2"))
        #expect(try h.loop.servingPolicy()?.name == "policy-v2")
        #expect(try h.db.read { try ModelRepository($0).serving(.reference) }?.name == "reference-v2")
        #expect(try h.loop.store.registerPolicy(from: h.policyFolder) == .unchanged("policy-v1"), "a folder seen before changes nothing")
        // Not a model folder: a clear error, nothing registered.
        #expect(throws: EngineError.self) { try h.loop.store.registerPolicy(from: h.dir) }
        #expect(try h.models().count == 4)
    }

    @Test func promoteAndRollbackAreRecordedAndRollbackReturnsToThePreviousServingVersion() async throws {
        let h = try LoopHarness()
        let v1 = try #require(try h.loop.servingPolicy())
        let v2 = try addVersion(h, parent: v1.id), v3 = try addVersion(h, parent: v2.id)
        let admin = try await h.admin()
        let changes = Changes()
        h.loop.onServingChanged { kind, m in changes.add("\(kind.rawValue):\(m.name)") }
        #expect(try await h.call(.post, "/api/v1/models/\(v3.id)/promote", json: [String: Any](), token: admin).json.dict("model")["serving"] as? Bool == true)
        #expect(try await h.call(.post, "/api/v1/models/\(v3.id)/promote", json: [String: Any](), token: admin).status == 409)
        let back = try await h.call(.post, "/api/v1/models/rollback", json: ["kind": "policy"], token: admin)
        #expect(back.status == 200 && back.json.dict("model")["name"] as? String == "policy-v1")
        #expect(try h.loop.servingPolicy()?.id == v1.id)
        let history = try h.db.read { try ModelRepository($0).promotions(kind: .policy) }
        #expect(history.map(\.trigger) == [.bootstrap, .admin, .rollback])
        #expect(history[1].modelID == v3.id && history[1].previousID == v1.id && history[1].annotatorID != nil)
        #expect(history[2].modelID == v1.id && history[2].previousID == v3.id && history[2].reason == "rolled back from policy-v3")
        #expect(changes.list == ["policy:policy-v3", "policy:policy-v1"])
        // The reference is fixed; unknown ids 404; a bad kind 422.
        let ref = try #require(try h.db.read { try ModelRepository($0).serving(.reference) })
        #expect(try await h.call(.post, "/api/v1/models/\(ref.id)/promote", json: [String: Any](), token: admin).status == 422)
        #expect(try await h.call(.post, "/api/v1/models/999/promote", json: [String: Any](), token: admin).status == 404)
        #expect(try await h.call(.post, "/api/v1/models/rollback", json: ["kind": "reference"], token: admin).status == 422)
        #expect(try await h.call(.post, "/api/v1/models/rollback", json: ["kind": "reward"], token: admin).status == 409, "no reward serves")
        _ = v2
    }

    @Test func theModelsReplyHasEachVersionsStateAndThePromotionHistoryWithWhoWhenAndWhy() async throws {
        let h = try LoopHarness()
        let v1 = try #require(try h.loop.servingPolicy())
        let v2 = try addVersion(h, parent: v1.id), v3 = try addVersion(h, parent: v1.id)
        let admin = try await h.admin()
        let promoted = try await h.call(.post, "/api/v1/models/\(v2.id)/promote", json: ["reason": "  wins the math set  "], token: admin)
        #expect(promoted.status == 200)
        #expect(try await h.call(.post, "/api/v1/models/rollback", json: ["kind": "policy", "reason": "worse on code"], token: admin).status == 200)
        #expect(try await h.call(.post, "/api/v1/models/\(v3.id)/promote", json: ["reason": NSNull()], token: admin).status == 422)
        #expect(try await h.call(.post, "/api/v1/models/\(v3.id)/promote", json: ["reason": String(repeating: "x", count: 501)], token: admin).status == 422)
        #expect(try await h.call(.post, "/api/v1/models/\(v3.id)/promote", json: ["why": "typo"], token: admin).status == 422)
        let reply = try await h.call(.get, "/api/v1/models", token: admin).json
        let states = Dictionary(uniqueKeysWithValues: reply.list("models").map { ($0["name"] as? String ?? "", $0["state"] as? String ?? "") })
        #expect(states == ["policy-v1": "serving", "policy-v2": "rolled back", "policy-v3": "candidate", "reference-v1": "reference"])
        let history = reply.list("promotions")
        #expect(history.map { $0["trigger"] as? String } == ["rollback", "admin", "bootstrap", "bootstrap"])
        #expect(history[0]["model"] as? String == "policy-v1" && history[0]["previous"] as? String == "policy-v2")
        #expect(history[0]["reason"] as? String == "rolled back from policy-v2: worse on code")
        let name = try #require(try h.db.read { c in try AnnotatorRepository(c).all().first { $0.name.hasPrefix("boss-") }?.name })
        #expect(history[0]["by"] as? String == name && history[1]["by"] as? String == name)
        #expect(history[1]["reason"] as? String == "promoted by \(name): wins the math set")
        #expect(history[3]["by"] as? String == "hilo serve" && history[3].int("created_at") != nil)
    }

    @Test func pruningKeepsServingRollbackTargetsAndTheReferenceFolder() throws {
        let h = try LoopHarness()
        let v1 = try #require(try h.loop.servingPolicy())
        var last = v1
        var versions: [ModelVersionRecord] = []
        for _ in 0..<4 { last = try addVersion(h, parent: last.id); versions.append(last) } // v2..v5
        try h.loop.store.promote(versions[1].id, trigger: .admin, reason: "v3")             // v3 serves; v1 is its rollback target
        let pruned = try h.loop.store.prune(keep: 1)
        // Kept: v5 (newest), v3 (serving), v2 (v3's parent), v1 (v3's rollback target). Pruned: v4.
        #expect(pruned == ["policy-v4"])
        let rows = Dictionary(uniqueKeysWithValues: try h.models().map { ($0.name, $0) })
        #expect(rows["policy-v4"]?.pruned == true && rows["policy-v4"]?.prunedAt != nil, "the row stays, marked")
        #expect(!FileManager.default.fileExists(atPath: rows["policy-v4"]!.path))
        #expect(try h.folders() == ["policy-v1", "policy-v2", "policy-v3", "policy-v5"])
        #expect(throws: StoreError.self) { try h.loop.store.promote(rows["policy-v4"]!.id, trigger: .admin, reason: "x") }
        // v5 serves now: v3 becomes the rollback target and v2 goes; v1 stays, as the serving
        // reference's parent (the base model is always a rollback away).
        try h.loop.store.promote(versions[3].id, trigger: .admin, reason: "v5")
        #expect(try h.loop.store.prune(keep: 1) == ["policy-v2"])
        #expect(try h.folders() == ["policy-v1", "policy-v3", "policy-v5"])
    }

    @Test func startUpRecoveryFailsInterruptedRunsAndDeletesUnfinishedAndUnregisteredFolders() throws {
        let h = try LoopHarness()
        let fm = FileManager.default
        // A crash mid-run: a temporary version folder, a half-written checkpoint, a folder renamed but never registered.
        try fm.createDirectory(at: h.modelsDir.appendingPathComponent(".tmp-policy-123"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: h.modelsDir.appendingPathComponent(".tmp-policy-123/model.safetensors"))
        try fm.createDirectory(at: h.modelsDir.appendingPathComponent(".tmp-reward-checkpoint-9.checkpoint"), withIntermediateDirectories: true)
        try fm.copyItem(at: h.policyFolder, to: h.modelsDir.appendingPathComponent("policy-v2"))
        let now = h.clock.now
        let runID = try h.db.write { c -> Int64 in
            let r = try TrainingRunRepository(c).enqueue(kind: .dpo, config: "{}", baseModelID: nil, trigger: .admin, requestedBy: nil, now: now)
            try TrainingRunRepository(c).start(r.id, labelsUsed: 5, labelWatermark: 5, now: now)
            return r.id
        }
        try h.loop.recover()
        let run = try #require(try h.db.read { try TrainingRunRepository($0).record(runID) })
        #expect(run.status == .failed && run.run.error == "the server stopped during this run" && run.run.finishedAt != nil)
        #expect(try h.folders() == ["policy-v1"])
        #expect(try h.loop.servingPolicy()?.name == "policy-v1")
        // The next version number is still 2: the unregistered folder never counted.
        #expect(try h.db.read { try ModelRepository($0).nextVersionNumber(.policy) } == 2)
    }
}

/// Serving changes seen by a hook. `@unchecked Sendable`: `items` is guarded by `lock`.
final class Changes: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var list: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
