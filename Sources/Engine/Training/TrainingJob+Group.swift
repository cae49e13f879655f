// The GRPO/RLOO part of a TrainingJob: the reward sources (a reward model folder, a program, a function
// the caller supplies) with their weights, checked and loaded before any training.
import Foundation

/// Where a GRPO/RLOO run's rewards come from; the job sums them with their weights.
public struct RewardSourceSpec: Sendable {
    public enum Source: Sendable {
        /// A reward model folder (Hilo's or transformers' GPT-2 sequence classification); it must share
        /// the policy's tokenizer.
        case model(URL)
        /// A program run with /bin/sh (RewardProgram's contract) and its timeout per batch in seconds.
        case program(String, timeout: Double)
        /// A function (the command line's built-in rules, tests).
        case function(name: String, @Sendable ([RewardSample]) throws -> [Double?])
    }

    public var source: Source
    /// Weight in the sum (TRL's reward_weights).
    public var weight: Double

    public init(_ source: Source, weight: Double = 1) { self.source = source; self.weight = weight }
}

extension TrainingJob {
    /// Checks the group options and the reward sources that can be checked without a model.
    func validateGroup() throws {
        try group.validate()
        if case .labelledGroups = data {
            guard rewardSources.isEmpty else {
                throw EngineError.invalidInput("the rows are labelled groups whose ranks are their rewards: drop --reward-model, --reward-cmd and --reward-rule")
            }
            return
        }
        guard !rewardSources.isEmpty else {
            throw EngineError.invalidInput("\(stage.rawValue) needs a reward: --reward-model DIR, --reward-cmd \"CMD\" or --reward-rule NAME")
        }
        for spec in rewardSources {
            guard spec.weight.isFinite else { throw EngineError.invalidInput("reward weights must be finite, got \(spec.weight)") }
            switch spec.source {
            case .model(let url):
                guard FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) else {
                    throw EngineError.badFile(path: url.path, reason: "not a model folder (no config.json) for --reward-model")
                }
            case .program(let cmd, _):
                // The program must exist now, not after the first generation batch.
                let exe = String(cmd.split(separator: " ").first ?? "")
                if exe.contains("/") && !FileManager.default.isExecutableFile(atPath: exe) {
                    throw EngineError.invalidInput("reward program `\(cmd)`: \(exe) is missing or not executable")
                }
            case .function: break
            }
        }
    }

    /// The group options with the stage's algorithm.
    private var stageGroup: GroupTrainingConfig {
        var g = group
        g.algorithm = stage == .rloo ? .rloo : .grpo
        return g
    }

    /// The GRPO/RLOO trainer: reward sources loaded (reward models checked against the policy's tokenizer).
    func groupTrainer(policy: any CausalLM, reference: (any CausalLM)?, prompts: [GroupPrompt], tokenizer: Tokenizer) throws -> GroupRLTrainer {
        let limits = config.limits(for: policy)
        let builder = try BatchBuilder(limits: limits, nPositions: policy.shape.contextLength)
        var functions: [(RewardFunction, Double)] = []
        for spec in rewardSources {
            switch spec.source {
            case .model(let url):
                let (rm, loaded) = try Self.loadModel(url, as: .reward, seed: config.seed)
                guard loaded.newTensors.isEmpty else {
                    throw EngineError.badFile(path: url.path, reason: "not a reward model (no score head): train one with `hilo train reward`")
                }
                try Self.requireSameTokenizer(reward: url, vocabSize: rm.shape.vocabSize, policy: tokenizer, policyVocab: policy.shape.vocabSize)
                functions.append((try RewardModelFunction(name: url.lastPathComponent, model: rm, builder: builder, eos: limits.eosTokenId), spec.weight))
            case .program(let cmd, let timeout):
                functions.append((try RewardProgram(command: cmd, timeout: timeout), spec.weight))
            case .function(let name, let body):
                functions.append((ClosureReward(name: name, body), spec.weight))
            }
        }
        return try GroupRLTrainer(policy: policy, reference: reference, prompts: prompts, rewards: try WeightedRewards(functions),
                                  tokenize: { tokenizer.encode($0) }, decode: { tokenizer.decode($0) },
                                  config: config, group: stageGroup)
    }

    /// The trainer on groups annotators labelled (their ranks are the rewards).
    func labelledTrainer(policy: any CausalLM, reference: (any CausalLM)?, groups: [LabelledGroup], tokenizer: Tokenizer) throws -> GroupRLTrainer {
        try GroupRLTrainer(policy: policy, reference: reference, groups: groups, tokenize: { tokenizer.encode($0) },
                           config: config, group: stageGroup)
    }

    /// A reward model reads the policy's token ids, so both must tokenize alike: the same vocabulary
    /// size and, when the reward folder has its own tokenizer, the same ids for a probe text.
    static func requireSameTokenizer(reward url: URL, vocabSize: Int, policy: Tokenizer, policyVocab: Int) throws {
        guard vocabSize == policyVocab else {
            throw EngineError.invalidInput("the reward model \(url.path) has vocab_size \(vocabSize), the policy \(policyVocab): they must share the tokenizer")
        }
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path) else { return }
        let own = try Tokenizer.load(directory: url)
        let probe = "Hilo checks 12 + 30 = 42, \"quoted\" text\n\nAssistant: ok."
        guard own.encode(probe) == policy.encode(probe) else {
            throw EngineError.invalidInput("the reward model \(url.path) tokenizes text differently from the policy: it must share the policy's tokenizer")
        }
    }
}
