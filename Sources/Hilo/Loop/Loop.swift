// The training loop's background work, owned by one object that `hilo serve` starts and HiloApp holds
// (`app.loop`): the ModelStore (the models directory, versions, promotion, pruning) and the Scheduler
// (retraining runs on their own thread). Other background workers (candidate generation, evaluation
// campaigns) hang off it too and follow the serving version through `onServingChanged`.
//
//     let loop = try Loop(db: db, config: .init(modelsDirectory: dir), log: { print($0) })
//     try loop.start()                                   // recovery, then the scheduler's thread
//     if let policy { print(try loop.store.registerPolicy(from: policy)) }
//     loop.onServingChanged { kind, version in … }
//     loop.stop()                                        // cancels a running job, joins the thread
import Engine
import Foundation
import Store
import Support

public final class Loop: Sendable {
    public struct Config: Sendable {
        /// Where version folders live (`hilo serve --models`).
        public var modelsDirectory: URL
        /// The scheduler's poll interval, recipe and priority.
        public var scheduler = Scheduler.Config()
        /// Unix milliseconds now (tests move it).
        public var clock: MillisecondClock = currentTimeMs
        public init(modelsDirectory: URL) { self.modelsDirectory = modelsDirectory }
    }

    public let db: Database
    public let store: ModelStore
    public let scheduler: Scheduler
    let hooks: Hooks
    let log: @Sendable (String) -> Void

    /// `promotion` decides automatic promotions; nil uses the evaluation's rule with the current settings
    /// (Services.settingsPromotion: the serving reward model judges both policies on held-out prompts).
    public init(db: Database, config: Config, promotion: PromotionDecision? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        let hooks = Hooks()
        self.db = db
        self.hooks = hooks
        self.log = log
        store = try ModelStore(directory: config.modelsDirectory, db: db, clock: config.clock) { kind, version in
            hooks.fire(kind, version)
        }
        scheduler = Scheduler(db: db, store: store, config: config.scheduler, clock: config.clock,
                              promotion: promotion ?? Services.settingsPromotion(db: db), log: log)
    }

    /// Start-up recovery, then the scheduler's thread: runs a crash left running are marked failed,
    /// leftover temporary and unregistered folders are deleted. Call before serving requests.
    public func start() throws {
        try recover()
        scheduler.start()
    }

    /// The recovery part of `start()` (tests call it alone).
    public func recover() throws {
        let now = store.clock()
        let failed = try db.write { c in
            let ids = try TrainingRunRepository(c).failInterrupted(message: Self.interrupted, now: now)
            for id in ids { try TrainingRunRepository(c).appendLog(id, level: .error, Self.interrupted, now: now) }
            return ids
        }
        for id in failed { log("training: run \(id) was interrupted by a stop of the server; marked failed") }
        let removed = try store.recover()
        if !removed.isEmpty { log("models: deleted unfinished folders \(removed.joined(separator: ", ")) in \(store.directory.path)") }
    }

    /// The error a run gets when the server stopped (or crashed) during it.
    public static let interrupted = "the server stopped during this run"

    /// Stops the scheduler: a running job is cancelled and marked so; returns when its thread ended.
    public func stop() { scheduler.stop() }

    /// Registers `body` to run after the serving version of a kind changes (on the changing thread).
    public func onServingChanged(_ body: @escaping @Sendable (ModelKind, ModelVersionRecord) -> Void) { hooks.add(body) }

    /// The serving policy, if any.
    public func servingPolicy() throws -> ModelVersionRecord? { try db.read { try ModelRepository($0).servingRecord(.policy) } }

    /// The hooks. `@unchecked Sendable`: `list` is guarded by `lock`.
    final class Hooks: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [@Sendable (ModelKind, ModelVersionRecord) -> Void] = []
        func add(_ f: @escaping @Sendable (ModelKind, ModelVersionRecord) -> Void) { lock.lock(); list.append(f); lock.unlock() }
        func fire(_ kind: ModelKind, _ v: ModelVersionRecord) {
            lock.lock(); let l = list; lock.unlock()
            for f in l { f(kind, v) }
        }
    }
}
