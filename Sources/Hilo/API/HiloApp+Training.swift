// The training loop's admin routes: training runs (list, detail with metrics and log, retrain now,
// cancel, a Server-Sent Events stream of progress, metrics and log lines), the loop's status, and
// model versions (list with lineage, promote, roll back). Writes go through `app.loop` (the
// scheduler and the model store); without a loop (annotation-only servers, most tests) reads work
// and writes answer 503.
import Foundation
import HTTP
import Store

extension HiloApp {
    func addTrainingRoutes(_ t: inout RouteTable) {
        t.add(.get, "/api/v1/training/runs", .admin) { [self] r in try await listRuns(r) }
        t.add(.post, "/api/v1/training/runs", .admin) { [self] r in try await retrain(r) }
        t.add(.get, "/api/v1/training/runs/:id", .admin) { [self] r in try await runDetail(r) }
        t.add(.post, "/api/v1/training/runs/:id/cancel", .admin) { [self] r in try await cancelRun(r) }
        t.add(.get, "/api/v1/training/runs/:id/events", .admin) { [self] r in try await runEvents(r) }
        t.add(.get, "/api/v1/training/status", .admin) { [self] _ in try await trainingStatus() }
        t.add(.get, "/api/v1/models", .admin) { [self] _ in try await listModels() }
        t.add(.post, "/api/v1/models/:id/promote", .admin) { [self] r in try await promoteModel(r) }
        t.add(.post, "/api/v1/models/rollback", .admin) { [self] r in try await rollbackModel(r) }
    }

    func requireLoop() throws -> Loop {
        guard let loop else {
            throw HTTPError(.serviceUnavailable, "the training loop is not running on this server (hilo serve starts it)")
        }
        return loop
    }

    // MARK: runs

    func listRuns(_ r: Request) async throws -> HTTP.Response {
        let limit = try r.query.int("limit", default: 50, in: 1...500)
        let runs = try await offPool { [db] in try db.read { try TrainingRunRepository($0).recentRecords(limit: limit) } }
        return try API.json(["runs": runs.map(RunDTO.init)])
    }

    func retrain(_ r: Request) async throws -> HTTP.Response {
        let loop = try requireLoop()
        let admin = r.principal.id
        let run = try await offPool {
            guard try loop.servingPolicy() != nil else {
                throw HTTPError.conflict("no policy is serving: start hilo serve with --policy DIR (a Hugging Face GPT-2 folder)")
            }
            return try loop.scheduler.requestRun(requestedBy: admin)
        }
        return try API.json(["run": RunDTO(run)], status: .created)
    }

    func runDetail(_ r: Request) async throws -> HTTP.Response {
        let id = try Self.idParameter(r)
        let out = try await offPool { [db] in
            try db.read { c -> RunDetailDTO in
                let runs = TrainingRunRepository(c)
                guard let run = try runs.record(id) else { throw HTTPError.notFound("no training run \(id)") }
                return RunDetailDTO(run: run, metrics: try runs.metrics(id).map(MetricDTO.init), log: try runs.log(id).map(LogDTO.init))
            }
        }
        return try API.json(out)
    }

    func cancelRun(_ r: Request) async throws -> HTTP.Response {
        let id = try Self.idParameter(r)
        let loop = try requireLoop()
        let run = try await offPool { try loop.scheduler.cancel(id) }
        return try API.json(["run": RunDTO(run)])
    }

    func trainingStatus() async throws -> HTTP.Response {
        let now = config.clock()
        let out = try await offPool { [db] in
            try db.read { c -> StatusDTO in
                let s = try AppSettings.load(c).retraining
                let runs = TrainingRunRepository(c)
                let active = try runs.active()
                let state = active.map { $0.status == .running ? "running" : "queued" } ?? "idle"
                let last = try runs.lastThresholdStart()
                let eligible = last.map { $0 + Int64(s.minIntervalSeconds) * 1000 }
                return StatusDTO(state: state, runId: active?.id, phase: active?.phase, step: active?.step, totalSteps: active?.totalSteps,
                                 newLabels: try runs.newPairs(since: runs.lastWatermark(), includeAI: s.includeAiLabels),
                                 threshold: s.minNewLabels, automatic: s.automatic, objective: s.objective, promotion: s.promotion,
                                 nextThresholdRunAt: eligible.flatMap { $0 > now ? $0 : nil },
                                 servingPolicy: try ModelRepository(c).serving(.policy)?.name,
                                 servingReward: try ModelRepository(c).serving(.reward)?.name)
            }
        }
        return try API.json(out)
    }

    /// Server-Sent Events for one run: `progress` (status, phase, step), `metric` and `log` as they are
    /// recorded (polled twice a second), then `done` when the run has finished, and the stream ends.
    func runEvents(_ r: Request) async throws -> HTTP.Response {
        let id = try Self.idParameter(r)
        guard try await offPool({ [db] in try db.read { try TrainingRunRepository($0).record(id) } }) != nil else {
            throw HTTPError.notFound("no training run \(id)")
        }
        let db = self.db, loop = self.loop
        let stream = BodyStream { writer in
            var lastSeq = 0, lastStep = -1, lastProgress = ""
            let deadline = Date().addingTimeInterval(3600)
            while Date() < deadline {
                let (run, metrics, log) = try db.read { c in
                    let runs = TrainingRunRepository(c)
                    return (try runs.record(id)!, try runs.metrics(id, afterStep: lastStep), try runs.log(id, after: lastSeq))
                }
                var out = ""
                let progress = try Self.sse("progress", ProgressEventDTO(run))
                if progress != lastProgress { out += progress; lastProgress = progress }
                for m in metrics { out += try Self.sse("metric", MetricDTO(m)); lastStep = max(lastStep, m.step) }
                for l in log { out += try Self.sse("log", LogDTO(l)); lastSeq = l.seq }
                let finished = ![RunStatus.queued, .running].contains(run.status)
                if finished { out += try Self.sse("done", RunDTO(run)) }
                // A comment line keeps proxies from closing an idle stream.
                try await writer.write(Data((out.isEmpty ? ": idle\n\n" : out).utf8))
                if finished || loop?.scheduler.isStopped == true { return }
                try await Task.sleep(nanoseconds: 500_000_000)
            }
        }
        return HTTP.Response(status: .ok, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-store"], body: .stream(stream))
    }

    static func sse<T: Encodable>(_ event: String, _ value: T) throws -> String {
        "event: \(event)\ndata: \(String(decoding: try API.encoder.encode(value), as: UTF8.self))\n\n"
    }

    // MARK: models

    func listModels() async throws -> HTTP.Response {
        let out = try await offPool { [db] in
            try db.read { c -> [ModelDTO] in
                let all = try ModelRepository(c).records()
                let names = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0.name) })
                return all.reversed().map { ModelDTO($0, parentName: $0.version.parentID.flatMap { names[$0] }) }
            }
        }
        return try API.json(["models": out])
    }

    func promoteModel(_ r: Request) async throws -> HTTP.Response {
        let id = try Self.idParameter(r)
        let loop = try requireLoop()
        let admin = r.principal.id, name = r.principal.name
        let m = try await offPool {
            guard let m = try loop.db.read({ try ModelRepository($0).record(id) }) else { throw HTTPError.notFound("no model version \(id)") }
            if m.kind == .reference { throw HTTPError.unprocessable("the reference is fixed; it changes only when a new --policy is registered") }
            if m.serving { throw HTTPError.conflict("\(m.name) is already serving") }
            return try loop.store.promote(id, trigger: .admin, annotatorID: admin, reason: "promoted by \(name)")
        }
        return try API.json(["model": ModelDTO(m, parentName: nil)])
    }

    func rollbackModel(_ r: Request) async throws -> HTTP.Response {
        struct In: Decodable { var kind: String? }
        let body = try JSONFields.decode(r, In.self, fields: ["kind"])
        guard let kind = ModelKind(rawValue: body.kind ?? "policy"), kind == .policy || kind == .reward else {
            throw HTTPError.unprocessable("kind must be policy or reward")
        }
        let loop = try requireLoop()
        let admin = r.principal.id
        let m = try await offPool {
            do { return try loop.store.rollback(kind: kind, annotatorID: admin) } catch StoreError.invalid(let why) { throw HTTPError.conflict(why) }
        }
        return try API.json(["model": ModelDTO(m, parentName: nil)])
    }
}

// MARK: the JSON shapes

struct RunDTO: Encodable {
    var id: Int64, kind: String, status: String, trigger: String, requestedBy: Int64?, phase: String?, step: Int, totalSteps: Int
    var labelsUsed: Int, labelWatermark: Int64, error: String?, createdAt: Int64, startedAt: Int64?, finishedAt: Int64?
    var baseModelId: Int64?, outputModelId: Int64?
    init(_ r: TrainingRunRecord) {
        id = r.id; kind = r.run.kind.rawValue; status = r.status.rawValue; trigger = r.trigger.rawValue; requestedBy = r.requestedBy
        phase = r.phase; step = r.step; totalSteps = r.totalSteps; labelsUsed = r.run.labelsUsed; labelWatermark = r.run.labelWatermark
        error = r.run.error; createdAt = r.run.createdAt; startedAt = r.run.startedAt; finishedAt = r.run.finishedAt
        baseModelId = r.run.baseModelID; outputModelId = r.run.outputModelID
    }
    enum CodingKeys: String, CodingKey {
        case id, kind, status, trigger, requestedBy, phase, step, totalSteps, labelsUsed, labelWatermark, error, createdAt, startedAt, finishedAt
        case baseModelId, outputModelId
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(kind, forKey: .kind); try c.encode(status, forKey: .status)
        try c.encode(trigger, forKey: .trigger); try c.encode(requestedBy, forKey: .requestedBy); try c.encode(phase, forKey: .phase)
        try c.encode(step, forKey: .step); try c.encode(totalSteps, forKey: .totalSteps); try c.encode(labelsUsed, forKey: .labelsUsed)
        try c.encode(labelWatermark, forKey: .labelWatermark); try c.encode(error, forKey: .error); try c.encode(createdAt, forKey: .createdAt)
        try c.encode(startedAt, forKey: .startedAt); try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(baseModelId, forKey: .baseModelId); try c.encode(outputModelId, forKey: .outputModelId)
    }
}

struct MetricDTO: Encodable {
    var step: Int, name: String, value: Double
    init(_ m: TrainingMetric) { step = m.step; name = m.name; value = m.value }
}

struct LogDTO: Encodable {
    var seq: Int, level: String, message: String, createdAt: Int64
    init(_ l: TrainingLogLine) { seq = l.seq; level = l.level.rawValue; message = l.message; createdAt = l.createdAt }
}

struct RunDetailDTO: Encodable {
    var run: TrainingRunRecord, metrics: [MetricDTO], log: [LogDTO]
    func encode(to encoder: any Encoder) throws {
        try RunDTO(run).encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(metrics, forKey: .metrics); try c.encode(log, forKey: .log)
        try c.encode(RawJSON(text: run.run.config), forKey: .config)
    }
    enum Keys: String, CodingKey { case metrics, log, config }
}

struct ProgressEventDTO: Encodable {
    var id: Int64, status: String, phase: String?, step: Int, totalSteps: Int, error: String?
    init(_ r: TrainingRunRecord) { id = r.id; status = r.status.rawValue; phase = r.phase; step = r.step; totalSteps = r.totalSteps; error = r.run.error }
}

struct StatusDTO: Encodable {
    var state: String, runId: Int64?, phase: String?, step: Int?, totalSteps: Int?
    var newLabels: Int, threshold: Int, automatic: Bool, objective: String, promotion: String
    var nextThresholdRunAt: Int64?, servingPolicy: String?, servingReward: String?
}

struct ModelDTO: Encodable {
    var m: ModelVersionRecord, parentName: String?
    init(_ m: ModelVersionRecord, parentName: String?) { self.m = m; self.parentName = parentName }
    enum Keys: String, CodingKey { case id, name, kind, parentId, parent, runId, labelsUsed, createdAt, serving, pruned, prunedAt, metrics }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(m.id, forKey: .id); try c.encode(m.name, forKey: .name); try c.encode(m.kind.rawValue, forKey: .kind)
        try c.encode(m.version.parentID, forKey: .parentId); try c.encode(parentName, forKey: .parent); try c.encode(m.runID, forKey: .runId)
        try c.encode(m.labelsUsed, forKey: .labelsUsed); try c.encode(m.version.createdAt, forKey: .createdAt)
        try c.encode(m.serving, forKey: .serving); try c.encode(m.pruned, forKey: .pruned); try c.encode(m.prunedAt, forKey: .prunedAt)
        try c.encode(RawJSON(text: m.version.metrics), forKey: .metrics)
    }
}

/// A stored JSON column, encoded as the JSON value it holds (an unparsable one as {}).
struct RawJSON: Encodable {
    var text: String
    func encode(to encoder: any Encoder) throws {
        try Node((try? JSONValue.parse(text)) ?? .object([])).encode(to: encoder)
    }
    struct Node: Encodable {
        var v: JSONValue
        init(_ v: JSONValue) { self.v = v }
        struct Key: CodingKey {
            var stringValue: String; var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        func encode(to encoder: any Encoder) throws {
            switch v {
            case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
            case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
            case .number(let d): var c = encoder.singleValueContainer(); try c.encode(d)
            case .string(let s): var c = encoder.singleValueContainer(); try c.encode(s)
            case .array(let a): var c = encoder.unkeyedContainer(); for x in a { try c.encode(Node(x)) }
            case .object(let o): var c = encoder.container(keyedBy: Key.self); for (k, x) in o { try c.encode(Node(x), forKey: Key(stringValue: k)) }
            }
        }
    }
}
