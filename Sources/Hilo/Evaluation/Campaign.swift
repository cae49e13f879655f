// Creating a blind evaluation campaign (the API's POST /api/v1/evaluations and `hilo eval create`):
// two policy versions, A the baseline and B the challenger, and a prompt set chosen now (held-out
// prompts by default, or a tag, or explicit ids) so the admin learns at once when there is none. The
// prompt ids, sampling settings and seed go into `eval_campaigns.config`; the CampaignPreparer then
// generates the responses and comparisons in the background.
import Foundation
import Store

public struct CampaignConfig: Codable, Sendable, Equatable {
    /// The prompts of the campaign, in order. Why stored: the held-out set may grow later, a campaign's doesn't.
    public var promptIds: [Int64]
    /// How they were chosen ("heldout", "tag:<tag>" or "ids"), for the admin page.
    public var selection: String
    /// Why one setting for both versions: a difference in outputs must come from the weights alone.
    public var sampling: PolicySampler.Settings
    /// Seed of the sampling and of the sides shown (swapped), so a campaign can be prepared again identically.
    public var seed: UInt64

    public init(promptIds: [Int64], selection: String, sampling: PolicySampler.Settings, seed: UInt64) {
        self.promptIds = promptIds; self.selection = selection; self.sampling = sampling; self.seed = seed
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    public var json: String { String(decoding: try! Self.encoder.encode(self), as: UTF8.self) }

    public static func parse(_ text: String) throws -> CampaignConfig {
        do { return try decoder.decode(CampaignConfig.self, from: Data(text.utf8)) } catch {
            throw StoreError.invalid("the campaign's config is not readable: \(error)")
        }
    }
}

public enum Campaign {
    /// What an admin asks for.
    public struct Request: Sendable {
        public var name: String?
        /// Baseline (A) and challenger (B): model version ids.
        public var modelA: Int64
        public var modelB: Int64
        /// How many prompts at most (default: settings.evaluation.prompts).
        public var prompts: Int?
        /// Prompts with this tag instead of the held-out ones.
        public var tag: String?
        /// Exactly these prompts.
        public var promptIds: [Int64]?
        public var sampling = PolicySampler.Settings()
        public var seed: UInt64

        public init(name: String? = nil, modelA: Int64, modelB: Int64, prompts: Int? = nil, tag: String? = nil,
                    promptIds: [Int64]? = nil, sampling: PolicySampler.Settings = PolicySampler.Settings(), seed: UInt64) {
            self.name = name; self.modelA = modelA; self.modelB = modelB; self.prompts = prompts; self.tag = tag
            self.promptIds = promptIds; self.sampling = sampling; self.seed = seed
        }
    }

    /// Kinds whose folders are language models a campaign can sample from.
    static let samplable: Set<ModelKind> = [.policy, .reference]

    /// `create` with the stored settings' default prompt count (the command line's way in).
    public static func create(_ c: Connection, _ r: Request, now: Int64) throws -> Int64 {
        try create(c, r, defaultPrompts: try AppSettings.load(c).evaluation.prompts, now: now)
    }

    /// Validates the request and stores the campaign (status preparing). Returns its id.
    /// Bad input throws StoreError.invalid (422 in the API) or .notFound.
    public static func create(_ c: Connection, _ r: Request, defaultPrompts: Int, now: Int64) throws -> Int64 {
        let models = ModelRepository(c)
        guard let a = try models.byID(r.modelA) else { throw StoreError.notFound("no model version \(r.modelA)") }
        guard let b = try models.byID(r.modelB) else { throw StoreError.notFound("no model version \(r.modelB)") }
        guard a.id != b.id else { throw StoreError.invalid("an evaluation compares two different model versions") }
        for m in [a, b] {
            guard samplable.contains(m.kind) else { throw StoreError.invalid("\(m.name) is a \(m.kind.rawValue) model, not a policy") }
            guard try models.record(m.id)?.pruned == false else {
                throw StoreError.invalid("\(m.name) was pruned: its folder no longer exists")
            }
        }
        let limit = r.prompts ?? defaultPrompts
        guard (1...100_000).contains(limit) else { throw StoreError.invalid("prompts must be between 1 and 100000") }
        guard r.sampling.temperature > 0, r.sampling.temperature <= 10, (1...4096).contains(r.sampling.maxNewTokens),
              (r.sampling.topP ?? 1) > 0, (r.sampling.topP ?? 1) <= 1, (r.sampling.topK ?? 1) >= 1 else {
            throw StoreError.invalid("sampling: temperature in (0, 10], top_p in (0, 1], top_k ≥ 1, max_new_tokens in 1...4096")
        }
        if let tag = r.tag, tag.isEmpty { throw StoreError.invalid("tag must not be empty") }
        let eval = EvalRepository(c)
        let ids = try eval.selectPrompts(ids: r.promptIds, tag: r.tag, limit: limit)
        guard !ids.isEmpty else {
            if r.tag != nil { throw StoreError.invalid("no prompt has the tag \"\(r.tag!)\"") }
            if r.promptIds != nil { throw StoreError.invalid("prompt_ids is empty") }
            throw StoreError.invalid("there are no held-out prompts; mark some (prompts.heldout = 1), or give a tag or prompt_ids")
        }
        var name = r.name?.trimmingCharacters(in: .whitespaces) ?? ""
        if name.isEmpty {
            name = "\(a.name) vs \(b.name)"
            var n = 2
            while try eval.nameExists(name) { name = "\(a.name) vs \(b.name) (\(n))"; n += 1 }
        } else if try eval.nameExists(name) {
            throw StoreError.invalid("an evaluation named \"\(name)\" already exists")
        }
        guard name.utf8.count <= 200 else { throw StoreError.invalid("name is longer than 200 bytes") }
        let selection = r.promptIds != nil ? "ids" : r.tag.map { "tag:\($0)" } ?? "heldout"
        let config = CampaignConfig(promptIds: ids, selection: selection, sampling: r.sampling, seed: r.seed)
        return try eval.createCampaign(name: name, modelA: a.id, modelB: b.id, config: config.json, now: now)
    }
}
