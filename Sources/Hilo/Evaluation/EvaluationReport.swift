// A campaign's result and the leaderboard as the command line shows them: the same JSON the API
// answers (`--json`), or a few plain lines for a terminal.
import Foundation
import Store

public enum EvaluationReport {
    /// GET /api/v1/evaluations/{id}'s body for campaign `id`, and its plain-text rendering.
    public static func campaign(_ db: Database, id: Int64) throws -> (json: Data, text: String) {
        let dto = try db.read { c -> CampaignDetailDTO in
            guard let e = try EvalRepository(c).campaign(id) else { throw StoreError.notFound("no evaluation campaign \(id)") }
            return CampaignDetailDTO(campaign: try HiloApp.campaignDTO(c, e), result: SideBySideResult(aWins: e.winsA, bWins: e.winsB, ties: e.ties).summary,
                                     automatic: EvalMeasures.parse(e.metrics), progress: e.total == 0 ? 0 : Double(e.judged) / Double(e.total))
        }
        let c = dto.campaign, r = dto.result
        var lines = ["campaign \(c.id) \"\(c.name)\": \(c.modelB) (B) vs \(c.modelA) (A), \(c.status), \(c.judged) of \(c.total) judged"]
        if let error = c.error { lines.append("error: \(error)") }
        lines.append("B: \(r.wins) wins, \(r.ties) ties, \(r.losses) losses")
        if let rate = r.winRate {
            lines.append("win rate \(f(rate)) [\(f(r.winRateLower)), \(f(r.winRateUpper))] (ties as half, Wilson 95%)")
        }
        if let rate = r.decisiveWinRate {
            lines.append("decisive win rate \(f(rate)) [\(f(r.decisiveWinRateLower)), \(f(r.decisiveWinRateUpper))]; sign test p = \(f(r.signTestPValue))")
        }
        if let m = dto.automatic { lines += measureLines(m, a: c.modelA, b: c.modelB) }
        return (try API.encoder.encode(dto), lines.joined(separator: "\n"))
    }

    /// GET /api/v1/leaderboard's body and a table.
    public static func leaderboard(_ db: Database, resamples: Int = 1000) throws -> (json: Data, text: String) {
        let board = try Leaderboard.ofVersions(db, resamples: resamples)
        var lines = ["\(board.comparisons) judged comparisons; 95% bootstrap intervals (\(board.resamples) resamples)",
                     "rank  version               score   interval            W-T-L        mean reward   KL"]
        for e in board.entries {
            let name = e.name + (e.serving ? " *" : "")
            lines.append(pad("\(e.rank)", 6) + pad(name, 22) + pad(String(format: "%.0f", e.score), 8)
                         + pad(String(format: "[%.0f, %.0f]", e.lower, e.upper), 20) + pad("\(e.wins)-\(e.ties)-\(e.losses)", 13)
                         + pad(e.meanReward.map { f($0.mean) } ?? "—", 14) + (e.kl.map { f($0.mean) } ?? "—"))
        }
        return (try API.encoder.encode(board), lines.joined(separator: "\n"))
    }

    /// The automatic measures in a few lines (also `hilo eval auto`).
    public static func measureLines(_ m: EvalMeasures, a: String, b: String) -> [String] {
        var lines: [String] = []
        if let w = m.rewardWinRate, let rate = w.winRate {
            let of = m.samplesPerPrompt.map { "\(w.total) comparisons (\(m.prompts) prompts × \($0) answers)" } ?? "\(m.prompts) prompts"
            lines.append("reward model \(m.rewardModel ?? "?"): \(b) wins \(w.wins), ties \(w.ties), loses \(w.losses) of \(of);"
                         + " win rate \(f(rate)) [\(f(w.winRateLower)), \(f(w.winRateUpper))], sign test p = \(f(w.signTestPValue))")
        }
        if let ra = m.meanRewardA, let rb = m.meanRewardB {
            lines.append("mean reward: \(a) \(f(ra.mean)) [\(f(ra.lower)), \(f(ra.upper))], \(b) \(f(rb.mean)) [\(f(rb.lower)), \(f(rb.upper))]")
        }
        if let ka = m.klA, let kb = m.klB {
            lines.append("KL to \(m.referenceModel ?? "the reference") (nats per response): \(a) \(f(ka.mean)), \(b) \(f(kb.mean))")
        }
        return lines
    }

    static func f(_ x: Double) -> String { String(format: "%.3f", x) }
    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
}
