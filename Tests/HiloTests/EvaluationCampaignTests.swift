// Blind evaluation campaigns end to end through the API: creating (and bad requests), background
// preparation with tiny GPT-2 folders (comparisons, sides, reuse of responses, automatic measures),
// the annotator's blind comparison (no model identity, leases, choices mapped through `swapped`,
// idempotency), the result with Wilson intervals and the sign test, closing, and failures.
import Engine
import Foundation
import TestHelpers
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

/// A test app with model versions on disk: policy-v1 (random; also the reference), policy-v2 (always
/// writes "x"), reward-v1 (likes a last "x"), and `prompts` held-out prompts.
final class EvalWorld: @unchecked Sendable {
    let t: TestApp
    let v1: ModelVersion, v2: ModelVersion, reward: ModelVersion, reference: ModelVersion
    let promptIDs: [Int64]
    let x: Int

    init(prompts: Int = 40) throws {
        t = try TestApp()
        let dir = t.dir.appendingPathComponent("models")
        let (tok, tokenizer) = try ConstructedModels.tokenizer(in: t.dir)
        x = tokenizer.encode("x")[0]
        try ConstructedModels.randomPolicy(at: dir.appendingPathComponent("policy-v1"), tokenizer: tok, seed: 1)
        try ConstructedModels.favouringPolicy(at: dir.appendingPathComponent("policy-v2"), tokenizer: tok, token: x, seed: 2)
        try ConstructedModels.rewardLiking(at: dir.appendingPathComponent("reward-v1"), tokenizer: tok, token: x, seed: 3)
        let now = t.clock.now
        (v1, v2, reward, reference, promptIDs) = try t.db.write { c in
            let m = ModelRepository(c)
            let v1 = try m.create(name: "policy-v1", kind: .policy, parentID: nil, path: dir.appendingPathComponent("policy-v1").path, now: now)
            let v2 = try m.create(name: "policy-v2", kind: .policy, parentID: v1.id, path: dir.appendingPathComponent("policy-v2").path, now: now)
            let r = try m.create(name: "reward-v1", kind: .reward, parentID: nil, path: dir.appendingPathComponent("reward-v1").path, now: now)
            let ref = try m.create(name: "reference", kind: .reference, parentID: nil, path: v1.path, now: now)
            for id in [v1.id, r.id, ref.id] { try m.setServing(id) }
            var ids: [Int64] = []
            for i in 0..<prompts {
                ids.append(try PromptRepository(c).insert(NewPrompt(text: "\n\nHuman: What is \(i) plus \(i)?\n\nAssistant:"), now: now).id)
            }
            try c.run("UPDATE prompts SET heldout = 1")
            return (v1, v2, r, ref, ids)
        }
    }

    /// Creates a campaign v1 (A) vs v2 (B) as `admin` and prepares it on this thread; returns its id.
    func preparedCampaign(_ admin: User, extra: [String: Any] = [:]) async throws -> Int64 {
        let r = try await t.call(.post, "/api/v1/evaluations", json: ["model_a": "policy-v1", "model_b": "policy-v2", "seed": 11].merging(extra) { $1 },
                                 cookie: admin.cookie)
        #expect(r.status == 201, "\(r.text)")
        let id = try #require(r.json.dict("campaign").int("id"))
        #expect(r.json.dict("campaign")["status"] as? String == "preparing")
        let clock = t.clock
        #expect(CampaignPreparer(db: t.db, clock: { clock.now }).prepareWaiting() == 1)
        return id
    }

    func comparisons(_ campaign: Int64) throws -> [EvalComparison] { try t.db.read { try EvalRepository($0).comparisons(campaignID: campaign) } }
}

@Test func preparingCreatesOneComparisonPerPromptWithBothVersionsResponsesBalancedSidesAndTheMeasures() async throws {
    let w = try EvalWorld()
    let admin = try await w.t.user("root", role: .admin)
    let id = try await w.preparedCampaign(admin)
    let list = try w.comparisons(id)
    #expect(list.count == 40)
    #expect(Set(list.map(\.promptID)) == Set(w.promptIDs))
    let (fromA, fromB, samplings) = try w.t.db.read { c in
        (try list.map { try PromptRepository(c).response($0.responseAID)!.modelVersionID },
         try list.map { try PromptRepository(c).response($0.responseBID)!.modelVersionID },
         try list.map { try PromptRepository(c).response($0.responseBID)!.sampling ?? "" })
    }
    #expect(fromA.allSatisfy { $0 == w.v1.id } && fromB.allSatisfy { $0 == w.v2.id }, "A's responses come from policy-v1, B's from policy-v2")
    #expect(samplings.allSatisfy { $0.contains("\"seed\":11") && $0.contains("\"model\":\"policy-v2\"") && $0.contains("\"top_p\":0.95") })
    let swapped = list.filter(\.swapped).count
    #expect((12...28).contains(swapped), "sides are random: \(swapped) of 40 swapped")
    let texts = try w.t.db.read { c in try list.map { try PromptRepository(c).response($0.responseBID)!.text } }
    #expect(texts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0 == "x" } }, "policy-v2 writes x's: \(texts[0])")

    let show = try await w.t.call(.get, "/api/v1/evaluations/\(id)", cookie: admin.cookie)
    #expect(show.status == 200)
    #expect(show.json.dict("campaign")["status"] as? String == "open")
    #expect(show.json.dict("campaign").int("total") == 40)
    let auto = show.json.dict("automatic")
    #expect(auto.int("prompts") == 40 && auto["reward_model"] as? String == "reward-v1" && auto["reference_model"] as? String == "reference")
    #expect(auto.dict("reward_win_rate").int("wins") == 40, "reward-v1 prefers policy-v2's x's on every prompt")
    let meanA = try #require(auto.dict("mean_reward_a")["mean"] as? Double), meanB = try #require(auto.dict("mean_reward_b")["mean"] as? Double)
    #expect(meanB > 10 && meanA < -10, "mean rewards \(meanA) (A) and \(meanB) (B)")
    #expect(auto.dict("kl_a")["mean"] as? Double == 0, "policy-v1 is the reference: KL exactly 0")
    #expect((auto.dict("kl_b")["mean"] as? Double ?? 0) > 50, "policy-v2 is far from the reference")

    // A second campaign between the same versions reuses their responses.
    let before = try w.t.scalar("SELECT count(*) FROM responses")
    let again = try await w.preparedCampaign(admin, extra: ["name": "again", "seed": 12])
    #expect(try w.t.scalar("SELECT count(*) FROM responses") == before)
    #expect(try w.comparisons(again).map(\.responseBID) == list.map(\.responseBID))
}

@Test func theAnnotatorSeesOnlyLeftAndRightTextsNeverModelNamesVersionsOrResponseIDs() async throws {
    let w = try EvalWorld(prompts: 6)
    let admin = try await w.t.user("root", role: .admin), ann = try await w.t.user("ann")
    let id = try await w.preparedCampaign(admin)
    let peek = try await w.t.call(.get, "/api/v1/evaluations/next", query: "peek=1", cookie: ann.cookie)
    #expect(peek.json.int("available") == 6)
    #expect(try w.t.scalar("SELECT count(*) FROM eval_comparisons WHERE leased_by IS NOT NULL") == 0, "peeking leases nothing")
    let r = try await w.t.call(.get, "/api/v1/evaluations/next", cookie: ann.cookie)
    #expect(r.status == 200)
    #expect(try await w.t.call(.get, "/api/v1/evaluations/next", query: "peek=1", cookie: ann.cookie).json.int("available") == 6,
            "their own lease still counts for them")
    let cmp = r.json.dict("comparison")
    #expect(Set(cmp.keys) == ["id", "prompt", "left", "right", "lease_expires_at"])
    #expect(Set(cmp.dict("left").keys) == ["text"] && Set(cmp.dict("right").keys) == ["text"])
    for secret in ["policy", "reward", "reference", "model", "swapped", "response", "v1", "v2", "model_a", "model_b"] {
        #expect(!r.text.contains(secret), "the annotator's payload mentions \(secret): \(r.text)")
    }
    let stored = try #require(try w.comparisons(id).first { $0.id == cmp.int("id") })
    let xSide = stored.swapped ? "left" : "right"
    #expect((cmp.dict(xSide)["text"] as? String)?.allSatisfy { $0 == "x" } == true, "B's text is shown on the \(xSide) because swapped = \(stored.swapped)")
    // Reloading returns the same leased comparison.
    #expect(try await w.t.call(.get, "/api/v1/evaluations/next", cookie: ann.cookie).json.dict("comparison").int("id") == cmp.int("id"))
}

@Test func choicesMapThroughSwappedToExactTalliesWilsonBoundsAndSignTest() async throws {
    let w = try EvalWorld(prompts: 30)
    let admin = try await w.t.user("root", role: .admin)
    let anns = [try await w.t.user("ann"), try await w.t.user("bob"), try await w.t.user("cy")]
    let id = try await w.preparedCampaign(admin)
    let byID = Dictionary(uniqueKeysWithValues: try w.comparisons(id).map { ($0.id, $0) })
    // Judge 27: B (the x's) wins 18, A wins 4, 5 ties — choosing the side as displayed.
    var expected: [Int64: String] = [:]
    for n in 0..<27 {
        let ann = anns[n % 3]
        let next = try await w.t.call(.get, "/api/v1/evaluations/next", cookie: ann.cookie)
        let cid = try #require(next.json.dict("comparison").int("id"))
        let want = n < 18 ? "b" : n < 22 ? "a" : "tie"
        let swapped = byID[cid]!.swapped
        let choice = want == "tie" ? "tie" : (want == "b") != swapped ? "right" : "left"
        let r = try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)", json: ["choice": choice], cookie: ann.cookie)
        #expect(r.status == 201, "\(r.text)")
        #expect(r.json.dict("comparison")["choice"] as? String == choice)
        expected[cid] = want
        // Idempotent for the same choice; a different one is refused; someone else is refused.
        let again = try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)", json: ["choice": choice], cookie: ann.cookie)
        #expect(again.status == 200 && again.headers["Idempotent-Replayed"] == "true")
        if n == 0 {
            let other = choice == "left" ? "right" : "left"
            #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)", json: ["choice": other], cookie: ann.cookie).status == 409)
            #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)", json: ["choice": choice], cookie: anns[1].cookie).status == 409)
        }
    }
    let stored = try w.comparisons(id).filter { $0.winner != nil }
    #expect(stored.count == 27)
    #expect(stored.allSatisfy { expected[$0.id] == $0.winner }, "every stored winner is the choice mapped through swapped")

    let show = try await w.t.call(.get, "/api/v1/evaluations/\(id)", cookie: admin.cookie)
    let result = show.json.dict("result")
    #expect(result.int("wins") == 18 && result.int("ties") == 5 && result.int("losses") == 4 && result.int("total") == 27)
    let reference = SideBySideResult(viewpoint: .b, wins: 18, ties: 5, losses: 4)
    // Equal up to JSON's decimal round trip (one unit in the last place).
    func close(_ key: String, _ want: Double) { #expect(abs((result[key] as? Double ?? -1) - want) < 1e-12, "\(key): \(String(describing: result[key])) vs \(want)") }
    close("win_rate_lower", reference.winRateInterval.lower)
    close("win_rate_upper", reference.winRateInterval.upper)
    close("decisive_win_rate_lower", reference.decisiveWinRateInterval.lower)
    close("decisive_win_rate_upper", reference.decisiveWinRateInterval.upper)
    close("sign_test_p_value", SignTest.pValue(wins: 18, losses: 4))
    #expect(abs((result["sign_test_p_value"] as? Double ?? 1) - 0.004344) < 1e-6, "2·P(X ≤ 4), X ~ Bin(22, ½)")
    #expect(show.json["progress"] as? Double == 27.0 / 30.0)
    let c = show.json.dict("campaign")
    #expect(c.int("wins_a") == 4 && c.int("wins_b") == 18 && c.int("ties") == 5 && c.int("judged") == 27)
    #expect(c["model_a"] as? String == "policy-v1" && c["model_b"] as? String == "policy-v2")
}

@Test func leasesKeepTwoAnnotatorsApartAndExpire() async throws {
    let w = try EvalWorld(prompts: 3)
    let admin = try await w.t.user("root", role: .admin), ann = try await w.t.user("ann"), bob = try await w.t.user("bob")
    _ = try await w.preparedCampaign(admin)
    let a = try #require(try await w.t.call(.get, "/api/v1/evaluations/next", cookie: ann.cookie).json.dict("comparison").int("id"))
    let b = try #require(try await w.t.call(.get, "/api/v1/evaluations/next", cookie: bob.cookie).json.dict("comparison").int("id"))
    #expect(a != b)
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(a)", json: ["choice": "tie"], cookie: bob.cookie).status == 409,
            "a comparison leased to ann is not bob's to judge")
    w.t.clock.advance(seconds: 601) // the default lease is 600 s
    let c = try await w.t.call(.get, "/api/v1/evaluations/next", cookie: bob.cookie).json.dict("comparison").int("id")
    #expect(c == a, "every lease expired: bob gets the first free comparison, ann's old one")
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(a)", json: ["choice": "tie"], cookie: bob.cookie).status == 201,
            "after ann's lease expired bob may judge it")
}

@Test func aChoiceCanBeUndoneWithinTheUndoWindowByItsAnnotatorOnlyAndTheComparisonComesBack() async throws {
    let w = try EvalWorld(prompts: 3)
    let admin = try await w.t.user("root", role: .admin), ann = try await w.t.user("ann"), bob = try await w.t.user("bob")
    let campaign = try await w.preparedCampaign(admin)
    let cid = try #require(try await w.t.call(.get, "/api/v1/evaluations/next", cookie: ann.cookie).json.dict("comparison").int("id"))
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)/undo", json: [String: Any](), cookie: ann.cookie).status == 409,
            "nothing chosen yet")
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)", json: ["choice": "left"], cookie: ann.cookie).status == 201)
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)/undo", json: [String: Any](), cookie: bob.cookie).status == 409,
            "not bob's choice")
    let undone = try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)/undo", json: [String: Any](), cookie: ann.cookie)
    #expect(undone.status == 200 && undone.json.dict("comparison").int("id") == cid)
    #expect(try w.comparisons(campaign).first { $0.id == cid }?.winner == nil)
    // It is ann's again (leased to her), and a different choice is now accepted.
    #expect(try await w.t.call(.get, "/api/v1/evaluations/next", cookie: ann.cookie).json.dict("comparison").int("id") == cid)
    #expect(try await w.t.call(.get, "/api/v1/evaluations/next", cookie: bob.cookie).json.dict("comparison").int("id") != cid)
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)", json: ["choice": "right"], cookie: ann.cookie).status == 201)
    // After the undo window the choice stands.
    w.t.clock.advance(seconds: Double(AppSettings().undoWindowSeconds) + 1)
    let late = try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)/undo", json: [String: Any](), cookie: ann.cookie)
    #expect(late.status == 409 && late.message.contains("undo window"))
    #expect(try w.comparisons(campaign).first { $0.id == cid }?.winner != nil)
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/424242/undo", json: [String: Any](), cookie: ann.cookie).status == 404)
}

@Test func closingStopsHandingOutAndJudgingComparisons() async throws {
    let w = try EvalWorld(prompts: 4)
    let admin = try await w.t.user("root", role: .admin), ann = try await w.t.user("ann")
    let id = try await w.preparedCampaign(admin)
    let cid = try #require(try await w.t.call(.get, "/api/v1/evaluations/next", cookie: ann.cookie).json.dict("comparison").int("id"))
    let closed = try await w.t.call(.post, "/api/v1/evaluations/\(id)/close", json: [String: Any](), cookie: admin.cookie)
    #expect(closed.status == 200 && closed.json.dict("campaign")["status"] as? String == "closed")
    let next = try await w.t.call(.get, "/api/v1/evaluations/next", cookie: ann.cookie)
    #expect(next.status == 200 && next.json["comparison"] is NSNull)
    let late = try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)", json: ["choice": "left"], cookie: ann.cookie)
    #expect(late.status == 409 && late.message.contains("closed"))
    #expect(try await w.t.call(.post, "/api/v1/evaluations/999/close", json: [String: Any](), cookie: admin.cookie).status == 404)
    let list = try await w.t.call(.get, "/api/v1/evaluations", cookie: admin.cookie)
    #expect(list.json.list("campaigns").first?["status"] as? String == "closed")
}

@Test func badCampaignRequestsAndChoicesGetClear4xxAndNothingIsStored() async throws {
    let w = try EvalWorld(prompts: 2)
    let admin = try await w.t.user("root", role: .admin), ann = try await w.t.user("ann")
    func create(_ body: [String: Any]) async throws -> Reply { try await w.t.call(.post, "/api/v1/evaluations", json: body, cookie: admin.cookie) }
    #expect(try await create(["model_a": "policy-v1", "model_b": "policy-v1"]).message.contains("two different"))
    #expect(try await create(["model_a": "policy-v1", "model_b": "policy-v9"]).message.contains("no model version named"))
    #expect(try await create(["model_a": "policy-v1", "model_b": "reward-v1"]).message.contains("not a policy"))
    #expect(try await create(["model_a": "policy-v1"]).status == 422)
    #expect(try await create(["model_a": "policy-v1", "model_b": "policy-v2", "tag": "nope"]).message.contains("tag"))
    #expect(try await create(["model_a": "policy-v1", "model_b": "policy-v2", "prompt_ids": [99999]]).message.contains("does not exist"))
    #expect(try await create(["model_a": "policy-v1", "model_b": "policy-v2", "prompts": 0]).status == 422)
    #expect(try await create(["model_a": "policy-v1", "model_b": "policy-v2", "sampling": ["temperature": 0]]).status == 422)
    #expect(try await create(["model_a": "policy-v1", "model_b": "policy-v2", "colour": "red"]).message.contains("unknown field"))
    try w.t.db.write { try $0.run("UPDATE prompts SET heldout = 0") }
    #expect(try await create(["model_a": "policy-v1", "model_b": "policy-v2"]).message.contains("no held-out prompts"))
    #expect(try w.t.scalar("SELECT count(*) FROM eval_campaigns") == 0)
    // Explicit prompt ids still work without held-out prompts.
    #expect(try await create(["model_a_id": w.v1.id, "model_b_id": w.v2.id, "prompt_ids": [w.promptIDs[1]]]).status == 201)
    let clock = w.t.clock
    CampaignPreparer(db: w.t.db, clock: { clock.now }).prepareWaiting()
    let cid = try #require(try await w.t.call(.get, "/api/v1/evaluations/next", cookie: ann.cookie).json.dict("comparison").int("id"))
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)", json: ["choice": "up"], cookie: ann.cookie).status == 422)
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/\(cid)", json: [String: Any](), cookie: ann.cookie).status == 422)
    #expect(try await w.t.call(.post, "/api/v1/evaluations/comparisons/424242", json: ["choice": "left"], cookie: ann.cookie).status == 404)
    #expect(try await w.t.call(.get, "/api/v1/evaluations/424242", cookie: admin.cookie).status == 404)
    #expect(try w.t.scalar("SELECT count(*) FROM eval_comparisons WHERE winner IS NOT NULL") == 0)
}

@Test func aCampaignWhoseModelFolderIsGoneFailsWithTheReasonAndNoComparisons() async throws {
    let w = try EvalWorld(prompts: 3)
    let admin = try await w.t.user("root", role: .admin)
    let r = try await w.t.call(.post, "/api/v1/evaluations", json: ["model_a": "policy-v1", "model_b": "policy-v2"], cookie: admin.cookie)
    let id = try #require(r.json.dict("campaign").int("id"))
    try FileManager.default.removeItem(atPath: w.v2.path)
    let clock = w.t.clock
    #expect(CampaignPreparer(db: w.t.db, clock: { clock.now }).prepareWaiting() == 0)
    let show = try await w.t.call(.get, "/api/v1/evaluations/\(id)", cookie: admin.cookie).json.dict("campaign")
    #expect(show["status"] as? String == "failed")
    #expect((show["error"] as? String ?? "").contains("policy-v2"), "\(show)")
    #expect(try w.comparisons(id).isEmpty)
    #expect(try w.t.scalar("SELECT count(*) FROM responses") == 0, "nothing half-written")
}

@Test func thePreparerThreadPreparesACampaignInTheBackgroundWhenWoken() async throws {
    let w = try EvalWorld(prompts: 3)
    let admin = try await w.t.user("root", role: .admin)
    let r = try await w.t.call(.post, "/api/v1/evaluations", json: ["model_a": "policy-v1", "model_b": "policy-v2"], cookie: admin.cookie)
    let id = try #require(r.json.dict("campaign").int("id"))
    let clock = w.t.clock
    let preparer = CampaignPreparer(db: w.t.db, clock: { clock.now }, pollSeconds: 60)
    preparer.start()
    preparer.wake()
    var status = ""
    try await eventually {
        status = try w.t.db.read { try EvalRepository($0).campaign(id)!.status }
        return status == "open"
    }
    preparer.stop()
    #expect(status == "open")
}
