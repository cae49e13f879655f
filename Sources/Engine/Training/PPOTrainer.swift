// PPO (Ziegler et al.; TRL's PPOTrainer) with four models: the policy (trained), a frozen reference, a
// frozen reward model, and a value model (trained) that is either a copy of the reward model (TRL's
// default) or a value head on the policy's own backbone. Each step is one rollout and its updates:
//   1. sample completions for a batch of prompts with the KV-cache Generator;
//   2. forward the (prompt + completion) rows through policy, value, reference and reward model:
//      log-probs, values, reference log-probs, and the score at the last non-EOS token;
//   3. scores → RewardNormalizer (scaling/clipping) → PPOMath.prepareRollout (per-token −β·KL + score,
//      GAE, whitened advantages) → the KL controller's update;
//   4. ppoEpochs passes over the rollout in shuffled minibatches: PPOLoss (clipped policy and value
//      losses) → backward through the policy and value models → AdamW.
// A non-finite KL, score or loss throws NonFiniteError before any weight changes. Steps 2–4 are separate
// functions (score, advantages, lossAndGradients) on a PPOExperience, so a test can feed a fixed rollout
// instead of samples (TrainingGoldenTests+PPO.swift).
import Foundation

public final class PPOTrainer: StageTrainer {
    let stage = TrainingStage.ppo
    let policy: OptimizedModel
    /// nil when the value head shares the policy's backbone.
    let value: OptimizedModel?
    public let config: TrainingConfig
    public let ppoConfig: PPOTrainingConfig
    private let reference: any CausalLM, rewardModel: any CausalLM
    private let prompts: [String]
    let builder: BatchBuilder
    private let tokens: TokenCache
    private let loss: PPOLoss
    private let generator: Generator
    private let eos: Int
    private(set) var klController: KLController
    private(set) var normalizer: RewardNormalizer

    var exampleCount: Int { prompts.count }
    var slots: [(String, OptimizedModel)] { [("policy", policy)] + (value.map { [("value", $0)] } ?? []) }
    /// The policy (with a score head when the value head shares its backbone).
    public var model: any CausalLM { policy.model }

    /// `policy` is a language model; `reward` a model with a score head; `reference` nil is a frozen copy
    /// of the policy's initial weights.
    public init(policy initial: any CausalLM, reference: (any CausalLM)?, reward: any CausalLM, prompts: [String], tokenize: @escaping Tokenize,
                config: TrainingConfig, ppo: PPOTrainingConfig = PPOTrainingConfig()) throws {
        try config.validate(); try ppo.validate()
        guard reward.layout.hasScoreHead else { throw EngineError.invalidInput("the reward model has no score head (load it as a reward model)") }
        if let r = reference { try requireSameArchitecture(r, initial, role: "reference model") }
        guard reward.shape.vocabSize == initial.shape.vocabSize else {
            throw EngineError.invalidInput("the reward model's vocab_size \(reward.shape.vocabSize) differs from the policy's \(initial.shape.vocabSize): they must share the tokenizer")
        }
        guard !prompts.isEmpty else { throw EngineError.invalidInput("the PPO prompt dataset is empty") }
        let limits = config.limits(for: initial)
        guard reward.shape.contextLength >= limits.maxLength else {
            throw EngineError.invalidInput("the reward model's n_positions \(reward.shape.contextLength) is shorter than the rollouts (\(limits.maxLength))")
        }
        builder = try BatchBuilder(limits: limits, nPositions: initial.shape.contextLength)
        tokens = try TokenCache(prompts, tokenize: tokenize, vocabSize: initial.shape.vocabSize)
        loss = try PPOLoss(config: ppo.ppo)
        klController = try KLController(config: ppo.kl)
        normalizer = try RewardNormalizer(config: ppo.rewardNormalization)
        self.prompts = prompts; self.config = config; ppoConfig = ppo
        self.reference = try reference ?? initial.clone(scoreHead: false)
        rewardModel = reward
        eos = limits.eosTokenId
        let policyModel: any CausalLM
        if ppo.shareValueBackbone {
            policyModel = try initial.clone(scoreHead: true)   // the value head starts at zero
            value = nil
        } else {
            policyModel = initial
            value = OptimizedModel(model: try reward.clone(scoreHead: true), config: config)
        }
        policy = OptimizedModel(model: policyModel, config: config)
        generator = Generator(model: policyModel)
    }

    public func train(hooks: TrainingHooks = .none, checkpoint: URL? = nil, resume: Bool = false) throws -> TrainingReport {
        try runStage(self, config: config, hooks: hooks, checkpoint: checkpoint, resume: resume)
    }

    private struct Extra: Codable { var kl: KLController; var normalizer: RewardNormalizer }
    func extraState() throws -> Data { try JSONEncoder().encode(Extra(kl: klController, normalizer: normalizer)) }
    func restore(extraState: Data) throws {
        guard let e = try? JSONDecoder().decode(Extra.self, from: extraState) else { return }
        klController = e.kl; normalizer = e.normalizer
    }

    /// The prompt's ids, its last maxPromptLength tokens (BOS for an empty prompt).
    private func promptTokens(_ text: String) throws -> [Int] {
        let ids = try tokens(text)
        if ids.isEmpty { return [builder.limits.bosTokenId ?? eos] }
        return Array(ids.suffix(builder.limits.maxPromptLength))
    }

    /// Completion log-probs (and values, when the policy carries the value head) of the rows, on the grid.
    private func policyForward(_ b: TokenBatch, _ mask: ResponseMask) throws -> (logprobs: [Double], values: [Double]?) {
        try model.forward(b)
        let lp = b.gatherCompletion(try model.rowLogprobs(b).perToken.map(Double.init), mask: mask)
        let v = value == nil ? b.gatherCompletion(model.valuesAllPositions().map(Double.init), mask: mask) : nil
        return (lp, v)
    }

    func step(rows: [Int], lr: Float, rng: inout SeededRNG) throws -> ObjectiveMetrics {
        // 1. Rollout.
        let t0 = Date()
        let promptIds = try rows.map { try promptTokens(prompts[$0]) }
        let room = builder.limits.maxLength - (promptIds.map(\.count).max() ?? 0)
        let sampling = SamplingConfig(maxNewTokens: max(1, min(ppoConfig.maxNewTokens, room)), temperature: ppoConfig.temperature,
                                      eosTokenIds: [Int32(eos)])
        let gens = try generator.generate(prompts: promptIds.map { $0.map(Int32.init) }, config: sampling, rng: &rng)
        let tGen = Date().timeIntervalSince(t0)

        // 2. Forwards of the four models.
        let experience = try score(prompts: promptIds, completions: gens.map { $0.tokens.map(Int.init) },
                                   endedWithEOS: gens.map { $0.finishReason == .eos })

        // 3. Rewards, advantages, KL coefficient.
        let beta = klController.value
        let rollout = try advantages(experience)
        let tRollout = Date().timeIntervalSince(t0)

        // 4. Updates.
        var sums: ObjectiveMetrics = [:], updates = 0.0
        let n = experience.batch.rows, mb = min(ppoConfig.minibatchSize, n)
        for _ in 0..<ppoConfig.ppoEpochs {
            var order = Array(0..<n)
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            for start in stride(from: 0, to: n, by: mb) {
                let m = try update(experience, rollout: rollout, idx: Array(order[start..<min(n, start + mb)]), lr: lr)
                for (k, v) in m { sums[k, default: 0] += v }
                updates += 1
            }
        }
        var metrics = sums.mapValues { $0 / updates }
        for (k, v) in rollout.metrics { metrics[k] = v }
        metrics["objective/scores"] = experience.scores.reduce(0, +) / Double(experience.scores.count)
        metrics["objective/kl_coef"] = beta
        metrics["time/generation"] = tGen
        metrics["time/rollout"] = tRollout
        metrics["time/update"] = Date().timeIntervalSince(t0) - tRollout
        metrics["val/num_eos_tokens"] = Double(gens.filter { $0.finishReason == .eos }.count)
        metrics["tokens"] = Double(experience.batch.realTokens * (1 + ppoConfig.ppoEpochs))
        return metrics
    }

    /// Step 2: the sampled rows forwarded through the rollout policy, the value model, the reference and
    /// the reward model (scores with the missing-EOS penalty applied, before normalisation).
    func score(prompts promptIds: [[Int]], completions: [[Int]], endedWithEOS: [Bool]) throws -> PPOExperience {
        let batch = try builder.tokens(prompts: promptIds, completions: completions)
        let mask = try batch.completionMask()
        let (oldLogprobs, sharedValues) = try policyForward(batch, mask)
        let oldValues: [Double]
        if let v = value {
            try v.model.forward(batch)
            oldValues = batch.gatherCompletion(v.model.valuesAllPositions().map(Double.init), mask: mask)
        } else { oldValues = sharedValues! }
        try reference.forward(batch)
        let refLogprobs = batch.gatherCompletion(try reference.rowLogprobs(batch).perToken.map(Double.init), mask: mask)
        try rewardModel.forward(batch)
        let scorePositions = (0..<batch.rows).map { b -> Int in
            let last = batch.lengths[b] - 1
            return last > 0 && batch.inputIds[b * batch.width + last] == eos ? last - 1 : last
        }
        var scores = rewardModel.scores(at: scorePositions).map(Double.init)
        if let penalty = ppoConfig.missingEOSPenalty {
            for (b, ended) in endedWithEOS.enumerated() where !ended { scores[b] -= penalty }
        }
        return PPOExperience(batch: batch, mask: mask, logprobs: oldLogprobs, values: oldValues, refLogprobs: refLogprobs, scores: scores)
    }

    /// Step 3: normalised scores → per-token KL reward, GAE, whitened advantages (β = the KL controller's
    /// value), then the controller's update on this rollout's KL.
    func advantages(_ e: PPOExperience) throws -> PPORollout {
        let used = try normalizer(e.scores)
        let rollout = try PPOMath.prepareRollout(logprobs: e.logprobs, refLogprobs: e.refLogprobs, values: e.values, scores: used,
                                                 mask: e.mask, config: ppoConfig.ppo, klCoef: klController.value)
        try klController.update(currentKL: rollout.metrics["objective/kl"]!, samples: e.batch.rows)
        return rollout
    }

    /// Step 4, one minibatch (the rollout rows `idx`): the losses and the gradients of the policy and the
    /// value model, without updating (the golden tests call this).
    func lossAndGradients(_ e: PPOExperience, rollout: PPORollout, idx: [Int]) throws -> PPOLossResult {
        let w = e.mask.width
        func slice(_ a: [Double]) -> [Double] { idx.flatMap { a[($0 * w)..<(($0 + 1) * w)] } }
        let b = e.batch.selecting(idx)
        let mask = try ResponseMask(lengths: idx.map { e.mask.lengths[$0] }, width: w)
        model.zeroGradients()
        value?.model.zeroGradients()
        let (logprobs, shared) = try policyForward(b, mask)
        let values: [Double]
        if let v = value {
            try v.model.forward(b)
            values = b.gatherCompletion(v.model.valuesAllPositions().map(Double.init), mask: mask)
        } else { values = shared! }
        let r = try loss(PPOMinibatch(logprobs: logprobs, oldLogprobs: slice(e.logprobs), advantages: slice(rollout.advantages),
                                      values: values, oldValues: slice(e.values), returns: slice(rollout.returns), mask: mask))
        model.logprobBackward(weights: b.scatterCompletion(r.dLogprobs, mask: mask).map(Float.init))
        let dValues = b.scatterCompletion(r.dValues, mask: mask).map(Float.init)
        if let v = value {
            v.model.valuesBackward(dValues)
            v.model.backward()
        } else {
            model.valuesBackward(dValues)
        }
        model.backward()
        return r
    }

    private func update(_ e: PPOExperience, rollout: PPORollout, idx: [Int], lr: Float) throws -> ObjectiveMetrics {
        var m = try lossAndGradients(e, rollout: rollout, idx: idx).metrics
        m["grad_norm"] = Double(try policy.update(lr: lr, context: "PPO policy"))
        if let v = value { m["val/grad_norm"] = Double(try v.update(lr: lr, context: "PPO value")) }
        return m
    }
}

/// One rollout before any reward shaping: the rows (prompt + sampled completion) and, on the completion
/// grid [B, W] of `mask`, what the rollout policy, the value model and the reference said about them,
/// plus the reward model's score of each row. PPOTrainer.score builds it from samples; a test can build
/// it from fixed numbers.
struct PPOExperience {
    var batch: TokenBatch
    var mask: ResponseMask
    /// The rollout policy's log-probs of the sampled tokens (the PPO ratio's denominator).
    var logprobs: [Double]
    /// The value model's values at rollout time (GAE's baseline and the value clip's centre).
    var values: [Double]
    var refLogprobs: [Double]
    /// One per row, missing-EOS penalty applied, not yet normalised.
    var scores: [Double]
}

extension TokenBatch {
    /// The rows `idx` of this batch, same width.
    func selecting(_ idx: [Int]) -> TokenBatch {
        func rows(_ a: [Int]) -> [Int] { idx.flatMap { a[($0 * width)..<(($0 + 1) * width)] } }
        return TokenBatch(rows: idx.count, width: width, inputIds: rows(inputIds), targets: rows(targets),
                          lengths: idx.map { lengths[$0] }, promptLengths: idx.map { promptLengths[$0] }, truncatedRows: 0)
    }
}
