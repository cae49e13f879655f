// Prepares evaluation campaigns in the background: for each campaign still waiting it samples one
// response per prompt from each version (reusing a response that version already wrote for the
// prompt), stores them as model responses, creates the blind comparisons with random sides, computes
// the automatic measures (serving reward model, serving reference) and marks the campaign prepared, all
// in one transaction. A failure is written to the campaign's `error` (status failed), never half a
// campaign. Runs on its own low-priority Thread; `Loop.start()` starts it, tests call `prepareWaiting()`.
//
//     let preparer = CampaignPreparer(db: db, clock: config.clock)
//     preparer.start()      // and preparer.wake() after creating a campaign
import Engine
import Foundation
import Store
import Support

public final class CampaignPreparer: Sendable {
    public let db: Database
    let clock: MillisecondClock
    /// The thread: prepares what waits every `pollSeconds` (5 by default) or when woken.
    let worker: BackgroundWorker

    public init(db: Database, clock: @escaping MillisecondClock, pollSeconds: Double = 5) {
        self.db = db; self.clock = clock
        worker = BackgroundWorker(.init(name: "hilo-eval-prep", pollSeconds: pollSeconds))
    }

    /// Starts the background thread (once).
    public func start() {
        worker.start { [self] in prepareWaiting(); return nil }
    }

    /// Asks the thread to look for waiting campaigns now.
    public func wake() { worker.wake() }

    /// Stops the thread after the campaign it is preparing, if any, and waits for it to end.
    public func stop() { worker.stop() }

    /// Prepares every waiting campaign on the calling thread; returns how many it prepared.
    @discardableResult
    public func prepareWaiting() -> Int {
        var done = 0
        let waiting = (try? db.read { try EvalRepository($0).unprepared() }) ?? []
        for campaign in waiting {
            do {
                try Self.prepare(db: db, campaign: campaign, clock: clock)
                done += 1
            } catch {
                let message = "\(error)"
                _ = try? db.write { try EvalRepository($0).setFailed(campaign.id, error: message) }
            }
        }
        return done
    }

    /// Prepares one campaign: responses, comparisons, measures, prepared_at (one write transaction at the end).
    public static func prepare(db: Database, campaign: EvalCampaign, clock: () -> Int64) throws {
        let config = try CampaignConfig.parse(campaign.config)
        typealias Loaded = (a: ModelVersion, b: ModelVersion, prompts: [(id: Int64, text: String)],
                            existingA: [Int64: (id: Int64, text: String)], existingB: [Int64: (id: Int64, text: String)],
                            reward: ModelVersion?, reference: ModelVersion?)
        let loaded: Loaded = try db.read { c in
            let models = ModelRepository(c), eval = EvalRepository(c), prompts = PromptRepository(c)
            guard let a = try models.byID(campaign.modelAID), let b = try models.byID(campaign.modelBID) else {
                throw StoreError.notFound("a model version of the campaign is gone")
            }
            var list: [(id: Int64, text: String)] = []
            var ea: [Int64: (id: Int64, text: String)] = [:], eb: [Int64: (id: Int64, text: String)] = [:]
            for id in config.promptIds {
                guard let p = try prompts.byID(id) else { throw StoreError.notFound("prompt \(id) is gone") }
                list.append((id, p.text))
                ea[id] = try eval.response(versionID: a.id, promptID: id)
                eb[id] = try eval.response(versionID: b.id, promptID: id)
            }
            return (a, b, list, ea, eb, try models.serving(.reward), try models.serving(.reference))
        }

        // Generate what is missing, per version (a version's folder is loaded once).
        func generate(_ version: ModelVersion, existing: [Int64: (id: Int64, text: String)], seed: UInt64) throws -> [Int64: String] {
            let missing = loaded.prompts.filter { existing[$0.id] == nil }
            guard !missing.isEmpty else { return [:] }
            let texts = try AutomaticEvaluation.sample(folder: URL(fileURLWithPath: version.path), prompts: missing.map(\.text),
                                                       settings: config.sampling, seed: seed)
            return Dictionary(uniqueKeysWithValues: zip(missing.map(\.id), texts))
        }
        let newA = try generate(loaded.a, existing: loaded.existingA, seed: config.seed)
        let newB = try generate(loaded.b, existing: loaded.existingB, seed: config.seed)
        let textsA = loaded.prompts.map { loaded.existingA[$0.id]?.text ?? newA[$0.id]! }
        let textsB = loaded.prompts.map { loaded.existingB[$0.id]?.text ?? newB[$0.id]! }

        // The automatic measures with the serving reward model and reference.
        var judges = AutomaticEvaluation.Judges()
        if let r = loaded.reward { judges.reward = try RewardScorer(folder: URL(fileURLWithPath: r.path)); judges.rewardName = r.name }
        if let ref = loaded.reference {
            let refScorer = try CompletionScorer(folder: URL(fileURLWithPath: ref.path))
            judges.reference = refScorer
            judges.referenceName = ref.name
            let scorer = { (m: ModelVersion) throws -> CompletionScorer in m.path == ref.path ? refScorer : try CompletionScorer(folder: URL(fileURLWithPath: m.path)) }
            judges.policyA = try scorer(loaded.a)
            judges.policyB = loaded.b.path == loaded.a.path ? judges.policyA : try scorer(loaded.b)
        }
        let measures = try AutomaticEvaluation.measure(prompts: loaded.prompts.map(\.text), responsesA: textsA, responsesB: textsB, judges: judges)

        var rng = SeededRNG(seed: config.seed ^ 0x5157_A9ED)
        let now = clock()
        try db.write { c in
            guard let current = try EvalRepository(c).campaign(campaign.id), current.preparedAt == nil, current.error == nil else { return }
            let prompts = PromptRepository(c), eval = EvalRepository(c)
            for p in loaded.prompts {
                func id(_ v: ModelVersion, _ existing: [Int64: (id: Int64, text: String)], _ new: [Int64: String]) throws -> Int64 {
                    if let e = existing[p.id] { return e.id }
                    let record = SamplingRecord(settings: config.sampling, seed: config.seed, model: v.name)
                    let json = String(decoding: try CampaignConfig.encoder.encode(record), as: UTF8.self)
                    return try prompts.addResponse(promptID: p.id, text: new[p.id]!, origin: "model:\(v.name)", modelVersionID: v.id,
                                                   sampling: json, now: now).id
                }
                let ra = try id(loaded.a, loaded.existingA, newA), rb = try id(loaded.b, loaded.existingB, newB)
                _ = try eval.addComparison(campaignID: campaign.id, promptID: p.id, responseA: ra, responseB: rb,
                                           swapped: rng.next() & 1 == 1, now: now)
            }
            try eval.setPrepared(campaign.id, metrics: measures.json, now: now)
        }
    }
}

/// `responses.sampling` of a generated response: PolicySampler.Settings plus the seed and the model.
struct SamplingRecord: Encodable {
    var settings: PolicySampler.Settings
    var seed: UInt64
    var model: String

    enum Keys: String, CodingKey { case seed, model }

    func encode(to encoder: Encoder) throws {
        try settings.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(seed, forKey: .seed)
        try c.encode(model, forKey: .model)
    }
}
