// GRPO and RLOO (TRL's GRPOTrainer and RLOOTrainer): no value model; the G samples of a prompt are each
// other's baseline. Each step takes `batchSize` prompts and:
//   1. samples G completions per prompt from the policy with the KV-cache Generator;
//   2. forwards the (prompt + completion) rows through the policy (the "old" log-probs of the ratio) and,
//      when β > 0, the frozen reference;
//   3. scores every sample with the reward functions (a reward model, a program, a rule; weighted sum)
//      and turns the rewards into group-relative advantages (GroupAdvantages: GRPO's group mean/std,
//      RLOO's leave-one-out baseline after its sequence-level KL penalty);
//   4. numIterations passes over the samples in shuffled minibatches: GRPOLoss (token-level clip and k3
//      KL, TRL's loss types) or RLOOLoss (sequence-level clip) → backward through the policy → AdamW.
// Steps 2–4 are separate functions on a GroupExperience, so a test can feed a fixed rollout. Trained on
// labelled groups (LabelledGroup: responses ranked by annotators), a step skips 1 and the reward
// functions: the group's responses are the samples and its rewards are given.
import Foundation

public final class GroupRLTrainer: StageTrainer {
    let stage: TrainingStage
    let policy: OptimizedModel
    public let config: TrainingConfig
    public let group: GroupTrainingConfig
    private let reference: (any CausalLM)?
    private let prompts: [GroupPrompt]
    /// nil when training on labelled groups.
    private let rewards: WeightedRewards?
    /// The groups annotators labelled, one per prompt (nil: sample and score).
    private let labelled: [LabelledGroup]?
    private let tokenize: Tokenize
    let builder: BatchBuilder
    private let tokens: TokenCache
    private let decode: ([Int]) -> String
    private let grpoLoss: GRPOLoss
    private let rlooLoss: RLOOLoss
    private let generator: Generator
    private let eos: Int

    var exampleCount: Int { prompts.count }
    var slots: [(String, OptimizedModel)] { [("policy", policy)] }
    public var model: any CausalLM { policy.model }

    /// `reference` nil is a frozen copy of the policy's initial weights, made only when β > 0.
    /// `decode` turns completion ids (without EOS) into the text the reward functions read.
    public convenience init(policy: any CausalLM, reference: (any CausalLM)?, prompts: [GroupPrompt], rewards: WeightedRewards,
                            tokenize: @escaping Tokenize, decode: @escaping ([Int]) -> String,
                            config: TrainingConfig, group: GroupTrainingConfig) throws {
        try self.init(policy: policy, reference: reference, prompts: prompts, rewards: rewards, labelled: nil,
                      tokenize: tokenize, decode: decode, config: config, group: group)
    }

    /// Trains on groups annotators labelled: no sampling, no reward functions.
    public convenience init(policy: any CausalLM, reference: (any CausalLM)?, groups: [LabelledGroup], tokenize: @escaping Tokenize,
                            config: TrainingConfig, group: GroupTrainingConfig) throws {
        try self.init(policy: policy, reference: reference, prompts: groups.map(\.prompt), rewards: nil, labelled: groups,
                      tokenize: tokenize, decode: { _ in "" }, config: config, group: group)
    }

    private init(policy initial: any CausalLM, reference: (any CausalLM)?, prompts: [GroupPrompt], rewards: WeightedRewards?, labelled: [LabelledGroup]?,
                 tokenize: @escaping Tokenize, decode: @escaping ([Int]) -> String,
                 config: TrainingConfig, group: GroupTrainingConfig) throws {
        try config.validate(); try group.validate()
        guard !prompts.isEmpty else { throw EngineError.invalidInput("the \(group.algorithm.rawValue) prompt dataset is empty") }
        if let r = reference { try requireSameArchitecture(r, initial, role: "reference model") }
        let limits = config.limits(for: initial)
        builder = try BatchBuilder(limits: limits, nPositions: initial.shape.contextLength)
        tokens = try TokenCache(prompts.map(\.text), tokenize: tokenize, vocabSize: initial.shape.vocabSize)
        grpoLoss = try GRPOLoss(config: group.grpo)
        rlooLoss = try RLOOLoss(config: group.rloo)
        stage = group.algorithm == .grpo ? .grpo : .rloo
        self.prompts = prompts; self.rewards = rewards; self.labelled = labelled; self.decode = decode; self.tokenize = tokenize
        self.config = config; self.group = group
        self.reference = group.beta > 0 ? try reference ?? initial.clone(scoreHead: false) : nil
        eos = limits.eosTokenId
        policy = OptimizedModel(model: initial, config: config)
        generator = Generator(model: initial)
    }

    public func train(hooks: TrainingHooks = .none, checkpoint: URL? = nil, resume: Bool = false) throws -> TrainingReport {
        try runStage(self, config: config, hooks: hooks, checkpoint: checkpoint, resume: resume)
    }

    /// The prompt's ids, its last maxPromptLength tokens (BOS for an empty prompt).
    private func promptTokens(_ text: String) throws -> [Int] {
        let ids = try tokens(text)
        if ids.isEmpty { return [builder.limits.bosTokenId ?? eos] }
        return Array(ids.suffix(builder.limits.maxPromptLength))
    }

    /// Completion log-probs of the rows on the completion grid, from `model`.
    private func logprobs(_ model: any CausalLM, _ b: TokenBatch, _ mask: ResponseMask) throws -> [Double] {
        try model.forward(b)
        return b.gatherCompletion(try model.rowLogprobs(b).perToken.map(Double.init), mask: mask)
    }

    func step(rows: [Int], lr: Float, rng: inout SeededRNG) throws -> ObjectiveMetrics {
        let t0 = Date()
        let promptIds = try rows.map { try promptTokens(prompts[$0].text) }
        let samples: [RewardSample], experience: GroupExperience, tGen: Double
        if let labelled {
            // The annotators' groups: each response (+ EOS, as the sampler ended it) is a sample.
            samples = try zip(rows, promptIds).flatMap { row, ids in
                try labelled[row].responses.map { text in
                    let c = try tokenize(text) + [eos]
                    return RewardSample(prompt: prompts[row], completion: text, promptIds: ids, completionIds: c, endedWithEOS: true)
                }
            }
            tGen = 0
            experience = try score(samples, groupSizes: rows.map { labelled[$0].responses.count },
                                   given: rows.flatMap { labelled[$0].rewards })
        } else {
            samples = try generate(promptIds: promptIds, rows: rows, rng: &rng)
            tGen = Date().timeIntervalSince(t0)
            experience = try score(samples, groupSizes: Array(repeating: group.numGenerations, count: rows.count))
        }
        let tScore = Date().timeIntervalSince(t0)
        let (adv, rewardMetrics) = try advantages(experience)

        // 4. Updates.
        var sums: ObjectiveMetrics = [:], updates = 0.0
        let n = experience.batch.rows, mb = min(group.minibatchSize ?? n, n)
        let stepsPerIteration = (n + mb - 1) / mb
        for _ in 0..<group.numIterations {
            var order = Array(0..<n)
            if stepsPerIteration > 1 { for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) } }
            for start in stride(from: 0, to: n, by: mb) {
                var m = try lossAndGradients(experience, advantages: adv.advantages, idx: Array(order[start..<min(n, start + mb)]),
                                             tokenNormalizer: Double(experience.mask.tokenCount) / Double(stepsPerIteration)).metrics
                m["grad_norm"] = Double(try policy.update(lr: lr, context: "\(stage.rawValue) policy"))
                for (k, v) in m { sums[k, default: 0] += v }
                updates += 1
            }
        }
        var metrics = sums.mapValues { $0 / updates }
        for (k, v) in adv.metrics { metrics[k] = v }
        for (k, v) in rewardMetrics { metrics[k] = v }
        let lengths = experience.mask.lengths.map(Double.init)
        metrics["completions/mean_length"] = lengths.reduce(0, +) / Double(lengths.count)
        metrics["completions/min_length"] = lengths.min() ?? 0
        metrics["completions/max_length"] = lengths.max() ?? 0
        metrics["completions/clipped_ratio"] = Double(samples.filter { !$0.endedWithEOS }.count) / Double(samples.count)
        metrics["time/generation"] = tGen
        metrics["time/scoring"] = tScore - tGen
        metrics["time/update"] = Date().timeIntervalSince(t0) - tScore
        metrics["tokens"] = Double(experience.batch.realTokens * (1 + group.numIterations))
        return metrics
    }

    /// Step 1: G samples per prompt, prompt-major (a prompt's samples are consecutive).
    private func generate(promptIds: [[Int]], rows: [Int], rng: inout SeededRNG) throws -> [RewardSample] {
        let G = group.numGenerations
        let room = builder.limits.maxLength - (promptIds.map(\.count).max() ?? 0)
        let sampling = SamplingConfig(maxNewTokens: max(1, min(group.maxNewTokens, room)), temperature: group.temperature,
                                      eosTokenIds: [Int32(eos)])
        let repeated = promptIds.flatMap { Array(repeating: $0, count: G) }
        let gens = try generator.generate(prompts: repeated.map { $0.map(Int32.init) }, config: sampling, rng: &rng)
        return zip(repeated.indices, gens).map { i, g -> RewardSample in
            let ids = g.tokens.map(Int.init)
            let text = g.finishReason == .eos ? Array(ids.dropLast()) : ids
            return RewardSample(prompt: prompts[rows[i / G]], completion: decode(text), promptIds: repeated[i],
                                completionIds: ids, endedWithEOS: g.finishReason == .eos)
        }
    }

    /// Step 2 and the rewards of step 3: the rows through the rollout policy and the reference, and every
    /// sample's reward (from the reward functions, or `given` for labelled groups).
    func score(_ samples: [RewardSample], groupSizes: [Int], given: [Double?]? = nil) throws -> GroupExperience {
        let batch = try builder.tokens(prompts: samples.map(\.promptIds), completions: samples.map(\.completionIds))
        let mask = try batch.completionMask()
        let old = try logprobs(model, batch, mask)
        let ref = try reference.map { try logprobs($0, batch, mask) }
        var r: [Double?], metrics: ObjectiveMetrics = [:]
        if let given { r = given } else { (r, metrics) = try rewards!(samples) }
        return GroupExperience(batch: batch, mask: mask, groupSizes: groupSizes, logprobs: old, refLogprobs: ref, rewards: r,
                               rewardMetrics: metrics)
    }

    /// Step 3: group-relative advantages (one per sample) and the reward metrics.
    func advantages(_ e: GroupExperience) throws -> (GroupAdvantages, ObjectiveMetrics) {
        switch group.algorithm {
        case .grpo:
            return (try GroupAdvantages.grpo(rewards: e.rewards, groupSizes: e.groupSizes, scaling: group.scaleRewards), e.rewardMetrics)
        case .rloo:
            var kl = [Double](repeating: 0, count: e.rewards.count), metrics = e.rewardMetrics
            if let ref = e.refLogprobs {
                kl = e.mask.rowSums(zip(e.logprobs, ref).map { $0 - $1 })
                metrics["kl"] = kl.reduce(0, +) / Double(e.mask.tokenCount)
            }
            return (try GroupAdvantages.rloo(rewards: e.rewards, klPenalty: kl, beta: group.rloo.beta, groupSizes: e.groupSizes,
                                             normalize: group.rloo.normalizeAdvantages), metrics)
        }
    }

    /// Step 4, one minibatch (the rows `idx`): the loss and the policy's gradients, without updating.
    func lossAndGradients(_ e: GroupExperience, advantages: [Double], idx: [Int], tokenNormalizer: Double? = nil) throws -> GroupLossResult {
        let w = e.mask.width
        func slice(_ a: [Double]) -> [Double] { idx.flatMap { a[($0 * w)..<(($0 + 1) * w)] } }
        let b = e.batch.selecting(idx)
        let mask = try ResponseMask(lengths: idx.map { e.mask.lengths[$0] }, width: w)
        model.zeroGradients()
        let lp = try logprobs(model, b, mask)
        let r: GroupLossResult
        switch group.algorithm {
        case .grpo:
            r = try grpoLoss(GRPOMinibatch(logprobs: lp, oldLogprobs: slice(e.logprobs), refLogprobs: e.refLogprobs.map(slice),
                                           advantages: idx.map { advantages[$0] }, mask: mask, tokenNormalizer: tokenNormalizer))
        case .rloo:
            r = try rlooLoss(logprobs: lp, oldSequenceLogprobs: mask.rowSums(slice(e.logprobs)), advantages: idx.map { advantages[$0] }, mask: mask)
        }
        model.logprobBackward(weights: b.scatterCompletion(r.dLogprobs, mask: mask).map(Float.init))
        model.backward()
        return r
    }
}

/// One generation batch before the update: the rows (prompt + sampled completion), what the sampling
/// policy and the reference said about them on the completion grid [B, W], and each sample's reward.
struct GroupExperience {
    var batch: TokenBatch
    var mask: ResponseMask
    /// Samples per group, in order (G each when sampled; labelled groups may differ).
    var groupSizes: [Int]
    /// The sampling policy's log-probs (the ratio's denominator).
    var logprobs: [Double]
    /// The reference's, when β > 0.
    var refLogprobs: [Double]?
    /// Weighted sums of the reward functions; nil where none scored the sample.
    var rewards: [Double?]
    var rewardMetrics: ObjectiveMetrics
}
