// Campaign life cycle on top of EvalRepository: listing with progress, preparing (prompt selection,
// reusing a version's responses, storing comparisons and automatic measures), the annotator's leased
// blind comparison, judging it once, closing, and all judged comparisons for the leaderboard.
// A campaign's status for the API is derived: failed (error set), preparing (prepared_at unset),
// else the stored open/closed.
import Foundation

public struct EvalCampaign: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var modelAID: Int64
    public var modelBID: Int64
    /// The stored status, 'open' or 'closed'.
    public var storedStatus: String
    /// JSON: how prompts were chosen and how responses are sampled.
    public var config: String
    public var createdAt: Int64
    public var preparedAt: Int64?
    public var error: String?
    /// JSON object of the automatic measures ({} until prepared).
    public var metrics: String
    /// Comparisons created, and those judged, per winner.
    public var total = 0, winsA = 0, winsB = 0, ties = 0

    public var judged: Int { winsA + winsB + ties }

    /// preparing | open | closed | failed.
    public var status: String {
        if error != nil { return "failed" }
        if storedStatus == "closed" { return "closed" }
        return preparedAt == nil ? "preparing" : "open"
    }
}

/// A comparison as shown to an annotator: the two texts in display order, never who wrote them.
public struct BlindComparison: Sendable, Equatable {
    public var id: Int64
    public var promptID: Int64
    public var left: String
    public var right: String
    public var leaseExpiresAt: Int64
}

extension EvalRepository {
    static let campaignColumns = """
        c.id, c.name, c.model_a_id, c.model_b_id, c.status, c.config, c.created_at, c.prepared_at, c.error, c.metrics,
        (SELECT count(*) FROM eval_comparisons WHERE campaign_id = c.id),
        (SELECT count(*) FROM eval_comparisons WHERE campaign_id = c.id AND winner = 'a'),
        (SELECT count(*) FROM eval_comparisons WHERE campaign_id = c.id AND winner = 'b'),
        (SELECT count(*) FROM eval_comparisons WHERE campaign_id = c.id AND winner = 'tie')
        """

    static func campaignRow(_ s: Statement) -> EvalCampaign {
        var e = EvalCampaign(id: s.int(0), name: s.string(1), modelAID: s.int(2), modelBID: s.int(3), storedStatus: s.string(4),
                             config: s.string(5), createdAt: s.int(6), preparedAt: s.optionalInt(7), error: s.optionalString(8),
                             metrics: s.string(9))
        e.total = Int(s.int(10)); e.winsA = Int(s.int(11)); e.winsB = Int(s.int(12)); e.ties = Int(s.int(13))
        return e
    }

    public func campaign(_ id: Int64) throws -> EvalCampaign? {
        try c.prepare("SELECT \(Self.campaignColumns) FROM eval_campaigns c WHERE c.id = ?").first([.int(id)], Self.campaignRow)
    }

    /// Every campaign, newest first.
    public func campaigns() throws -> [EvalCampaign] {
        try c.prepare("SELECT \(Self.campaignColumns) FROM eval_campaigns c ORDER BY c.id DESC").all([], Self.campaignRow)
    }

    /// Campaigns still waiting for their responses and comparisons (not failed), oldest first.
    public func unprepared() throws -> [EvalCampaign] {
        try c.prepare("SELECT \(Self.campaignColumns) FROM eval_campaigns c WHERE c.prepared_at IS NULL AND c.error IS NULL ORDER BY c.id")
            .all([], Self.campaignRow)
    }

    public func nameExists(_ name: String) throws -> Bool {
        try c.scalar("SELECT count(*) FROM eval_campaigns WHERE name = ?", [.text(name)]) > 0
    }

    // MARK: preparing

    /// Prompt ids for a campaign: `ids` as given (each must exist), else prompts tagged `tag`, else
    /// held-out prompts; the first `limit` by id.
    public func selectPrompts(ids: [Int64]?, tag: String?, limit: Int) throws -> [Int64] {
        if let ids {
            for id in ids where try c.scalar("SELECT count(*) FROM prompts WHERE id = ?", [.int(id)]) == 0 {
                throw StoreError.invalid("prompt \(id) does not exist")
            }
            var seen = Set<Int64>()
            return Array(ids.filter { seen.insert($0).inserted }.prefix(limit))
        }
        if let tag {
            return try c.prepare("SELECT p.id FROM prompts p WHERE EXISTS (SELECT 1 FROM json_each(p.tags) WHERE value = ?) ORDER BY p.id LIMIT ?")
                .all([.text(tag), .int(Int64(limit))]) { $0.int(0) }
        }
        return try c.prepare("SELECT id FROM prompts WHERE heldout = 1 ORDER BY id LIMIT ?").all([.int(Int64(limit))]) { $0.int(0) }
    }

    /// The newest response `versionID` wrote for `promptID`, if any.
    public func response(versionID: Int64, promptID: Int64) throws -> (id: Int64, text: String)? {
        try c.prepare("SELECT id, text FROM responses WHERE model_version_id = ? AND prompt_id = ? ORDER BY id DESC LIMIT 1")
            .first([.int(versionID), .int(promptID)]) { ($0.int(0), $0.string(1)) }
    }

    /// Marks a campaign prepared with its automatic measures (the comparisons are added in the same transaction).
    public func setPrepared(_ id: Int64, metrics: String, now: Int64) throws {
        try c.run("UPDATE eval_campaigns SET prepared_at = ?, metrics = ?, error = NULL WHERE id = ?", [.int(now), .text(metrics), .int(id)])
    }

    public func setFailed(_ id: Int64, error: String) throws {
        try c.run("UPDATE eval_campaigns SET error = ? WHERE id = ?", [.text(error), .int(id)])
    }

    /// Closes a campaign: no more comparisons are handed out or judged. Closing twice is harmless.
    public func close(_ id: Int64) throws {
        try c.run("UPDATE eval_campaigns SET status = 'closed' WHERE id = ?", [.int(id)])
        guard c.changes == 1 else { throw StoreError.notFound("no evaluation campaign \(id)") }
        try c.run("UPDATE eval_comparisons SET leased_by = NULL, lease_expires_at = NULL WHERE campaign_id = ? AND winner IS NULL", [.int(id)])
    }

    // MARK: the annotator's side

    static let openCampaign = "SELECT id FROM eval_campaigns WHERE status = 'open' AND prepared_at IS NOT NULL AND error IS NULL"

    /// The comparison the annotator holds a live lease on, or else a free one (unjudged, unleased or
    /// lease expired, in an open campaign, on a prompt of that campaign they have not judged) leased
    /// to them until `until`. nil when nothing is left for them.
    public func leaseBlind(annotatorID: Int64, now: Int64, until: Int64) throws -> BlindComparison? {
        let held = try c.prepare("""
            SELECT id FROM eval_comparisons WHERE leased_by = ? AND lease_expires_at > ? AND winner IS NULL
            AND campaign_id IN (\(Self.openCampaign)) ORDER BY id LIMIT 1
            """).first([.int(annotatorID), .int(now)]) { $0.int(0) }
        let id: Int64
        if let held { id = held } else {
            guard let free = try c.prepare("""
                SELECT e.id FROM eval_comparisons e
                WHERE e.winner IS NULL AND (e.lease_expires_at IS NULL OR e.lease_expires_at <= ?)
                AND e.campaign_id IN (\(Self.openCampaign))
                AND NOT EXISTS (SELECT 1 FROM eval_comparisons d WHERE d.campaign_id = e.campaign_id AND d.prompt_id = e.prompt_id
                                AND d.annotator_id = ? AND d.winner IS NOT NULL)
                ORDER BY e.campaign_id, e.id LIMIT 1
                """).first([.int(now), .int(annotatorID)], { $0.int(0) }) else { return nil }
            try c.run("UPDATE eval_comparisons SET leased_by = ?, lease_expires_at = ? WHERE id = ?", [.int(annotatorID), .int(until), .int(free)])
            id = free
        }
        return try c.prepare("""
            SELECT e.id, e.prompt_id, e.swapped, ra.text, rb.text, e.lease_expires_at FROM eval_comparisons e
            JOIN responses ra ON ra.id = e.response_a_id JOIN responses rb ON rb.id = e.response_b_id WHERE e.id = ?
            """).first([.int(id)]) { s in
            let a = s.string(3), b = s.string(4), swapped = s.int(2) != 0
            return BlindComparison(id: s.int(0), promptID: s.int(1), left: swapped ? b : a, right: swapped ? a : b, leaseExpiresAt: s.int(5))
        }
    }

    /// How many comparisons `leaseBlind` could hand this annotator now (their own live lease included),
    /// without leasing any: the annotator page's "Blind comparison" button.
    public func availableBlind(annotatorID: Int64, now: Int64) throws -> Int {
        Int(try c.scalar("""
            SELECT count(*) FROM eval_comparisons e
            WHERE e.winner IS NULL AND (e.lease_expires_at IS NULL OR e.lease_expires_at <= ? OR e.leased_by = ?)
            AND e.campaign_id IN (\(Self.openCampaign))
            AND NOT EXISTS (SELECT 1 FROM eval_comparisons d WHERE d.campaign_id = e.campaign_id AND d.prompt_id = e.prompt_id
                            AND d.annotator_id = ? AND d.winner IS NOT NULL)
            """, [.int(now), .int(annotatorID), .int(annotatorID)]))
    }

    /// The outcome of recording an annotator's blind choice.
    public enum BlindJudgment: Sendable, Equatable {
        /// Stored now, with the winner in the campaign's terms (a, b or tie).
        case stored(winner: String)
        /// The same annotator already gave this same choice: nothing changed.
        case replayed(winner: String)
    }

    /// Records `choice` (left, right or tie, as displayed) on comparison `id`, mapped to a/b through
    /// `swapped`. Idempotent for the same annotator and choice; a different choice, a comparison judged
    /// by someone else or leased to someone else, or a closed campaign is refused.
    public func judgeBlind(_ id: Int64, annotatorID: Int64, choice: String, now: Int64) throws -> BlindJudgment {
        guard let row = try c.prepare("""
            SELECT e.swapped, e.winner, e.annotator_id, e.leased_by, e.lease_expires_at, c.status, c.prepared_at, c.error, e.campaign_id, e.prompt_id
            FROM eval_comparisons e JOIN eval_campaigns c ON c.id = e.campaign_id WHERE e.id = ?
            """).first([.int(id)], { s in
                (swapped: s.int(0) != 0, winner: s.optionalString(1), annotator: s.optionalInt(2), leasedBy: s.optionalInt(3),
                 leaseExpires: s.optionalInt(4), status: s.string(5), prepared: s.optionalInt(6) != nil, failed: !s.isNull(7),
                 campaign: s.int(8), prompt: s.int(9))
            }) else { throw StoreError.notFound("no comparison \(id)") }
        let winner: String
        switch choice {
        case "left": winner = row.swapped ? "b" : "a"
        case "right": winner = row.swapped ? "a" : "b"
        case "tie": winner = "tie"
        default: throw StoreError.invalid("choice must be left, right or tie")
        }
        if let old = row.winner {
            guard row.annotator == annotatorID else { throw EvalConflict.message("comparison \(id) was already judged by someone else") }
            guard old == winner else { throw EvalConflict.message("you already judged comparison \(id) differently") }
            return .replayed(winner: old)
        }
        guard row.status == "open", row.prepared, !row.failed else { throw EvalConflict.message("this evaluation is closed") }
        if let holder = row.leasedBy, holder != annotatorID, let until = row.leaseExpires, until > now {
            throw EvalConflict.message("comparison \(id) is leased to another annotator")
        }
        if try c.scalar("""
            SELECT count(*) FROM eval_comparisons WHERE campaign_id = ? AND prompt_id = ? AND annotator_id = ? AND winner IS NOT NULL
            """, [.int(row.campaign), .int(row.prompt), .int(annotatorID)]) > 0 {
            throw EvalConflict.message("you already judged this prompt in this evaluation")
        }
        try judge(id, annotatorID: annotatorID, winner: winner, now: now)
        try c.run("UPDATE eval_comparisons SET leased_by = NULL, lease_expires_at = NULL WHERE id = ?", [.int(id)])
        return .stored(winner: winner)
    }

    /// Takes back `annotatorID`'s choice on comparison `id` when it was made at or after `since` (the
    /// undo window) in a campaign still open; the comparison is leased to them again until `until`, so
    /// it is the next one they see.
    public func undoBlind(_ id: Int64, annotatorID: Int64, since: Int64, until: Int64) throws {
        guard let row = try c.prepare("""
            SELECT e.annotator_id, e.judged_at, c.status FROM eval_comparisons e JOIN eval_campaigns c ON c.id = e.campaign_id WHERE e.id = ?
            """).first([.int(id)], { s in (annotator: s.optionalInt(0), judgedAt: s.optionalInt(1), status: s.string(2)) }) else {
            throw StoreError.notFound("no comparison \(id)")
        }
        guard row.annotator == annotatorID, let at = row.judgedAt else { throw EvalConflict.message("you have no choice on comparison \(id) to undo") }
        guard row.status == "open" else { throw EvalConflict.message("this evaluation is closed") }
        guard at >= since else { throw EvalConflict.message("the undo window for comparison \(id) has passed") }
        try c.run("""
            UPDATE eval_comparisons SET winner = NULL, annotator_id = NULL, judged_at = NULL, leased_by = ?, lease_expires_at = ? WHERE id = ?
            """, [.int(annotatorID), .int(until), .int(id)])
    }

    /// Every judged comparison of every campaign as (version A, version B, winner) for the leaderboard.
    public func judgedComparisons() throws -> [(a: Int64, b: Int64, winner: String)] {
        try c.prepare("""
            SELECT c.model_a_id, c.model_b_id, e.winner FROM eval_comparisons e JOIN eval_campaigns c ON c.id = e.campaign_id
            WHERE e.winner IS NOT NULL ORDER BY e.id
            """).all([]) { ($0.int(0), $0.int(1), $0.string(2)) }
    }

    /// The comparisons of a campaign in id order (tests and the CLI).
    public func comparisons(campaignID: Int64) throws -> [EvalComparison] {
        try c.prepare("""
            SELECT id, campaign_id, prompt_id, response_a_id, response_b_id, swapped, annotator_id, winner
            FROM eval_comparisons WHERE campaign_id = ? ORDER BY id
            """).all([.int(campaignID)]) {
            EvalComparison(id: $0.int(0), campaignID: $0.int(1), promptID: $0.int(2), responseAID: $0.int(3), responseBID: $0.int(4),
                           swapped: $0.int(5) != 0, annotatorID: $0.optionalInt(6), winner: $0.optionalString(7))
        }
    }
}

/// A blind judgment that conflicts with the comparison's state (the API answers 409).
public enum EvalConflict: Error, Equatable, CustomStringConvertible {
    case message(String)
    public var description: String { switch self { case .message(let m): m } }
}
