// The automatic promotion decision with constructed models whose outcome is known (the reward model
// prefers policy-v2's outputs on every prompt), and the leaderboard route over known comparisons.
import Engine
import Foundation
import Support
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

@Test func automaticPromotionPromotesTheVersionTheRewardModelPrefersAndRefusesTheReverseAndItself() throws {
    let w = try EvalWorld(prompts: 40)
    // Greedy: every output is the policy's most likely one, so the counts below do not depend on the
    // sampler's random stream.
    // One answer per prompt (greedy answers would repeat; EvaluationSamplesPerPromptTests covers more).
    let promotion = AutomaticPromotion(db: w.t.db, rule: PromotionRule(), prompts: 40, sampling: PolicySampler.Settings(greedy: true),
                                       samplesPerPrompt: 1)
    let up = try promotion.evaluate(candidate: w.v2, serving: w.v1)
    #expect(up.promote, "\(up.reason)")
    #expect(up.reason.hasPrefix("promote: the 95% Wilson lower bound"), "\(up.reason)")
    #expect(up.measures?.rewardWinRate?.wins == 40)
    let down = try promotion.evaluate(candidate: w.v1, serving: w.v2)
    #expect(!down.promote && down.reason.contains("not better with confidence"), "\(down.reason)")
    // A version against itself (the reference row points at policy-v1's folder): 40 ties, no promotion.
    let same = try promotion.evaluate(candidate: w.reference, serving: w.v1)
    #expect(!same.promote && same.measures?.rewardWinRate?.ties == 40, "\(same.reason)")
    // Fewer prompts than the rule needs: no promotion, and the reason says so.
    let few = try AutomaticPromotion(db: w.t.db, rule: PromotionRule(), prompts: 10, samplesPerPrompt: 1).evaluate(candidate: w.v2, serving: w.v1)
    #expect(!few.promote && few.reason.contains("not enough judgments: 10 of 30"), "\(few.reason)")
}

@Test func leaderboardFitsEveryPolicyVersionOnAllJudgedComparisonsWithTheSameNumbersAsTheLeaderboardType() async throws {
    let t = try TestApp()
    let admin = try await t.user("root", role: .admin)
    let now = t.clock.now
    let (v1, v2, v3) = try t.db.write { c -> (Int64, Int64, Int64) in
        let m = ModelRepository(c)
        let ids = try (1...3).map { try m.create(name: "policy-v\($0)", kind: .policy, parentID: nil, path: "/nowhere/\($0)", now: now).id }
        _ = try m.create(name: "reward-v1", kind: .reward, parentID: nil, path: "/nowhere/r", now: now)
        let p = try PromptRepository(c).insert(NewPrompt(text: "q"), now: now).id
        let ra = try PromptRepository(c).addResponse(promptID: p, text: "a", origin: "import:t", now: now).id
        let rb = try PromptRepository(c).addResponse(promptID: p, text: "b", origin: "import:t", now: now).id
        let e = EvalRepository(c)
        // v2 beats v1 7–2 with 1 tie; v3 beats v2 3–1.
        let c12 = try e.createCampaign(name: "1v2", modelA: ids[0], modelB: ids[1], now: now)
        let c23 = try e.createCampaign(name: "2v3", modelA: ids[1], modelB: ids[2], now: now)
        let plan: [(Int64, String)] = Array(repeating: (c12, "b"), count: 7) + [(c12, "a"), (c12, "a"), (c12, "tie")]
            + Array(repeating: (c23, "b"), count: 3) + [(c23, "a")]
        for (i, (campaign, winner)) in plan.enumerated() {
            let id = try e.addComparison(campaignID: campaign, promptID: p, responseA: ra, responseB: rb, swapped: i % 2 == 0, now: now)
            try e.judge(id, annotatorID: admin.id, winner: winner, now: now)
        }
        try e.setPrepared(c12, metrics: #"{"prompts":10,"mean_reward_a":{"mean":-1,"lower":-2,"upper":0,"standard_deviation":1,"count":10,"confidence":0.95},"mean_reward_b":{"mean":2,"lower":1,"upper":3,"standard_deviation":1,"count":10,"confidence":0.95}}"#, now: now)
        return (ids[0], ids[1], ids[2])
    }
    let r = try await t.call(.get, "/api/v1/leaderboard", cookie: admin.cookie)
    #expect(r.status == 200, "\(r.text)")
    let entries = r.json.list("entries")
    #expect(entries.map { $0["name"] as? String } == ["policy-v3", "policy-v2", "policy-v1"], "reward models are not on the board")
    #expect(r.json.int("comparisons") == 14)
    let comparisons = (Array(repeating: PairwiseComparison(a: v1, b: v2, winner: .b), count: 7)
        + [PairwiseComparison(a: v1, b: v2, winner: .a), PairwiseComparison(a: v1, b: v2, winner: .a), PairwiseComparison(a: v1, b: v2, winner: .tie)]
        + Array(repeating: PairwiseComparison(a: v2, b: v3, winner: .b), count: 3) + [PairwiseComparison(a: v2, b: v3, winner: .a)])
    var rng = SplitMix64(seed: 20_240_601)
    let board = try Leaderboard(comparisons: comparisons, versions: [v1, v2, v3], config: BradleyTerryConfig(), rng: &rng)
    for e in entries {
        let want = try #require(board.entry(e.int("id")!))
        #expect(abs((e["score"] as? Double ?? .nan) - want.score) < 1e-9)
        #expect(abs((e["lower"] as? Double ?? .nan) - want.lower) < 1e-9 && abs((e["upper"] as? Double ?? .nan) - want.upper) < 1e-9)
        #expect(e.int("wins") == Int64(want.wins) && e.int("losses") == Int64(want.losses) && e.int("ties") == Int64(want.ties))
    }
    let v2Entry = try #require(entries.first { $0.int("id") == v2 })
    #expect(v2Entry.dict("mean_reward")["mean"] as? Double == 2, "v2 was B in the prepared campaign: its mean reward is B's")
    #expect(entries.first { $0.int("id") == v1 }?.dict("mean_reward")["mean"] as? Double == -1)
    #expect(entries.first { $0.int("id") == v3 }?["mean_reward"] == nil, "no prepared campaign measured v3")
}
