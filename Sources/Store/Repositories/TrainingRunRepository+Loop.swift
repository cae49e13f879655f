// Training runs for the retraining loop (schema version 2): why a run was queued and by whom, its
// phase and step for the progress bar, its log lines, the new-label count the scheduler's threshold
// compares, and the recovery of runs a crash left behind.
import Foundation

/// A run with the loop's columns.
public struct TrainingRunRecord: Sendable, Equatable {
    public enum Trigger: String, Sendable, Codable { case threshold, admin }
    public var run: TrainingRun
    public var trigger: Trigger
    public var requestedBy: Int64?
    /// reward, policy, evaluate, save (nil before it starts).
    public var phase: String?
    public var step: Int
    public var totalSteps: Int

    public var id: Int64 { run.id }
    public var status: RunStatus { run.status }
}

/// One line of a run's log.
public struct TrainingLogLine: Sendable, Equatable {
    public enum Level: String, Sendable, Codable { case info, warning, error }
    public var seq: Int
    public var level: Level
    public var message: String
    public var createdAt: Int64
}

extension TrainingRunRepository {
    static let recordColumns = columns + ", trigger, requested_by, phase, step, total_steps"
    static func record(_ s: Statement) -> TrainingRunRecord {
        TrainingRunRecord(run: row(s), trigger: TrainingRunRecord.Trigger(rawValue: s.string(12)) ?? .admin, requestedBy: s.optionalInt(13),
                          phase: s.optionalString(14), step: Int(s.int(15)), totalSteps: Int(s.int(16)))
    }

    /// Queues a run with why it was queued.
    public func enqueue(kind: TrainingKind, config: String, baseModelID: Int64?, trigger: TrainingRunRecord.Trigger,
                        requestedBy: Int64?, now: Int64) throws -> TrainingRunRecord {
        try c.run("INSERT INTO training_runs (kind, config, base_model_id, created_at, trigger, requested_by) VALUES (?, ?, ?, ?, ?, ?)",
                  [.text(kind.rawValue), .text(config), baseModelID.map { .int($0) } ?? .null, .int(now), .text(trigger.rawValue),
                   requestedBy.map { .int($0) } ?? .null])
        return try record(c.lastInsertID)!
    }

    public func record(_ id: Int64) throws -> TrainingRunRecord? {
        try c.prepare("SELECT \(Self.recordColumns) FROM training_runs WHERE id = ?").first([.int(id)], Self.record)
    }

    /// Newest first.
    public func recentRecords(limit: Int = 50) throws -> [TrainingRunRecord] {
        try c.prepare("SELECT \(Self.recordColumns) FROM training_runs ORDER BY id DESC LIMIT ?").all([.int(Int64(limit))], Self.record)
    }

    /// The queued or running run, if any (the loop runs one at a time; the oldest if several).
    public func active() throws -> TrainingRunRecord? {
        try c.prepare("SELECT \(Self.recordColumns) FROM training_runs WHERE status IN ('queued', 'running') ORDER BY id LIMIT 1")
            .first([], Self.record)
    }

    /// Where the run is now.
    public func setProgress(_ id: Int64, phase: String?, step: Int, totalSteps: Int) throws {
        try c.run("UPDATE training_runs SET phase = ?, step = ?, total_steps = ? WHERE id = ?",
                  [phase.map { .text($0) } ?? .null, .int(Int64(step)), .int(Int64(totalSteps)), .int(id)])
    }

    /// Records the version the run wrote (inside the transaction that registers it).
    public func setOutputModel(_ id: Int64, modelID: Int64) throws {
        try c.run("UPDATE training_runs SET output_model_id = ? WHERE id = ?", [.int(modelID), .int(id)])
    }

    /// Replaces the run's configuration JSON (the loop records the recipe it actually used).
    public func setConfig(_ id: Int64, config: String) throws {
        try c.run("UPDATE training_runs SET config = ? WHERE id = ?", [.text(config), .int(id)])
    }

    /// Appends a log line (seq counts from 1 per run); returns its seq.
    @discardableResult
    public func appendLog(_ id: Int64, level: TrainingLogLine.Level = .info, _ message: String, now: Int64) throws -> Int {
        let seq = try c.scalar("SELECT coalesce(max(seq), 0) + 1 FROM training_log WHERE run_id = ?", [.int(id)])
        try c.run("INSERT INTO training_log (run_id, seq, level, message, created_at) VALUES (?, ?, ?, ?, ?)",
                  [.int(id), .int(seq), .text(level.rawValue), .text(message), .int(now)])
        return Int(seq)
    }

    /// Log lines after `seq`, in order.
    public func log(_ id: Int64, after seq: Int = 0) throws -> [TrainingLogLine] {
        try c.prepare("SELECT seq, level, message, created_at FROM training_log WHERE run_id = ? AND seq > ? ORDER BY seq")
            .all([.int(id), .int(Int64(seq))]) {
                TrainingLogLine(seq: Int($0.int(0)), level: TrainingLogLine.Level(rawValue: $0.string(1)) ?? .info,
                                message: $0.string(2), createdAt: $0.int(3))
            }
    }

    /// Metric rows logged at steps after `step` (phases number their steps on from the previous one).
    public func metrics(_ id: Int64, afterStep step: Int) throws -> [TrainingMetric] {
        try c.prepare("SELECT step, name, value, created_at FROM training_metrics WHERE run_id = ? AND step > ? ORDER BY step, name")
            .all([.int(id), .int(Int64(step))]) { TrainingMetric(step: Int($0.int(0)), name: $0.string(1), value: $0.double(2), createdAt: $0.int(3)) }
    }

    /// The label watermark of the newest succeeded run (0 before any): judgments above it are new.
    public func lastWatermark() throws -> Int64 {
        try c.scalar("SELECT coalesce((SELECT label_watermark FROM training_runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1), 0)")
    }

    /// When the newest threshold-triggered run started (or was queued, if it never started), if any.
    public func lastThresholdStart() throws -> Int64? {
        try c.prepare("SELECT coalesce(started_at, created_at) FROM training_runs WHERE trigger = 'threshold' ORDER BY id DESC LIMIT 1")
            .first([]) { $0.int(0) }
    }

    /// Human preference pairs (origin 'human', or any origin with `includeAI`) from judgments above `watermark`.
    public func newPairs(since watermark: Int64, includeAI: Bool = false) throws -> Int {
        Int(try c.scalar("SELECT count(*) FROM preference_pairs WHERE judgment_id > ?\(includeAI ? "" : " AND origin = 'human'")",
                         [.int(watermark)]))
    }

    /// The largest judgment id now (a run's watermark).
    public func judgmentWatermark() throws -> Int64 {
        try c.scalar("SELECT coalesce(max(id), 0) FROM judgments")
    }

    /// Marks every run left running (a crash or kill) as failed with `message`; returns their ids.
    public func failInterrupted(message: String, now: Int64) throws -> [Int64] {
        let ids = try c.prepare("SELECT id FROM training_runs WHERE status = 'running' OR (status = 'queued' AND started_at IS NOT NULL)")
            .all([]) { $0.int(0) }
        for id in ids {
            try c.run("UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?", [.text(message), .int(now), .int(id)])
        }
        return ids
    }
}
