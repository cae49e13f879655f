// Where GRPO and RLOO get each sample's reward (TRL's reward_funcs): a reward model, a program, or a
// function the caller supplies (the command line's built-in rules), several of them summed with weights.
// A reward may be missing (nil): the sample then contributes no advantage (GroupAdvantages).
//
// Combining, as TRL's sum_then_normalize: reward = Σ_k w_k·r_k over the functions that scored the sample;
// nil when none did.
import Foundation

/// A prompt of a GRPO/RLOO run: the text the policy continues, and the prompt row's JSON object (with
/// any extra columns, e.g. a reference answer) that reward programs receive.
public struct GroupPrompt: Sendable, Equatable {
    /// The prompt as the policy sees it (a conversation rendered with the chat template).
    public var text: String
    /// The row as read (`{"prompt": …, …}`; a raw text line becomes `{"prompt": line}`), compact JSON.
    public var row: Data

    public init(text: String, row: Data? = nil) {
        self.text = text
        self.row = row ?? (try? JSONSerialization.data(withJSONObject: ["prompt": text])) ?? Data("{}".utf8)
    }
}

/// One sampled completion to score.
public struct RewardSample: Sendable {
    public var prompt: GroupPrompt
    /// The completion's text, without the end-of-sequence token.
    public var completion: String
    /// The ids the policy saw and sampled (EOS included when generation stopped on it).
    public var promptIds: [Int]
    public var completionIds: [Int]
    /// Generation stopped on EOS (not on the token budget).
    public var endedWithEOS: Bool

    public init(prompt: GroupPrompt, completion: String, promptIds: [Int], completionIds: [Int], endedWithEOS: Bool) {
        self.prompt = prompt; self.completion = completion; self.promptIds = promptIds
        self.completionIds = completionIds; self.endedWithEOS = endedWithEOS
    }
}

/// Scores samples: one reward per sample, nil for "no reward". Called once per generation batch.
public protocol RewardFunction: AnyObject {
    /// The name in the metrics (rewards/<name>/mean).
    var name: String { get }
    func rewards(_ samples: [RewardSample]) throws -> [Double?]
}

/// A function the caller supplies (the built-in rules of the command line, tests).
public final class ClosureReward: RewardFunction {
    public let name: String
    private let body: ([RewardSample]) throws -> [Double?]
    public init(name: String, _ body: @escaping ([RewardSample]) throws -> [Double?]) { self.name = name; self.body = body }
    public func rewards(_ samples: [RewardSample]) throws -> [Double?] { try body(samples) }
}

/// A reward model (a GPT-2 with a score head, Hilo's own or transformers' sequence classification):
/// the score at the last token before EOS, as PPOTrainer reads it. It must share the policy's tokenizer.
public final class RewardModelFunction: RewardFunction {
    public let name: String
    let model: any CausalLM
    let builder: BatchBuilder
    let eos: Int

    init(name: String, model: any CausalLM, builder: BatchBuilder, eos: Int) throws {
        guard model.layout.hasScoreHead else { throw EngineError.invalidInput("the reward model \(name) has no score head (train one with `hilo train reward`)") }
        guard model.shape.contextLength >= builder.limits.maxLength else {
            throw EngineError.invalidInput("the reward model \(name)'s n_positions \(model.shape.contextLength) is shorter than the rollouts (\(builder.limits.maxLength))")
        }
        self.name = name; self.model = model; self.builder = builder; self.eos = eos
    }

    public func rewards(_ samples: [RewardSample]) throws -> [Double?] {
        guard !samples.isEmpty else { return [] }
        let batch = try builder.tokens(prompts: samples.map(\.promptIds), completions: samples.map(\.completionIds))
        try model.forward(batch)
        let positions = (0..<batch.rows).map { b -> Int in
            let last = batch.lengths[b] - 1
            return last > 0 && batch.inputIds[b * batch.width + last] == eos ? last - 1 : last
        }
        let scores = model.scores(at: positions).map(Double.init)
        try ObjectiveMath.requireFinite(scores, "rewards/\(name)", context: "reward model")
        return scores
    }
}

/// Several reward functions with weights, summed per sample.
public struct WeightedRewards {
    public var functions: [(RewardFunction, Double)]

    public init(_ functions: [(RewardFunction, Double)]) throws {
        guard !functions.isEmpty else { throw EngineError.invalidInput("GRPO/RLOO need at least one reward source (a reward model, a program or a rule)") }
        for (f, w) in functions where !w.isFinite {
            throw EngineError.invalidInput("the weight of reward \(f.name) must be finite, got \(w)")
        }
        self.functions = functions
    }

    /// The weighted sums (nil where no function scored the sample) and each function's mean and std
    /// over the samples it scored (rewards/<name>/mean, rewards/<name>/std).
    public func callAsFunction(_ samples: [RewardSample]) throws -> (rewards: [Double?], metrics: ObjectiveMetrics) {
        var total = [Double?](repeating: nil, count: samples.count), metrics: ObjectiveMetrics = [:]
        for (f, w) in functions {
            let r = try f.rewards(samples)
            guard r.count == samples.count else {
                throw EngineError.invalidInput("reward \(f.name) returned \(r.count) rewards for \(samples.count) samples")
            }
            for (i, v) in r.enumerated() {
                guard let v else { continue }
                guard v.isFinite else {
                    throw EngineError.invalidInput("reward \(f.name) gave sample \(i) a non-finite reward \(v) (prompt: \(samples[i].prompt.text.prefix(80)))")
                }
                total[i] = (total[i] ?? 0) + w * v
            }
            let scored = r.compactMap { $0 }
            metrics["rewards/\(f.name)/mean"] = scored.isEmpty ? .nan : scored.reduce(0, +) / Double(scored.count)
            metrics["rewards/\(f.name)/std"] = GroupAdvantages.stdDev(scored) ?? .nan
        }
        return (total, metrics)
    }
}
