// The candidate generator's stock (Hilo's CandidateGenerator): which prompts form the buffer of
// unlabelled prompts to restock with the serving policy version's responses, and writing a prompt's
// fresh responses, leaving alone a prompt an annotator labelled or leased meanwhile.
import Foundation

/// A prompt of the buffer: its id and text (`isConversation`: the text ends with the user's turn),
/// how many of the serving version's responses it has, and whether an annotator holds an unexpired
/// lease on it (its responses are left alone for now).
public struct StockPrompt: Sendable, Equatable {
    public var id: Int64
    public var text: String
    public var isConversation: Bool
    public var have: Int
    public var leased: Bool
}

/// What writing one prompt's fresh responses did.
public struct StockResult: Sendable, Equatable {
    public var inserted = 0
    /// Blank texts and texts the prompt already had from the same version.
    public var skipped = 0
    /// The serving version's responses the prompt has now.
    public var have = 0
}

public struct CandidateRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    /// How many of the version ?1's responses prompt `p.id` has, counted only while its newest
    /// generated response is that version's (after a rollback to an older version, the prompt's
    /// pool is the newer version's until it is restocked: LeaseRepository.latestVersion).
    static let have = """
        CASE WHEN \(LeaseRepository.latestVersion) = ?1
             THEN (SELECT count(*) FROM responses r WHERE r.prompt_id = p.id AND r.model_version_id = ?1) ELSE 0 END
        """

    /// The buffer: the first `size` unlabelled (no counted human label), non-held-out prompts in id
    /// order (next-task's order for unlabelled prompts) from id `start` on, skipping those in `skip`.
    public func buffer(versionID: Int64, size: Int, skip: Set<Int64>, from start: Int64, now: Int64) throws -> [StockPrompt] {
        var out: [StockPrompt] = []
        try c.prepare("""
            SELECT p.id, p.text, p.messages IS NOT NULL,
                   \(Self.have),
                   EXISTS (SELECT 1 FROM leases a WHERE a.prompt_id = p.id AND a.completed_at IS NULL AND a.expires_at > ?4)
            FROM prompts p WHERE p.id >= ?2 AND p.heldout = 0 AND \(LeaseRepository.labels) = 0 ORDER BY p.id LIMIT ?3
            """).forEach([.int(versionID), .int(start), .int(Int64(size + skip.count)), .int(now)]) { s in
            guard out.count < size, !skip.contains(s.int(0)) else { return }
            out.append(StockPrompt(id: s.int(0), text: s.string(1), isConversation: s.int(2) != 0, have: Int(s.int(3)), leased: s.int(4) != 0))
        }
        return out
    }

    /// Non-held-out prompts without a counted label (a range of the prompts_by_coverage index).
    public func unlabelledCount() throws -> Int {
        Int(try c.prepare("SELECT count(*) FROM prompts p WHERE p.heldout = 0 AND \(LeaseRepository.labels) = 0").first([]) { $0.int(0) } ?? 0)
    }

    /// Writes the fresh `texts` of version `versionID` for prompt `promptID` (blank and duplicate
    /// texts skipped), unless the prompt is held out, got a counted label or an open lease meanwhile,
    /// or is gone: then nothing is written and the result is nil. Run it inside the batch's write.
    public func stock(promptID: Int64, texts: [String], origin: String, versionID: Int64, sampling: String,
                      now: Int64) throws -> StockResult? {
        let busy = try c.prepare("""
            SELECT p.heldout OR \(LeaseRepository.labels) > 0
                OR EXISTS (SELECT 1 FROM leases a WHERE a.prompt_id = p.id AND a.completed_at IS NULL AND a.expires_at > ?2)
            FROM prompts p WHERE p.id = ?1
            """)
        guard let isBusy = try busy.first([.int(promptID), .int(now)], { $0.int(0) != 0 }), !isBusy else { return nil }
        let adoptable = try c.prepare("""
            SELECT r.model_version_id IS NOT NULL AND r.model_version_id <> ?2
               AND NOT EXISTS (SELECT 1 FROM judgment_ranks x WHERE x.response_id = r.id)
               AND NOT EXISTS (SELECT 1 FROM judgment_ratings x WHERE x.response_id = r.id)
               AND NOT EXISTS (SELECT 1 FROM judgment_thumbs x WHERE x.response_id = r.id)
               AND NOT EXISTS (SELECT 1 FROM eval_comparisons x WHERE x.response_a_id = r.id OR x.response_b_id = r.id)
            FROM responses r WHERE r.id = ?1
            """)
        let prompts = PromptRepository(c)
        var result = StockResult()
        for text in texts {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { result.skipped += 1; continue }
            var (rid, new) = try prompts.addResponse(promptID: promptID, text: text, origin: origin, modelVersionID: versionID,
                                                     sampling: sampling, now: now)
            if !new, try adoptable.first([.int(rid), .int(versionID)], { $0.int(0) != 0 }) == true {
                // The serving version wrote a text an older version had written for this unlabelled
                // prompt: the old row (never shown in a label or an evaluation) makes way, so the
                // text counts as the serving version's, as the newest row.
                try c.run("DELETE FROM responses WHERE id = ?", [.int(rid)])
                (rid, new) = try prompts.addResponse(promptID: promptID, text: text, origin: origin, modelVersionID: versionID,
                                                     sampling: sampling, now: now)
            }
            if new { result.inserted += 1 } else { result.skipped += 1 }
        }
        result.have = Int(try c.prepare("SELECT \(Self.have) FROM prompts p WHERE p.id = ?2")
            .first([.int(versionID), .int(promptID)], { $0.int(0) }) ?? 0)
        return result
    }
}
