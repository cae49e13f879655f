// Labels: submitting a judgment (validated, idempotent by key), undoing it, reading judgments and
// the preference pairs derived from them (the `preference_pairs` view in schema.sql).
public struct JudgmentRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    /// Longest rationale or rewrite accepted (bytes).
    public static let maxTextBytes = 1 << 20

    /// Validates and stores `j` with its ranks, ratings and thumbs. When the annotator already
    /// submitted with the same idempotency key, nothing is written and the first judgment is returned
    /// with `created == false`. Throws `.invalid` for a label that breaks the rules of its kind.
    public func submit(_ j: NewJudgment, now: Int64) throws -> (judgment: Judgment, created: Bool) {
        if let id = try existingID(j) { return (try byID(id)!, false) }
        return (try submitNew(j, now: now), true)
    }

    /// The judgment this annotator already stored under `j`'s idempotency key, if any.
    public func existingID(_ j: NewJudgment) throws -> Int64? {
        guard let key = j.idempotencyKey else { return nil }
        return try id(annotatorID: j.annotatorID, idempotencyKey: key)
    }

    /// The id of the judgment the annotator stored under `idempotencyKey`, if any.
    public func id(annotatorID: Int64, idempotencyKey: String) throws -> Int64? {
        try c.prepare("SELECT id FROM judgments WHERE annotator_id = ? AND idempotency_key = ?")
            .first([.int(annotatorID), .text(idempotencyKey)], { $0.int(0) })
    }

    /// `submit` for a judgment whose key the caller found unused (`existingID`) in this transaction:
    /// validates and stores it, and returns it as `byID` would read it back, without reading it.
    public func submitNew(_ j: NewJudgment, now: Int64) throws -> Judgment {
        let id = try insertNew(j, now: now)
        return Judgment(
            id: id, annotatorID: j.annotatorID, promptID: j.promptID, kind: j.kind, origin: j.origin, bothBad: j.bothBad,
            rationale: j.rationale, rewrite: j.rewrite, timeSpentMs: j.timeSpentMs, leaseID: j.leaseID,
            idempotencyKey: j.idempotencyKey, createdAt: now, undoneAt: nil,
            // byID's orders: ranks by (rank, response), ratings by (response, criterion as bytes), thumbs by response.
            ranks: j.ranks.sorted { ($0.rank, $0.responseID) < ($1.rank, $1.responseID) },
            ratings: j.ratings.sorted {
                $0.responseID != $1.responseID ? $0.responseID < $1.responseID
                    : $0.criterion.utf8.lexicographicallyPrecedes($1.criterion.utf8)
            },
            thumbs: j.thumbs.sorted { $0.responseID < $1.responseID })
    }

    /// `submit` without reading the judgment back: its id and whether it is new (bulk import).
    func insert(_ j: NewJudgment, now: Int64) throws -> (id: Int64, created: Bool) {
        if let id = try existingID(j) { return (id, false) }
        return (try insertNew(j, now: now), true)
    }

    private func insertNew(_ j: NewJudgment, now: Int64) throws -> Int64 {
        try validate(j)
        try c.run("""
            INSERT INTO judgments (annotator_id, prompt_id, kind, origin, both_bad, rationale, rewrite, time_spent_ms,
                                   lease_id, idempotency_key, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(j.annotatorID), .int(j.promptID), .text(j.kind.rawValue), .text(j.origin.rawValue), .int(j.bothBad ? 1 : 0),
                  j.rationale.map { .text($0) } ?? .null, j.rewrite.map { .text($0) } ?? .null,
                  j.timeSpentMs.map { .int($0) } ?? .null, j.leaseID.map { .int($0) } ?? .null,
                  j.idempotencyKey.map { .text($0) } ?? .null, .int(now)])
        let id = c.lastInsertID
        let rank = try c.prepare("INSERT INTO judgment_ranks (judgment_id, response_id, rank) VALUES (?, ?, ?)")
        for r in j.ranks { try rank.run([.int(id), .int(r.responseID), .int(Int64(r.rank))]) }
        let rating = try c.prepare("INSERT INTO judgment_ratings (judgment_id, response_id, criterion, score) VALUES (?, ?, ?, ?)")
        for r in j.ratings { try rating.run([.int(id), .int(r.responseID), .text(r.criterion), .int(Int64(r.score))]) }
        let thumb = try c.prepare("INSERT INTO judgment_thumbs (judgment_id, response_id, thumb) VALUES (?, ?, ?)")
        for t in j.thumbs { try thumb.run([.int(id), .int(t.responseID), .int(t.up ? 1 : -1)]) }
        if let a = j.leaseID {
            try c.run("UPDATE leases SET completed_at = ? WHERE id = ? AND completed_at IS NULL", [.int(now), .int(a)])
        }
        return id
    }

    private func validate(_ j: NewJudgment) throws {
        guard let annotator = try AnnotatorRepository(c).byID(j.annotatorID) else { throw StoreError.notFound("no annotator with id \(j.annotatorID)") }
        guard !annotator.disabled else { throw StoreError.invalid("annotator \(annotator.name) is disabled") }
        let responseIDs = Set(try c.prepare("SELECT id FROM responses WHERE prompt_id = ?").all([.int(j.promptID)]) { $0.int(0) })
        if responseIDs.isEmpty, try c.scalar("SELECT count(*) FROM prompts WHERE id = ?", [.int(j.promptID)]) == 0 {
            throw StoreError.notFound("no prompt with id \(j.promptID)")
        }
        func checkResponse(_ id: Int64, _ field: String) throws {
            guard responseIDs.contains(id) else { throw StoreError.invalid("\(field): response \(id) does not belong to prompt \(j.promptID)") }
        }
        for r in j.ranks {
            try checkResponse(r.responseID, "ranks")
            guard r.rank >= 1 else { throw StoreError.invalid("ranks: a rank must be 1 (best) or more") }
        }
        if Set(j.ranks.map(\.responseID)).count != j.ranks.count { throw StoreError.invalid("ranks: a response is ranked twice") }
        for r in j.ratings {
            try checkResponse(r.responseID, "ratings")
            guard (1...7).contains(r.score) else { throw StoreError.invalid("ratings: score \(r.score) is outside 1…7") }
            guard !r.criterion.isEmpty, r.criterion.unicodeScalars.count <= 100 else { throw StoreError.invalid("ratings: a criterion must be 1 to 100 characters") }
        }
        if Set(j.ratings.map { "\($0.responseID)\u{0}\($0.criterion)" }).count != j.ratings.count {
            throw StoreError.invalid("ratings: a response is rated twice on one criterion")
        }
        for t in j.thumbs { try checkResponse(t.responseID, "thumbs") }
        if Set(j.thumbs.map(\.responseID)).count != j.thumbs.count { throw StoreError.invalid("thumbs: a response has two thumbs") }
        for (name, text) in [("rationale", j.rationale), ("rewrite", j.rewrite)] {
            if let text, text.utf8.count > Self.maxTextBytes { throw StoreError.invalid("\(name): longer than \(Self.maxTextBytes) bytes") }
        }
        switch j.kind {
        case .pairwise:
            guard j.ranks.count == 2 else { throw StoreError.invalid("pairwise: exactly 2 ranked responses expected, got \(j.ranks.count)") }
        case .ranking:
            guard j.ranks.count >= 2 else { throw StoreError.invalid("ranking: at least 2 ranked responses expected, got \(j.ranks.count)") }
        case .rating:
            guard !j.ratings.isEmpty else { throw StoreError.invalid("rating: at least one rating expected") }
        case .feedback:
            guard !j.thumbs.isEmpty || !(j.rationale ?? "").isEmpty else { throw StoreError.invalid("feedback: thumbs or a rationale expected") }
        case .rewrite:
            guard let r = j.rewrite, !r.isEmpty else { throw StoreError.invalid("rewrite: the rewritten response is missing") }
        case .skip:
            guard j.ranks.isEmpty, j.ratings.isEmpty, j.thumbs.isEmpty else { throw StoreError.invalid("skip: a skip carries no labels") }
        }
        if j.kind != .pairwise, j.kind != .ranking, !j.ranks.isEmpty { throw StoreError.invalid("\(j.kind.rawValue): ranks only belong to pairwise or ranking") }
        if j.bothBad, j.kind != .pairwise, j.kind != .ranking { throw StoreError.invalid("both-bad only applies to pairwise or ranking") }
    }

    /// Marks the annotator's own judgment undone if it is at most `windowMs` old. Returns false when
    /// it was already undone; throws when it is not theirs or too old.
    public func undo(judgmentID: Int64, annotatorID: Int64, now: Int64, windowMs: Int64) throws -> Bool {
        guard let j = try byID(judgmentID), j.annotatorID == annotatorID else {
            throw StoreError.notFound("no judgment \(judgmentID) by this annotator")
        }
        if j.undoneAt != nil { return false }
        guard now - j.createdAt <= windowMs else { throw StoreError.invalid("judgment \(judgmentID) is too old to undo") }
        try c.run("UPDATE judgments SET undone_at = ? WHERE id = ?", [.int(now), .int(judgmentID)])
        if let a = j.leaseID { try c.run("UPDATE leases SET completed_at = NULL WHERE id = ?", [.int(a)]) }
        return true
    }

    static let columns = """
        id, annotator_id, prompt_id, kind, origin, both_bad, rationale, rewrite, time_spent_ms, lease_id,
        idempotency_key, created_at, undone_at
        """

    func row(_ s: Statement) throws -> Judgment {
        let id = s.int(0)
        return Judgment(
            id: id, annotatorID: s.int(1), promptID: s.int(2), kind: JudgmentKind(rawValue: s.string(3)) ?? .skip,
            origin: LabelOrigin(rawValue: s.string(4)) ?? .human, bothBad: s.int(5) != 0, rationale: s.optionalString(6),
            rewrite: s.optionalString(7), timeSpentMs: s.optionalInt(8), leaseID: s.optionalInt(9),
            idempotencyKey: s.optionalString(10), createdAt: s.int(11), undoneAt: s.optionalInt(12),
            ranks: [], ratings: [], thumbs: [])
    }

    private func withDetails(_ j: Judgment) throws -> Judgment {
        var j = j
        j.ranks = try c.prepare("SELECT response_id, rank FROM judgment_ranks WHERE judgment_id = ? ORDER BY rank, response_id")
            .all([.int(j.id)]) { ResponseRank(responseID: $0.int(0), rank: Int($0.int(1))) }
        j.ratings = try c.prepare("SELECT response_id, criterion, score FROM judgment_ratings WHERE judgment_id = ? ORDER BY response_id, criterion")
            .all([.int(j.id)]) { Rating(responseID: $0.int(0), criterion: $0.string(1), score: Int($0.int(2))) }
        j.thumbs = try c.prepare("SELECT response_id, thumb FROM judgment_thumbs WHERE judgment_id = ? ORDER BY response_id")
            .all([.int(j.id)]) { Thumb(responseID: $0.int(0), up: $0.int(1) > 0) }
        return j
    }

    /// A judgment with its ranks, ratings and thumbs.
    public func byID(_ id: Int64) throws -> Judgment? {
        guard let j = try c.prepare("SELECT \(Self.columns) FROM judgments WHERE id = ?").first([.int(id)], row) else { return nil }
        return try withDetails(j)
    }

    /// All judgments on a prompt (including undone ones), oldest first.
    public func forPrompt(_ promptID: Int64) throws -> [Judgment] {
        try c.prepare("SELECT \(Self.columns) FROM judgments WHERE prompt_id = ? ORDER BY id").all([.int(promptID)], row).map(withDetails)
    }

    /// The annotator's most recent judgments, newest first.
    public func recent(annotatorID: Int64, limit: Int) throws -> [Judgment] {
        try c.prepare("SELECT \(Self.columns) FROM judgments WHERE annotator_id = ? ORDER BY id DESC LIMIT ?")
            .all([.int(annotatorID), .int(Int64(limit))], row).map(withDetails)
    }

    /// The preference pairs of live judgments, optionally for one prompt, in judgment order.
    public func pairs(promptID: Int64? = nil) throws -> [PreferencePair] {
        let sql = "SELECT judgment_id, annotator_id, prompt_id, chosen_id, rejected_id, origin, created_at FROM preference_pairs"
            + (promptID == nil ? "" : " WHERE prompt_id = ?") + " ORDER BY judgment_id, chosen_id, rejected_id"
        return try c.prepare(sql).all(promptID.map { [.int($0)] } ?? []) {
            PreferencePair(judgmentID: $0.int(0), annotatorID: $0.int(1), promptID: $0.int(2), chosenID: $0.int(3),
                           rejectedID: $0.int(4), origin: LabelOrigin(rawValue: $0.string(5)) ?? .human, createdAt: $0.int(6))
        }
    }

    /// Whether the annotator has a standing (not undone) judgment of `kind` on the prompt.
    public func hasLive(annotatorID: Int64, promptID: Int64, kind: JudgmentKind) throws -> Bool {
        try c.scalar("SELECT count(*) FROM judgments j WHERE j.annotator_id = ? AND j.prompt_id = ? AND j.kind = ? AND \(LiveLabel.judgment)",
                     [.int(annotatorID), .int(promptID), .text(kind.rawValue)]) > 0
    }

    /// Whether the judgment the annotator stored under `idempotencyKey` stands (exists, not undone).
    public func isLive(annotatorID: Int64, idempotencyKey: String) throws -> Bool {
        try c.scalar("SELECT count(*) FROM judgments j WHERE j.annotator_id = ? AND j.idempotency_key = ? AND \(LiveLabel.judgment)",
                     [.int(annotatorID), .text(idempotencyKey)]) > 0
    }

    /// The largest judgment id (0 when there are none).
    public func maxID() throws -> Int64 { try c.scalar("SELECT coalesce(max(id), 0) FROM judgments") }
}
