// Everything `hilo serve` runs beside the HTTP server, started and stopped together: the training
// loop (recovery, the scheduler), the candidate generator that keeps the queue stocked with the
// serving policy's responses, and the preparer of evaluation campaigns. With no --policy, a fresh
// install serves the embedded starter and the seeded demo prompts, so the loop works at once.
//
//     let loop = try Services.makeLoop(db: db, modelsDirectory: dir, log: log)
//     try Services.registerPolicy(loop: loop, folder: given, log: log)   // nil: the starter on first start
//     let app = HiloApp(db: db, loop: loop)
//     let services = Services(app: app, loop: loop); try services.start()
//     …
//     services.stop()
import Foundation
import Store

public final class Services: Sendable {
    public let loop: Loop
    public let candidates: CandidateGenerator
    public let campaigns: CampaignPreparer
    /// The candidate generator's board, woken when the serving policy or reward model changes.
    let board: CandidateBoard

    public init(app: HiloApp, loop: Loop) {
        board = app.candidates
        self.loop = loop
        candidates = CandidateGenerator(db: app.db, clock: app.config.clock, board: app.candidates)
        campaigns = CampaignPreparer(db: app.db, clock: app.config.clock)
    }

    /// The loop, whose automatic promotion decision reads its rule from the settings each time (an
    /// admin's change applies to the next run).
    public static func makeLoop(db: Database, modelsDirectory: URL, log: @escaping @Sendable (String) -> Void) throws -> Loop {
        try Loop(db: db, config: Loop.Config(modelsDirectory: modelsDirectory), log: log)
    }

    /// The evaluation's automatic promotion (the serving reward model judges the candidate's and the
    /// serving policy's outputs on held-out prompts; the PromotionRule decides) with today's settings.
    public static func settingsPromotion(db: Database) -> PromotionDecision {
        { candidate, serving in
            let s = try db.read { try AppSettings.load($0) }
            let sampling = PolicySampler.Settings(temperature: s.candidates.temperature, topP: s.candidates.topP,
                                                  maxNewTokens: s.candidates.maxNewTokens)
            return try AutomaticPromotion(db: db, rule: s.evaluation.promotion, prompts: s.evaluation.prompts, sampling: sampling,
                                          samplesPerPrompt: s.evaluation.samplesPerPrompt)
                .evaluate(candidate: (candidate.name, candidate.folder), serving: (serving.name, URL(fileURLWithPath: serving.path)),
                          reward: (candidate.rewardName, candidate.rewardFolder), progress: candidate.progress)
        }
    }

    /// What happened to the policy at start-up, for the log.
    public enum PolicyStart: Sendable, Equatable {
        case registered(String, starter: Bool, seededPrompts: Int)
        case replaced(String)
        case unchanged(String)
        case serving(String)
    }

    /// Registers the policy to serve: `folder` when given; otherwise, when no policy serves yet, the
    /// embedded starter, and then the demo prompts are seeded into an empty queue.
    public static func registerPolicy(loop: Loop, folder: URL?, now: Int64) throws -> PolicyStart {
        if folder == nil, let serving = try loop.servingPolicy() { return .serving(serving.name) }
        let source = try folder ?? StarterModel.folder
        switch try loop.store.registerPolicy(from: source, origin: folder == nil ? "embedded starter" : nil) {
        case .first(let name):
            var seeded = 0
            if folder == nil, try loop.db.read({ try PromptRepository($0).count() }) == 0 {
                let r = try DemoSeed().seed(loop.db, now: now)
                seeded = r.queueInserted + r.heldoutInserted
            }
            return .registered(name, starter: folder == nil, seededPrompts: seeded)
        case .replaced(let name): return .replaced(name)
        case .unchanged(let name): return .unchanged(name)
        }
    }

    /// Recovery and the scheduler, then the workers; the generator restocks whenever the serving
    /// policy changes.
    public func start() throws {
        try loop.start()
        loop.onServingChanged { [board] kind, _ in if kind == .policy || kind == .reward { board.wake() } }
        candidates.start()
        campaigns.start()
    }

    /// Cancels a running job (marking it so) and stops the workers after their current batch; returns
    /// once all three threads have ended (for every caller), so the database can be closed and the
    /// process can exit with no BLAS call in flight.
    public func stop() {
        loop.stop()
        candidates.stop()
        campaigns.stop()
    }
}
