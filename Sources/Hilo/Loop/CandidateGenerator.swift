// Fresh, on-policy candidates: a background worker that keeps the next `candidates.buffer_prompts`
// unlabelled, non-held-out prompts (in next-task order: oldest first) stocked with
// `candidates.per_prompt` responses from the SERVING policy version, so annotators judge the latest
// model's outputs. Each pass also runs the RLAIF step (RLAIF.swift): scores with the serving reward
// model and, when enabled, AI pre-labels.
//
//     let gen = CandidateGenerator(db: app.db, clock: app.config.clock, board: app.candidates)
//     gen.start()               // its own thread, lower priority; polls every candidates.poll_seconds
//     board.wake()              // after a promotion/rollback: a pass now (labelled(): after a submit, while stocking)
//     gen.stop()
//
// After a promotion or rollback the next pass restocks: prompts nobody labelled get the new
// version's responses (next-task shows those, not the older version's). The serving model is loaded
// once and reloaded only when the serving version changes. Tests call `runOnce()` without a thread.
import Engine
import Foundation
import Store

public final class CandidateGenerator: @unchecked Sendable {
    public struct Config: Sendable {
        /// Prompts sampled in one generation call and written in one transaction: large enough to
        /// batch the model's matrix products, small enough that a new version's first responses
        /// appear within seconds.
        public var batchPrompts = 8
        /// Sampling rounds a prompt gets while it has fewer than 2 distinct responses (a near
        /// deterministic policy repeats itself); then it is left alone until the next version.
        public var maxTries = 3
        /// Seeds the worker's random stream; each batch records the seed it used.
        public var seed: UInt64 = UInt64.random(in: 1...UInt64.max)
        /// Niceness of the worker thread (annotation stays responsive while it generates).
        public var niceness: Int32 = 10
        public init() {}
    }

    let db: Database
    /// Unix milliseconds now (the application's clock).
    let clock: @Sendable () -> Int64
    /// Where the worker reports its status and how the rest of the application wakes it.
    let board: CandidateBoard
    let config: Config
    /// The thread: a pass, then sleep for candidates.poll_seconds unless `board.wake()`.
    let worker: BackgroundWorker
    /// Held for a whole pass, so `runOnce` and the worker thread never overlap. Everything below is
    /// touched only while holding it.
    private let passLock = NSLock()
    var state = WorkerState()

    /// What a pass remembers between passes (only under `passLock`).
    struct WorkerState {
        var policy: (id: Int64, sampler: PolicySampler)?
        var reward: (id: Int64, scorer: RewardScorer)?
        /// Per serving version: prompts already given their round(s), tries per prompt, prompts left alone.
        var versionID: Int64?
        var done: Set<Int64> = []
        var tries: [Int64: Int] = [:]
        var exhausted: Set<Int64> = []
        var rng = SeededRNG(seed: 1)
        /// The auto-label settings of the last full sweep (nil: sweep everything next time).
        var labelSweep: LabelSweep?
    }

    public init(db: Database, clock: @escaping @Sendable () -> Int64, board: CandidateBoard, config: Config = Config()) {
        self.db = db
        self.clock = clock
        self.board = board
        self.config = config
        worker = BackgroundWorker(.init(name: "hilo-candidates", pollSeconds: 30, niceness: config.niceness, stackSize: 8 << 20))
        state.rng = SeededRNG(seed: config.seed)
    }

    public var status: CandidateStatus { board.status }

    /// Starts the worker thread (once). Its wake path is the board (`wake()`: a promotion or
    /// rollback through the loop's onServingChanged hook; `labelled()`: a submit while stocking).
    public func start() {
        board.register(wake: { [worker] in worker.wake() })
        board.update { $0.running = true }
        worker.start { [self] in
            do {
                return Double(try runOnce().pollSeconds)
            } catch {
                board.update { $0.error = "\(error)"; $0.lastPassAt = self.clock() }
                return nil
            }
        }
    }

    /// Stops the worker after its current batch and waits for its thread to end.
    public func stop() {
        board.register(wake: nil)
        worker.stop()
        board.update { $0.running = false }
    }

    var isStopping: Bool { worker.isStopping }
    /// A wake-up arrived during this pass (scoring yields to a new pass, which restocks first).
    var hasPendingWake: Bool { worker.hasPendingWake }

    /// What one pass did.
    public struct PassReport: Sendable, Equatable {
        public var generated = 0
        public var duplicates = 0
        public var tokens = 0
        public var scored = 0
        public var aiLabels = 0
        /// The poll interval the settings ask for (the thread waits this long unless woken).
        public var pollSeconds = 30
    }

    /// One pass: restock the buffer for the serving policy, then score and (if enabled) auto-label.
    @discardableResult
    public func runOnce() throws -> PassReport {
        passLock.lock(); defer { passLock.unlock() }
        let settings = try db.read { try AppSettings.load($0) }
        var report = PassReport(pollSeconds: settings.candidates.pollSeconds)
        board.update { $0.enabled = settings.candidates.enabled; $0.bufferPrompts = settings.candidates.bufferPrompts }
        if settings.candidates.enabled { try restock(settings, &report) }
        try rlaifStep(settings, &report)
        let now = clock()
        board.update { $0.lastPassAt = now; $0.error = nil }
        return report
    }
}
