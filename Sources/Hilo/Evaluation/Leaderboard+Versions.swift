// The leaderboard of the model versions as the API and `hilo eval leaderboard` show it: the judged
// comparisons of every campaign fitted into one Bradley–Terry board, with each version's name and
// the automatic measures of the newest prepared campaign it took part in.
import Foundation
import Store
import Support

extension Leaderboard {
    /// Every policy version (and the reference) on the Bradley–Terry board of all judged comparisons,
    /// with 95% bootstrap intervals (1000 resamples, a fixed seed so the page does not flicker) and
    /// the automatic measures of the newest prepared campaign it took part in.
    static func ofVersions(_ db: Database, resamples: Int = 1000) throws -> LeaderboardDTO {
        let (versions, judged, campaigns) = try db.read { c in
            (try ModelRepository(c).all().filter { Campaign.samplable.contains($0.kind) }, try EvalRepository(c).judgedComparisons(),
             try EvalRepository(c).campaigns())
        }
        let comparisons = try judged.compactMap { try PairwiseComparison(a: $0.a, b: $0.b, storeWinner: $0.winner) }
        var rng = SplitMix64(seed: 20_240_601)
        let board = try Leaderboard(comparisons: comparisons, versions: versions.map(\.id),
                                    config: BradleyTerryConfig(resamples: comparisons.isEmpty ? 0 : resamples), rng: &rng)
        let byID = Dictionary(uniqueKeysWithValues: versions.map { ($0.id, $0) })
        let entries = board.entries.compactMap { e -> LeaderboardEntryDTO? in
            guard let v = byID[e.version] else { return nil }
            var dto = LeaderboardEntryDTO(id: v.id, name: v.name, kind: v.kind.rawValue, serving: v.serving, rank: e.rank, score: e.score,
                                          lower: e.lower, upper: e.upper, wins: e.wins, losses: e.losses, ties: e.ties, comparisons: e.comparisons)
            // campaigns are newest first: the first prepared one with this version has its latest measures.
            for c in campaigns where c.preparedAt != nil && (c.modelAID == v.id || c.modelBID == v.id) {
                guard let m = EvalMeasures.parse(c.metrics) else { continue }
                let isA = c.modelAID == v.id
                dto.meanReward = isA ? m.meanRewardA : m.meanRewardB
                dto.kl = isA ? m.klA : m.klB
                dto.measuredIn = c.id
                break
            }
            return dto
        }
        return LeaderboardDTO(entries: entries, comparisons: board.comparisons, confidence: board.config.confidence,
                              resamples: board.config.resamples)
    }
}
