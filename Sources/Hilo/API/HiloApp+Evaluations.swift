// Blind evaluation routes. Admins create campaigns between two policy versions, follow their progress
// and result (wins, ties and losses from B's viewpoint with 95% Wilson intervals and the sign test,
// beside the automatic measures), close them, and read the Bradley–Terry leaderboard of all versions.
// Annotators get one leased comparison at a time as left/right texts — never a model name, version or
// response id — and answer left, right or tie, which the server maps to A/B through `swapped`.
import Engine
import Foundation
import HTTP
import Store
import Support

extension HiloApp {
    func addEvaluationRoutes(_ t: inout RouteTable) {
        t.add(.get, "/api/v1/evaluations", .admin) { [self] _ in try listCampaigns() }
        t.add(.post, "/api/v1/evaluations", .admin) { [self] r in try await createCampaign(r) }
        t.add(.get, "/api/v1/evaluations/next", .annotator) { [self] r in try await nextBlind(r) }
        t.add(.get, "/api/v1/evaluations/:id", .admin) { [self] r in try showCampaign(r) }
        t.add(.post, "/api/v1/evaluations/:id/close", .admin) { [self] r in try await closeCampaign(r) }
        t.add(.post, "/api/v1/evaluations/comparisons/:id", .annotator) { [self] r in try await judgeBlind(r) }
        t.add(.get, "/api/v1/leaderboard", .admin) { [self] _ in try await leaderboard() }
    }

    // MARK: admin

    func listCampaigns() throws -> HTTP.Response {
        let list = try db.read { c in try EvalRepository(c).campaigns().map { try Self.campaignDTO(c, $0) } }
        return try API.json(["campaigns": list])
    }

    func createCampaign(_ r: Request) async throws -> HTTP.Response {
        let body = try JSONFields.body(r)
        try body.only(["name", "model_a", "model_b", "model_a_id", "model_b_id", "prompts", "tag", "prompt_ids", "sampling", "seed"])
        var sampling = PolicySampler.Settings()
        if let s = body.value("sampling") {
            let f = try JSONFields(s, path: "sampling")
            try f.only(["temperature", "top_p", "top_k", "max_new_tokens", "greedy"])
            if let v = try f.number("temperature") { sampling.temperature = v }
            if let v = try f.number("top_p") { sampling.topP = v }
            if let v = try f.int("top_k") { sampling.topK = Int(v) }
            if let v = try f.int("max_new_tokens") { sampling.maxNewTokens = Int(v) }
            if let v = try f.bool("greedy") { sampling.greedy = v }
        }
        let promptIDs: [Int64]? = try body.value("prompt_ids").map { v throws(HTTPError) in
            guard case let .array(items) = v else { throw HTTPError.unprocessable("wrong type at prompt_ids: expected an array of integers") }
            return try items.map { item throws(HTTPError) in
                guard case let .number(n) = item, n == n.rounded(), n >= 1, n < 9e15 else { throw HTTPError.unprocessable("prompt_ids: expected positive integers") }
                return Int64(n)
            }
        }
        let prompts = try body.int("prompts").map(Int.init)
        let name = try body.string("name"), tag = try body.string("tag")
        let seed = try body.int("seed").map { UInt64(bitPattern: $0) } ?? UInt64(bitPattern: config.clock())
        let refA = try Self.modelRef(body, "model_a"), refB = try Self.modelRef(body, "model_b")
        let now = config.clock(), s = try settings()
        let sampled = sampling
        let dto: CampaignDTO = try await writer.write { c in
            let a = try Self.resolveModel(c, refA, field: "model_a"), b = try Self.resolveModel(c, refB, field: "model_b")
            let request = Campaign.Request(name: name, modelA: a, modelB: b, prompts: prompts, tag: tag, promptIds: promptIDs,
                                           sampling: sampled, seed: seed)
            let id = try Campaign.create(c, request, defaultPrompts: s.evaluation.prompts, now: now)
            return try Self.campaignDTO(c, EvalRepository(c).campaign(id)!)
        }
        return try API.json(["campaign": dto], status: .created)
    }

    /// A version given by id (`model_a_id`) or by name or id (`model_a`).
    enum ModelRef: Sendable { case id(Int64), name(String) }

    static func modelRef(_ body: JSONFields, _ field: String) throws(HTTPError) -> ModelRef {
        if let id = try body.int(field + "_id") { return .id(id) }
        switch body.value(field) {
        case .string(let s)?: return .name(s)
        case .number?: return .id(try body.int(field)!)
        case nil: throw HTTPError.unprocessable("missing field \(field) (a model version name) or \(field)_id")
        default: throw HTTPError.unprocessable("wrong type at \(field): expected a model version name or id")
        }
    }

    static func resolveModel(_ c: Connection, _ ref: ModelRef, field: String) throws -> Int64 {
        switch ref {
        case .id(let id): return id
        case .name(let n):
            guard let m = try ModelRepository(c).byName(n) else { throw HTTPError.unprocessable("\(field): no model version named \"\(n)\"") }
            return m.id
        }
    }

    func showCampaign(_ r: Request) throws -> HTTP.Response {
        let id = try Self.idParameter(r)
        let out = try db.read { c -> CampaignDetailDTO in
            guard let e = try EvalRepository(c).campaign(id) else { throw HTTPError.notFound("no evaluation \(id)") }
            return try CampaignDetailDTO(campaign: Self.campaignDTO(c, e), result: SideBySideResult(aWins: e.winsA, bWins: e.winsB, ties: e.ties).summary,
                                         automatic: EvalMeasures.parse(e.metrics), progress: e.total == 0 ? 0 : Double(e.judged) / Double(e.total))
        }
        return try API.json(out)
    }

    func closeCampaign(_ r: Request) async throws -> HTTP.Response {
        let id = try Self.idParameter(r)
        let dto: CampaignDTO = try await writer.write { c in
            let repo = EvalRepository(c)
            guard try repo.campaign(id) != nil else { throw HTTPError.notFound("no evaluation \(id)") }
            try repo.close(id)
            return try Self.campaignDTO(c, repo.campaign(id)!)
        }
        return try API.json(["campaign": dto])
    }

    func leaderboard() async throws -> HTTP.Response {
        let db = self.db
        let out = try await offPool { try Leaderboard.ofVersions(db) }
        return try API.json(out)
    }

    /// A campaign's wire shape, with its two models' names (`#id` for a version that is gone).
    static func campaignDTO(_ c: Connection, _ e: EvalCampaign) throws -> CampaignDTO {
        let models = ModelRepository(c)
        return CampaignDTO(e, modelA: try models.byID(e.modelAID)?.name ?? "#\(e.modelAID)",
                           modelB: try models.byID(e.modelBID)?.name ?? "#\(e.modelBID)")
    }

    // MARK: annotator

    func nextBlind(_ r: Request) async throws -> HTTP.Response {
        let me = r.principal.id, now = config.clock(), s = try settings()
        if try r.query.flag("peek") {
            let n = try db.read { try EvalRepository($0).availableBlind(annotatorID: me, now: now) }
            return try API.json(["available": n])
        }
        let until = now + Int64(s.leaseSeconds) * 1000
        let out: BlindDTO? = try await writer.write { c in
            guard let b = try EvalRepository(c).leaseBlind(annotatorID: me, now: now, until: until) else { return nil }
            guard let p = try PromptRepository(c).byID(b.promptID) else { throw HTTPError.notFound("the prompt is gone") }
            return BlindDTO(id: b.id, prompt: BlindPromptDTO(text: p.text, messages: p.messages), left: BlindTextDTO(text: b.left),
                            right: BlindTextDTO(text: b.right), leaseExpiresAt: b.leaseExpiresAt)
        }
        return try API.json(NextBlindDTO(comparison: out))
    }

    func judgeBlind(_ r: Request) async throws -> HTTP.Response {
        let id = try Self.idParameter(r), me = r.principal.id, now = config.clock()
        let body = try JSONFields.body(r)
        try body.only(["choice"])
        guard let choice = try body.string("choice") else { throw HTTPError.unprocessable("missing field choice (left, right or tie)") }
        guard ["left", "right", "tie"].contains(choice) else { throw HTTPError.unprocessable("choice must be left, right or tie") }
        let outcome: EvalRepository.BlindJudgment
        do {
            outcome = try await writer.write { c in try EvalRepository(c).judgeBlind(id, annotatorID: me, choice: choice, now: now) }
        } catch let e as EvalConflict {
            throw HTTPError.conflict(e.description)
        }
        // The reply names the choice as shown, never the side's model.
        switch outcome {
        case .stored: return try API.json(["comparison": BlindResultDTO(id: id, choice: choice)], status: .created)
        case .replayed:
            var response = try API.json(["comparison": BlindResultDTO(id: id, choice: choice)])
            response.headers.set("Idempotent-Replayed", "true")
            return response
        }
    }
}

extension EvalMeasures {
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }()

    /// The measures stored in `eval_campaigns.metrics`; nil for `{}` (not measured yet) or unreadable text.
    static func parse(_ text: String) -> EvalMeasures? {
        try? decoder.decode(EvalMeasures.self, from: Data(text.utf8))
    }
}
