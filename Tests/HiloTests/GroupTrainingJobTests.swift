// GRPO/RLOO runs from model folders (TrainingJob): a reward model folder scores the samples, a reward
// model that does not share the policy's tokenizer is refused before training with a message saying so,
// and the demo rule works as an in-process reward.
import Engine
import Foundation
import Testing
@testable import Hilo

@Suite struct GroupTrainingJobTests {
    private func job(_ stage: TrainingStage = .grpo, policy: URL = TinyModels.folder("policy-a"), sources: [RewardSourceSpec]) -> TrainingJob {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-grpo-\(UUID().uuidString)")
        let prompts = (0..<4).map { GroupPrompt(text: "\n\nHuman: What is \($0 + 1) plus 3?\n\nAssistant:") }
        var job = TrainingJob(stage: stage, model: .folder(policy), output: out, data: .groupPrompts(prompts))
        job.config = TrainingConfig(learningRate: 1e-3, batchSize: 2, maxSteps: 2, seed: 4)
        job.group = GroupTrainingConfig(algorithm: stage == .rloo ? .rloo : .grpo, numGenerations: 4, maxNewTokens: 6,
                                        rloo: RLOOConfig(beta: 0.05))
        job.rewardSources = sources
        return job
    }

    private func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func aRewardModelFolderScoresEverySampleAndTheRunWritesTheModel() throws {
        for stage in [TrainingStage.grpo, .rloo] {
            let j = job(stage, sources: [RewardSourceSpec(.model(TinyModels.folder("reward-a")))])
            let report = try j.run()
            defer { try? FileManager.default.removeItem(at: j.output) }
            let m = report.metrics
            #expect(report.completed && report.steps == 2)
            #expect(m["frac_reward_missing"] == 0 && m["reward"] == m["rewards/reward-a/mean"], "reward is logged before RLOO's KL penalty")
            #expect((m["rewards/reward-a/std"] ?? 0) > 0.01, "the tiny reward model spreads its scores: \(m)")
            #expect(stage == .grpo ? m["kl"] == nil : m["kl"] != nil, "GRPO's β is 0 (no reference); RLOO's 0.05")
            #expect(FileManager.default.fileExists(atPath: j.output.appendingPathComponent("model.safetensors").path))
        }
    }

    @Test func aRewardModelWithAnotherTokenizerIsRefusedBeforeTraining() throws {
        // The starter policy has its own 827-token vocabulary; the tiny reward model has 300.
        let j = job(policy: try StarterModel.folder, sources: [RewardSourceSpec(.model(TinyModels.folder("reward-a")))])
        let m = message { _ = try j.run() }
        #expect(m.contains("vocab_size 300") && m.contains("share the tokenizer"), "\(m)")
        #expect(!FileManager.default.fileExists(atPath: j.output.path))

        // The same size, other ids: the reward model's tokenizer.json with the ids of "H" and "i" swapped.
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-rm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: other) }
        try FileManager.default.copyItem(at: TinyModels.folder("reward-a"), to: other)
        let file = other.appendingPathComponent("tokenizer.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var model = try #require(json["model"] as? [String: Any])
        var vocab = try #require(model["vocab"] as? [String: Int])
        let (h, i) = (try #require(vocab["H"]), try #require(vocab["i"]))
        vocab["H"] = i; vocab["i"] = h
        model["vocab"] = vocab; json["model"] = model
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        let mismatch = message { _ = try job(sources: [RewardSourceSpec(.model(other))]).run() }
        #expect(mismatch.contains("tokenizes text differently"), "\(mismatch)")
    }

    @Test func theDemoRuleIsAnInProcessRewardThatLeavesOtherPromptsUnscored() throws {
        let j = job(sources: [RewardSourceSpec(.function(name: "correct", DemoJudge.rewards(rule: .correct)))])
        let report = try j.run()
        defer { try? FileManager.default.removeItem(at: j.output) }
        // "What is k plus 3?" is a demo question, so every sample is judged (1 or 0), none missing.
        #expect(report.metrics["frac_reward_missing"] == 0)
        let r = try #require(report.metrics["rewards/correct/mean"])
        #expect(r >= 0 && r <= 1)
        let unrelated = try DemoJudge.rewards(rule: .correct)([
            RewardSample(prompt: GroupPrompt(text: "Tell me a story."), completion: " Once.", promptIds: [1], completionIds: [2], endedWithEOS: true),
        ])
        #expect(unrelated == [nil])
    }
}
