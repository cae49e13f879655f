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

    @Test func aFolderThatCannotServeIsRefusedWhenRegisteredNotWhenItFirstGenerates() throws {
        // `serve --policy` took a tokenizer with ids beyond the vocabulary, and weights full of NaN,
        // then stocked no tasks and said nothing.
        let h = try LoopHarness()
        let error = { (body: () throws -> Void) -> String in
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        // An added token beyond the model's vocabulary.
        let wide = h.dir.appendingPathComponent("wide")
        try TinyPolicy.write(to: wide, seed: 11)
        let vocab = try ModelFolder.inspect(at: wide).config.vocabSize
        let tokURL = wide.appendingPathComponent("tokenizer.json")
        var tok = try JSONSerialization.jsonObject(with: Data(contentsOf: tokURL)) as! [String: Any]
        tok["added_tokens"] = (tok["added_tokens"] as? [[String: Any]] ?? []) + [["id": vocab + 5, "content": "<|extra|>", "single_word": false,
                                                                                   "lstrip": false, "rstrip": false, "normalized": false, "special": true]]
        try JSONSerialization.data(withJSONObject: tok).write(to: tokURL)
        let wideError = error { _ = try h.loop.store.registerPolicy(from: wide) }
        #expect(wideError.contains("added token \"<|extra|>\" has id \(vocab + 5)"), "\(wideError)")
        #expect(error { _ = try h.loop.store.addCandidate(from: wide, kind: .policy) }.contains("<|extra|>"))
        // Weights with a NaN.
        let base = h.dir.appendingPathComponent("base-for-nan"), nan = h.dir.appendingPathComponent("nan")
        try TinyPolicy.write(to: base, seed: 12)
        let loaded = try ModelFolder.load(at: base)
        loaded.parameters.view("h.0.mlp.c_fc.weight")[0] = .nan
        try ModelFolder.save(loaded, to: nan, tokenizerFrom: base)
        let nanError = error { _ = try h.loop.store.registerPolicy(from: nan) }
        #expect(nanError.contains("'h.0.mlp.c_fc.weight' has 1 of") && nanError.contains("NaN or infinite"), "\(nanError)")
        #expect(try h.loop.servingPolicy()?.name == "policy-v1")
        #expect(try h.models().map(\.name) == ["policy-v1", "reference-v1"], "nothing was registered")
        #expect(try h.folders() == ["policy-v1"])
    }
}
