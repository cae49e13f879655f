// The JSON shapes of the evaluation routes (snake_case on the wire). The annotator's shapes carry the
// two texts as left and right only: no model, version, response id or campaign name.
import Foundation
import Store
import HTTP

struct CampaignDTO: Codable, Equatable {
    var id: Int64
    var name: String
    /// A is the baseline, B the challenger; results are from B's viewpoint.
    var modelA: String
    var modelB: String
    var modelAId: Int64
    var modelBId: Int64
    /// preparing | open | closed | failed.
    var status: String
    var total: Int
    var judged: Int
    var winsA: Int
    var winsB: Int
    var ties: Int
    /// How the prompts were chosen: heldout, tag:<tag> or ids.
    var selection: String
    var sampling: PolicySampler.Settings?
    var createdAt: Int64
    var preparedAt: Int64?
    var error: String?

    /// `modelA`, `modelB`: the two versions' names (the handler reads them).
    init(_ e: EvalCampaign, modelA: String, modelB: String) {
        let config = try? CampaignConfig.parse(e.config)
        id = e.id; name = e.name
        self.modelA = modelA
        self.modelB = modelB
        modelAId = e.modelAID; modelBId = e.modelBID
        status = e.status
        total = e.preparedAt == nil ? config?.promptIds.count ?? 0 : e.total
        judged = e.judged; winsA = e.winsA; winsB = e.winsB; ties = e.ties
        selection = config?.selection ?? ""
        sampling = config?.sampling
        createdAt = e.createdAt; preparedAt = e.preparedAt; error = e.error
    }
}

struct CampaignDetailDTO: Encodable {
    var campaign: CampaignDTO
    /// B's wins, ties and losses against A with Wilson 95% intervals and the sign-test p-value.
    var result: SideBySideResult.Summary
    /// Reward-model win rate, mean rewards and KL to the reference; null until prepared.
    var automatic: EvalMeasures?
    /// judged / total.
    var progress: Double
}

struct LeaderboardEntryDTO: Codable, Equatable {
    var id: Int64
    var name: String
    var kind: String
    var serving: Bool
    var rank: Int
    var score: Double
    var lower: Double
    var upper: Double
    var wins: Int
    var losses: Int
    var ties: Int
    var comparisons: Int
    /// From the newest prepared campaign with this version (measured_in): its mean reward and KL.
    var meanReward: MeanEstimate?
    var kl: MeanEstimate?
    var measuredIn: Int64?
}

struct LeaderboardDTO: Codable, Equatable {
    var entries: [LeaderboardEntryDTO]
    var comparisons: Int
    var confidence: Double
    var resamples: Int
}

struct BlindPromptDTO: Codable, Equatable {
    var text: String
    var messages: [Message]?
}

struct BlindTextDTO: Codable, Equatable { var text: String }

struct BlindDTO: Codable, Equatable {
    var id: Int64
    var prompt: BlindPromptDTO
    var left: BlindTextDTO
    var right: BlindTextDTO
    var leaseExpiresAt: Int64
}

struct NextBlindDTO: Encodable {
    var comparison: BlindDTO?

    enum CodingKeys: String, CodingKey { case comparison }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(comparison, forKey: .comparison) // null, not absent, when nothing is left
    }
}

struct BlindResultDTO: Codable, Equatable {
    var id: Int64
    var choice: String
}

extension JSONFields {
    func number(_ key: String) throws(HTTPError) -> Double? {
        guard let v = value(key) else { return nil }
        guard case let .number(n) = v, n.isFinite else { throw HTTPError.unprocessable("wrong type at \(name(key)): expected a number") }
        return n
    }
}
