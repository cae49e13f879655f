// Groups of responses whose rewards came from people: the G samples of a prompt were shown to the
// annotators as one ranking task, and the ranking is the group's reward (RankRewards). GRPO and RLOO
// train on them as on sampled groups, without generating: the responses are the group, the ranks' rewards
// its rewards. Rows (the `hilo export` ranking format, or rewards given directly):
//     {"prompt": …, "responses": ["…", …], "ranks": [1, 3, 2, null]}     several rows of the same group average
//     {"prompt": …, "responses": ["…", …], "rewards": [0.5, null, 1]}
import Foundation

/// One prompt's responses with their rewards (nil: no reward, advantage 0).
public struct LabelledGroup: Sendable, Equatable {
    public var prompt: GroupPrompt
    public var responses: [String]
    public var rewards: [Double?]

    public init(prompt: GroupPrompt, responses: [String], rewards: [Double?]) throws {
        guard responses.count >= 2 else { throw EngineError.invalidInput("a labelled group needs at least 2 responses, got \(responses.count)") }
        guard rewards.count == responses.count else {
            throw EngineError.invalidInput("a labelled group has \(responses.count) responses and \(rewards.count) rewards")
        }
        self.prompt = prompt; self.responses = responses; self.rewards = rewards
    }
}

/// Collects labelled rows while a file is parsed, merging the rankings of the same group.
struct LabelledGroups {
    private struct Key: Hashable { var prompt: String; var responses: [String] }
    private var order: [Key] = []
    private var rankings: [Key: [[Int?]]] = [:]
    private var rewards: [Key: [Double?]] = [:]
    private var rows: [Key: Data] = [:]

    var isEmpty: Bool { order.isEmpty }

    mutating func add(_ o: [String: Any], text: String, _ bad: (String) -> EngineError) throws {
        guard let responses = o["responses"] as? [String], responses.count >= 2 else {
            throw bad("\"responses\" must be a list of at least 2 strings")
        }
        func numbers(_ field: String) throws -> [Double?]? {
            guard let list = o[field] else { return nil }
            guard let items = list as? [Any], items.count == responses.count else {
                throw bad("\"\(field)\" must be a list of \(responses.count) numbers or nulls, one per response")
            }
            return try items.map { v in
                if v is NSNull { return nil }
                guard let n = v as? NSNumber, n.doubleValue.isFinite else {
                    throw bad("\"\(field)\" holds \(v), not a number or null")
                }
                return n.doubleValue
            }
        }
        let key = Key(prompt: text, responses: responses)
        if rankings[key] == nil && rewards[key] == nil { order.append(key) }
        if rows[key] == nil {
            var row = o
            row.removeValue(forKey: "responses"); row.removeValue(forKey: "ranks"); row.removeValue(forKey: "rewards")
            rows[key] = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys, .withoutEscapingSlashes])
        }
        if let ranks = try numbers("ranks") {
            guard ranks.allSatisfy({ $0.map { $0 >= 1 && $0 == $0.rounded() } ?? true }) else { throw bad("\"ranks\" are whole numbers from 1 (the best)") }
            guard rewards[key] == nil else { throw bad("this group was given rewards on an earlier line; give ranks or rewards, not both") }
            rankings[key, default: []].append(ranks.map { $0.map(Int.init) })
        } else if let given = try numbers("rewards") {
            guard rankings[key] == nil, rewards[key] == nil else { throw bad("this group already has its rewards or ranks on an earlier line") }
            rewards[key] = given
        } else {
            throw bad("a labelled group needs \"ranks\" or \"rewards\" next to its \"responses\"")
        }
    }

    func groups() throws -> [LabelledGroup] {
        try order.map { key in
            let r = try rewards[key] ?? RankRewards.rewards(rankings: rankings[key]!)
            return try LabelledGroup(prompt: GroupPrompt(text: key.prompt, row: rows[key]), responses: key.responses, rewards: r)
        }
    }
}
