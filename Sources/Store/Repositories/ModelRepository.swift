// Model versions (checkpoints the engine wrote) and which one of each kind is serving.
public enum ModelKind: String, Sendable, Codable, CaseIterable { case policy, reward, reference, value }

public struct ModelVersion: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var kind: ModelKind
    public var parentID: Int64?
    public var path: String
    public var createdAt: Int64
    /// JSON object text of evaluation metrics.
    public var metrics: String
    public var serving: Bool
}

public struct ModelRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    static let columns = "id, name, kind, parent_id, path, created_at, metrics, serving"
    static func row(_ s: Statement) -> ModelVersion {
        ModelVersion(id: s.int(0), name: s.string(1), kind: ModelKind(rawValue: s.string(2)) ?? .policy, parentID: s.optionalInt(3),
                     path: s.string(4), createdAt: s.int(5), metrics: s.string(6), serving: s.int(7) != 0)
    }

    public func create(name: String, kind: ModelKind, parentID: Int64?, path: String, metrics: String = "{}", now: Int64) throws -> ModelVersion {
        if try byName(name) != nil { throw StoreError.invalid("a model version named \"\(name)\" already exists") }
        try c.run("INSERT INTO model_versions (name, kind, parent_id, path, created_at, metrics) VALUES (?, ?, ?, ?, ?, ?)",
                  [.text(name), .text(kind.rawValue), parentID.map { .int($0) } ?? .null, .text(path), .int(now), .text(metrics)])
        return try byID(c.lastInsertID)!
    }

    public func byID(_ id: Int64) throws -> ModelVersion? {
        try c.prepare("SELECT \(Self.columns) FROM model_versions WHERE id = ?").first([.int(id)], Self.row)
    }

    public func byName(_ name: String) throws -> ModelVersion? {
        try c.prepare("SELECT \(Self.columns) FROM model_versions WHERE name = ?").first([.text(name)], Self.row)
    }

    public func all(kind: ModelKind? = nil) throws -> [ModelVersion] {
        if let kind { return try c.prepare("SELECT \(Self.columns) FROM model_versions WHERE kind = ? ORDER BY id").all([.text(kind.rawValue)], Self.row) }
        return try c.prepare("SELECT \(Self.columns) FROM model_versions ORDER BY id").all([], Self.row)
    }

    /// The serving model of a kind, if any.
    public func serving(_ kind: ModelKind) throws -> ModelVersion? {
        try c.prepare("SELECT \(Self.columns) FROM model_versions WHERE kind = ? AND serving = 1").first([.text(kind.rawValue)], Self.row)
    }

    /// Makes `id` the serving model of its kind (the previous one stops serving) in one transaction.
    public func setServing(_ id: Int64) throws {
        guard let m = try byID(id) else { throw StoreError.notFound("no model version with id \(id)") }
        try c.run("UPDATE model_versions SET serving = 0 WHERE kind = ? AND serving = 1", [.text(m.kind.rawValue)])
        try c.run("UPDATE model_versions SET serving = 1 WHERE id = ?", [.int(id)])
    }

    public func setMetrics(_ id: Int64, metrics: String) throws {
        try c.run("UPDATE model_versions SET metrics = ? WHERE id = ?", [.text(metrics), .int(id)])
    }
}
