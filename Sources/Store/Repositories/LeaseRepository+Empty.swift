// What an annotator can still label, and why the queue is empty for them when it is: no prompts,
// prompts without two responses and no policy writing them, prompts waiting for the policy's
// responses, the rest skipped by them (which they can have again), the rest leased to others, or
// everything labelled. "Left" counts the prompts they can still label, including those the policy
// will write responses for, not only the candidate generator's stocked buffer.

/// Why `lease` found nothing for an annotator, with the counts the page shows.
public struct EmptyQueue: Sendable, Equatable {
    public enum Reason: String, Sendable {
        case noPrompts = "no_prompts", noPolicy = "no_policy", waitingForResponses = "waiting_for_responses"
        case leasedToOthers = "leased_to_others", allSkipped = "all_skipped", allLabelled = "all_labelled"
    }
    public var reason: Reason
    /// Prompts still wanting labels that lack two responses to compare (or the serving version's).
    public var withoutResponses: Int
    /// Prompts still wanting labels that this annotator skipped.
    public var skipped: Int
    /// Prompts still wanting labels that others hold right now.
    public var leasedToOthers: Int
}

extension LeaseRepository {
    /// Whether a policy writes responses for queued prompts (a serving policy and the generator on).
    func generating(_ rules: QueueRules) throws -> Bool {
        guard rules.onPolicyOnly else { return false }
        return try c.scalar("SELECT count(*) FROM model_versions WHERE kind = 'policy' AND serving = 1") > 0
    }

    /// How many prompts this annotator can still label (for "left"): prompts they have not judged,
    /// skipped or leased, still short of their target, that have two responses or will get them
    /// from the serving policy.
    public func remaining(annotatorID: Int64, now: Int64, rules: QueueRules) throws -> Int {
        let target = rules.prioritizeDisagreement
            ? "CASE WHEN \(Self.disagreed) THEN ?3 + 1 ELSE ?3 END" : "?3"
        let pool = try generating(rules) ? "1" : "(\(Self.hasPool))"
        return Int(try c.scalar("""
            SELECT count(*) FROM prompts p WHERE p.labels <= ?3 AND \(Self.notMine) AND \(pool) AND \(Self.labels) + \(Self.leases) < \(target)
            """, [.int(annotatorID), .int(now), .int(Int64(rules.overlap))]))
    }

    /// Why nothing is left for this annotator (call when `lease` returned nil).
    public func whyEmpty(annotatorID: Int64, now: Int64, rules: QueueRules) throws -> EmptyQueue {
        let args: [SQLValue] = [.int(annotatorID), .int(now), .int(Int64(rules.overlap))]
        let wanting = "p.heldout = 0 AND p.labels < ?3"
        let skipped = Int(try c.scalar("""
            SELECT count(*) FROM prompts p WHERE \(wanting) AND EXISTS (SELECT 1 FROM judgments j WHERE j.prompt_id = p.id
              AND j.annotator_id = ?1 AND j.kind = 'skip' AND \(LiveLabel.judgment))
            """, args))
        let unusable = rules.onPolicyOnly ? "(NOT (\(Self.hasPool)) OR NOT \(Self.onPolicy))" : "NOT (\(Self.hasPool))"
        let short = Int(try c.scalar("SELECT count(*) FROM prompts p WHERE \(wanting) AND \(Self.notMine) AND \(unusable)", args))
        let leased = Int(try c.scalar("""
            SELECT count(*) FROM prompts p WHERE \(wanting) AND \(Self.eligibleAny) AND \(Self.labels) + \(Self.leases) >= ?3
            """, args))
        let reason: EmptyQueue.Reason
        if try c.scalar("SELECT count(*) FROM prompts WHERE heldout = 0") == 0 { reason = .noPrompts }
        else if short > 0 { reason = try generating(rules) ? .waitingForResponses : .noPolicy }
        else if skipped > 0 { reason = .allSkipped }
        else if leased > 0 { reason = .leasedToOthers }
        else { reason = .allLabelled }
        return EmptyQueue(reason: reason, withoutResponses: short, skipped: skipped, leasedToOthers: leased)
    }

    /// Offers this annotator's skipped prompts again (their skips are marked undone); returns how many.
    @discardableResult
    public func reofferSkips(annotatorID: Int64, now: Int64) throws -> Int {
        try c.run("""
            UPDATE judgments SET undone_at = ? WHERE annotator_id = ? AND kind = 'skip' AND undone_at IS NULL
              AND prompt_id IN (SELECT id FROM prompts WHERE heldout = 0)
            """, [.int(now), .int(annotatorID)])
        return c.changes
    }
}
