// `hilo models add`: a folder trained elsewhere is registered as a candidate that does not serve,
// checked as `--policy` is; the wrong kind, a folder already registered and a bad name are refused
// by name, and a refused folder leaves nothing behind.
import Foundation
import Testing
@testable import Engine
@testable import Hilo
@testable import Store

@Suite(.serialized) struct ModelsAddTests {
    @Test func aFolderTrainedElsewhereBecomesACandidatePolicyThatDoesNotServe() throws {
        let h = try LoopHarness()
        let outside = h.dir.appendingPathComponent("trained-in-trl")
        try TinyPolicy.write(to: outside, seed: 7)
        let added = try h.loop.store.addCandidate(from: outside, kind: .policy)
        #expect(added.name == "policy-v2" && added.kind == .policy && !added.serving && added.runID == nil)
        #expect(try h.loop.servingPolicy()?.name == "policy-v1", "adding never changes what serves")
        #expect(URL(fileURLWithPath: added.path).deletingLastPathComponent().standardizedFileURL.path == h.modelsDir.standardizedFileURL.path)
        _ = try ModelFolder.inspect(at: URL(fileURLWithPath: added.path))
        #expect(ModelStore.metric(added.version.metrics, "origin") == "added")
        #expect(ModelStore.metric(added.version.metrics, "source") == outside.standardizedFileURL.path)
        // It can serve once an admin promotes it.
        try h.loop.store.promote(added.id, trigger: .admin, reason: "won the blind evaluation")
        #expect(try h.loop.servingPolicy()?.name == "policy-v2")
    }

    @Test func aNamedCandidateKeepsItsName() throws {
        let h = try LoopHarness()
        let outside = h.dir.appendingPathComponent("dpo-run")
        try TinyPolicy.write(to: outside, seed: 8)
        let added = try h.loop.store.addCandidate(from: outside, kind: .policy, name: "trl-dpo-1")
        #expect(added.name == "trl-dpo-1")
        #expect(try h.folders().contains("trl-dpo-1"))
    }

    @Test func theWrongKindASecondRegistrationAndABadNameAreRefusedByName() throws {
        let h = try LoopHarness()
        let before = try h.models().map(\.name)
        let error = { (body: () throws -> Void) -> String in
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        #expect(error { _ = try h.loop.store.addCandidate(from: h.policyFolder, kind: .reward) }.contains("--kind reward needs a sequence-classification model"))
        #expect(error { _ = try h.loop.store.addCandidate(from: h.policyFolder, kind: .policy) }.contains("is already registered as policy-v1"))
        let outside = h.dir.appendingPathComponent("other")
        try TinyPolicy.write(to: outside, seed: 9)
        #expect(error { _ = try h.loop.store.addCandidate(from: outside, kind: .policy, name: "../escape") }.contains("--name \"../escape\""))
        #expect(error { _ = try h.loop.store.addCandidate(from: outside, kind: .policy, name: "policy-v1") }.contains("named policy-v1 exists already"))
        #expect(error { _ = try h.loop.store.addCandidate(from: h.dir.appendingPathComponent("missing"), kind: .policy) }.contains("missing"))
        #expect(try h.models().map(\.name) == before, "nothing was registered")
        #expect(try h.folders() == ["policy-v1"], "nothing was copied in")
    }
}
