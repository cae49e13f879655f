// The admin's view of fresh candidates and AI pre-labels: the candidate worker's status, and a
// prompt's responses with their reward-model scores and pair confidences.
import Foundation
import HTTP
import Store

extension HiloApp {
    func addCandidateRoutes(_ t: inout RouteTable) {
        t.add(.get, "/api/v1/candidates/status", .admin) { [self] _ in try API.json(candidates.status) }
        t.add(.get, "/api/v1/prompts/:id/scores", .admin) { [self] r in try promptScores(r) }
    }

    struct ScoresOut: Encodable {
        struct Model: Encodable { var id: Int64; var name: String; var serving: Bool }
        struct Item: Encodable {
            var id: Int64; var text: String; var origin: String; var modelVersionId: Int64?
            /// In the pool annotators are shown now (imported + the newest generated version's).
            var inPool: Bool
            var score: Double?
        }
        struct Pair: Encodable { var a: Int64; var b: Int64; var preferred: Int64; var confidence: Double }
        struct AILabel: Encodable { var judgmentId: Int64; var chosen: Int64; var rejected: Int64; var createdAt: Int64 }
        var prompt: PromptDTO
        var rewardModel: Model?
        var responses: [Item]
        /// Every pair of scored pool responses, most confident first.
        var pairs: [Pair]
        /// The AI label this reward model gave the prompt, if any.
        var aiLabel: AILabel?
    }

    /// GET /api/v1/prompts/{id}/scores[?model=<reward version id>] (default: the serving reward model).
    func promptScores(_ r: Request) throws -> HTTP.Response {
        let id = try Self.idParameter(r)
        var modelID: Int64? = nil
        if let m = r.query["model"] {
            guard let v = Int64(m), v > 0 else { throw HTTPError.unprocessable("model: expected a reward model version id") }
            modelID = v
        }
        let out = try db.read { c -> ScoresOut in
            guard let prompt = try PromptRepository(c).byID(id) else { throw HTTPError.notFound("no prompt \(id)") }
            let models = ModelRepository(c)
            let reward: ModelVersion?
            if let modelID {
                guard let m = try models.byID(modelID), m.kind == .reward else { throw HTTPError.notFound("no reward model version \(modelID)") }
                reward = m
            } else {
                reward = try models.serving(.reward)
            }
            let all = try PromptRepository(c).responses(promptID: id)
            let pool = Set(Lease.pool(all, leasedAt: .max).map(\.id))
            let scores = try reward.map { try PromptRepository(c).scores(promptID: id, modelID: $0.id) } ?? [:]
            let scored = all.filter { pool.contains($0.id) }.compactMap { r in scores[r.id].map { (r.id, $0) } }
            var pairs: [ScoresOut.Pair] = []
            for i in scored.indices { for j in scored.indices where j > i {
                let (a, b) = (scored[i], scored[j])
                pairs.append(.init(a: a.0, b: b.0, preferred: a.1 >= b.1 ? a.0 : b.0, confidence: RewardScorer.confidence(a.1, b.1)))
            } }
            pairs.sort { ($0.confidence, -$0.a, -$0.b) > ($1.confidence, -$1.a, -$1.b) }
            var label: ScoresOut.AILabel? = nil
            if let reward, let judge = try AnnotatorRepository(c).byName("ai:" + reward.name),
               let jid = try JudgmentRepository(c).id(annotatorID: judge.id, idempotencyKey: RLAIF.key(rewardID: reward.id, promptID: id)),
               let j = try JudgmentRepository(c).byID(jid), j.undoneAt == nil, j.ranks.count == 2 {
                let sorted = j.ranks.sorted { $0.rank < $1.rank }
                label = .init(judgmentId: j.id, chosen: sorted[0].responseID, rejected: sorted[1].responseID, createdAt: j.createdAt)
            }
            return ScoresOut(prompt: PromptDTO(id: prompt.id, text: prompt.text, messages: prompt.messages),
                             rewardModel: reward.map { .init(id: $0.id, name: $0.name, serving: $0.serving) },
                             responses: all.map { .init(id: $0.id, text: $0.text, origin: $0.origin, modelVersionId: $0.modelVersionID,
                                                        inPool: pool.contains($0.id), score: scores[$0.id]) },
                             pairs: pairs, aiLabel: label)
        }
        return try API.json(out)
    }
}
