// The settings an admin edits at run time (GET/PUT /api/v1/settings): rating criteria, responses per
// task, overlap, leases, the undo window, retraining thresholds and the guidelines annotators read.
// Stored one key per field in the `settings` table (snake_case keys, JSON values); a missing key
// means the default. `validate()` is the single place that says what is allowed. The training
// loop's sections (retraining, candidates, rlaif, evaluation) live in AppSettings+Loop.swift.
import Foundation
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
    /// When the loop retrains, with which objective, and what happens to the versions it writes.
    public var retraining = Retraining()
    /// The background generation of on-policy candidates for queued prompts.
    public var candidates = Candidates()
    /// AI pre-labels from the reward model (RLAIF) and who may see its scores.
    public var rlaif = RLAIF()
    /// Blind evaluation campaigns and the rule for automatic promotion.
    public var evaluation = Evaluation()
    /// Instructions shown to annotators (plain text; the UI renders it as text, never HTML).
    public var guidelines: String = "Compare the responses and pick the one that is more helpful, honest and harmless."

    public init() {}

    /// The task queue's rules (LeaseRepository+Queue.swift): on-policy prompts only while the
    /// candidate generator is enabled.
    var queue: QueueRules {
        QueueRules(overlap: overlap, prioritizeDisagreement: prioritizeDisagreement, onPolicyOnly: candidates.enabled,
                   leaseMs: Int64(leaseSeconds) * 1000)
    }

    /// Throws a SettingsError naming the first field that breaks a rule (422 in the API).
    public func validate() throws(SettingsError) {
        func fail(_ m: String) -> SettingsError { .invalid(m) }
        guard (1...20).contains(criteria.count) else { throw fail("criteria must list 1 to 20 names") }
        for name in criteria {
            guard !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, name.unicodeScalars.count <= 100 else {
                throw fail("a criterion name must be 1 to 100 characters and not blank")
            }
        }
        guard Set(criteria).count == criteria.count else { throw fail("criteria names must be unique") }
        guard (2...16).contains(responsesPerTask) else { throw fail("responses_per_task must be between 2 and 16") }
        guard (1...50).contains(overlap) else { throw fail("overlap must be between 1 and 50") }
        guard (30...86_400).contains(leaseSeconds) else { throw fail("lease_seconds must be between 30 and 86400") }
        guard (0...86_400).contains(undoWindowSeconds) else { throw fail("undo_window_seconds must be between 0 and 86400") }
        try retraining.validate(fail)
        try candidates.validate(fail)
        try rlaif.validate(fail)
        try evaluation.validate(fail)
        guard guidelines.unicodeScalars.count <= 65_536 else { throw fail("guidelines must be at most 65536 characters") }
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

    /// Reads the stored settings: the stored values laid over the defaults, so a key (or a field of a
    /// section) written by an older version that lacked it gets its default; unknown keys are ignored.
    static func load(_ c: Connection) throws -> AppSettings {
        var value = JSONValue.object(try AppSettings().jsonObject())
        for row in try SettingsRepository(c).all() { value = value.overlaying(.object([(row.key, row.value)])) }
        return try decode(value)
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
    /// Unknown fields and wrong types throw a SettingsError (422 in the API).
    func merged(with patch: JSONValue) throws(SettingsError) -> AppSettings {
        guard case .object = patch else { throw .invalid("expected a JSON object") }
        let current: [(String, JSONValue)]
        do { current = try jsonObject() } catch { preconditionFailure("settings encode") }
        let merged = try Self.merge(.object(current), patch, path: "")
        let result: AppSettings
        do { result = try Self.decode(merged) } catch let error as DecodingError {
            throw .invalid(Self.describe(error))
        } catch { throw .invalid("invalid value") }
        try result.validate()
        return result
    }

    /// `patch` over `current`: a section (retraining, evaluation.promotion, …) changes only the fields
    /// given, at any depth; a field the settings do not have is refused with its dotted path.
    static func merge(_ current: JSONValue, _ patch: JSONValue, path: String) throws(SettingsError) -> JSONValue {
        guard case let .object(changes) = patch, case var .object(fields) = current else { return patch }
        for (key, value) in changes {
            let name = path.isEmpty ? key : "\(path).\(key)"
            guard let i = fields.firstIndex(where: { $0.0 == key }) else { throw .invalid("unknown field \(name)") }
            fields[i].1 = try merge(fields[i].1, value, path: name)
        }
        return .object(fields)
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

/// A settings change that breaks a rule, naming the field; HiloApp.httpError answers it with 422.
public enum SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self { case .invalid(let m): "settings: " + m }
    }
}
