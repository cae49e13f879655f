// The application: the database, the write queue, settings, metrics, and the route table of the JSON
// API under /api/v1 with each route's access level. `hilo serve` builds one and hands
// `makeRouter()` to the HTTP server (adding the static UI after); tests call the router in-process.
//
//     let app = try HiloApp(db: Database(path: "hilo.db"))
//     if let link = try app.bootstrap(baseURL: "http://127.0.0.1:8080") { print(link) }
//     let server = Server(config: ServerConfig(), router: app.makeRouter())
import Foundation
import HTTP
import Store

public final class HiloApp: Sendable {
    public let db: Database
    public let config: AppConfig
    let writer: WriteQueue
    let metrics = Metrics()
    let limiter: LoginLimiter
    let settingsCache = SettingsCache()
    let sessions = SessionCache()
    /// The training loop (model versions, retraining), when `hilo serve` started one; nil serves
    /// annotation only (and the training routes' writes answer 503).
    public let loop: Loop?
    /// The background candidate generator's status and wake-up (CandidateGenerator registers here).
    public let candidates = CandidateBoard()

    public init(db: Database, config: AppConfig = AppConfig(), loop: Loop? = nil) {
        self.db = db
        self.config = config
        self.loop = loop
        self.writer = WriteQueue(db: db, maxBatch: config.maxWriteBatch, niceness: config.writerNiceness)
        self.limiter = LoginLimiter(limit: config.loginFailuresPerWindow, windowSeconds: config.loginWindowSeconds)
    }

    /// Stops the writer thread (after the writes already queued). Call before closing the database.
    public func stop() { writer.stop() }

    /// On an install without an admin, creates one and returns its one-time login link.
    public func bootstrap(baseURL: String) throws -> String? {
        let now = config.clock()
        guard let (_, token) = try db.write({ try LoginLinks.bootstrap($0, now: now) }) else { return nil }
        return LoginLinks.url(base: baseURL, token: token)
    }

    /// One entry of the route table.
    public struct RouteInfo: Sendable, Hashable {
        public var method: HTTPMethod
        public var pattern: String
        public var access: Access
    }

    /// Collects routes with their access level while the router is built.
    struct RouteTable {
        var router = Router()
        var infos: [RouteInfo] = []
        let app: HiloApp

        mutating func add(_ method: HTTPMethod, _ pattern: String, _ access: Access, options: RouteOptions = .json,
                          _ handler: @escaping Handler) {
            var options = options
            options.headCheck = app.headCheck(access, method: method)
            router.add(method, pattern, options: options) { request in
                do { return try await handler(request) } catch { throw HiloApp.httpError(error) }
            }
            infos.append(RouteInfo(method: method, pattern: pattern, access: access))
        }
    }

    /// The route table with metrics middleware; the server adds static files after.
    public func makeRouter() -> Router { makeRouteTable().router }

    /// Every route with its access level (the authorization matrix and the OpenAPI test use it).
    public func routeInfos() -> [RouteInfo] { makeRouteTable().infos }

    func makeRouteTable() -> RouteTable {
        var t = RouteTable(app: self)
        t.router.use(metrics.middleware(clock: { DispatchTime.now().uptimeNanoseconds }))
        addPublicRoutes(&t)
        addLeaseRoutes(&t)
        addAdminRoutes(&t)
        addDataRoutes(&t)
        addTrainingRoutes(&t)
        addCandidateRoutes(&t)
        addEvaluationRoutes(&t)
        return t
    }

    func addPublicRoutes(_ t: inout RouteTable) {
        t.add(.get, "/healthz", .public) { _ in try .json(["status": "ok"]) }
        t.add(.get, "/metrics", .public) { [self] _ in try await metricsResponse() }
        t.add(.get, "/api/v1/openapi.json", .public) { _ in
            Response(status: .ok, headers: ["Content-Type": "application/json"], body: .bytes(OpenAPI.documentData))
        }
        t.add(.get, "/login", .public) { [self] r in
            // A HEAD (link checkers) never signs in or uses up a one-time link.
            if r.method == .head { return HTTP.Response(status: .ok) }
            return try await login(r, token: r.query["token"], redirect: true)
        }
        t.add(.post, "/login", .public) { [self] r in try await loginPost(r) }
        t.add(.post, "/api/v1/logout", .annotator) { [self] r in try await logout(r) }
        t.add(.get, "/api/v1/me", .annotator) { r in
            try .json(MeDTO(id: r.principal.id, name: r.principal.name, role: r.principal.role.rawValue), encoder: API.encoder)
        }
    }

    /// The one place where domain errors become HTTP statuses (every route's errors pass here; an
    /// HTTPError passes unchanged, anything else the server answers with 500).
    /// Store: bad values 422, unknown ids 404, a name already taken 409, a busy or full database 503. Settings: 422.
    /// Scheduler: an unknown run 404, a run that is active (retrain) or finished (cancel) 409.
    static func httpError(_ error: any Error) -> any Error {
        switch error {
        case let e as StoreError:
            switch e {
            case .invalid(let m): return HTTPError.unprocessable(m)
            case .notFound(let m): return HTTPError.notFound(m)
            case .conflict(let m): return HTTPError.conflict(m)
            case .busy: return HTTPError(.serviceUnavailable, "the database is busy; try again", headers: ["Retry-After": "1"])
            case .full, .io: return HTTPError(.serviceUnavailable, "the disk is full or failing; nothing was saved", headers: ["Retry-After": "60"])
            case .sqlite, .newerSchema: return HTTPError(.internalServerError, "internal server error")
            }
        case let e as SettingsError: return HTTPError.unprocessable(e.description)
        case let e as SchedulerError:
            switch e {
            case .noSuchRun: return HTTPError.notFound(e.description)
            case .runActive, .runFinished: return HTTPError.conflict(e.description)
            }
        default: return error
        }
    }

    /// The current settings, cached for a second so the hot path does not read them every time.
    func settings() throws -> AppSettings {
        let now = config.clock()
        if let s = settingsCache.get(now: now) { return s }
        let s = try db.read { try AppSettings.load($0) }
        settingsCache.set(s, now: now)
        return s
    }

    /// Runs blocking work (imports, exports, statistics) off Swift's small cooperative pool.
    func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// The settings as last read, for up to a second. `@unchecked Sendable`: fields guarded by `lock`.
final class SettingsCache: @unchecked Sendable {
    private let lock = NSLock()
    private var value: AppSettings?
    private var readAt: Int64 = 0

    func get(now: Int64) -> AppSettings? {
        lock.lock(); defer { lock.unlock() }
        return now - readAt < 1000 && now >= readAt ? value : nil
    }

    func set(_ s: AppSettings?, now: Int64) {
        lock.lock(); defer { lock.unlock() }
        value = s
        readAt = now
    }
}
