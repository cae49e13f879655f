// The settings an admin edits at run time (GET/PUT /api/v1/settings): rating criteria, responses per
// task, overlap, leases, the undo window, retraining thresholds and the guidelines annotators read.
// Stored one key per field in the `settings` table (snake_case keys, JSON values); a missing key
// means the default. `validate()` is the single place that says what is allowed.
import Foundation
import HTTP
import Store

public struct AppSettings: Codable, Sendable, Equatable {
    /// Names of the per-response rating criteria (1–7 scales) the UI shows and the API accepts.
    public var criteria: [String] = ["helpfulness", "truthfulness", "harmlessness"]
    /// K: most responses shown in one task (2…16); prompts with more get a random K of them.
    public var responsesPerTask: Int = 4
    /// Independent judgments each prompt wants before it leaves the queue (1 = no overlap).
    public var overlap: Int = 1
    /// Serve prompts whose annotators disagree first, with one extra (tie-breaking) judgment.
    public var prioritizeDisagreement: Bool = false
    /// How long an annotator holds a task before it returns to the queue.
    public var leaseSeconds: Int = 600
    /// How long after submitting an annotator may undo a judgment.
    public var undoWindowSeconds: Int = 300
    /// When the loop retrains and with which objective.
    public var retraining = Retraining()
    /// Instructions shown to annotators (plain text; the UI renders it as text, never HTML).
    public var guidelines: String = "Compare the responses and pick the one that is more helpful, honest and harmless."

    public struct Retraining: Codable, Sendable, Equatable {
        /// Retrain once this many new human labels have arrived since the last run.
        public var minNewLabels: Int = 200
        /// dpo, ipo, kto or ppo (ppo first trains a reward model).
        public var objective: String = "dpo"
        /// Whether the loop retrains by itself when the threshold is reached.
        public var automatic: Bool = false

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Retraining()
            minNewLabels = try c.decodeIfPresent(Int.self, forKey: .minNewLabels) ?? d.minNewLabels
            objective = try c.decodeIfPresent(String.self, forKey: .objective) ?? d.objective
            automatic = try c.decodeIfPresent(Bool.self, forKey: .automatic) ?? d.automatic
        }
    }

    public static let objectives = ["dpo", "ipo", "kto", "ppo"]

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AppSettings()
        criteria = try c.decodeIfPresent([String].self, forKey: .criteria) ?? d.criteria
        responsesPerTask = try c.decodeIfPresent(Int.self, forKey: .responsesPerTask) ?? d.responsesPerTask
        overlap = try c.decodeIfPresent(Int.self, forKey: .overlap) ?? d.overlap
        prioritizeDisagreement = try c.decodeIfPresent(Bool.self, forKey: .prioritizeDisagreement) ?? d.prioritizeDisagreement
        leaseSeconds = try c.decodeIfPresent(Int.self, forKey: .leaseSeconds) ?? d.leaseSeconds
        undoWindowSeconds = try c.decodeIfPresent(Int.self, forKey: .undoWindowSeconds) ?? d.undoWindowSeconds
        retraining = try c.decodeIfPresent(Retraining.self, forKey: .retraining) ?? d.retraining
        guidelines = try c.decodeIfPresent(String.self, forKey: .guidelines) ?? d.guidelines
    }

    /// Throws 422 naming the first field that breaks a rule.
    public func validate() throws(HTTPError) {
        func fail(_ m: String) -> HTTPError { .unprocessable("settings: " + m) }
        guard (1...20).contains(criteria.count) else { throw fail("criteria must list 1 to 20 names") }
        for name in criteria {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.utf8.count <= 100 else {
                throw fail("a criterion name must be 1 to 100 bytes and not blank")
            }
        }
        guard Set(criteria).count == criteria.count else { throw fail("criteria names must be unique") }
        guard (2...16).contains(responsesPerTask) else { throw fail("responses_per_task must be between 2 and 16") }
        guard (1...50).contains(overlap) else { throw fail("overlap must be between 1 and 50") }
        guard (30...86_400).contains(leaseSeconds) else { throw fail("lease_seconds must be between 30 and 86400") }
        guard (0...86_400).contains(undoWindowSeconds) else { throw fail("undo_window_seconds must be between 0 and 86400") }
        guard (1...10_000_000).contains(retraining.minNewLabels) else { throw fail("retraining.min_new_labels must be between 1 and 10000000") }
        guard Self.objectives.contains(retraining.objective) else {
            throw fail("retraining.objective must be one of \(Self.objectives.joined(separator: ", "))")
        }
        guard guidelines.utf8.count <= 64 * 1024 else { throw fail("guidelines must be at most 65536 bytes") }
    }

    // MARK: storage

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    /// The settings as a JSON object, one member per stored key.
    func jsonObject() throws -> [(String, JSONValue)] {
        let text = String(decoding: try Self.encoder.encode(self), as: UTF8.self)
        guard case let .object(pairs) = try JSONValue.parse(text) else { preconditionFailure("settings encode to an object") }
        return pairs
    }

    /// Reads the stored settings (defaults for missing keys; unknown keys are ignored).
    static func load(_ c: Connection) throws -> AppSettings {
        let known = Set(try AppSettings().jsonObject().map(\.0))
        let pairs = try SettingsRepository(c).all().filter { known.contains($0.key) }.map { ($0.key, $0.value) }
        return try decode(.object(pairs))
    }

    /// Writes every field.
    func save(_ c: Connection, now: Int64) throws {
        let repo = SettingsRepository(c)
        for (key, value) in try jsonObject() { try repo.set(key, value, now: now) }
    }

    static func decode(_ value: JSONValue) throws -> AppSettings {
        try decoder.decode(AppSettings.self, from: Data(value.serialized.utf8))
    }

    /// Applies a partial update (a JSON object of the fields to change) and validates the result.
    /// Unknown fields and wrong types are 422.
    func merged(with patch: JSONValue) throws(HTTPError) -> AppSettings {
        guard case let .object(changes) = patch else { throw .unprocessable("settings: expected a JSON object") }
        var current: [(String, JSONValue)]
        do { current = try jsonObject() } catch { preconditionFailure("settings encode") }
        for (key, value) in changes {
            guard let i = current.firstIndex(where: { $0.0 == key }) else {
                throw .unprocessable("settings: unknown field \(key)")
            }
            if key == "retraining", case let .object(inner) = value, case let .object(old) = current[i].1 {
                var merged = old
                for (k, v) in inner {
                    guard let j = merged.firstIndex(where: { $0.0 == k }) else { throw .unprocessable("settings: unknown field retraining.\(k)") }
                    merged[j].1 = v
                }
                current[i].1 = .object(merged)
            } else {
                current[i].1 = value
            }
        }
        let result: AppSettings
        do { result = try Self.decode(.object(current)) } catch let error as DecodingError {
            throw .unprocessable("settings: \(Self.describe(error))")
        } catch { throw .unprocessable("settings: invalid value") }
        try result.validate()
        return result
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map(String.init) ?? snake($0.stringValue) }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return "wrong type or value at \(path(c))"
        case .keyNotFound(let k, _): return "missing field \(snake(k.stringValue))"
        @unknown default: return "invalid value"
        }
    }

    static func snake(_ s: String) -> String {
        var out = ""
        for ch in s { if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) } }
        return out
    }
}
