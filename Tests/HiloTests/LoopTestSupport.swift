// Helpers for the training loop's tests: a tiny random GPT-2 (2 layers, 32 wide, a 300-token BPE
// tokenizer trained on a small arithmetic corpus) written to a folder, and an app with a Loop whose
// scheduler polls every 20 ms, a manual clock, labels written straight into the database.
import Engine
import Foundation
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store
import TestHelpers

enum TinyPolicy {
    static let corpus: [String] = (0..<40).flatMap { a in (0..<5).map { b in "\n\nHuman: what is \(a) plus \(b)?\n\nAssistant: \(a) plus \(b) is \(a + b)." } }

    /// Writes a random tiny GPT-2 with its tokenizer to `folder`.
    static func write(to folder: URL, seed: UInt64 = 1) throws {
        var trainer = try BPETrainer(config: BPETrainerConfig(vocabSize: 300))
        for line in corpus { trainer.feed(line) }
        let tokenizer = try trainer.train()
        let tokDir = folder.deletingLastPathComponent().appendingPathComponent(".tok-\(UUID().uuidString)")
        try tokenizer.save(directory: tokDir)
        defer { try? FileManager.default.removeItem(at: tokDir) }
        let eos = tokenizer.eosTokenId ?? 0
        let config = GPT2Config(vocabSize: tokenizer.vocabSize, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 2,
                                eosTokenId: eos, bosTokenId: eos)
        let model = try GPT2(config: config)
        var rng = SeededRNG(seed: seed)
        model.initializeWeights(rng: &rng)
        try ModelFolder.save(config: config, kind: .languageModel, parameters: model.params, to: folder, tokenizerFrom: tokDir)
    }
}

/// An app with a training loop over a fresh database and models directory.
final class LoopHarness: @unchecked Sendable {
    let dir: URL
    let db: Database
    let clock = ManualClock()
    let loop: Loop
    let app: HiloApp
    let router: Router
    let policyFolder: URL
    var modelsDir: URL { loop.store.directory }

    init(recipe: (inout RetrainingRecipe) -> Void = { _ in }, promotion: PromotionDecision? = nil, register: Bool = true) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-loop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        db = try Database(path: dir.appendingPathComponent("t.db").path)
        policyFolder = dir.appendingPathComponent("base")
        try TinyPolicy.write(to: policyFolder)
        var config = Loop.Config(modelsDirectory: ModelStore.defaultDirectory(forDatabase: db.path))
        let clock = self.clock
        config.clock = { clock.now }
        config.scheduler.pollSeconds = 0.02
        config.scheduler.lowerPriority = false
        // Few steps: the tests check the loop's bookkeeping, not learning.
        config.scheduler.recipe.reward.maxSteps = 3
        config.scheduler.recipe.policy.maxSteps = 3
        recipe(&config.scheduler.recipe)
        loop = try Loop(db: db, config: config, promotion: promotion)
        var appConfig = AppConfig()
        appConfig.clock = { clock.now }
        app = HiloApp(db: db, config: appConfig, loop: loop)
        router = app.makeRouter()
        if register { _ = try loop.store.registerPolicy(from: policyFolder) }
    }

    deinit {
        loop.stop()
        app.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    func settings(_ patch: String) throws {
        let now = clock.now
        try db.write { c in try AppSettings.load(c).merged(with: try JSONValue.parse(patch)).save(c, now: now) }
    }

    /// `n` prompts with two responses each and one human pairwise label on each (the first response wins).
    @discardableResult
    func label(_ n: Int, annotator name: String = "ann") throws -> Int {
        let now = clock.now
        return try db.write { c in
            let annotator = try AnnotatorRepository(c).byName(name)?.id ?? LoginLinks.create(c, name: name, role: .annotator, now: now).0.id
            let start = Int(try c.scalar("SELECT count(*) FROM prompts"))
            for i in start..<(start + n) {
                let (p, _) = try PromptRepository(c).insert(NewPrompt(text: "\n\nHuman: what is \(i) plus 1?\n\nAssistant:"), now: now)
                let good = try PromptRepository(c).addResponse(promptID: p, text: " \(i) plus 1 is \(i + 1).", origin: "import:test", now: now).id
                let bad = try PromptRepository(c).addResponse(promptID: p, text: " \(i) plus 1 is \(i + 7).", origin: "import:test", now: now).id
                var j = NewJudgment(annotatorID: annotator, promptID: p, kind: .pairwise)
                j.ranks = [ResponseRank(responseID: good, rank: 1), ResponseRank(responseID: bad, rank: 2)]
                _ = try JudgmentRepository(c).submit(j, now: now)
            }
            return n
        }
    }

    /// An admin's session cookie.
    func admin() async throws -> String {
        let now = clock.now
        let (_, token) = try db.write { try LoginLinks.create($0, name: "boss-\(UUID().uuidString.prefix(6))", role: .admin, now: now) }
        return token
    }

    func call(_ method: HTTPMethod, _ path: String, json: Any? = nil, token: String) async throws -> Reply {
        var headers = HTTPHeaders([("Host", "hilo.test:8080"), ("Authorization", "Bearer \(token)")])
        var body = RequestBody.none
        if let json {
            body = .bytes(try JSONSerialization.data(withJSONObject: json))
            headers.add("Content-Type", "application/json")
        }
        let request = try Request(method: method, path: path, query: nil, headers: headers, body: body, remoteAddress: "127.0.0.1")
        return try await Reply.of(request, from: router)
    }

    func runs() throws -> [TrainingRunRecord] { try db.read { try TrainingRunRepository($0).recentRecords() } }
    func models() throws -> [ModelVersionRecord] { try db.read { try ModelRepository($0).records() } }
    func folders() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: modelsDir.path).sorted() }

    /// Waits (`eventually`'s budget) until `body` is true; records an issue and throws if it never is.
    func wait(_ what: String, _ body: () throws -> Bool) throws {
        guard try eventually(body) else {
            Issue.record("timed out waiting for \(what)")
            throw CancellationError()
        }
    }

    /// Waits for run `id` to reach a final status; returns it.
    @discardableResult
    func finished(_ id: Int64) throws -> TrainingRunRecord {
        var out: TrainingRunRecord?
        try wait("run \(id) to finish") {
            out = try db.read { try TrainingRunRepository($0).record(id) }
            return out.map { ![.queued, .running].contains($0.status) } ?? false
        }
        return out!
    }
}
