// One retraining run, executed on the scheduler's thread: (a) refresh the reward model from the last
// one (the first time: from the serving policy) on every human preference pair, (b) update the serving
// policy with the configured objective against the reference, (c) evaluate the new policy against the
// serving one with the new reward model (automatic promotion), (d) in one transaction, register both
// versions with their lineage, make the reward model serve, promote the policy if it won, and record
// the run's end; then prune old versions. Nothing of a run is registered or serving before (d), so a
// cancel, an error or a kill before it leaves the models as they were (the run is marked cancelled,
// or failed with the message). Progress, metrics and log lines go to the database as it goes.
import Engine
import Foundation
import Store

/// `@unchecked Sendable`: a run lives on the scheduler's thread only; the training hooks that capture
/// it are called on that same thread, between steps.
final class RetrainingRun: @unchecked Sendable {
    struct Cancelled: Error {}

    let id: Int64
    let scheduler: Scheduler
    var db: Database { scheduler.db }
    var store: ModelStore { scheduler.store }
    var recipe: RetrainingRecipe { scheduler.config.recipe }
    /// Temporary folders to delete at the end whatever happens (moved ones are gone already).
    private var temporaries: [URL] = []
    /// Metric values not yet written (flushed with the progress at most twice a second).
    private var pending: [(step: Int, name: String, value: Double)] = []
    private var lastFlush = Date.distantPast
    private var stepOffset = 0

    init(id: Int64, scheduler: Scheduler) { self.id = id; self.scheduler = scheduler }

    /// What a run starts from, read in one snapshot.
    struct Context {
        var settings: AppSettings
        var policy: ModelVersionRecord
        var reference: ModelVersionRecord?
        var reward: ModelVersionRecord?
        var watermark: Int64
        var heldout: Set<Int64>
    }

    func execute() {
        var previousBLAS = 0, previousEngine = 0
        do {
            let ctx = try context()
            previousBLAS = BLASInfo.current().threads
            BLASInfo.setThreads(min(ctx.settings.retraining.threads, ThreadBudget.cores))
            previousEngine = ThreadBudget.setLimit(ctx.settings.retraining.threads)
            defer { BLASInfo.setThreads(max(1, previousBLAS)); ThreadBudget.setLimit(previousEngine) }
            try run(ctx)
        } catch is Cancelled {
            removeTemporaries()
            finish(.cancelled, error: "cancelled", message: "cancelled; no version was written")
        } catch {
            removeTemporaries()
            finish(.failed, error: "\(error)", message: "failed: \(error)", level: .error)
        }
        removeTemporaries()
    }

    /// Deletes the run's temporary folders and checkpoints (before its end is recorded, so a finished
    /// run never has leftovers beside it).
    func removeTemporaries() {
        for url in temporaries { try? FileManager.default.removeItem(at: url) }
        temporaries.removeAll()
    }

    func context() throws -> Context {
        try db.read { c in
            let models = ModelRepository(c)
            guard let policy = try models.servingRecord(.policy) else {
                throw LoopError("no policy is serving: start hilo serve with --policy DIR (a Hugging Face GPT-2 folder)")
            }
            let reward = try models.servingRecord(.reward) ?? models.records(kind: .reward).last(where: { !$0.pruned })
            let heldout = try PromptRepository(c).heldoutIDs()
            return Context(settings: try AppSettings.load(c), policy: policy, reference: try models.servingRecord(.reference),
                           reward: reward, watermark: try TrainingRunRepository(c).judgmentWatermark(), heldout: heldout)
        }
    }

    // MARK: the run

    func run(_ ctx: Context) throws {
        let s = ctx.settings.retraining
        let objective = TrainingKind(rawValue: s.objective) ?? .dpo
        // The data: every preference pair on non-held-out prompts (human only unless AI labels are included).
        var options = ExportOptions(format: .trl)
        options.includeAI = s.includeAiLabels
        let exporter = try Exporter(db: db, options: options)
        var pairs: [Engine.PreferenceExample] = []
        try exporter.forEachPair { p in
            if !ctx.heldout.contains(p.promptID) { pairs.append(.init(prompt: p.prompt, chosen: p.chosen, rejected: p.rejected)) }
        }
        guard !pairs.isEmpty else { throw LoopError("no preference pairs to train on yet (held-out prompts are never trained on)") }

        let now = scheduler.clock()
        let config = ["objective": objective.rawValue, "recipe": recipeJSON(), "policy": ctx.policy.name,
                      "reference": ctx.reference?.name ?? ctx.policy.name, "reward_base": ctx.reward?.name ?? ctx.policy.name] as [String: Any]
        try db.write { c in
            let runs = TrainingRunRepository(c)
            do { try runs.start(id, labelsUsed: pairs.count, labelWatermark: ctx.watermark, now: now) } catch { throw Cancelled() }
            try runs.setConfig(id, config: ModelStore.json(config))
            try runs.appendLog(id, "started: \(pairs.count) preference pairs, \(objective.rawValue) from \(ctx.policy.name)", now: now)
        }
        try checkStop()

        // (a) the reward model.
        let rewardBase = URL(fileURLWithPath: ctx.reward?.path ?? ctx.policy.path)
        let rewardTmp = store.temporaryFolder(for: "reward")
        var rewardJob = TrainingJob(stage: .reward, model: .folder(rewardBase), output: rewardTmp, data: .preferences(pairs, rankings: []))
        rewardJob.config = recipe.rewardConfig(runID: id)
        rewardJob.reward = RewardTrainingConfig(evalFraction: recipe.reward.evalFraction)
        rewardJob.checkpoint = store.temporaryFolder(for: "reward-checkpoint")
        temporaries += [rewardTmp, rewardJob.checkpointURL]
        logLine("reward model: from \(ctx.reward?.name ?? ctx.policy.name + " (a new score head)")")
        let rewardReport = try train(rewardJob, phase: "reward", prefix: "rm/")

        // (b) the policy.
        let policyTmp = store.temporaryFolder(for: "policy")
        let data: TrainingData
        switch objective {
        case .kto:
            var rows: [KTOExample] = []
            try exporter.forEachKTO { e in
                if !ctx.heldout.contains(e.promptID), let label = e.label {
                    rows.append(KTOExample(prompt: e.prompt, completion: e.completion, desirable: label))
                }
            }
            data = .kto(rows)
        case .ppo:
            data = .prompts(try ppoPrompts(heldout: ctx.heldout))
        default:
            data = .preferences(pairs, rankings: [])
        }
        let stage: TrainingStage = objective == .kto ? .kto : objective == .ppo ? .ppo : objective == .ipo ? .ipo : .dpo
        var policyJob = TrainingJob(stage: stage, model: .folder(URL(fileURLWithPath: ctx.policy.path)), output: policyTmp, data: data)
        policyJob.reference = URL(fileURLWithPath: ctx.reference?.path ?? ctx.policy.path)
        policyJob.config = recipe.policyConfig(runID: id)
        policyJob.dpo = DPOTrainingConfig(loss: DPOConfig(beta: recipe.policy.beta, lossType: stage == .ipo ? .ipo : .sigmoid,
                                                          rpoAlpha: recipe.policy.rpoAlpha))
        policyJob.kto = KTOTrainingConfig(loss: KTOConfig(beta: recipe.policy.beta))
        if stage == .ppo {
            policyJob.rewardModel = rewardTmp
            policyJob.ppo = PPOTrainingConfig(maxNewTokens: recipe.policy.ppoMaxNewTokens)
            policyJob.config.batchSize = min(policyJob.config.batchSize, max(1, data.count))
        }
        policyJob.checkpoint = store.temporaryFolder(for: "policy-checkpoint")
        temporaries += [policyTmp, policyJob.checkpointURL]
        logLine("policy: \(stage.rawValue) from \(ctx.policy.name) against \(ctx.reference?.name ?? ctx.policy.name)")
        let policyReport = try train(policyJob, phase: "policy", prefix: "")
        try checkStop()

        // (c) the evaluation, on the run's own folders: nothing of this run is registered or serving
        // yet, so a cancel, an error or a kill before (d) leaves the models as they were.
        let names = (reward: try store.nextName(.reward, with: [.reward, .policy]), policy: try store.nextName(.policy, with: [.reward, .policy]))
        var verdict: AutomaticPromotion.Outcome?
        if s.promotion == "automatic" {
            // The evaluation's step is an answer sampled (held-out prompts × samples, both versions).
            progress(phase: "evaluate", step: 0, total: 0, force: true)
            do {
                verdict = try scheduler.promotion(PromotionCandidate(name: names.policy, folder: policyTmp, rewardName: names.reward,
                                                                     rewardFolder: rewardTmp, progress: { [self] done, total in
                    progress(phase: "evaluate", step: done, total: total, force: done == total)
                }), ctx.policy)
            } catch {
                logLine("automatic evaluation failed, \(ctx.policy.name) keeps serving: \(error)", level: .warning)
            }
            try checkStop()
        }

        // (d) one transaction: both versions with their lineage, the new reward model serving, the
        // policy serving if it won, and the run's end. A cancel that arrives up to here wins.
        progress(phase: "save", step: 0, total: 1, force: true)
        let rewardMetrics = versionMetrics(rewardReport, extra: ["trained_from": ctx.reward?.name ?? ctx.policy.name])
        var policyExtra: [String: Any] = ["objective": stage.rawValue, "reference": ctx.reference?.name ?? ctx.policy.name]
        if let verdict { policyExtra["promotion"] = Self.promotionMetrics(verdict) }
        let policyMetrics = versionMetrics(policyReport, extra: policyExtra)
        let runID = id, endedAt = scheduler.clock()
        var log: [String] = []
        var changed: [ModelVersionRecord] = []
        progressFlushIfNeeded()
        _ = try store.commit([
            .init(kind: .reward, folder: rewardTmp, parentID: ctx.reward?.id ?? ctx.policy.id, metrics: rewardMetrics),
            .init(kind: .policy, folder: policyTmp, parentID: ctx.policy.id, metrics: policyMetrics),
        ], runID: id, labelsUsed: pairs.count) { c, versions in
            if scheduler.shouldStop(runID) { throw Cancelled() }
            let (reward, candidate) = (versions[0], versions[1])
            log.append("wrote \(reward.name) and \(candidate.name)")
            let r = try store.promote(in: c, reward.id, trigger: .automatic, reason: "refreshed by training run \(runID)")
            if r.changed { changed.append(r.0) }
            switch verdict {
            case let v? where v.promote:
                let p = try store.promote(in: c, candidate.id, trigger: .automatic, reason: v.reason)
                if p.changed { changed.append(p.0) }
                log.append("promoted \(candidate.name): \(v.reason)")
            case let v?:
                log.append("kept \(ctx.policy.name) serving: \(v.reason)")
            case nil where s.promotion == "automatic":
                break
            case nil:
                log.append("\(candidate.name) is ready; promotion is manual (an admin promotes it)")
            }
            let runs = TrainingRunRepository(c)
            try runs.setOutputModel(runID, modelID: candidate.id)
            for line in log { try runs.appendLog(runID, line, now: endedAt) }
            try runs.finish(runID, status: .succeeded, outputModelID: candidate.id, error: nil, now: endedAt)
            try runs.appendLog(runID, "succeeded", now: endedAt)
        }
        for m in changed { store.servingChanged(m.kind, m) }
        for line in log + ["succeeded"] { scheduler.log("training: run \(runID): \(line)") }
        let pruned = try store.prune(keep: s.keepVersions)
        if !pruned.isEmpty { logLine("pruned \(pruned.joined(separator: ", ")) (keep_versions \(s.keepVersions))") }
    }

    /// Runs one phase, streaming its progress; throws Cancelled when it was stopped.
    func train(_ job: TrainingJob, phase: String, prefix: String) throws -> TrainingReport {
        let offset = stepOffset
        progress(phase: phase, step: 0, total: 0, force: true)
        let box = ProgressBox()
        let report = try job.run(hooks: TrainingHooks(progress: { [self] p in
            box.last = p
            for (k, v) in p.metrics where v.isFinite { pending.append((offset + p.step, prefix + k, v)) }
            progress(phase: phase, step: p.step, total: p.totalSteps, force: p.step == p.totalSteps)
            if p.totalSteps >= 4, p.step % max(1, p.totalSteps / 4) == 0 || p.step == p.totalSteps {
                let loss = p.metrics["loss"].map { String(format: " loss %.4f", $0) } ?? ""
                logLine("\(phase) step \(p.step)/\(p.totalSteps)\(loss)")
            }
        }, shouldStop: { [scheduler, id] in scheduler.shouldStop(id) }))
        guard report.completed else { throw Cancelled() }
        stepOffset += report.steps
        let evalText = report.evaluation.keys.sorted().map { "\($0) \(String(format: "%.3f", report.evaluation[$0]!))" }.joined(separator: ", ")
        logLine("\(phase) done: \(report.steps) steps in \(String(format: "%.1f", report.seconds)) s\(evalText.isEmpty ? "" : "; held out: " + evalText)")
        return report
    }

    /// Prompts for PPO rollouts: the newest non-held-out prompts.
    func ppoPrompts(heldout: Set<Int64>) throws -> [String] {
        let rows = try db.read { try PromptRepository($0).newestNotHeldout(limit: recipe.policy.ppoPrompts) }
        let prompts = rows.filter { !heldout.contains($0.0) }.map(\.1)
        guard !prompts.isEmpty else { throw LoopError("ppo needs prompts and the database has none") }
        return prompts
    }

    // MARK: recording

    func checkStop() throws { if scheduler.shouldStop(id) { throw Cancelled() } }

    func progress(phase: String, step: Int, total: Int, force: Bool = false) {
        guard force || Date().timeIntervalSince(lastFlush) >= 0.5 else { return }
        lastFlush = Date()
        let metrics = pending, now = scheduler.clock(), id = self.id
        pending.removeAll()
        do {
            try db.write { c in
                let runs = TrainingRunRepository(c)
                try runs.setProgress(id, phase: phase, step: step, totalSteps: total)
                for (step, entries) in Dictionary(grouping: metrics, by: \.step) {
                    try runs.log(id, step: step, metrics: entries.map { ($0.name, $0.value) }, now: now)
                }
            }
        } catch {
            scheduler.log("training: run \(id): cannot record progress: \(error)")
        }
    }

    func logLine(_ message: String, level: TrainingLogLine.Level = .info) {
        let now = scheduler.clock(), id = self.id
        _ = try? db.write { try TrainingRunRepository($0).appendLog(id, level: level, message, now: now) }
        scheduler.log("training: run \(id): \(message)")
    }

    func finish(_ status: RunStatus, error: String?, message: String, outputModelID: Int64? = nil, level: TrainingLogLine.Level = .info) {
        progressFlushIfNeeded()
        let now = scheduler.clock(), id = self.id
        do {
            try db.write { c in
                let runs = TrainingRunRepository(c)
                guard let r = try runs.record(id), r.status == .queued || r.status == .running else { return }
                try runs.finish(id, status: status, outputModelID: outputModelID ?? r.run.outputModelID, error: error, now: now)
                try runs.appendLog(id, level: level, message, now: now)
            }
        } catch {
            scheduler.log("training: run \(id): cannot record its end: \(error)")
        }
        scheduler.log("training: run \(id): \(message)")
    }

    private func progressFlushIfNeeded() {
        guard !pending.isEmpty else { return }
        let now = scheduler.clock(), id = self.id, metrics = pending
        pending.removeAll()
        try? db.write { c in
            for (step, entries) in Dictionary(grouping: metrics, by: \.step) {
                try TrainingRunRepository(c).log(id, step: step, metrics: entries.map { ($0.name, $0.value) }, now: now)
            }
        }
    }

    /// The promotion decision as it goes into the candidate's metrics, with the automatic measures
    /// behind it (A: the serving version, B: the candidate).
    static func promotionMetrics(_ verdict: AutomaticPromotion.Outcome) -> [String: Any] {
        var promotion: [String: Any] = ["promote": verdict.promote, "reason": verdict.reason]
        if let measures = verdict.measures, let parsed = try? JSONSerialization.jsonObject(with: Data(measures.json.utf8)) {
            promotion["measures"] = parsed
        }
        return promotion
    }

    func versionMetrics(_ r: TrainingReport, extra: [String: Any]) -> String {
        var object: [String: Any] = extra
        object["run_id"] = id
        object["steps"] = r.steps
        object["seconds"] = (r.seconds * 100).rounded() / 100
        object["training"] = r.metrics.filter { $0.value.isFinite }
        object["training_mean"] = r.meanMetrics.filter { $0.value.isFinite }
        if !r.evaluation.isEmpty { object["eval"] = r.evaluation.filter { $0.value.isFinite } }
        return ModelStore.json(object)
    }

    func recipeJSON() -> Any {
        let data = (try? API.encoder.encode(recipe)) ?? Data("{}".utf8)
        return (try? JSONSerialization.jsonObject(with: data)) ?? [:]
    }
}

/// The last progress seen (written and read on the training thread only).
private final class ProgressBox: @unchecked Sendable { var last: TrainingProgress? }

/// A loop error with a message for the run's error column and the admin page.
struct LoopError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

