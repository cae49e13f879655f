// Model versions for the training loop (schema version 2): lineage (the run that wrote a version and
// the labels it trained on), pruning, and the promotion history that promote and rollback append to.
import Foundation

/// A model version with its lineage columns.
public struct ModelVersionRecord: Sendable, Equatable {
    public var version: ModelVersion
    /// The training run that wrote it (nil: a folder given with --policy, or the starter).
    public var runID: Int64?
    /// How many preference pairs the run trained on.
    public var labelsUsed: Int
    /// When pruning deleted its folder (the row stays for lineage and evaluations).
    public var prunedAt: Int64?

    public var id: Int64 { version.id }
    public var name: String { version.name }
    public var kind: ModelKind { version.kind }
    public var path: String { version.path }
    public var serving: Bool { version.serving }
    public var pruned: Bool { prunedAt != nil }
}

/// One change of the serving version of a kind.
public struct ModelPromotion: Sendable, Equatable {
    public enum Trigger: String, Sendable, Codable { case admin, automatic, rollback, bootstrap }
    public var id: Int64
    public var modelID: Int64
    public var kind: ModelKind
    public var previousID: Int64?
    public var trigger: Trigger
    public var annotatorID: Int64?
    public var reason: String
    public var createdAt: Int64
}

extension ModelRepository {
    static let recordColumns = "id, name, kind, parent_id, path, created_at, metrics, serving, run_id, labels_used, pruned_at"
    static func record(_ s: Statement) -> ModelVersionRecord {
        ModelVersionRecord(version: row(s), runID: s.optionalInt(8), labelsUsed: Int(s.int(9)), prunedAt: s.optionalInt(10))
    }

    /// Inserts a version with its lineage (the folder must already be complete at `path`).
    public func create(name: String, kind: ModelKind, parentID: Int64?, path: String, runID: Int64?, labelsUsed: Int,
                       metrics: String = "{}", now: Int64) throws -> ModelVersionRecord {
        if try byName(name) != nil { throw StoreError.invalid("a model version named \"\(name)\" already exists") }
        try c.run("""
            INSERT INTO model_versions (name, kind, parent_id, path, created_at, metrics, run_id, labels_used)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(name), .text(kind.rawValue), parentID.map { .int($0) } ?? .null, .text(path), .int(now), .text(metrics),
                  runID.map { .int($0) } ?? .null, .int(Int64(labelsUsed))])
        return try record(c.lastInsertID)!
    }

    public func record(_ id: Int64) throws -> ModelVersionRecord? {
        try c.prepare("SELECT \(Self.recordColumns) FROM model_versions WHERE id = ?").first([.int(id)], Self.record)
    }

    /// Every version, oldest first (or only one kind's).
    public func records(kind: ModelKind? = nil) throws -> [ModelVersionRecord] {
        if let kind {
            return try c.prepare("SELECT \(Self.recordColumns) FROM model_versions WHERE kind = ? ORDER BY id").all([.text(kind.rawValue)], Self.record)
        }
        return try c.prepare("SELECT \(Self.recordColumns) FROM model_versions ORDER BY id").all([], Self.record)
    }

    /// The serving version of a kind with its lineage.
    public func servingRecord(_ kind: ModelKind) throws -> ModelVersionRecord? {
        try c.prepare("SELECT \(Self.recordColumns) FROM model_versions WHERE kind = ? AND serving = 1").first([.text(kind.rawValue)], Self.record)
    }

    /// The next version number of a kind: one more than the largest n of a `<kind>-v<n>` name.
    public func nextVersionNumber(_ kind: ModelKind) throws -> Int {
        let prefix = "\(kind.rawValue)-v"
        var n = 0
        try c.prepare("SELECT name FROM model_versions WHERE kind = ?").forEach([.text(kind.rawValue)]) { s in
            let name = s.string(0)
            if name.hasPrefix(prefix), let k = Int(name.dropFirst(prefix.count)) { n = max(n, k) }
        }
        return n + 1
    }

    /// Marks a version's folder as deleted.
    public func markPruned(_ id: Int64, now: Int64) throws {
        try c.run("UPDATE model_versions SET pruned_at = ? WHERE id = ? AND pruned_at IS NULL", [.int(now), .int(id)])
    }

    /// Makes `id` the serving version of its kind and records why, in the caller's transaction.
    @discardableResult
    public func promote(_ id: Int64, trigger: ModelPromotion.Trigger, annotatorID: Int64? = nil, reason: String, now: Int64) throws -> ModelPromotion {
        guard let m = try record(id) else { throw StoreError.notFound("no model version with id \(id)") }
        guard !m.pruned else { throw StoreError.invalid("\(m.name) was pruned (its folder is deleted) and cannot serve") }
        let previous = try serving(m.kind)
        try setServing(id)
        try c.run("""
            INSERT INTO model_promotions (model_id, kind, previous_id, trigger, annotator_id, reason, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [.int(id), .text(m.kind.rawValue), previous.map { .int($0.id) } ?? .null, .text(trigger.rawValue),
                  annotatorID.map { .int($0) } ?? .null, .text(reason), .int(now)])
        return try promotions(kind: m.kind).last!
    }

    static let promotionColumns = "id, model_id, kind, previous_id, trigger, annotator_id, reason, created_at"
    static func promotion(_ s: Statement) -> ModelPromotion {
        ModelPromotion(id: s.int(0), modelID: s.int(1), kind: ModelKind(rawValue: s.string(2)) ?? .policy, previousID: s.optionalInt(3),
                       trigger: ModelPromotion.Trigger(rawValue: s.string(4)) ?? .admin, annotatorID: s.optionalInt(5),
                       reason: s.string(6), createdAt: s.int(7))
    }

    /// The promotion history, oldest first (or one kind's).
    public func promotions(kind: ModelKind? = nil) throws -> [ModelPromotion] {
        if let kind {
            return try c.prepare("SELECT \(Self.promotionColumns) FROM model_promotions WHERE kind = ? ORDER BY id").all([.text(kind.rawValue)], Self.promotion)
        }
        return try c.prepare("SELECT \(Self.promotionColumns) FROM model_promotions ORDER BY id").all([], Self.promotion)
    }
}
