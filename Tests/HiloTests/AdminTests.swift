// Admin routes: settings with validation, import uploads with line-numbered errors, streamed
// exports, statistics with agreement, metrics, and the generic error statuses.
import Foundation
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

@Test func settingsAreReadUpdatedPartiallyAndValidatedWith422() async throws {
    let t = try TestApp()
    let admin = try await t.user("boss", role: .admin)
    let initial = try await t.call(.get, "/api/v1/settings", cookie: admin.cookie).json
    #expect(initial.int("overlap") == 1 && initial.int("responses_per_task") == 4 && initial.int("undo_window_seconds") == 300)
    let updated = try await t.call(.put, "/api/v1/settings", json: ["overlap": 3, "retraining": ["objective": "kto"],
                                                                     "evaluation": ["promotion": ["criterion": "both"]]], cookie: admin.cookie)
    #expect(updated.status == 200 && updated.json.int("overlap") == 3, "\(updated.text)")
    let stored = try t.db.read { try AppSettings.load($0) }
    #expect(stored.overlap == 3 && stored.retraining.objective == "kto" && stored.retraining.minNewLabels == 50 && stored.responsesPerTask == 4)
    // A nested section changes only the fields given, at any depth.
    let defaults = AppSettings().evaluation.promotion
    #expect(stored.evaluation.promotion.criterion == .both && stored.evaluation.promotion.minimumComparisons == defaults.minimumComparisons)
    let cases: [([String: Any], String)] = [
        (["overlap": 0], "overlap must be between 1 and 50"),
        (["responses_per_task": 1], "responses_per_task"),
        (["criteria": []], "criteria"),
        (["criteria": ["a", "a"]], "unique"),
        (["retraining": ["objective": "magic"]], "retraining.objective"),
        (["retraining": ["speed": 1]], "unknown field retraining.speed"),
        (["evaluation": ["promotion": ["colour": 1]]], "unknown field evaluation.promotion.colour"),
        (["criteria": ["\n"]], "not blank"),
        (["criteria": [String(repeating: "é", count: 101)]], "1 to 100 characters"),
        (["colour": "red"], "unknown field colour"),
        (["overlap": "two"], "overlap"),
        (["lease_seconds": 5], "lease_seconds"),
    ]
    for (body, needle) in cases {
        let r = try await t.call(.put, "/api/v1/settings", json: body, cookie: admin.cookie)
        #expect(r.status == 422 && r.message.contains(needle), "\(body) gave \(r.status) \(r.message)")
    }
    #expect(try await t.call(.put, "/api/v1/settings", raw: Data("{".utf8), contentType: "application/json", cookie: admin.cookie).status == 400)
    #expect(try await t.call(.put, "/api/v1/settings", raw: Data("x".utf8), contentType: "text/plain", cookie: admin.cookie).status == 415)
    #expect(try t.db.read { try AppSettings.load($0) } == stored, "refused updates changed nothing")
}

@Test func importUploadReportsCountsAndSkippedLinesWithLineNumbers() async throws {
    let t = try TestApp()
    let admin = try await t.user("boss", role: .admin)
    let jsonl = """
        {"prompt": "What is 2+2?", "responses": ["4", "5"]}
        {"prompt": "broken", "responses": "not a list"}
        {"prompt": "Capital of France?", "responses": ["Paris", "Lyon", "Nice"]}
        """
    let r = try await t.call(.post, "/api/v1/import", query: "format=responses", raw: Data(jsonl.utf8), contentType: "application/x-ndjson", cookie: admin.cookie)
    #expect(r.status == 200, "\(r.text)")
    #expect(r.json.int("prompts_added") == 2 && r.json.int("responses_added") == 5 && r.json.int("bad_rows") == 1)
    #expect(r.json.list("errors").first?.int("line") == 2)
    #expect(try t.scalar("SELECT count(*) FROM prompts") == 2)
    // Re-importing adds nothing; strict mode stops with 422 and writes nothing.
    let again = try await t.call(.post, "/api/v1/import", query: "format=responses", raw: Data(jsonl.utf8), contentType: "application/x-ndjson", cookie: admin.cookie)
    #expect(again.json.int("prompts_added") == 0 && again.json.int("unchanged_rows") == 2)
    let strict = try await t.call(.post, "/api/v1/import", query: "format=responses&strict=true",
                                  raw: Data("{\"prompt\":\"new one\",\"responses\":[\"a\",\"b\"]}\n{\"oops\"\n".utf8), contentType: "application/x-ndjson", cookie: admin.cookie)
    #expect(strict.status == 422 && strict.json["stopped"] as? Bool == true && strict.json.list("errors").first?.int("line") == 2)
    #expect(try t.scalar("SELECT count(*) FROM prompts") == 2)
    let csv = "prompt\nHello there\n"
    let c = try await t.call(.post, "/api/v1/import", query: "format=prompts&type=csv", raw: Data(csv.utf8), contentType: "text/csv", cookie: admin.cookie)
    #expect(c.status == 200 && c.json.int("prompts_added") == 1)
    #expect(try await t.call(.post, "/api/v1/import", query: "format=nope", raw: Data(jsonl.utf8), cookie: admin.cookie).status == 422)
    #expect(try await t.call(.post, "/api/v1/import", query: "format=prompts", raw: Data(jsonl.utf8), contentType: "text/html", cookie: admin.cookie).status == 415)
}

@Test func exportStreamsTheStoresFormatsWithFilters() async throws {
    let t = try TestApp()
    let admin = try await t.user("boss", role: .admin)
    try t.seedPrompts(1)
    let ann = try await t.user("ann", role: .admin)
    let task = try #require(try await t.next(ann))
    #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie).status == 201)
    let r = try await t.call(.get, "/api/v1/export", query: "format=trl", cookie: admin.cookie)
    #expect(r.status == 200 && r.headers["Content-Type"] == "application/x-ndjson")
    let lines = r.text.split(separator: "\n")
    #expect(lines.count == 1)
    let row = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
    let winner = try t.db.read { try PromptRepository($0).response(task.responseIDs[0])! }.text
    #expect(row["prompt"] as? String == "prompt 0" && row["chosen"] as? String == winner)
    let none = try await t.call(.get, "/api/v1/export", query: "format=trl&annotator=nobody", cookie: admin.cookie)
    #expect(none.status == 200 && none.body.isEmpty)
    let raw = try await t.call(.get, "/api/v1/export", query: "format=raw", cookie: admin.cookie)
    #expect(raw.text.contains("\"ann\"") || raw.text.contains("annotator"))
    // A split sends every prompt to exactly one side, the same way each time.
    try t.seedPrompts(30)
    for p in try t.db.read({ try PromptRepository($0).list(afterID: 1, limit: 100) }) {
        let rs = try t.db.read { try PromptRepository($0).responses(promptID: p.id) }.map(\.id)
        let body: [String: Any] = ["prompt_id": p.id, "kind": "pairwise", "idempotency_key": "s\(p.id)",
                                   "ranks": [["response_id": rs[0], "rank": 1], ["response_id": rs[1], "rank": 2]]]
        #expect(try await t.call(.post, "/api/v1/judgments", json: body, cookie: ann.cookie).status == 201)
    }
    let train = try await t.call(.get, "/api/v1/export", query: "format=trl&test_fraction=0.3&seed=7", cookie: admin.cookie).text
    let test = try await t.call(.get, "/api/v1/export", query: "format=trl&test_fraction=0.3&seed=7&split=test", cookie: admin.cookie).text
    let trainLines = train.split(separator: "\n"), testLines = test.split(separator: "\n")
    #expect(trainLines.count + testLines.count == Int(try t.scalar("SELECT count(*) FROM preference_pairs")))
    #expect(trainLines.count + testLines.count == 30 && !testLines.isEmpty && !trainLines.isEmpty)
    #expect(Set(trainLines).isDisjoint(with: Set(testLines)))
    #expect(try await t.call(.get, "/api/v1/export", query: "format=trl&test_fraction=0.3&seed=7&split=test", cookie: admin.cookie).text == test)
    #expect(try await t.call(.get, "/api/v1/export", query: "format=trl&split=test", cookie: admin.cookie).status == 422)
    #expect(try await t.call(.get, "/api/v1/export", query: "format=csv", cookie: admin.cookie).status == 422)
    #expect(try await t.call(.get, "/api/v1/export", query: "format=raw&conversational=1", cookie: admin.cookie).status == 422)
}

@Test func statsCountLabelsPerDayThroughputAndAgreementWorkedOutByHand() async throws {
    let t = try TestApp()
    let ids = try t.seedPrompts(2)
    try t.db.write { c in var s = AppSettings(); s.overlap = 2; try s.save(c, now: 0) }
    let admin = try await t.user("boss", role: .admin)
    let a = try await t.user("a", role: .admin), b = try await t.user("b", role: .admin)
    // a and b agree on prompt 1 and disagree on prompt 2.
    for (u, flipSecond) in [(a, false), (b, true)] {
        for (i, p) in ids.enumerated() {
            let rs = try t.db.read { try PromptRepository($0).responses(promptID: p) }.map(\.id)
            let flip = i == 1 && flipSecond
            let body: [String: Any] = ["prompt_id": p, "kind": "pairwise", "idempotency_key": "k\(p)", "time_spent_ms": 2000,
                                       "ranks": [["response_id": rs[flip ? 1 : 0], "rank": 1], ["response_id": rs[flip ? 0 : 1], "rank": 2]]]
            #expect(try await t.call(.post, "/api/v1/judgments", json: body, cookie: u.cookie).status == 201)
        }
    }
    let s = try await t.call(.get, "/api/v1/stats", query: "days=3", cookie: admin.cookie).json
    #expect(s.dict("totals").int("labels") == 4 && s.dict("totals").int("pairs") == 4 && s.dict("totals").int("prompts") == 2)
    let days = s.list("days")
    #expect(days.count == 3 && days.last?.int("labels") == 4 && days.first?.int("labels") == 0)
    let ag = s.dict("agreement")
    #expect(ag.int("comparisons") == 2)
    #expect(abs((ag["percent"] as! Double) - 0.5) < 1e-12)
    // Two coders, values {1,2}: o11 = o22 = o12 = o21 = 2, n = 8, so alpha = 1 - 7 * 4 / 32 = 0.125.
    #expect(abs((ag["alpha"] as! Double) - 0.125) < 1e-9)
    let rowA = try #require(s.list("annotators").first { $0["name"] as? String == "a" })
    #expect(rowA.int("labels") == 2 && rowA.int("labels_last24h") == 2 && rowA["median_seconds_per_label"] as? Double == 2.0)
}

@Test func statsCoverageCountsLiveHumanLabelsPerPromptCappedAtOverlapIgnoringSkipsAndUndone() async throws {
    let t = try TestApp()
    let ids = try t.seedPrompts(4)
    try t.db.write { c in var s = AppSettings(); s.overlap = 2; try s.save(c, now: 0) }
    let admin = try await t.user("boss", role: .admin)
    let a = try await t.user("a", role: .admin), b = try await t.user("b", role: .admin), c = try await t.user("c", role: .admin), d = try await t.user("d", role: .admin)
    func judge(_ u: User, _ p: Int64) async throws -> Int64 {
        let rs = try t.db.read { try PromptRepository($0).responses(promptID: p) }.map(\.id)
        let body: [String: Any] = ["prompt_id": p, "kind": "pairwise", "idempotency_key": UUID().uuidString,
                                   "ranks": [["response_id": rs[0], "rank": 1], ["response_id": rs[1], "rank": 2]]]
        let r = try await t.call(.post, "/api/v1/judgments", json: body, cookie: u.cookie)
        #expect(r.status == 201)
        return try #require(r.json.dict("judgment").int("id"))
    }
    // Prompt 1: d skips it (oldest, least covered, so d's first task), a labels it -> 1.
    let task = try #require(try await t.next(d))
    #expect(task.promptID == ids[0])
    #expect(try await t.call(.post, "/api/v1/leases/\(task.leaseID)/skip", cookie: d.cookie).status == 200)
    _ = try await judge(a, ids[0])
    // Prompt 2: three labels, capped at overlap 2. Prompt 3: one live label, one undone -> 1. Prompt 4: none.
    for u in [a, b, c] { _ = try await judge(u, ids[1]) }
    _ = try await judge(a, ids[2])
    let undone = try await judge(b, ids[2])
    #expect(try await t.call(.post, "/api/v1/judgments/\(undone)/undo", cookie: b.cookie).status == 200)
    #expect(try t.scalar("SELECT count(*) FROM judgments WHERE kind = 'skip'") == 1)

    let cov = try await t.call(.get, "/api/v1/stats", cookie: admin.cookie).json.dict("coverage")
    #expect(cov.int("overlap") == 2 && cov.int("prompts") == 4 && cov.int("complete") == 1)
    let buckets = cov.list("by_judgments").map { [$0.int("judgments")!, $0.int("prompts")!] }
    #expect(buckets == [[0, 1], [1, 2], [2, 1]])
}

@Test func metricsExposeRequestsLatencyLabelsAndTrainingState() async throws {
    let t = try TestApp()
    try t.seedPrompts(1)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    _ = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie)
    _ = try await t.call(.get, "/api/v1/settings", cookie: ann.cookie)
    let m = try await t.call(.get, "/metrics")
    #expect(m.status == 200 && m.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
    #expect(m.text.contains("hilo_http_requests_total{route=\"/api/v1/judgments\",method=\"POST\",status=\"201\"} 1\n"))
    #expect(m.text.contains("hilo_http_requests_total{route=\"/api/v1/settings\",method=\"GET\",status=\"403\"} 1\n"))
    #expect(m.text.contains("hilo_http_request_duration_seconds_count{route=\"/api/v1/leases/next\"} 1\n"))
    #expect(m.text.contains("hilo_http_request_duration_seconds_bucket{route=\"/api/v1/leases/next\",le=\"+Inf\"} 1\n"))
    #expect(m.text.contains("hilo_labels_total{origin=\"human\"} 1\n"))
    #expect(m.text.contains("hilo_training_state{state=\"idle\"} 1\n"))
    try t.db.write { try $0.run("INSERT INTO training_runs (kind, status, created_at) VALUES ('dpo', 'running', 0)") }
    #expect(try await t.call(.get, "/metrics").text.contains("hilo_training_state{state=\"running\"} 1\n"))
}

@Test func unknownPathsAndMethodsGive404And405WithAllow() async throws {
    let t = try TestApp()
    #expect(try await t.call(.get, "/api/v1/nope").status == 404)
    let r = try await t.call(.delete, "/api/v1/judgments")
    #expect(r.status == 405 && r.headers["Allow"] == "POST")
    #expect(try await t.call(.get, "/healthz").json["status"] as? String == "ok")
}

@Test func queryValuesOutsideTheDocumentedRangeUnknownBodyFieldsAndTakenNamesAreRefusedNotClampedOrIgnored() async throws {
    let t = try TestApp()
    let admin = try await t.user("boss", role: .admin)
    for (path, query, needle) in [("/api/v1/stats", "days=367", "days must be an integer from 1 to 366"),
                                  ("/api/v1/stats", "days=ten", "days must be an integer"),
                                  ("/api/v1/me/judgments", "limit=201", "limit must be an integer from 1 to 200"),
                                  ("/api/v1/training/runs", "limit=0", "limit must be an integer from 1 to 500"),
                                  ("/api/v1/evaluations/next", "peek=null", "peek must be true or false"),
                                  ("/api/v1/export", "format=pairs&aggregate=maybe", "aggregate must be true or false"),
                                  ("/api/v1/export", "format=pairs&min_agreement=2", "min_agreement must be a number in [0, 1]")] {
        let r = try await t.call(.get, path, query: query, cookie: admin.cookie)
        #expect(r.status == 422 && r.message.contains(needle), "\(path)?\(query) gave \(r.status) \(r.message)")
    }
    #expect(try await t.call(.get, "/api/v1/stats", query: "days=366", cookie: admin.cookie).status == 200)

    let extra = try await t.call(.post, "/api/v1/annotators", json: ["name": "ada", "colour": "red"], cookie: admin.cookie)
    #expect(extra.status == 422 && extra.message == "unknown field colour")
    #expect(try await t.call(.post, "/api/v1/annotators", json: ["name": "ada"], cookie: admin.cookie).status == 201)
    let taken = try await t.call(.post, "/api/v1/annotators", json: ["name": "ada"], cookie: admin.cookie)
    #expect(taken.status == 409 && taken.message.contains("already exists"))
}
