// The admin's routes: annotators (create with a login link shown once, list, disable, enable, new
// link), settings (read, partial update with validation) and statistics (labels per day,
// per-annotator throughput, agreement as percent and Krippendorff's ordinal alpha).
import Foundation
import HTTP
import Store

extension HiloApp {
    func addAdminRoutes(_ t: inout RouteTable) {
        t.add(.get, "/api/v1/annotators", .admin) { [self] _ in try listAnnotators() }
        t.add(.post, "/api/v1/annotators", .admin) { [self] r in try await createAnnotator(r) }
        t.add(.post, "/api/v1/annotators/:id/disable", .admin) { [self] r in try await setDisabled(r, true) }
        t.add(.post, "/api/v1/annotators/:id/enable", .admin) { [self] r in try await setDisabled(r, false) }
        t.add(.post, "/api/v1/annotators/:id/login-link", .admin) { [self] r in try await renewLink(r) }
        t.add(.get, "/api/v1/settings", .admin) { [self] _ in try API.json(try settings()) }
        t.add(.put, "/api/v1/settings", .admin) { [self] r in try await updateSettings(r) }
        t.add(.get, "/api/v1/stats", .admin) { [self] r in try await stats(r) }
        t.add(.post, "/api/v1/demo/remove", .admin) { [self] _ in
            let out = try await writer.write { c in try DemoSeed.remove(c) }
            return try API.json(["removed": out.removed, "kept": out.kept])
        }
    }

    func listAnnotators() throws -> HTTP.Response {
        let list = try db.read { c in
            let counts = try StatsRepository(c).labelCounts()
            return try AnnotatorRepository(c).all().map { AnnotatorDTO($0, labels: counts[$0.id] ?? 0) }
        }
        return try API.json(["annotators": list])
    }

    /// The base of login links: `server.public_url` when an admin chose it, else the Host the admin used to reach us.
    func baseURL(_ r: Request) throws -> String {
        let chosen = try db.read { c in try AppSettings.publicURLChosen(c) ? try AppSettings.load(c).server.publicUrl : nil }
        return chosen ?? "http://" + (r.headers["Host"] ?? "127.0.0.1:8080")
    }

    func createAnnotator(_ r: Request) async throws -> HTTP.Response {
        let body = try NewAnnotatorIn(JSONFields.body(r))
        let now = config.clock()
        let (a, token) = try await writer.write { c in try LoginLinks.create(c, name: body.name, role: body.role ?? .annotator, now: now) }
        return try API.json(LoginLinkOut(annotator: AnnotatorDTO(a, labels: 0), loginUrl: LoginLinks.url(base: try baseURL(r), token: token)),
                            status: .created)
    }

    func setDisabled(_ r: Request, _ disabled: Bool) async throws -> HTTP.Response {
        let id = try Self.idParameter(r)
        let a: AnnotatorDTO = try await writer.write { c in
            let repo = AnnotatorRepository(c)
            guard let a = try repo.byID(id) else { throw HTTPError.notFound("no annotator \(id)") }
            if disabled, a.role == .admin, !a.disabled, try repo.signInAdminCount() <= 1 {
                throw HTTPError.conflict("\(a.name) is the last admin who can sign in")
            }
            try repo.setDisabled(id, disabled) // disabling also deletes their sessions
            return AnnotatorDTO(try repo.byID(id)!, labels: try StatsRepository(c).labelCounts()[id] ?? 0)
        }
        sessions.removeAll()
        return try API.json(["annotator": a])
    }

    func renewLink(_ r: Request) async throws -> HTTP.Response {
        let id = try Self.idParameter(r), now = config.clock()
        let (a, token): (AnnotatorDTO, String) = try await writer.write { c in
            guard let a = try AnnotatorRepository(c).byID(id) else { throw HTTPError.notFound("no annotator \(id)") }
            guard a.hasToken else { throw HTTPError.conflict("\(a.name) is a pseudo annotator (imported or AI labels) and cannot sign in") }
            return (AnnotatorDTO(a, labels: try StatsRepository(c).labelCounts()[id] ?? 0), try LoginLinks.renew(c, annotatorID: id, now: now))
        }
        return try API.json(LoginLinkOut(annotator: a, loginUrl: LoginLinks.url(base: try baseURL(r), token: token)))
    }

    func updateSettings(_ r: Request) async throws -> HTTP.Response {
        guard r.contentType == "application/json" else { throw HTTPError(.unsupportedMediaType, "expected Content-Type: application/json") }
        let data = try r.body.data()
        guard let text = String(data: data, encoding: .utf8), let patch = try? JSONValue.parse(text) else {
            throw HTTPError.badRequest("malformed JSON")
        }
        let now = config.clock()
        let updated: AppSettings = try await writer.write { c in
            let s = try AppSettings.load(c).merged(with: patch)
            try s.save(c, now: now)
            return s
        }
        settingsCache.set(nil, now: 0)
        return try API.json(updated)
    }

    // MARK: statistics

    struct StatsOut: Encodable {
        struct Day: Encodable { var day: String; var labels: Int; var skips: Int }
        struct Throughput: Encodable {
            var annotatorId: Int64; var name: String; var labels: Int; var labelsLast24h: Int
            var medianSecondsPerLabel: Double?; var agreementPercent: Double?; var alphaWithout: Double?
        }
        struct Totals: Encodable { var prompts: Int; var responses: Int; var labels: Int; var pairs: Int; var annotators: Int }
        struct AgreementOut: Encodable { var comparisons: Int; var percent: Double?; var alpha: Double?; var promptsWithOverlap: Int }
        var totals: Totals
        var days: [Day]
        var annotators: [Throughput]
        var agreement: AgreementOut
        /// Queue coverage: prompts by counted judgments (as the task queue counts them), capped at overlap.
        struct Coverage: Encodable {
            struct Bucket: Encodable { var judgments: Int; var prompts: Int }
            var overlap: Int; var prompts: Int; var byJudgments: [Bucket]; var complete: Int
        }
        var coverage: Coverage
    }

    /// One row per level 0...overlap (levels with no prompts included).
    static func coverage(_ counts: [Int], overlap: Int) -> StatsOut.Coverage {
        .init(overlap: overlap, prompts: counts.reduce(0, +),
              byJudgments: counts.enumerated().map { .init(judgments: $0.offset, prompts: $0.element) },
              complete: counts[overlap])
    }

    func stats(_ r: Request) async throws -> HTTP.Response {
        let days = try r.query.int("days", default: 30, in: 1...366)
        let now = config.clock()
        let out = try await offPool { [db] in
            try db.read { c -> StatsOut in
                let since = now - now % 86_400_000 - Int64(days - 1) * 86_400_000
                let stats = StatsRepository(c)
                let perDay = try stats.labelsPerDay(since: since)
                let fmt = DateFormatter()
                fmt.locale = Locale(identifier: "en_US_POSIX"); fmt.timeZone = TimeZone(identifier: "UTC"); fmt.dateFormat = "yyyy-MM-dd"
                let dayList = (0..<days).map { i -> StatsOut.Day in
                    let d = since / 86_400_000 + Int64(i)
                    let v = perDay[d] ?? (0, 0)
                    return .init(day: fmt.string(from: Date(timeIntervalSince1970: Double(d) * 86_400)), labels: v.labels, skips: v.skips)
                }
                let agreement = try stats.agreement()
                var throughput: [StatsOut.Throughput] = []
                for a in try AnnotatorRepository(c).all() {
                    let t = try stats.throughput(annotatorID: a.id, since: now - 86_400_000)
                    let ag = agreement.annotators[a.id]
                    throughput.append(.init(annotatorId: a.id, name: a.name, labels: t.labels, labelsLast24h: t.labelsSince,
                                            medianSecondsPerLabel: t.timesMs.isEmpty ? nil : Double(t.timesMs[t.timesMs.count / 2]) / 1000,
                                            agreementPercent: ag?.percent, alphaWithout: ag?.alphaWithout))
                }
                let totals = try stats.totals()
                let overlap = try AppSettings.load(c).overlap
                return StatsOut(
                    totals: .init(prompts: totals.prompts, responses: totals.responses, labels: totals.labels, pairs: totals.pairs,
                                  annotators: totals.annotators),
                    days: dayList, annotators: throughput,
                    agreement: .init(comparisons: agreement.overall.comparisons, percent: agreement.overall.percent,
                                     alpha: agreement.overall.alpha, promptsWithOverlap: agreement.prompts.count),
                    coverage: Self.coverage(try stats.coverage(overlap: overlap), overlap: overlap))
            }
        }
        return try API.json(out)
    }
}
