// The annotator's routes: the next lease (a prompt and its shown responses, held for a while), submitting a judgment (idempotent by key),
// skipping, undoing within the window, thumbs on a response, progress, guidelines and the
// annotator's own recent labels. Every query is scoped to the signed-in annotator: nobody reads
// another annotator's labels through these routes.
import Foundation
import Engine
import HTTP
import Store

extension HiloApp {
    func addLeaseRoutes(_ t: inout RouteTable) {
        t.add(.get, "/api/v1/leases/next", .annotator) { [self] r in try await nextLease(r) }
        t.add(.post, "/api/v1/leases/:id/skip", .annotator) { [self] r in try await skip(r) }
        t.add(.post, "/api/v1/judgments", .annotator) { [self] r in try await submit(r) }
        t.add(.post, "/api/v1/judgments/:id/undo", .annotator) { [self] r in try await undo(r) }
        t.add(.post, "/api/v1/responses/:id/thumb", .annotator) { [self] r in try await thumb(r) }
        t.add(.get, "/api/v1/me/progress", .annotator) { [self] r in try progress(r) }
        t.add(.get, "/api/v1/me/judgments", .annotator) { [self] r in try myJudgments(r) }
        t.add(.post, "/api/v1/me/skips/reoffer", .annotator) { [self] r in try await reofferSkips(r) }
        t.add(.get, "/api/v1/guidelines", .annotator) { [self] _ in
            let s = try settings()
            struct Out: Encodable { var guidelines: String; var criteria: [String]; var undoWindowSeconds: Int }
            return try API.json(Out(guidelines: s.guidelines, criteria: s.criteria, undoWindowSeconds: s.undoWindowSeconds))
        }
    }

    // MARK: next lease

    func nextLease(_ r: Request) async throws -> HTTP.Response {
        let me = r.principal.id, now = config.clock(), s = try settings()
        // The common case, an annotator reloading or coming back to their open lease, is read-only.
        if let open = try db.read({ c in try LeaseRepository(c).openLease(annotatorID: me, now: now).map { try Self.shown(c, $0, s) } }) {
            return API.fast(NextLeaseDTO(lease: open))
        }
        let lease: LeaseDTO? = try await writer.write { c in
            try LeaseRepository(c).lease(annotatorID: me, now: now, rules: s.queue).map { try Self.shown(c, $0, s) }
        }
        if let lease { return API.fast(NextLeaseDTO(lease: lease)) }
        let why = try db.read { c in try LeaseRepository(c).whyEmpty(annotatorID: me, now: now, rules: s.queue) }
        return API.fast(NextLeaseDTO(lease: nil, empty: EmptyDTO(why)))
    }

    /// POST /api/v1/me/skips/reoffer: the prompts this annotator skipped come back to their queue.
    func reofferSkips(_ r: Request) async throws -> HTTP.Response {
        let me = r.principal.id, now = config.clock()
        let n = try await writer.write { c in try LeaseRepository(c).reofferSkips(annotatorID: me, now: now) }
        return try API.json(["reoffered": n])
    }

    /// What a lease shows: its prompt and up to K responses of its pool (imported + one model
    /// version's, see LeaseRepository+Queue.swift) in an order shuffled by the lease id (so reloading shows the same
    /// order, and position carries no information about origin). With
    /// `rlaif.show_scores_to_annotators`, the serving reward model's scores of the shown responses.
    static func shown(_ c: Connection, _ lease: Lease, _ s: AppSettings) throws -> LeaseDTO {
        guard let prompt = try PromptRepository(c).byID(lease.promptID) else { throw HTTPError.notFound("the prompt is gone") }
        let shown = try shownResponses(c, lease, k: s.responsesPerTask)
        let letters = Array("ABCDEFGHIJKLMNOP")
        var scores: [ScoreDTO]? = nil
        if s.rlaif.showScoresToAnnotators, let reward = try ModelRepository(c).serving(.reward) {
            let all = try PromptRepository(c).scores(promptID: prompt.id, modelID: reward.id)
            scores = shown.compactMap { r in all[r.id].map { ScoreDTO(responseId: r.id, score: $0) } }
        }
        return LeaseDTO(id: lease.id, expiresAt: lease.expiresAt,
                        prompt: PromptDTO(id: prompt.id, text: prompt.text, messages: prompt.messages),
                        responses: shown.enumerated().map { ShownResponse(label: String(letters[$0.offset]), id: $0.element.id, text: $0.element.text) },
                        criteria: s.criteria, scores: scores)
    }

    static func shownResponses(_ c: Connection, _ lease: Lease, k: Int) throws -> [Completion] {
        let all = try PromptRepository(c).responses(promptID: lease.promptID)
        return shownResponses(Lease.pool(all, leasedAt: lease.leasedAt), leaseID: lease.id, k: k)
    }

    static func shownResponses(_ all: [Completion], leaseID: Int64, k: Int) -> [Completion] {
        var rng = SeededRNG(seed: UInt64(bitPattern: leaseID)) // the same shuffle every time this lease is shown
        return Array(all.shuffled(using: &rng).prefix(k))
    }

    // MARK: submit

    func submit(_ r: Request) async throws -> HTTP.Response {
        let body = try SubmitIn(JSONFields.body(r))
        let me = r.principal.id, now = config.clock(), s = try settings()
        guard let key = Self.idempotencyKey(r, body.idempotencyKey) else {
            throw HTTPError.unprocessable("an idempotency key is required (Idempotency-Key header or idempotency_key field)")
        }
        guard body.kind != .skip else { throw HTTPError.unprocessable("kind: use POST /api/v1/leases/{id}/skip to skip") }
        for rating in body.ratings ?? [] where !s.criteria.contains(rating.criterion) {
            throw HTTPError.unprocessable("ratings: unknown criterion \"\(rating.criterion)\"; the criteria are \(s.criteria.joined(separator: ", "))")
        }
        // The page judges the lease it was given; prompt_id alone (no lease) would skip the queue and its
        // overlap limit, so it is for admins' scripts only.
        if body.leaseId == nil && r.principal.role != .admin {
            throw HTTPError.forbidden("lease_id: annotators judge the lease they were given (GET /api/v1/leases/next); a judgment by prompt_id alone is for admins")
        }
        let out: (SubmitOut, Bool) = try await writer.write { c in
            var promptID = body.promptId
            var shown: Set<Int64>? = nil
            if let leaseID = body.leaseId {
                guard let lease = try LeaseRepository(c).byID(leaseID), lease.annotatorID == me else {
                    throw HTTPError.notFound("no lease \(leaseID) of yours")
                }
                if let p = promptID, p != lease.promptID { throw HTTPError.unprocessable("prompt_id: lease \(leaseID) is for prompt \(lease.promptID)") }
                promptID = lease.promptID
                shown = Set(try Self.shownResponses(c, lease, k: s.responsesPerTask).map(\.id))
            }
            guard let promptID else { throw HTTPError.unprocessable("missing field lease_id or prompt_id") }
            var j = NewJudgment(annotatorID: me, promptID: promptID, kind: body.kind)
            j.ranks = (body.ranks ?? []).map { ResponseRank(responseID: $0.responseId, rank: $0.rank) }
            j.bothBad = body.bothBad ?? false
            j.ratings = (body.ratings ?? []).map { Rating(responseID: $0.responseId, criterion: $0.criterion, score: $0.score) }
            j.thumbs = (body.thumbs ?? []).map { Thumb(responseID: $0.responseId, up: $0.up) }
            j.rationale = body.rationale
            j.rewrite = body.rewrite
            j.timeSpentMs = body.timeSpentMs
            j.leaseID = body.leaseId
            j.idempotencyKey = key
            if let replay = try Self.replay(c, j, s) { return (replay, true) }
            if let leaseID = body.leaseId, let lease = try LeaseRepository(c).byID(leaseID), lease.completedAt != nil {
                throw HTTPError.conflict("lease \(leaseID) was already submitted or skipped")
            }
            if let shown {
                let used = Set(j.ranks.map(\.responseID) + j.ratings.map(\.responseID) + j.thumbs.map(\.responseID))
                if let stray = used.subtracting(shown).min() { throw HTTPError.unprocessable("response \(stray) was not shown in lease \(body.leaseId!)") }
                if j.kind == .ranking, Set(j.ranks.map(\.responseID)) != shown {
                    throw HTTPError.unprocessable("ranking: rank every shown response (\(shown.count)), ties allowed")
                }
            }
            if try JudgmentRepository(c).hasLive(annotatorID: me, promptID: promptID, kind: j.kind) {
                throw HTTPError.conflict("you already submitted a \(j.kind.rawValue) judgment for prompt \(promptID); undo it first")
            }
            let judgment = try JudgmentRepository(c).submitNew(j, now: now) // replay() found the key unused
            return (SubmitOut(judgment: JudgmentDTO(judgment), undoUntil: judgment.createdAt + Int64(s.undoWindowSeconds) * 1000), false)
        }
        // A labelled prompt leaves the candidate buffer: the generator (if running) tops it up.
        if !out.1 { candidates.labelled() }
        var response = API.fast(out.0, status: .created)
        if out.1 { response.headers.set("Idempotent-Replayed", "true") }
        return response
    }

    /// The first reply when this annotator already used `j`'s key; 422 when the key came with a
    /// different judgment (a client bug that must not silently pass).
    static func replay(_ c: Connection, _ j: NewJudgment, _ s: AppSettings) throws -> SubmitOut? {
        let repo = JudgmentRepository(c)
        guard let id = try repo.existingID(j), let old = try repo.byID(id) else { return nil }
        let same = old.promptID == j.promptID && old.kind == j.kind && old.bothBad == j.bothBad && old.rationale == j.rationale
            && old.rewrite == j.rewrite && old.timeSpentMs == j.timeSpentMs && old.leaseID == j.leaseID
            && Set(old.ranks) == Set(j.ranks) && Set(old.ratings) == Set(j.ratings) && Set(old.thumbs) == Set(j.thumbs)
        guard same else { throw HTTPError.unprocessable("this idempotency key was already used for a different request") }
        return SubmitOut(judgment: JudgmentDTO(old), undoUntil: old.createdAt + Int64(s.undoWindowSeconds) * 1000)
    }

    static func idempotencyKey(_ r: Request, _ fromBody: String?) -> String? {
        guard let key = r.headers["Idempotency-Key"] ?? fromBody else { return nil }
        // An ASCII key (the usual case) is trimmed of spaces and tabs byte by byte, which is what
        // Foundation's Unicode-aware trimming does to ASCII, without its cost.
        let trimmed = key.utf8.allSatisfy({ $0 < 0x80 }) ? String(HTTPGrammar.trimOWS(key[...])) : key.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed.utf8.count > 200 ? nil : trimmed
    }

    static func idParameter(_ r: Request) throws(HTTPError) -> Int64 {
        guard let s = r.parameters["id"], let id = Int64(s), id > 0 else { throw HTTPError.notFound("no such id") }
        return id
    }

    // MARK: skip, undo, thumbs

    func skip(_ r: Request) async throws -> HTTP.Response {
        let leaseID = try Self.idParameter(r), me = r.principal.id, now = config.clock()
        let out: JudgmentDTO = try await writer.write { c in
            guard let lease = try LeaseRepository(c).byID(leaseID), lease.annotatorID == me else {
                throw HTTPError.notFound("no lease \(leaseID) of yours")
            }
            var j = NewJudgment(annotatorID: me, promptID: lease.promptID, kind: .skip)
            j.leaseID = leaseID
            j.idempotencyKey = "skip:\(leaseID)"
            if lease.completedAt != nil, try !JudgmentRepository(c).isLive(annotatorID: me, idempotencyKey: j.idempotencyKey!) {
                throw HTTPError.conflict("lease \(leaseID) was already submitted")
            }
            return JudgmentDTO(try JudgmentRepository(c).submit(j, now: now).judgment)
        }
        return try API.json(["judgment": out])
    }

    func undo(_ r: Request) async throws -> HTTP.Response {
        let id = try Self.idParameter(r), me = r.principal.id, now = config.clock(), s = try settings()
        let windowMs = Int64(s.undoWindowSeconds) * 1000, leaseMs = Int64(s.leaseSeconds) * 1000
        let out: JudgmentDTO = try await writer.write { c in
            let repo = JudgmentRepository(c)
            guard let j = try repo.byID(id), j.annotatorID == me else { throw HTTPError.notFound("no judgment \(id) of yours") }
            if j.undoneAt == nil {
                guard now - j.createdAt <= windowMs else {
                    throw HTTPError.conflict("judgment \(id) is older than the undo window of \(s.undoWindowSeconds) s")
                }
                _ = try repo.undo(judgmentID: id, annotatorID: me, now: now, windowMs: windowMs)
                // The lease comes back to this annotator next, with a fresh expiry.
                if let lease = j.leaseID { try LeaseRepository(c).extend(leaseID: lease, until: now + leaseMs) }
            }
            return JudgmentDTO(try repo.byID(id)!)
        }
        return try API.json(["judgment": out])
    }

    func thumb(_ r: Request) async throws -> HTTP.Response {
        let responseID = try Self.idParameter(r), me = r.principal.id, role = r.principal.role, now = config.clock(), s = try settings()
        let body = try ThumbBody(JSONFields.body(r))
        guard let key = Self.idempotencyKey(r, body.idempotencyKey) else {
            throw HTTPError.unprocessable("an idempotency key is required (Idempotency-Key header or idempotency_key field)")
        }
        let out: (SubmitOut, Bool) = try await writer.write { c in
            guard let response = try PromptRepository(c).response(responseID) else { throw HTTPError.notFound("no response \(responseID)") }
            if role != .admin {
                // An annotator thumbs what one of their leases showed them, nothing else.
                let shown = try LeaseRepository(c).leases(annotatorID: me, promptID: response.promptID).contains { lease in
                    try Self.shownResponses(c, lease, k: s.responsesPerTask).contains { $0.id == responseID }
                }
                guard shown else { throw HTTPError.forbidden("response \(responseID) was never shown to you") }
            }
            var j = NewJudgment(annotatorID: me, promptID: response.promptID, kind: .feedback)
            j.thumbs = [Thumb(responseID: responseID, up: body.up)]
            j.idempotencyKey = key
            if let replay = try Self.replay(c, j, s) { return (replay, true) }
            let judgment = try JudgmentRepository(c).submitNew(j, now: now) // replay() found the key unused
            return (SubmitOut(judgment: JudgmentDTO(judgment), undoUntil: judgment.createdAt + Int64(s.undoWindowSeconds) * 1000), false)
        }
        var response = API.fast(out.0, status: .created)
        if out.1 { response.headers.set("Idempotent-Replayed", "true") }
        return response
    }

    // MARK: progress and own labels

    func progress(_ r: Request) throws -> HTTP.Response {
        let me = r.principal.id, now = config.clock(), s = try settings()
        let dayStart = now - now % 86_400_000
        let p = try db.read { c in
            let mine = try StatsRepository(c).progress(annotatorID: me, dayStart: dayStart)
            return ProgressDTO(doneToday: mine.doneToday, doneTotal: mine.doneTotal, skipped: mine.skipped,
                               left: try LeaseRepository(c).remaining(annotatorID: me, now: now, rules: s.queue))
        }
        return try API.json(p)
    }

    func myJudgments(_ r: Request) throws -> HTTP.Response {
        let limit = try r.query.int("limit", default: 20, in: 1...200)
        let me = r.principal.id
        let list = try db.read { try JudgmentRepository($0).recent(annotatorID: me, limit: limit) }
        return try API.json(["judgments": list.map(JudgmentDTO.init)])
    }
}
