// AI pre-labels: the serving reward model's scores land in response_scores; admins see scores and
// pair confidences; annotators see scores only when the setting allows; auto-labels respect the
// threshold, are idempotent, never count toward coverage and stay out of human exports.
import Engine
import Foundation
import Testing
@testable import Hilo
@testable import Store

@Suite(.serialized) struct RLAIFTests {
    /// 4 prompts with 3 imported responses each, the tiny reward model serving, one pass.
    func scoredApp(autoLabel: Bool = false, threshold: Double = 0.9) throws -> (TestApp, [Int64], Int64) {
        let t = try TestApp()
        let ids = try t.seedPrompts(4, responses: 3)
        try t.set { $0.rlaif.autoLabel = autoLabel; $0.rlaif.confidenceThreshold = threshold }
        let reward = try TinyModels.register(t.db, "reward-v1", .reward, folder: "reward-a")
        try generator(t).runOnce()
        return (t, ids, reward)
    }

    func scores(_ t: TestApp, _ promptID: Int64, _ reward: Int64) throws -> [Int64: Double] {
        try t.db.read { try PromptRepository($0).scores(promptID: promptID, modelID: reward) }
    }

    @Test func scoresOfQueuedResponsesLandInResponseScoresAndMatchTheRewardModel() throws {
        let (t, ids, reward) = try scoredApp()
        let scorer = try RewardScorer(folder: TinyModels.folder("reward-a"))
        for id in ids {
            let prompt = try #require(try t.db.read { try PromptRepository($0).byID(id) })
            let responses = try t.db.read { try PromptRepository($0).responses(promptID: id) }
            let stored = try scores(t, id, reward)
            #expect(stored.count == 3)
            let direct = try scorer.scores(responses.map { (prompt.text, $0.text) })
            for (r, d) in zip(responses, direct) { #expect(abs(stored[r.id]! - d) < 1e-5, "response \(r.id): batches of different sizes round differently in float32") }
        }
        #expect(t.app.candidates.status.scoredTotal == 12 && t.app.candidates.status.rewardVersion == "reward-v1")
        #expect(try generator(t).runOnce().scored == 0, "nothing is scored twice")
    }

    @Test func adminsSeeScoresAndPairConfidencesAnnotatorsDoNot() async throws {
        let (t, ids, reward) = try scoredApp()
        let admin = try await t.user("boss", role: .admin), ann = try await t.user("ann")
        #expect(try await t.call(.get, "/api/v1/prompts/\(ids[0])/scores", cookie: ann.cookie).status == 403)
        #expect(try await t.call(.get, "/api/v1/prompts/999/scores", cookie: admin.cookie).status == 404)
        #expect(try await t.call(.get, "/api/v1/prompts/\(ids[0])/scores", query: "model=abc", cookie: admin.cookie).status == 422)
        let r = try await t.call(.get, "/api/v1/prompts/\(ids[0])/scores", cookie: admin.cookie)
        #expect(r.status == 200)
        #expect(r.json.dict("reward_model")["name"] as? String == "reward-v1")
        let stored = try scores(t, ids[0], reward)
        let responses = r.json.list("responses")
        #expect(responses.count == 3)
        for item in responses { #expect((item["score"] as? Double).map { abs($0 - stored[item.int("id")!]!) < 1e-9 } == true) }
        let pairs = r.json.list("pairs")
        #expect(pairs.count == 3)
        for p in pairs {
            let a = stored[p.int("a")!]!, b = stored[p.int("b")!]!
            #expect(abs((p["confidence"] as! Double) - 1 / (1 + exp(-abs(a - b)))) < 1e-9)
            #expect(p.int("preferred") == (a >= b ? p.int("a") : p.int("b")))
        }
        let confidences = pairs.map { $0["confidence"] as! Double }
        #expect(confidences == confidences.sorted(by: >), "most confident first")
    }

    @Test(arguments: [false, true])
    func theTaskPayloadCarriesScoresOnlyWhenTheSettingIsOn(_ show: Bool) async throws {
        let (t, _, reward) = try scoredApp()
        try t.set { $0.rlaif.showScoresToAnnotators = show }
        let ann = try await t.user("ann")
        let r = try await t.call(.get, "/api/v1/leases/next", cookie: ann.cookie)
        let task = r.json.dict("lease")
        if show {
            let list = task.list("scores")
            let stored = try scores(t, task.promptID, reward)
            #expect(list.map { $0.int("response_id")! } == task.responseIDs.filter { stored[$0] != nil })
            #expect(list.count == 3)
            for s in list { #expect(abs((s["score"] as! Double) - stored[s.int("response_id")!]!) < 1e-9) }
        } else {
            #expect(task["scores"] == nil && !r.text.contains("score"))
        }
    }

    @Test func autoLabelsRespectTheThresholdAreIdempotentAndNeverCountTowardCoverage() async throws {
        // Score first, then put the threshold between the prompts' best-pair confidences.
        let (t, ids, reward) = try scoredApp()
        var best: [Int64: Double] = [:]
        for id in ids {
            let s = try scores(t, id, reward).values
            best[id] = RewardScorer.confidence(s.max()!, s.min()!)
        }
        let sorted = best.values.sorted()
        #expect(sorted.first! < sorted.last!, "the fixture's confidences differ")
        let threshold = (sorted[1] + sorted[2]) / 2
        try t.set { $0.rlaif.autoLabel = true; $0.rlaif.confidenceThreshold = threshold }
        #expect(try generator(t).runOnce().scored == 0)
        let expected = Set(ids.filter { best[$0]! >= threshold })
        #expect(expected.count == 2)
        let ai = try #require(try t.db.read { try AnnotatorRepository($0).byName("ai:reward-v1") })
        #expect(!ai.hasToken, "the AI judge cannot sign in")
        let labels = try t.db.read { c in try c.prepare("SELECT prompt_id, origin, kind, idempotency_key FROM judgments WHERE annotator_id = ?")
            .all([.int(ai.id)]) { ($0.int(0), $0.string(1), $0.string(2), $0.string(3)) } }
        #expect(Set(labels.map(\.0)) == expected && labels.count == expected.count)
        for l in labels { #expect(l.1 == "ai" && l.2 == "pairwise" && l.3 == "ai:\(reward):\(l.0)") }
        // The chosen response is the best scored, the rejected the worst.
        for pair in try t.db.read({ try JudgmentRepository($0).pairs() }) {
            let s = try scores(t, pair.promptID, reward)
            #expect(s[pair.chosenID] == s.values.max() && s[pair.rejectedID] == s.values.min() && pair.origin == .ai)
        }
        #expect(t.app.candidates.status.aiLabelsTotal == expected.count)

        // Idempotent: another pass and a full sweep add nothing.
        #expect(try generator(t).runOnce().aiLabels == 0)
        let again = try t.db.write { c in
            try RLAIF.autoLabel(c, reward: try ModelRepository(c).byID(reward)!, threshold: threshold, promptIDs: nil, now: t.clock.now)
        }
        #expect(again == 0)

        // Not coverage: every prompt is still handed to annotators, and stats count none complete.
        let admin = try await t.user("boss", role: .admin)
        let stats = try await t.call(.get, "/api/v1/stats", cookie: admin.cookie)
        #expect(stats.json.dict("coverage").int("complete") == 0)
        let ann = try await t.user("ann")
        var handed: Set<Int64> = []
        while let task = try await t.next(ann) {
            handed.insert(task.promptID)
            #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie).status == 201)
        }
        #expect(handed == Set(ids))
        // Human exports leave AI labels out unless asked.
        let human = try await t.call(.get, "/api/v1/export", query: "format=raw", cookie: admin.cookie)
        let all = try await t.call(.get, "/api/v1/export", query: "format=raw&include_ai=true", cookie: admin.cookie)
        #expect(human.text.split(separator: "\n").count == ids.count)
        #expect(all.text.split(separator: "\n").count == ids.count + expected.count)
    }

    @Test func aPromptWithAHumanLabelGetsNoAILabel() async throws {
        let t = try TestApp()
        let ids = try t.seedPrompts(3, responses: 3)
        let ann = try await t.user("ann")
        let task = try #require(try await t.next(ann))
        #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie).status == 201)
        try t.set { $0.rlaif.autoLabel = true; $0.rlaif.confidenceThreshold = 0.51 }
        try TinyModels.register(t.db, "reward-v1", .reward, folder: "reward-a")
        let report = try generator(t).runOnce()
        #expect(report.scored == 6, "the labelled prompt is not scored")
        #expect(report.aiLabels == 2)
        #expect(try t.scalar("SELECT count(*) FROM judgments WHERE origin = 'ai' AND prompt_id = ?", [.int(ids[0])]) == 0)
    }
}
