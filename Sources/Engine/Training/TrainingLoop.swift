// The loop every stage shares: a deterministic data order (a permutation per epoch from the seed), the
// learning-rate schedule, per-step random numbers derived from (seed, step), progress and cancellation
// between steps, tokens/s, and the checkpoint written when the run is stopped or hits a non-finite
// value (the weights are then still those of the last good step).
import Foundation

/// A stage's side of the loop.
protocol StageTrainer: AnyObject {
    var stage: TrainingStage { get }
    /// Examples (PPO: prompts; pretraining: blocks) the epochs run over.
    var exampleCount: Int { get }
    /// The models the run optimises, by checkpoint slot name.
    var slots: [(String, OptimizedModel)] { get }
    /// One step on the examples `rows`: gradients and updates. Returns metrics incl. "tokens".
    func step(rows: [Int], lr: Float, rng: inout SeededRNG) throws -> ObjectiveMetrics
    /// Held-out metrics after training (empty when the stage has none).
    func evaluate() throws -> ObjectiveMetrics
    /// The stage's own state for the checkpoint, and its restore.
    func extraState() throws -> Data
    func restore(extraState: Data) throws
    /// Warnings raised by the last step (each once per run), for the progress callback and the report.
    func takeWarnings() -> [String]
}

extension StageTrainer {
    func evaluate() throws -> ObjectiveMetrics { [:] }
    func extraState() throws -> Data { Data("{}".utf8) }
    func restore(extraState: Data) throws {}
    func takeWarnings() -> [String] { [] }
}

struct TrainingLoop {
    let config: TrainingConfig
    let hooks: TrainingHooks
    /// Where a stopped run writes its checkpoint (nil: nowhere).
    let checkpointURL: URL?

    func stepsPerEpoch(_ n: Int) -> Int { (n + config.batchSize - 1) / config.batchSize }

    func totalSteps(_ n: Int) -> Int {
        let all = config.epochs * stepsPerEpoch(n)
        return min(all, config.maxSteps ?? all)
    }

    /// The examples of step `step` (the last batch of an epoch may be smaller).
    static func rows(step: Int, count n: Int, batchSize: Int, seed: UInt64, cache: inout (epoch: Int, order: [Int])) -> [Int] {
        let spe = (n + batchSize - 1) / batchSize
        let epoch = step / spe, k = step % spe
        if cache.epoch != epoch {
            var rng = SeededRNG(seed: seed ^ (0xD1B5_4A32_D192_ED03 &* UInt64(epoch + 1)))
            var order = Array(0..<n)
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            cache = (epoch, order)
        }
        return Array(cache.order[(k * batchSize)..<min(n, (k + 1) * batchSize)])
    }

    /// Runs from `startStep` to the end (or until stopped). Returns the report without output paths.
    func run(_ trainer: StageTrainer, startStep: Int) throws -> TrainingReport {
        let n = trainer.exampleCount
        guard n > 0 else { throw EngineError.invalidInput("the \(trainer.stage.rawValue) dataset is empty") }
        let total = totalSteps(n)
        let schedule = LRSchedule(peak: config.learningRate, warmupSteps: config.warmupSteps, totalSteps: total,
                                  decay: config.decay, minLR: 0)
        var cache = (epoch: -1, order: [Int]())
        let started = Date()
        var tokens = 0.0, last: ObjectiveMetrics = [:], sums: ObjectiveMetrics = [:], done = 0, warnings: [String] = []
        var step = startStep
        while step < total {
            if hooks.shouldStop() {
                let ck = try writeCheckpoint(trainer, step: step, total: total)
                return report(trainer, step: step, total: total, completed: false, last: last, sums: sums, done: done,
                              tokens: tokens, started: started, checkpoint: ck, warnings: warnings)
            }
            let rows = Self.rows(step: step, count: n, batchSize: config.batchSize, seed: config.seed, cache: &cache)
            var rng = SeededRNG(seed: config.seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(step + 1))
            let t0 = Date()
            var metrics: ObjectiveMetrics
            do {
                metrics = try trainer.step(rows: rows, lr: schedule.learningRate(at: step), rng: &rng)
            } catch let error as NonFiniteError {
                // The weights are still those after the last good step: keep them resumable.
                _ = try? writeCheckpoint(trainer, step: step, total: total)
                throw error
            }
            let dt = Date().timeIntervalSince(t0)
            let stepTokens = metrics["tokens"] ?? 0
            tokens += stepTokens
            metrics["tokens/s"] = dt > 0 ? stepTokens / dt : 0
            metrics["learning_rate"] = Double(schedule.learningRate(at: step))
            metrics["epoch"] = Double(step) / Double(stepsPerEpoch(n))
            step += 1; done += 1
            last = metrics
            for (k, v) in metrics { sums[k, default: 0] += v }
            let raised = trainer.takeWarnings()
            warnings += raised
            hooks.progress(TrainingProgress(step: step, totalSteps: total, metrics: metrics,
                                            elapsed: Date().timeIntervalSince(started), warnings: raised))
        }
        return report(trainer, step: step, total: total, completed: true, last: last, sums: sums, done: done,
                      tokens: tokens, started: started, checkpoint: nil, warnings: warnings)
    }

    private func report(_ t: StageTrainer, step: Int, total: Int, completed: Bool, last: ObjectiveMetrics, sums: ObjectiveMetrics,
                        done: Int, tokens: Double, started: Date, checkpoint: URL?, warnings: [String]) -> TrainingReport {
        let seconds = Date().timeIntervalSince(started)
        return TrainingReport(stage: t.stage, steps: step, totalSteps: total, completed: completed, metrics: last,
                              evaluation: [:], meanMetrics: sums.mapValues { $0 / Double(max(done, 1)) }, seconds: seconds,
                              tokensPerSecond: seconds > 0 ? tokens / seconds : 0, output: nil, checkpoint: checkpoint?.path,
                              warnings: warnings)
    }

    func writeCheckpoint(_ t: StageTrainer, step: Int, total: Int) throws -> URL? {
        guard let url = checkpointURL else { return nil }
        let spe = stepsPerEpoch(t.exampleCount)
        let state = TrainingCheckpoint(format: TrainingCheckpoint.format, stage: t.stage, step: step, totalSteps: total,
                                       seed: config.seed, epoch: step / spe, batchInEpoch: step % spe,
                                       slots: t.slots.map { .init(name: $0.0, floats: $0.1.trainedParams.layout.totalCount, adamStep: $0.1.adam.step) })
        try TrainingCheckpoint.write(state, extra: try t.extraState(), models: t.slots, to: url)
        return url
    }
}

/// Runs a stage: restores the checkpoint at `checkpoint` when `resume` is set (the same stage, models and
/// data), trains to the end or until stopped, evaluates a completed run. A stopped run writes the
/// checkpoint there.
func runStage(_ t: StageTrainer, config: TrainingConfig, hooks: TrainingHooks, checkpoint: URL?, resume: Bool) throws -> TrainingReport {
    var start = 0
    if resume {
        guard let url = checkpoint else { throw EngineError.invalidInput("resume needs the checkpoint folder") }
        let state = try TrainingCheckpoint.read(at: url)
        guard state.stage == t.stage else {
            throw EngineError.invalidInput("the checkpoint at \(url.path) is of a \(state.stage.rawValue) run, not \(t.stage.rawValue)")
        }
        guard state.seed == config.seed else {
            throw EngineError.invalidInput("the checkpoint at \(url.path) was made with seed \(state.seed), not \(config.seed): resume with the same options")
        }
        try t.restore(extraState: try state.restore(into: t.slots, from: url))
        start = state.step
    }
    let loop = TrainingLoop(config: config, hooks: hooks, checkpointURL: checkpoint)
    var report = try loop.run(t, startStep: start)
    if report.completed { report.evaluation = try t.evaluate() }
    return report
}
