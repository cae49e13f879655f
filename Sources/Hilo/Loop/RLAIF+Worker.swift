// The RLAIF step of the candidate worker's pass: load the serving reward model (cached by version),
// score what is unscored in chunks, and auto-label. A full auto-label sweep runs when the reward
// version, the threshold or the switch changes; otherwise only the prompts just scored are looked at.
import Foundation
import Store

extension CandidateGenerator {
    /// Responses scored per transaction (the reward model's batches are smaller).
    static let scoreChunk = 64

    func rlaifStep(_ settings: AppSettings, _ report: inout PassReport) throws {
        let rs = settings.rlaif
        guard let reward = try db.read({ try ModelRepository($0).serving(.reward) }) else {
            state.reward = nil
            board.update { $0.rewardVersion = nil }
            return
        }
        board.update { $0.rewardVersion = reward.name }
        guard rs.scoreResponses || rs.autoLabel else { return }
        if state.reward?.id != reward.id {
            state.reward = nil
            state.reward = (reward.id, try RewardScorer(folder: URL(fileURLWithPath: reward.path)))
        }
        let scorer = state.reward!.scorer
        var touched: Set<Int64> = []
        while !isStopping && !hasPendingWake {
            let items = try db.read { try RLAIF.unscored($0, modelID: reward.id, limit: Self.scoreChunk) }
            if items.isEmpty { break }
            try RLAIF.score(items, scorer: scorer, modelID: reward.id, db: db, now: clock())
            touched.formUnion(items.map(\.promptID))
            report.scored += items.count
            board.update { $0.scoredTotal += items.count }
        }
        guard rs.autoLabel else { state.labelSweep = nil; return }
        let sweep = LabelSweep(rewardID: reward.id, threshold: rs.confidenceThreshold)
        let promptIDs: [Int64]? = state.labelSweep == sweep ? touched.sorted() : nil
        if promptIDs?.isEmpty == true { return }
        let now = clock()
        let added = try db.write { c in
            try RLAIF.autoLabel(c, reward: reward, threshold: rs.confidenceThreshold, promptIDs: promptIDs, now: now)
        }
        state.labelSweep = sweep
        report.aiLabels += added
        board.update { $0.aiLabelsTotal += added }
    }
}

/// The auto-label settings of the last full sweep.
struct LabelSweep: Equatable {
    var rewardID: Int64
    var threshold: Double
}
