// Training runs: queued -> running -> succeeded | failed | cancelled, with metrics over time.
public enum TrainingKind: String, Sendable, Codable, CaseIterable { case sft, reward, dpo, ipo, kto, ppo }
public enum RunStatus: String, Sendable, Codable, CaseIterable { case queued, running, succeeded, failed, cancelled }

public struct TrainingRun: Sendable, Equatable {
    public var id: Int64
    public var kind: TrainingKind
    public var status: RunStatus
    /// JSON object text of the run's configuration.
    public var config: String
    public var baseModelID: Int64?
    public var outputModelID: Int64?
    public var labelsUsed: Int
    public var labelWatermark: Int64
    public var error: String?
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
}

public struct TrainingMetric: Sendable, Equatable {
    public var step: Int
    public var name: String
    public var value: Double
    public var createdAt: Int64
}

public struct TrainingRunRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    static let columns = "id, kind, status, config, base_model_id, output_model_id, labels_used, label_watermark, error, created_at, started_at, finished_at"
    static func row(_ s: Statement) -> TrainingRun {
        TrainingRun(id: s.int(0), kind: TrainingKind(rawValue: s.string(1)) ?? .sft, status: RunStatus(rawValue: s.string(2)) ?? .failed,
                    config: s.string(3), baseModelID: s.optionalInt(4), outputModelID: s.optionalInt(5), labelsUsed: Int(s.int(6)),
                    labelWatermark: s.int(7), error: s.optionalString(8), createdAt: s.int(9), startedAt: s.optionalInt(10), finishedAt: s.optionalInt(11))
    }

    public func enqueue(kind: TrainingKind, config: String, baseModelID: Int64?, now: Int64) throws -> TrainingRun {
        try c.run("INSERT INTO training_runs (kind, config, base_model_id, created_at) VALUES (?, ?, ?, ?)",
                  [.text(kind.rawValue), .text(config), baseModelID.map { .int($0) } ?? .null, .int(now)])
        return try byID(c.lastInsertID)!
    }

    public func byID(_ id: Int64) throws -> TrainingRun? {
        try c.prepare("SELECT \(Self.columns) FROM training_runs WHERE id = ?").first([.int(id)], Self.row)
    }

    /// Newest first.
    public func recent(limit: Int = 50) throws -> [TrainingRun] {
        try c.prepare("SELECT \(Self.columns) FROM training_runs ORDER BY id DESC LIMIT ?").all([.int(Int64(limit))], Self.row)
    }

    /// The oldest queued run, if any.
    public func nextQueued() throws -> TrainingRun? {
        try c.prepare("SELECT \(Self.columns) FROM training_runs WHERE status = 'queued' ORDER BY id LIMIT 1").first([], Self.row)
    }

    /// queued -> running, recording what the run trains on.
    public func start(_ id: Int64, labelsUsed: Int, labelWatermark: Int64, now: Int64) throws {
        try c.run("UPDATE training_runs SET status = 'running', started_at = ?, labels_used = ?, label_watermark = ? WHERE id = ? AND status = 'queued'",
                  [.int(now), .int(Int64(labelsUsed)), .int(labelWatermark), .int(id)])
        guard c.changes == 1 else { throw StoreError.invalid("training run \(id) is not queued") }
    }

    /// running (or queued, for cancel) -> a final status.
    public func finish(_ id: Int64, status: RunStatus, outputModelID: Int64? = nil, error: String? = nil, now: Int64) throws {
        precondition(status == .succeeded || status == .failed || status == .cancelled, "finish needs a final status")
        try c.run("UPDATE training_runs SET status = ?, output_model_id = ?, error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')",
                  [.text(status.rawValue), outputModelID.map { .int($0) } ?? .null, error.map { .text($0) } ?? .null, .int(now), .int(id)])
        guard c.changes == 1 else { throw StoreError.invalid("training run \(id) has already finished") }
    }

    /// Records metric values at a step (replacing a value logged twice for the same step and name).
    public func log(_ id: Int64, step: Int, metrics: [(String, Double)], now: Int64) throws {
        let s = try c.prepare("INSERT OR REPLACE INTO training_metrics (run_id, step, name, value, created_at) VALUES (?, ?, ?, ?, ?)")
        for (name, value) in metrics { try s.run([.int(id), .int(Int64(step)), .text(name), .double(value), .int(now)]) }
    }

    public func metrics(_ id: Int64) throws -> [TrainingMetric] {
        try c.prepare("SELECT step, name, value, created_at FROM training_metrics WHERE run_id = ? ORDER BY step, name")
            .all([.int(id)]) { TrainingMetric(step: Int($0.int(0)), name: $0.string(1), value: $0.double(2), createdAt: $0.int(3)) }
    }
}
