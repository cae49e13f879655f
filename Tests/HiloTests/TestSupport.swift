// Helpers for the app tests: a fresh database in a temporary folder, an app with a clock the test
// moves, in-process requests through the router, and seeding prompts and signed-in annotators.
import Foundation
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

/// A clock the test sets. `@unchecked Sendable`: `value` is guarded by `lock`.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ start: Int64 = 1_800_000_000_000) { value = start }
    var now: Int64 { lock.lock(); defer { lock.unlock() }; return value }
    func advance(seconds: Double) { lock.lock(); value += Int64(seconds * 1000); lock.unlock() }
}

struct Reply {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
    var message: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }

    /// The router's answer to `request`, with a streamed body collected.
    static func of(_ request: Request, from router: Router) async throws -> Reply {
        let response = await router.respond(to: request)
        let data: Data
        switch response.body {
        case .empty: data = Data()
        case .bytes(let d): data = d
        case .stream(let s):
            let collector = Collector()
            try await s.produce(collector)
            data = collector.data
        }
        return Reply(status: response.status.code, headers: response.headers, body: data)
    }
}

/// A signed-in user: their id and session cookie.
struct User {
    var id: Int64
    var cookie: String
}

final class TestApp: @unchecked Sendable {
    let dir: URL
    let db: Database
    let clock = ManualClock()
    let app: HiloApp
    let router: Router

    init(_ tweak: (inout AppConfig) -> Void = { _ in }) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-app-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        db = try Database(path: dir.appendingPathComponent("t.db").path)
        var config = AppConfig()
        let clock = self.clock
        config.clock = { clock.now }
        tweak(&config)
        app = HiloApp(db: db, config: config)
        router = app.makeRouter()
    }

    deinit {
        app.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Sends a request through the router. A body given as a dictionary or array is sent as JSON;
    /// state-changing requests get a same-origin Origin header unless `origin` says otherwise.
    func call(_ method: HTTPMethod, _ path: String, query: String? = nil, json: Any? = nil, raw: Data? = nil,
              contentType: String? = nil, cookie: String? = nil, origin: String?? = .none,
              headers extra: [(String, String)] = [], remote: String = "127.0.0.1") async throws -> Reply {
        var headers = HTTPHeaders([("Host", "hilo.test:8080")] + extra)
        if let cookie { headers.add("Cookie", "hilo_session=\(cookie)") }
        switch origin {
        case .none: if ![HTTPMethod.get, .head].contains(method) { headers.add("Origin", "http://hilo.test:8080") }
        case .some(.some(let o)): headers.add("Origin", o)
        case .some(.none): break
        }
        var body = RequestBody.none
        if let json {
            body = .bytes(try JSONSerialization.data(withJSONObject: json))
            headers.add("Content-Type", contentType ?? "application/json")
        } else if let raw {
            body = .bytes(raw)
            if let contentType { headers.add("Content-Type", contentType) }
        }
        let request = try Request(method: method, path: path, query: query, headers: headers, body: body, remoteAddress: remote)
        return try await Reply.of(request, from: router)
    }

    // MARK: seeding

    /// Inserts `count` prompts with `responses` responses each; returns the prompt ids.
    @discardableResult
    func seedPrompts(_ count: Int, responses: Int = 2) throws -> [Int64] {
        let now = clock.now
        return try db.write { c in
            try (0..<count).map { i in
                let (id, _) = try PromptRepository(c).insert(NewPrompt(text: "prompt \(i)"), now: now)
                for r in 0..<responses { _ = try PromptRepository(c).addResponse(promptID: id, text: "p\(i) response \(r)", origin: "import:test", now: now) }
                return id
            }
        }
    }

    /// Creates an annotator (or admin) and signs them in through GET /login; returns their session.
    func user(_ name: String, role: Role = .annotator) async throws -> User {
        let now = clock.now
        let (a, token) = try db.write { try LoginLinks.create($0, name: name, role: role, now: now) }
        let r = try await call(.get, "/login", query: "token=\(token)")
        #expect(r.status == 303)
        let cookie = try #require(r.headers.values("Set-Cookie").first)
        let value = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1)[1]
        return User(id: a.id, cookie: String(value))
    }

    /// GET /api/v1/leases/next as `u`: the lease dictionary, or nil when nothing is left.
    func next(_ u: User) async throws -> [String: Any]? {
        let r = try await call(.get, "/api/v1/leases/next", cookie: u.cookie)
        #expect(r.status == 200, "\(r.text)")
        return r.json["lease"] as? [String: Any]
    }

    func scalar(_ sql: String, _ values: [SQLValue] = []) throws -> Int64 { try db.read { try $0.scalar(sql, values) } }
}

final class Collector: BodyWriter, @unchecked Sendable {
    // `storage` is guarded by `lock`.
    private let lock = NSLock()
    private var storage = Data()
    var data: Data { lock.lock(); defer { lock.unlock() }; return storage }
    func write(_ data: Data) async throws { append(data) }
    private func append(_ data: Data) { lock.lock(); storage.append(data); lock.unlock() }
}

extension Dictionary where Key == String, Value == Any {
    func int(_ key: String) -> Int64? { (self[key] as? NSNumber)?.int64Value }
    func dict(_ key: String) -> [String: Any] { self[key] as? [String: Any] ?? [:] }
    func list(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
}

extension [String: Any] {
    /// The lease id and shown response ids of a lease.
    var leaseID: Int64 { int("id")! }
    var promptID: Int64 { dict("prompt").int("id")! }
    var responseIDs: [Int64] { list("responses").map { $0.int("id")! } }
}

/// A pairwise judgment body for a task: the first shown response wins.
func pairwise(_ task: [String: Any], key: String = UUID().uuidString) -> [String: Any] {
    let ids = task.responseIDs
    return ["lease_id": task.leaseID, "kind": "pairwise", "idempotency_key": key,
            "ranks": [["response_id": ids[0], "rank": 1], ["response_id": ids[1], "rank": 2]]]
}
