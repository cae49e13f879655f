// Several answers per prompt in the automatic evaluation (evaluation.samples_per_prompt): answer k of the
// candidate is compared with answer k of the serving version, so a small prompt set yields enough
// comparisons for the promotion rule; the answers are separate draws, in prompt order; the setting's
// default and bounds. Uses the constructed models of EvalWorld (the reward model likes policy-v2's "x").
import Engine
import Foundation
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store
import TestHelpers

@Suite struct EvaluationSamplesPerPromptTests {
    @Test func tenPromptsTimesFourAnswersClearTheRuleThatOneAnswerPerPromptCannotReach() throws {
        let w = try EvalWorld(prompts: 10)
        let greedy = PolicySampler.Settings(greedy: true)
        let one = try AutomaticPromotion(db: w.t.db, rule: PromotionRule(), prompts: 10, sampling: greedy, samplesPerPrompt: 1)
            .evaluate(candidate: w.v2, serving: w.v1)
        #expect(!one.promote && one.reason.contains("not enough judgments: 10 of 30"), "\(one.reason)")
        #expect(one.measures?.samplesPerPrompt == nil && one.measures?.prompts == 10)

        let four = try AutomaticPromotion(db: w.t.db, rule: PromotionRule(), prompts: 10, sampling: greedy, samplesPerPrompt: 4)
            .evaluate(candidate: w.v2, serving: w.v1)
        #expect(four.promote, "\(four.reason)")
        #expect(four.reason.contains("10 held-out prompts × 4 answers, policy-v2 vs policy-v1"), "\(four.reason)")
        let m = try #require(four.measures)
        #expect(m.prompts == 10 && m.samplesPerPrompt == 4)
        #expect(m.rewardWinRate?.wins == 40 && m.rewardWinRate?.ties == 0 && m.rewardWinRate?.losses == 0)
        // 40 of 40: Wilson 95% lower bound 0.912 (hand-worked: 40 / (40 + 1.96²) = 0.9124).
        #expect(abs((m.rewardWinRate?.winRateLower ?? 0) - 0.9124) < 0.001, "\(String(describing: m.rewardWinRate))")
        #expect(EvaluationReport.measureLines(m, a: "A", b: "B").first?.contains("of 40 comparisons (10 prompts × 4 answers)") == true)

        // The serving version against itself with four answers each: 40 ties, never a promotion.
        let same = try AutomaticPromotion(db: w.t.db, rule: PromotionRule(), prompts: 10, sampling: greedy, samplesPerPrompt: 4)
            .evaluate(candidate: w.reference, serving: w.v1)
        #expect(!same.promote && same.measures?.rewardWinRate?.ties == 40, "\(same.reason)")
    }

    @Test func answersAreSeparateDrawsInPromptOrderAndBothSidesShareTheSeed() throws {
        let w = try EvalWorld(prompts: 3)
        let prompts = (0..<3).map { "\n\nHuman: What is \($0) plus \($0)?\n\nAssistant:" }
        let settings = PolicySampler.Settings(maxNewTokens: 12)
        let url = { (m: ModelVersion) in URL(fileURLWithPath: m.path) }
        let heard = LockedBox<[[Int]]>([])
        let report = try AutomaticEvaluation.run(a: url(w.v1), b: url(w.v2), reward: url(w.reward), reference: nil, prompts: prompts,
                                                 settings: settings, seed: 5, samplesPerPrompt: 4,
                                                 progress: { done, total in heard.mutate { $0.append([done, total]) } })
        #expect(report.responsesA.count == 12 && report.responsesB.count == 12)
        // The run's progress counts answers sampled over both versions: 0, A's 12, then B's 12 of 24.
        #expect(heard.value == [[0, 24], [12, 24], [24, 24]], "\(heard.value)")
        #expect(report.measures.prompts == 3 && report.measures.samplesPerPrompt == 4 && report.measures.rewardWinRate?.total == 12)
        // The same draws as sampling the folder alone with that seed: A's answers k = 0…3 to prompt 0 first.
        let alone = try AutomaticEvaluation.sample(folder: url(w.v1), prompts: prompts, settings: settings, seed: 5, perPrompt: 4)
        #expect(alone == report.responsesA)
        // The random policy's four answers to one prompt are four draws, not one answer repeated.
        #expect(Set(report.responsesA[0..<4]).count > 1, "\(report.responsesA[0..<4])")
        // policy-v2 writes "x" whatever it draws, and the reward model likes a last "x": it wins every comparison.
        #expect(report.responsesB.allSatisfy { $0.allSatisfy { $0 == "x" } })
        #expect(report.measures.rewardWinRate?.wins == 12)
    }

    @Test func theSettingDefaultsToSixteenAndOutOfRangeValuesAreRefusedByName() throws {
        #expect(AppSettings().evaluation.samplesPerPrompt == 16)
        #expect(AutomaticPromotion(db: try TestApp().db, rule: PromotionRule()).samplesPerPrompt == 16)
        let four = try AppSettings().merged(with: try JSONValue.parse(#"{"evaluation": {"samples_per_prompt": 4}}"#))
        #expect(four.evaluation.samplesPerPrompt == 4 && four.evaluation.prompts == 100)
        for bad in [0, 257] {
            #expect {
                _ = try AppSettings().merged(with: try JSONValue.parse(#"{"evaluation": {"samples_per_prompt": \#(bad)}}"#))
            } throws: { error in
                "\(error)".contains("evaluation.samples_per_prompt must be between 1 and 256")
            }
        }
    }
}
