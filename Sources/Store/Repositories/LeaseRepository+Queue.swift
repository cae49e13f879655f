// The task queue: which prompt an annotator gets next. Each prompt wants `overlap` independent
// judgments. Coverage = live labels by people who can log in (skips, thumbs-only feedback, imported
// and AI labels do not count; schema version 3 keeps that count in `prompts.labels`) + unexpired open
// leases. An annotator never gets a prompt they have judged or skipped (an undone judgment no longer
// counts); the least-covered prompts come first (oldest first among equals); with
// `prioritizeDisagreement`, prompts where two annotators ordered a pair of responses differently
// come before everything else and want one extra, tie-breaking judgment. Leasing runs inside the
// write queue's transaction, so two annotators asking at once are serialised and never push a prompt
// beyond its target. Held-out prompts (evaluation only) are never handed out.
//
// On-policy candidates: a task shows a prompt's imported responses plus those of ONE model version,
// the version of its newest generated response (the candidate generator restocks unlabelled prompts
// with the serving version's). A prompt nobody has labelled whose newest generated responses are not
// the serving version's waits for restocking, unless it has 2 imported responses of its own. The
// shown pool of a lease only counts responses created by the time of the lease, so what an
// annotator sees never changes under them when a new version's responses arrive.

/// The queue's rules, taken from the application's settings on each call.
public struct QueueRules: Sendable, Equatable {
    /// Independent judgments each prompt wants.
    public var overlap: Int
    /// Prompts two annotators ordered differently come first and want one extra judgment.
    public var prioritizeDisagreement: Bool
    /// Hand out only on-policy prompts (while the candidate generator is enabled).
    public var onPolicyOnly: Bool
    /// How long a new lease lasts, in ms.
    public var leaseMs: Int64

    public init(overlap: Int, prioritizeDisagreement: Bool, onPolicyOnly: Bool, leaseMs: Int64) {
        self.overlap = overlap; self.prioritizeDisagreement = prioritizeDisagreement
        self.onPolicyOnly = onPolicyOnly; self.leaseMs = leaseMs
    }
}

extension LeaseRepository {
    /// Live labels that count toward overlap on prompt `p.id` (SQL fragment): the counter that
    /// migration 3's triggers keep exact (Migration3.swift).
    static let labels = "p.labels"
    static let leases = "(SELECT count(*) FROM leases a WHERE a.prompt_id = p.id AND a.completed_at IS NULL AND a.expires_at > ?2)"
    /// The model version of prompt `p.id`'s newest generated response (NULL: none).
    static let latestVersion = """
        (SELECT r2.model_version_id FROM responses r2 WHERE r2.prompt_id = p.id AND r2.model_version_id IS NOT NULL ORDER BY r2.id DESC LIMIT 1)
        """
    static let servingPolicy = "(SELECT m.id FROM model_versions m WHERE m.kind = 'policy' AND m.serving = 1)"
    /// The prompt's pool (imported + the latest version's responses) has 2.
    static let poolOfTwo = """
        (SELECT count(*) FROM responses r WHERE r.prompt_id = p.id AND (r.model_version_id IS NULL OR r.model_version_id = \(latestVersion))) >= 2
        """
    /// On-policy (while the candidate generator is enabled): the latest version serves (or there is
    /// no model at all), or 2 imported responses carry it, or it is already labelled (later overlap
    /// judgments see what the first ones saw).
    static let onPolicy = """
        (coalesce(\(latestVersion) = \(servingPolicy), 1)
         OR (SELECT count(*) FROM responses r WHERE r.prompt_id = p.id AND r.model_version_id IS NULL) >= 2
         OR \(labels) > 0)
        """
    /// Prompts annotator ?1 may be given at time ?2 (with `onPolicyOnly`, only on-policy ones).
    static func eligible(_ rules: QueueRules) -> String { rules.onPolicyOnly ? eligibleAny + " AND " + onPolicy : eligibleAny }
    /// The cheap, selective checks first (SQLite keeps the written order of these subquery terms here).
    static let eligibleAny = """
        p.heldout = 0
        AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.prompt_id = p.id AND j.annotator_id = ?1 AND \(LiveLabel.judgment)
                    AND j.kind <> 'feedback')
        AND NOT EXISTS (SELECT 1 FROM leases a WHERE a.prompt_id = p.id AND a.annotator_id = ?1 AND a.completed_at IS NULL AND a.expires_at > ?2)
        AND (SELECT count(*) FROM responses r WHERE r.prompt_id = p.id) >= 2
        AND \(poolOfTwo)
        """
    /// Prompts where two people ordered some pair of responses in opposite directions.
    static let disagreed = """
        p.id IN (SELECT x.prompt_id FROM preference_pairs x JOIN preference_pairs y
                 ON y.prompt_id = x.prompt_id AND y.chosen_id = x.rejected_id AND y.rejected_id = x.chosen_id
                 AND y.annotator_id <> x.annotator_id WHERE x.origin = 'human' AND y.origin = 'human')
        """

    /// The annotator's unexpired, unfinished lease that runs longest: normally the only one; after an
    /// undo, the undone task (its lease was just extended) before the one fetched since.
    public func openLease(annotatorID: Int64, now: Int64) throws -> Lease? {
        try c.prepare("""
            SELECT \(Self.columns) FROM leases
            WHERE annotator_id = ? AND completed_at IS NULL AND expires_at > ? ORDER BY expires_at DESC, id DESC LIMIT 1
            """).first([.int(annotatorID), .int(now)], Self.row)
    }

    /// The open lease, or a new one on the best prompt; nil when nothing is left for this annotator.
    public func lease(annotatorID: Int64, now: Int64, rules: QueueRules) throws -> Lease? {
        if let open = try openLease(annotatorID: annotatorID, now: now) { return open }
        guard let promptID = try pick(annotatorID: annotatorID, now: now, rules: rules) else { return nil }
        return try create(promptID: promptID, annotatorID: annotatorID, now: now, expiresAt: now + rules.leaseMs)
    }

    func pick(annotatorID: Int64, now: Int64, rules: QueueRules) throws -> Int64? {
        let a = SQLValue.int(annotatorID), t = SQLValue.int(now)
        if rules.prioritizeDisagreement, let id = try c.prepare("""
            SELECT p.id FROM prompts p WHERE \(Self.disagreed) AND \(Self.eligible(rules))
              AND \(Self.labels) + \(Self.leases) < ?3
            ORDER BY \(Self.labels) + \(Self.leases), p.id LIMIT 1
            """).first([a, t, .int(Int64(rules.overlap + 1))], { $0.int(0) }) {
            return id
        }
        // Least covered first, level by level. Coverage `level` is either no open lease and `level`
        // labels (the index prompts_by_coverage walks those oldest first and stops at the first the
        // annotator may take), or fewer labels plus open leases (few prompts: the open leases').
        for level in 0..<rules.overlap {
            let args = [a, t, .int(Int64(level))]
            let free = try c.prepare("""
                SELECT p.id FROM prompts p WHERE p.labels = ?3 AND \(Self.eligible(rules))
                  AND NOT EXISTS (SELECT 1 FROM leases a WHERE a.prompt_id = p.id AND a.completed_at IS NULL AND a.expires_at > ?2)
                ORDER BY p.id LIMIT 1
                """).first(args, { $0.int(0) })
            let leased = try c.prepare("""
                SELECT min(p.id) FROM prompts p
                JOIN (SELECT prompt_id, count(*) AS n FROM leases WHERE completed_at IS NULL AND expires_at > ?2 GROUP BY prompt_id) l
                  ON l.prompt_id = p.id
                WHERE p.labels + l.n = ?3 AND \(Self.eligible(rules))
                """).first(args, { $0.optionalInt(0) }) ?? nil
            switch (free, leased) {
            case let (f?, l?): return min(f, l)
            case let (f?, nil): return f
            case let (nil, l?): return l
            case (nil, nil): continue
            }
        }
        return nil
    }

    /// How many prompts this annotator could still be given (for "left in the queue").
    public func remaining(annotatorID: Int64, now: Int64, rules: QueueRules) throws -> Int {
        let target = rules.prioritizeDisagreement
            ? "CASE WHEN \(Self.disagreed) THEN ?3 + 1 ELSE ?3 END" : "?3"
        return Int(try c.scalar("""
            SELECT count(*) FROM prompts p WHERE p.labels <= ?3 AND \(Self.eligible(rules)) AND \(Self.labels) + \(Self.leases) < \(target)
            """, [.int(annotatorID), .int(now), .int(Int64(rules.overlap))]))
    }

    /// Puts a lease back in the annotator's hands until `until` (after an undo).
    public func extend(leaseID: Int64, until: Int64) throws {
        try c.run("UPDATE leases SET expires_at = max(expires_at, ?) WHERE id = ? AND completed_at IS NULL", [.int(until), .int(leaseID)])
    }
}
