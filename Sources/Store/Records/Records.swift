// The value types Store's repositories return and accept: one per table (see schema.sql for what
// each field means). Ids are Int64 rowids; times are Unix milliseconds (UTC).
import Foundation

public enum Role: String, Sendable, Codable, CaseIterable { case annotator, admin }

public struct Annotator: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    public var role: Role
    public var createdAt: Int64
    public var disabled: Bool
    /// False for the pseudo annotators ('imported', AI judges) that cannot log in.
    public var hasToken: Bool
}

/// One turn of a conversation, as TRL's conversational format and chat templates spell it.
public struct Message: Sendable, Equatable, Codable, Hashable {
    public var role: String
    public var content: String
    public init(role: String, content: String) { self.role = role; self.content = content }
}

public struct Prompt: Sendable, Equatable {
    public var id: Int64
    /// Plain text, or for a conversation its HH rendering (see `Conversation.hhText`).
    public var text: String
    /// The turns when the prompt is a conversation; nil for plain text.
    public var messages: [Message]?
    public var source: String?
    public var tags: [String]
    /// Free-form JSON object text.
    public var metadata: String
    public var createdAt: Int64
}

/// A prompt to insert. Either `text` or `messages` (a conversation ending with a user turn).
public struct NewPrompt: Sendable, Equatable {
    public var text: String?
    public var messages: [Message]?
    public var source: String?
    public var tags: [String]
    public var metadata: String
    public init(text: String? = nil, messages: [Message]? = nil, source: String? = nil, tags: [String] = [], metadata: String = "{}") {
        self.text = text; self.messages = messages; self.source = source; self.tags = tags; self.metadata = metadata
    }
}

/// A row of `responses`: a model's or an import's answer to a prompt (the API calls it a response;
/// the type is named Completion so it never reads as HTTP's Response).
public struct Completion: Sendable, Equatable {
    public var id: Int64
    public var promptID: Int64
    public var text: String
    /// 'import:<file>' or 'model:<model version name>'.
    public var origin: String
    public var modelVersionID: Int64?
    /// Sampling settings as JSON text, e.g. {"temperature":0.7}.
    public var sampling: String?
    public var createdAt: Int64
}

public enum JudgmentKind: String, Sendable, Codable, CaseIterable {
    case pairwise, ranking, rating, feedback, rewrite, skip
}

/// Who made a label: a person, or an AI judge (RLAIF). Exports are human-only by default.
public enum LabelOrigin: String, Sendable, Codable, CaseIterable { case human, ai }

/// A response's place in a ranking: 1 = best; equal ranks are ties.
public struct ResponseRank: Sendable, Equatable, Codable, Hashable {
    public var responseID: Int64
    public var rank: Int
    public init(responseID: Int64, rank: Int) { self.responseID = responseID; self.rank = rank }
}

/// A Likert score from 1 to 7 for one response on one criterion.
public struct Rating: Sendable, Equatable, Codable, Hashable {
    public var responseID: Int64
    public var criterion: String
    public var score: Int
    public init(responseID: Int64, criterion: String, score: Int) {
        self.responseID = responseID; self.criterion = criterion; self.score = score
    }
}

/// Thumbs up (+1) or down (-1) on one response.
public struct Thumb: Sendable, Equatable, Codable, Hashable {
    public var responseID: Int64
    public var up: Bool
    public init(responseID: Int64, up: Bool) { self.responseID = responseID; self.up = up }
}

public struct Judgment: Sendable, Equatable {
    public var id: Int64
    public var annotatorID: Int64
    public var promptID: Int64
    public var kind: JudgmentKind
    public var origin: LabelOrigin
    public var bothBad: Bool
    public var rationale: String?
    public var rewrite: String?
    public var timeSpentMs: Int64?
    public var leaseID: Int64?
    public var idempotencyKey: String?
    public var createdAt: Int64
    public var undoneAt: Int64?
    public var ranks: [ResponseRank]
    public var ratings: [Rating]
    public var thumbs: [Thumb]
}

/// A judgment to submit. Which fields are required depends on `kind` (see JudgmentRepository.submit).
public struct NewJudgment: Sendable, Equatable {
    public var annotatorID: Int64
    public var promptID: Int64
    public var kind: JudgmentKind
    public var origin: LabelOrigin = .human
    public var ranks: [ResponseRank] = []
    public var bothBad = false
    public var ratings: [Rating] = []
    public var thumbs: [Thumb] = []
    public var rationale: String? = nil
    public var rewrite: String? = nil
    public var timeSpentMs: Int64? = nil
    public var leaseID: Int64? = nil
    /// A retried submit with the same key (per annotator) returns the first judgment.
    public var idempotencyKey: String? = nil

    public init(annotatorID: Int64, promptID: Int64, kind: JudgmentKind) {
        self.annotatorID = annotatorID; self.promptID = promptID; self.kind = kind
    }
}

/// One strictly ordered pair derived from a live ranking or pairwise judgment.
public struct PreferencePair: Sendable, Equatable, Hashable {
    public var judgmentID: Int64
    public var annotatorID: Int64
    public var promptID: Int64
    public var chosenID: Int64
    public var rejectedID: Int64
    public var origin: LabelOrigin
    public var createdAt: Int64
}

/// A lease: next-task hands an annotator a prompt (with its shown responses) until `expiresAt`; it is
/// completed when the judgment or skip naming it lands. Times are Unix ms.
public struct Lease: Sendable, Equatable {
    public var id: Int64
    public var promptID: Int64
    public var annotatorID: Int64
    public var leasedAt: Int64
    public var expiresAt: Int64
    public var completedAt: Int64?

    public init(id: Int64, promptID: Int64, annotatorID: Int64, leasedAt: Int64, expiresAt: Int64, completedAt: Int64? = nil) {
        self.id = id; self.promptID = promptID; self.annotatorID = annotatorID
        self.leasedAt = leasedAt; self.expiresAt = expiresAt; self.completedAt = completedAt
    }

    /// The responses a lease may show: the imported ones and, among the generated ones that existed
    /// when it was leased, those of the newest one's version (see `LeaseRepository.latestVersion`).
    /// Should that leave fewer than 2 (a clock set back), every generated response counts.
    public static func pool(_ all: [Completion], leasedAt: Int64) -> [Completion] {
        func latestPool(_ rs: [Completion]) -> [Completion] {
            let latest = rs.filter { $0.modelVersionID != nil }.max { $0.id < $1.id }?.modelVersionID
            return rs.filter { $0.modelVersionID == nil || $0.modelVersionID == latest }
        }
        let pool = latestPool(all.filter { $0.modelVersionID == nil || $0.createdAt <= leasedAt })
        return pool.count >= 2 ? pool : latestPool(all)
    }
}
