// `hilo bench dpo|ppo`: the alignment trainers' speed on a randomly initialised GPT-2 of a given shape,
// for Tests/Benchmarks/bench.d/40-train.sh. DPO: pairs/s with precomputed reference log-probs and with a live
// reference, against an SFT step on the same tokens (the goal is ≤ 1.1×). PPO: seconds per rollout and
// per update batch, and the generation / scoring / update split.
import ArgumentParser
import Engine
import Foundation

/// Text rows of random token ids written as "12 7 431 …", with the matching tokenizer.
private func randomRows(_ n: Int, tokens: Int, vocab: Int, rng: inout SeededRNG) -> [String] {
    (0..<n).map { _ in (0..<tokens).map { _ in String(rng.next() % UInt64(vocab - 1)) }.joined(separator: " ") }
}
private func idTokenize(_ s: String) -> [Int] { s.split(separator: " ").map { Int($0)! } }

struct BenchDPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo", abstract: "DPO steps in pairs/s, against an SFT step on the same tokens.")
    @OptionGroup var shape: ModelShape
    @Option(help: "Tokens per row (prompt + completion).") var seq = 128
    @Option(help: "Preference pairs per step.") var batch = 4
    @Option(help: "Timed steps (after one warm-up step).") var steps = 3
    @Option(name: .customLong("lora-r"), help: "Train a LoRA adapter of this rank on every linear projection (the live reference is the base with the adapter off).") var loraR: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        var rng = SeededRNG(seed: shape.seed &+ 3)
        let half = seq / 2, n = batch * (steps + 1)
        let prompts = randomRows(n, tokens: half, vocab: shape.vocab, rng: &rng)
        let chosen = randomRows(n, tokens: half - 1, vocab: shape.vocab, rng: &rng)   // + EOS = half
        let rejected = randomRows(n, tokens: half - 1, vocab: shape.vocab, rng: &rng)
        let pairs = (0..<n).map { PreferenceExample(prompt: prompts[$0], chosen: chosen[$0], rejected: rejected[$0]) }
        // SFT on the same rows DPO forwards: every chosen and every rejected completion.
        let sft = (0..<n).flatMap { [SFTExample(prompt: prompts[$0], completion: chosen[$0]), SFTExample(prompt: prompts[$0], completion: rejected[$0])] }
        let config = TrainingConfig(learningRate: 1e-5, batchSize: batch, maxSteps: steps + 1, seed: 1)
        var sftConfig = config
        sftConfig.batchSize = 2 * batch

        func timed(_ train: (TrainingHooks) throws -> TrainingReport) throws -> Double {
            let times = TimeList()
            _ = try train(TrainingHooks(progress: { times.add($0.elapsed) }))
            return times.perStepAfterFirst
        }
        let m1 = try withLoRA(shape.alignModel(minPositions: seq + 1), rank: loraR, seed: shape.seed)
        let dpoPre = try timed { try DPOTrainer(policy: m1, reference: nil, examples: pairs, tokenize: idTokenize, config: config).train(hooks: $0) }
        let m2 = try withLoRA(shape.alignModel(minPositions: seq + 1), rank: loraR, seed: shape.seed)
        let dpoLive = try timed {
            try DPOTrainer(policy: m2, reference: nil, examples: pairs, tokenize: idTokenize, config: config,
                           dpo: DPOTrainingConfig(precomputeReference: false)).train(hooks: $0)
        }
        let m3 = try withLoRA(shape.alignModel(minPositions: seq + 1), rank: loraR, seed: shape.seed)
        let sftStep = try timed { try CausalLMTrainer(model: m3, examples: sft, tokenize: idTokenize, config: sftConfig).train(hooks: $0) }
        let tokens = Double(2 * batch * seq)
        emit(json, [("pairs_per_s", Double(batch) / dpoPre), ("pairs_per_s_live_reference", Double(batch) / dpoLive),
                    ("dpo_step_s", dpoPre), ("dpo_live_step_s", dpoLive), ("sft_step_s", sftStep),
                    ("dpo_over_sft", dpoPre / sftStep), ("dpo_live_over_sft", dpoLive / sftStep), ("tokens_per_step", tokens), ("peak_rss_mib", peakRSSMiB())],
             text: String(format: "dpo: %.2f pairs/s (%.3f s/step; live reference %.3f s), sft on the same %.0f tokens %.3f s/step: DPO/SFT = %.2f×",
                          Double(batch) / dpoPre, dpoPre, dpoLive, tokens, sftStep, dpoPre / sftStep))
    }
}

struct BenchPPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo", abstract: "PPO rollouts and updates in seconds, with the generation/update split.")
    @OptionGroup var shape: ModelShape
    @Option(help: "Prompt tokens.") var prompt = 32
    @Option(help: "New tokens per rollout row.") var newTokens = 32
    @Option(help: "Prompts per rollout.") var batch = 8
    @Option(help: "Rows per update minibatch.") var minibatch = 4
    @Option(help: "Passes over each rollout.") var ppoEpochs = 1
    @Option(help: "Timed rollouts (after one warm-up).") var steps = 2
    @Flag(help: "Share the value head with the policy's backbone.") var shareValueBackbone = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        var rng = SeededRNG(seed: shape.seed &+ 4)
        let prompts = randomRows(batch * (steps + 1), tokens: prompt, vocab: shape.vocab, rng: &rng)
        let policy = try shape.alignModel(minPositions: prompt + newTokens)
        let reward = try GPT2(config: policy.config, scoreHead: true)
        reward.params.copy(from: try shape.alignModel(minPositions: prompt + newTokens).params, scoreOnlyMissing: true)
        let config = TrainingConfig(learningRate: 1e-5, batchSize: batch, maxSteps: steps + 1, seed: 1, maxLength: prompt + newTokens,
                                    maxPromptLength: prompt)
        let ppo = PPOTrainingConfig(ppoEpochs: ppoEpochs, minibatchSize: minibatch, maxNewTokens: newTokens, shareValueBackbone: shareValueBackbone)
        let t = try PPOTrainer(policy: policy, reference: nil, reward: reward, prompts: prompts, tokenize: idTokenize, config: config, ppo: ppo)
        let list = MetricList()
        _ = try t.train(hooks: TrainingHooks(progress: { list.add($0.metrics) }))
        let timed = list.items.dropFirst()
        func mean(_ k: String) -> Double { timed.map { $0[k] ?? 0 }.reduce(0, +) / Double(max(timed.count, 1)) }
        let gen = mean("time/generation"), rollout = mean("time/rollout"), update = mean("time/update")
        let total = rollout + update
        let updatesPerRollout = Double(ppoEpochs * ((batch + minibatch - 1) / minibatch))
        emit(json, [("rollout_s", rollout), ("generation_s", gen), ("scoring_s", rollout - gen), ("update_s", update),
                    ("update_batch_s", update / updatesPerRollout), ("step_s", total), ("generation_share", gen / total),
                    ("new_tokens_per_rollout", mean("tokens") / Double(1 + ppoEpochs)), ("peak_rss_mib", peakRSSMiB())],
             text: String(format: "ppo: %.3f s/step = rollout %.3f s (generation %.3f s, scoring forwards %.3f s) + update %.3f s (%.3f s per minibatch of %d); generation is %.0f%% of the step",
                          total, rollout, gen, rollout - gen, update, update / updatesPerRollout, minibatch, 100 * gen / total))
    }
}

/// Collects progress from the hooks (called on the training thread only).
private final class TimeList: @unchecked Sendable {
    // Written by the progress hook on the training thread, read after training returns.
    var elapsed: [Double] = []
    func add(_ e: Double) { elapsed.append(e) }
    /// Mean seconds per step, leaving out the first (warm-up: workspace allocation, reference precompute).
    var perStepAfterFirst: Double { elapsed.count > 1 ? (elapsed.last! - elapsed[0]) / Double(elapsed.count - 1) : elapsed.first ?? 0 }
}

private final class MetricList: @unchecked Sendable {
    // Written by the progress hook on the training thread, read after training returns.
    var items: [ObjectiveMetrics] = []
    func add(_ m: ObjectiveMetrics) { items.append(m) }
}

private extension ModelShape {
    /// The bench model with EOS = the last id (random weights from the seed).
    func alignModel(minPositions: Int) throws -> GPT2 {
        let m = try gpt2(minPositions: minPositions)
        var c = m.config
        c.eosTokenId = c.vocabSize - 1; c.bosTokenId = c.vocabSize - 1
        let out = try GPT2(config: c)
        out.params.copy(from: m.params, scoreOnlyMissing: false)
        return out
    }
}

private extension ParameterBuffer {
    /// Copies the tensors both layouts have (a language model's weights into a reward layout).
    func copy(from other: ParameterBuffer, scoreOnlyMissing: Bool) {
        for t in layout.tensors {
            guard let o = other.layout.tensor(named: t.name) else { continue }
            self[t.name].update(from: other[o.name], count: t.count)
        }
    }
}
