// Human rewards for GRPO/RLOO: ranks map to rewards as documented (RankRewards), GRPO's group scaling
// makes their scale irrelevant, labelled rows parse (rankings of one group averaged, bad rows named by
// line), and a trainer on labelled groups moves the policy towards the responses ranked first.
import Foundation
import Testing
@testable import Engine

@Suite struct LabelledGroupTests {
    @Test func ranksBecomeTheShareOfPairwiseWinsWithTiesCountingHalf() throws {
        #expect(try RankRewards.rewards(ranks: [1, 2, 3]) == [1, 0.5, 0])
        #expect(try RankRewards.rewards(ranks: [2, 1, 2, 3]) == [0.5, 1, 0.5, 0])
        #expect(try RankRewards.rewards(ranks: [1, nil, 2]) == [1, nil, 0], "an unranked sample has no reward")
        #expect(try RankRewards.rewards(ranks: [1, 1, 1]) == [0.5, 0.5, 0.5], "an all-tied group carries no signal")
        #expect(try RankRewards.rewards(ranks: [1, nil]) == [nil, nil], "one ranked sample is compared with nothing")
        #expect(try RankRewards.rewards(rankings: [[1, 2, 3], [3, 2, 1], [1, nil, 2]]) == [2.0 / 3, 0.5, 1.0 / 3])
        #expect(throws: EngineError.self) { try RankRewards.rewards(ranks: [0, 1]) }
        #expect(throws: EngineError.self) { try RankRewards.rewards(rankings: [[1, 2], [1, 2, 3]]) }
    }

    @Test func groupScaledAdvantagesIgnoreTheRewardsScaleAndOffset() throws {
        let r: [Double?] = try RankRewards.rewards(ranks: [1, 3, 2, 4]) + RankRewards.rewards(ranks: [2, 1, nil, 2])
        let a = try GroupAdvantages.grpo(rewards: r, groupSize: 4, scaling: .group).advantages
        let b = try GroupAdvantages.grpo(rewards: r.map { $0.map { 7 * $0 - 3 } }, groupSize: 4, scaling: .group).advantages
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-3 }, "\(a) vs \(b)")
        #expect(a[0] > a[2] && a[2] > a[1] && a[1] > a[3] && a[6] == 0)
        // Groups of different sizes give what each group gives alone.
        let mixed = try GroupAdvantages.grpo(rewards: [1, 0, 0.5, 1, 0], groupSizes: [3, 2], scaling: .group).advantages
        let first = try GroupAdvantages.grpo(rewards: [1, 0, 0.5], groupSize: 3, scaling: .group).advantages
        let second = try GroupAdvantages.grpo(rewards: [1, 0], groupSize: 2, scaling: .group).advantages
        #expect(mixed == first + second)
        #expect(throws: EngineError.self) { try GroupAdvantages.grpo(rewards: [1, 0, 1], groupSizes: [2, 1], scaling: .group) }
    }

    private func parse(_ lines: [String]) throws -> TrainingData {
        try TrainingData.parse(jsonl: Data(lines.joined(separator: "\n").utf8), stage: .grpo, source: "groups.jsonl")
    }

    @Test func labelledRowsParseAndRankingsOfOneGroupAverage() throws {
        let data = try parse([#"{"prompt":"Q","responses":["a","b","c"],"ranks":[1,2,3],"answer":"a"}"#,
                              #"{"prompt":"Q","responses":["a","b","c"],"ranks":[3,2,1]}"#,
                              #"{"prompt":"R","responses":["x","y"],"rewards":[0.25,null]}"#])
        guard case .labelledGroups(let groups) = data else { Issue.record("not labelled groups: \(data)"); return }
        #expect(groups.count == 2)
        #expect(groups[0].rewards == [0.5, 0.5, 0.5] && groups[0].responses == ["a", "b", "c"])
        #expect(String(decoding: groups[0].prompt.row, as: UTF8.self) == #"{"answer":"a","prompt":"Q"}"#)
        #expect(groups[1].rewards == [0.25, nil])
    }

    @Test func badLabelledRowsAreNamedByLine() throws {
        func message(_ lines: [String]) -> String { do { _ = try parse(lines); return "" } catch { return "\(error)" } }
        #expect(message([#"{"prompt":"Q"}"#, #"{"prompt":"Q","responses":["a","b"],"ranks":[1,2]}"#]).contains("mixes prompts"))
        #expect(message([#"{"prompt":"Q","responses":["a","b"],"ranks":[1]}"#]).contains("line 1: \"ranks\" must be a list of 2"))
        #expect(message(["", #"{"prompt":"Q","responses":["a","b"],"ranks":[0,1]}"#]).contains("line 2: \"ranks\" are whole numbers"))
        #expect(message([#"{"prompt":"Q","responses":["a"],"ranks":[1]}"#]).contains("at least 2 strings"))
        #expect(message([#"{"prompt":"Q","responses":["a","b"]}"#]).contains("needs \"ranks\" or \"rewards\""))
    }

    @Test func grpoOnLabelledGroupsRaisesTheFirstRankedResponseOverTheLast() throws {
        let g = TrainingGolden.shared
        let policy = try g.model("policy.")
        let groups = try ["Say: ", "Ok? "].map { p in
            try LabelledGroup(prompt: GroupPrompt(text: p), responses: ["yes", "no", "maybe"], rewards: RankRewards.rewards(ranks: [1, 3, 2]))
        }
        let t = try GroupRLTrainer(policy: policy, reference: nil, groups: groups, tokenize: TrainingGolden.tokenize,
                                   config: TrainingConfig(learningRate: 3e-3, epochs: 10, batchSize: 2, seed: 1, maxLength: 32),
                                   group: GroupTrainingConfig(algorithm: .grpo, numGenerations: 3, maxNewTokens: 8))
        func margin() throws -> Double {
            let b = try t.builder.tokens(prompts: [TrainingGolden.tokenize("Say: "), TrainingGolden.tokenize("Say: ")],
                                         completions: [TrainingGolden.tokenize("yes") + [95], TrainingGolden.tokenize("no") + [95]])
            try t.model.forward(b)
            let sums = try t.model.rowLogprobs(b).sums
            return sums[0] - sums[1]
        }
        let before = try margin()
        let report = try t.train()
        let after = try margin()
        print("log p(yes) − log p(no): \(before) → \(after) in \(report.steps) steps")
        #expect(report.completed && report.steps == 10)
        #expect(after > before + 1, "the first-ranked response gains on the last: \(before) → \(after)")
        #expect(report.metrics["reward"] == 0.5 && report.metrics["time/generation"] == 0)
    }
}
