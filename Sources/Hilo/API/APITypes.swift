// The JSON shapes of the API (snake_case on the wire: `prompt_id`, `lease_id`). Property names end
// in `Id`, not `ID`, so Foundation's snake-case conversion maps them both ways.
import Foundation
import HTTP
import Store

enum API {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) throws -> HTTP.Response {
        try HTTP.Response.json(value, status: status, encoder: encoder)
    }
}

struct MeDTO: Codable { var id: Int64; var name: String; var role: String }

struct PromptDTO: Codable, Equatable {
    var id: Int64
    var text: String
    var messages: [Message]?
}

/// One response as shown: its letter in the shuffled order, its id (used when submitting) and text.
struct ShownResponse: Codable, Equatable {
    var label: String
    var id: Int64
    var text: String
}

/// What GET /api/v1/leases/next hands out: a prompt and its shown responses, held for this annotator
/// until `expiresAt` (Unix ms); submitting or skipping names the lease's id.
struct LeaseDTO: Codable, Equatable {
    var id: Int64
    var expiresAt: Int64
    var prompt: PromptDTO
    var responses: [ShownResponse]
    var criteria: [String]
    /// The serving reward model's scores of the shown responses; only with the setting
    /// `rlaif.show_scores_to_annotators` (absent otherwise: scores bias judgments).
    var scores: [ScoreDTO]? = nil
}

/// A response's reward-model score.
struct ScoreDTO: Codable, Equatable {
    var responseId: Int64
    var score: Double
}

struct NextLeaseDTO: Codable {
    var lease: LeaseDTO?
    /// `{"lease": null}` when nothing is left (explicit, so clients need not test for a missing key).
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lease, forKey: .lease)
    }
}

struct RankIn: Codable, Equatable { var responseId: Int64; var rank: Int }
struct RatingIn: Codable, Equatable { var responseId: Int64; var criterion: String; var score: Int }
struct ThumbIn: Codable, Equatable { var responseId: Int64; var up: Bool }

/// POST /api/v1/judgments.
struct SubmitIn: Codable {
    var leaseId: Int64?
    var promptId: Int64?
    var kind: JudgmentKind
    var ranks: [RankIn]?
    var bothBad: Bool?
    var ratings: [RatingIn]?
    var thumbs: [ThumbIn]?
    var rationale: String?
    var rewrite: String?
    var timeSpentMs: Int64?
    var idempotencyKey: String?
}

struct JudgmentDTO: Codable, Equatable {
    var id: Int64
    var promptId: Int64
    var kind: String
    var bothBad: Bool
    var ranks: [RankIn]
    var ratings: [RatingIn]
    var thumbs: [ThumbIn]
    var rationale: String?
    var rewrite: String?
    var timeSpentMs: Int64?
    var leaseId: Int64?
    var createdAt: Int64
    var undoneAt: Int64?

    init(_ j: Judgment) {
        id = j.id; promptId = j.promptID; kind = j.kind.rawValue; bothBad = j.bothBad
        ranks = j.ranks.map { RankIn(responseId: $0.responseID, rank: $0.rank) }
        ratings = j.ratings.map { RatingIn(responseId: $0.responseID, criterion: $0.criterion, score: $0.score) }
        thumbs = j.thumbs.map { ThumbIn(responseId: $0.responseID, up: $0.up) }
        rationale = j.rationale; rewrite = j.rewrite; timeSpentMs = j.timeSpentMs; leaseId = j.leaseID
        createdAt = j.createdAt; undoneAt = j.undoneAt
    }
}

struct SubmitOut: Codable, Equatable {
    var judgment: JudgmentDTO
    /// Until when (Unix ms) POST /api/v1/judgments/{id}/undo is accepted.
    var undoUntil: Int64
}

struct ProgressDTO: Codable, Equatable {
    var doneToday: Int
    var doneTotal: Int
    var skipped: Int
    /// Prompts this annotator could still be given.
    var left: Int
}

struct ThumbBody: Codable { var up: Bool; var idempotencyKey: String? }

struct AnnotatorDTO: Codable, Equatable {
    var id: Int64
    var name: String
    var role: String
    var disabled: Bool
    var canLogIn: Bool
    var createdAt: Int64
    var labels: Int

    init(_ a: Annotator, labels: Int) {
        id = a.id; name = a.name; role = a.role.rawValue; disabled = a.disabled; canLogIn = a.hasToken
        createdAt = a.createdAt; self.labels = labels
    }
}

struct NewAnnotatorIn: Codable { var name: String; var role: Role? }

struct LoginLinkOut: Codable { var annotator: AnnotatorDTO; var loginUrl: String }
