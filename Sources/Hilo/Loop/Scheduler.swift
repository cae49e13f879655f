// The retraining scheduler: one background Thread, at a lower priority, that queues a run when enough
// new human preference pairs have arrived (settings.retraining: min_new_labels, automatic,
// min_interval_seconds) or when an admin asks, and executes queued runs one at a time (RetrainingRun).
// It wakes every `pollSeconds` and at once when poked (a retrain request, a cancel, stop()).
//
//     let s = Scheduler(db: db, store: store, config: .init(), promotion: decide, log: { print($0) })
//     s.start()                       // the thread
//     let run = try s.requestRun(requestedBy: adminID)   // SchedulerError.runActive if one is active
//     try s.cancel(run.id)            // a queued run ends at once; a running one at its next step
//     s.stop()                        // cancels a running job (marked cancelled) and joins the thread
import Engine
import Foundation
import Glibc
import Store
import Support

/// A policy a run has trained but not registered yet: the name its version will get, its folder, and
/// the reward model the same run trained, which judges it. Nothing of the run serves or is registered
/// while it is evaluated, so a cancel, an error or a kill then changes nothing.
public struct PromotionCandidate: Sendable {
    public var name: String
    public var folder: URL
    public var rewardName: String
    public var rewardFolder: URL
    /// Told (answers sampled, answers to sample) as the evaluation goes, for the run's progress bar.
    public var progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
}

/// Decides whether a candidate policy should replace the serving one (automatic promotion).
public typealias PromotionDecision = @Sendable (_ candidate: PromotionCandidate, _ serving: ModelVersionRecord) throws -> AutomaticPromotion.Outcome

public final class Scheduler: @unchecked Sendable {
    public struct Config: Sendable {
        /// Seconds between checks of the label threshold (a retrain request wakes it at once).
        public var pollSeconds: Double = 1
        /// The hyperparameters of every run.
        public var recipe = RetrainingRecipe()
        /// Lower the training thread's priority (nice 10) so annotation requests win the CPU.
        public var lowerPriority = true
        public init() {}
    }

    let db: Database
    let store: ModelStore
    let config: Config
    let clock: MillisecondClock
    let promotion: PromotionDecision
    let log: @Sendable (String) -> Void

    /// The thread: a threshold check and the next queued run each pass.
    let worker: BackgroundWorker

    // Everything below is read and written only while holding `lock`.
    private let lock = NSLock()
    private var cancelled: Set<Int64> = []
    private var running: Int64?

    public init(db: Database, store: ModelStore, config: Config, clock: @escaping MillisecondClock,
                promotion: @escaping PromotionDecision, log: @escaping @Sendable (String) -> Void) {
        self.db = db; self.store = store; self.config = config; self.clock = clock; self.promotion = promotion; self.log = log
        worker = BackgroundWorker(.init(name: "hilo-training", pollSeconds: config.pollSeconds, niceness: config.lowerPriority ? 10 : nil))
    }

    /// Starts the scheduler's thread (once).
    public func start() {
        worker.start { [self] in pass(); return nil }
    }

    /// Stops the thread: a running job is cancelled (its run marked cancelled, no version written)
    /// and this returns once the thread has ended.
    public func stop() { worker.stop() }

    /// Wakes the thread for an immediate check.
    public func poke() { worker.wake() }

    /// True once stop() was called.
    public var isStopped: Bool { worker.isStopping }

    /// The id of the run executing now, if any.
    public var runningID: Int64? { lock.lock(); defer { lock.unlock() }; return running }

    /// Whether the run should stop (cancel requested, or the server is stopping).
    func shouldStop(_ id: Int64) -> Bool {
        if worker.isStopping { return true }
        lock.lock(); defer { lock.unlock() }
        return cancelled.contains(id)
    }

    // MARK: requests

    /// Queues a run now (the retrain button). Throws SchedulerError.runActive when one is queued or running.
    public func requestRun(requestedBy: Int64?, trigger: TrainingRunRecord.Trigger = .admin) throws -> TrainingRunRecord {
        let (run, queued) = try enqueue(requestedBy: requestedBy, trigger: trigger)
        guard queued else { throw SchedulerError.runActive(id: run.id, status: run.status) }
        return run
    }

    /// Queues a run unless one is queued or running already; returns the new run, or the active one
    /// with `queued` false.
    private func enqueue(requestedBy: Int64?, trigger: TrainingRunRecord.Trigger) throws -> (run: TrainingRunRecord, queued: Bool) {
        let now = clock()
        let out: (TrainingRunRecord, Bool) = try db.write { c in
            let runs = TrainingRunRepository(c)
            if let active = try runs.active() { return (active, false) }
            let s = try AppSettings.load(c)
            let kind = TrainingKind(rawValue: s.retraining.objective) ?? .dpo
            return (try runs.enqueue(kind: kind, config: "{}", baseModelID: try ModelRepository(c).serving(.policy)?.id,
                                     trigger: trigger, requestedBy: requestedBy, now: now), true)
        }
        if out.1 {
            log("training: run \(out.0.id) queued (\(trigger.rawValue))")
            poke()
        }
        return out
    }

    /// Cancels a run: a queued one is marked cancelled at once, a running one stops at its next step
    /// (then marked cancelled, with no version written). Throws SchedulerError for an unknown or
    /// finished run.
    @discardableResult
    public func cancel(_ id: Int64) throws -> TrainingRunRecord {
        let now = clock()
        let run: TrainingRunRecord = try db.write { c in
            let runs = TrainingRunRepository(c)
            guard let r = try runs.record(id) else { throw SchedulerError.noSuchRun(id) }
            switch r.status {
            case .queued:
                try runs.finish(id, status: .cancelled, error: "cancelled before it started", now: now)
                try runs.appendLog(id, "cancelled before it started", now: now)
            case .running:
                try runs.appendLog(id, "cancel requested; stopping after the current step", now: now)
            default:
                throw SchedulerError.runFinished(id: id, status: r.status)
            }
            return try runs.record(id)!
        }
        lock.lock(); cancelled.insert(id); lock.unlock()
        return run
    }

    // MARK: the thread

    /// One pass of the thread: queue a run if the threshold is reached, then execute the next queued one.
    private func pass() {
        do {
            try checkThreshold()
            if let next = try db.read({ try TrainingRunRepository($0).nextQueued() }) { execute(next.id) }
        } catch {
            log("training: scheduler error: \(error)")
        }
    }

    /// Queues a threshold-triggered run when the settings say so.
    func checkThreshold() throws {
        let now = clock()
        let due: Bool = try db.read { c in
            let s = try AppSettings.load(c).retraining
            guard s.automatic else { return false }
            let runs = TrainingRunRepository(c)
            guard try runs.active() == nil else { return false }
            guard try ModelRepository(c).serving(.policy) != nil else { return false }
            if let last = try runs.lastThresholdStart(), now - last < Int64(s.minIntervalSeconds) * 1000 { return false }
            return try runs.newPairs(since: runs.lastWatermark(), includeAI: s.includeAiLabels) >= s.minNewLabels
        }
        // An admin's run may have got there first since the check: then nothing is queued.
        if due { _ = try enqueue(requestedBy: nil, trigger: .threshold) }
    }

    /// Runs one queued run to its end, recording the outcome. Never throws: failures mark the run.
    func execute(_ id: Int64) {
        lock.lock(); running = id; lock.unlock()
        defer { lock.lock(); running = nil; cancelled.remove(id); lock.unlock() }
        let job = RetrainingRun(id: id, scheduler: self)
        job.execute()
    }
}

/// What the scheduler refuses; HiloApp.httpError gives each its HTTP status.
public enum SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A run is queued or running: one runs at a time.
    case runActive(id: Int64, status: RunStatus)
    case noSuchRun(Int64)
    /// The run ended already and cannot be cancelled.
    case runFinished(id: Int64, status: RunStatus)

    public var description: String {
        switch self {
        case let .runActive(id, status): "training run \(id) is already \(status.rawValue); cancel it or wait for it to finish"
        case let .noSuchRun(id): "no training run \(id)"
        case let .runFinished(id, status): "training run \(id) has already finished (\(status.rawValue))"
        }
    }
}
