// Blind evaluation campaigns: pairs of responses from two model versions, judged without labels.
public struct EvalComparison: Sendable, Equatable {
    public var id: Int64
    public var campaignID: Int64
    public var promptID: Int64
    public var responseAID: Int64
    public var responseBID: Int64
    /// Shown as B then A.
    public var swapped: Bool
    public var annotatorID: Int64?
    /// "a", "b" or "tie"; nil until judged.
    public var winner: String?
}

public struct EvalRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    public func createCampaign(name: String, modelA: Int64, modelB: Int64, config: String = "{}", now: Int64) throws -> Int64 {
        guard modelA != modelB else { throw StoreError.invalid("an evaluation compares two different model versions") }
        try c.run("INSERT INTO eval_campaigns (name, model_a_id, model_b_id, config, created_at) VALUES (?, ?, ?, ?, ?)",
                  [.text(name), .int(modelA), .int(modelB), .text(config), .int(now)])
        return c.lastInsertID
    }

    public func addComparison(campaignID: Int64, promptID: Int64, responseA: Int64, responseB: Int64, swapped: Bool, now: Int64) throws -> Int64 {
        try c.run("""
            INSERT INTO eval_comparisons (campaign_id, prompt_id, response_a_id, response_b_id, swapped, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """, [.int(campaignID), .int(promptID), .int(responseA), .int(responseB), .int(swapped ? 1 : 0), .int(now)])
        return c.lastInsertID
    }

    /// Records the winner of an unjudged comparison.
    public func judge(_ id: Int64, annotatorID: Int64, winner: String, now: Int64) throws {
        guard ["a", "b", "tie"].contains(winner) else { throw StoreError.invalid("winner must be a, b or tie") }
        try c.run("UPDATE eval_comparisons SET winner = ?, annotator_id = ?, judged_at = ? WHERE id = ? AND winner IS NULL",
                  [.text(winner), .int(annotatorID), .int(now), .int(id)])
        guard c.changes == 1 else { throw StoreError.invalid("comparison \(id) does not exist or is already judged") }
    }

    /// The next unjudged comparison of a campaign.
    public func nextOpen(campaignID: Int64) throws -> EvalComparison? {
        try c.prepare("""
            SELECT id, campaign_id, prompt_id, response_a_id, response_b_id, swapped, annotator_id, winner
            FROM eval_comparisons WHERE campaign_id = ? AND winner IS NULL ORDER BY id LIMIT 1
            """).first([.int(campaignID)]) {
            EvalComparison(id: $0.int(0), campaignID: $0.int(1), promptID: $0.int(2), responseAID: $0.int(3), responseBID: $0.int(4),
                           swapped: $0.int(5) != 0, annotatorID: $0.optionalInt(6), winner: $0.optionalString(7))
        }
    }

    /// Wins for A, wins for B and ties so far.
    public func tally(campaignID: Int64) throws -> (a: Int, b: Int, ties: Int) {
        let s = try c.prepare("SELECT winner, count(*) FROM eval_comparisons WHERE campaign_id = ? AND winner IS NOT NULL GROUP BY winner")
        var t = (a: 0, b: 0, ties: 0)
        try s.forEach([.int(campaignID)]) { row in
            switch row.string(0) { case "a": t.a = Int(row.int(1)); case "b": t.b = Int(row.int(1)); default: t.ties = Int(row.int(1)) }
        }
        return t
    }
}
