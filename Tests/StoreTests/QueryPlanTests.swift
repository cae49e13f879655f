// Schema version 4 dropped judgments_by_annotator (Migration4.swift). Every query by annotator that
// used it must still find its rows through an index: these are the application's queries on
// judgments by annotator (JudgmentRepository, progress, the admin statistics, `hilo annotators`),
// checked with EXPLAIN QUERY PLAN.
import Foundation
import Testing
@testable import Store

private let annotatorQueries = [
    "SELECT id FROM judgments WHERE annotator_id = ? ORDER BY id DESC LIMIT ?",
    "SELECT count(*) FROM judgments WHERE annotator_id = ? AND undone_at IS NULL AND kind <> 'skip'",
    "SELECT count(*) FROM judgments WHERE annotator_id = ? AND undone_at IS NULL AND kind = 'skip'",
    "SELECT count(*) FROM judgments WHERE annotator_id = ? AND undone_at IS NULL AND kind NOT IN ('skip', 'feedback') AND created_at >= ?",
    "SELECT count(*) FROM judgments WHERE annotator_id = ? AND undone_at IS NULL AND kind <> 'skip' AND created_at > ?",
    "SELECT time_spent_ms FROM judgments WHERE annotator_id = ? AND undone_at IS NULL AND kind <> 'skip' AND time_spent_ms IS NOT NULL ORDER BY time_spent_ms",
    "SELECT id FROM judgments WHERE annotator_id = ? AND idempotency_key = ?",
    "SELECT count(*) FROM judgments WHERE annotator_id = ? AND prompt_id = ? AND kind = ? AND undone_at IS NULL",
    "SELECT annotator_id, count(*) FROM judgments WHERE undone_at IS NULL AND kind <> 'skip' GROUP BY annotator_id",
]

/// The EXPLAIN QUERY PLAN lines of `sql` (parameters bound to 1).
private func plan(_ c: Connection, _ sql: String) throws -> [String] {
    let n = sql.filter { $0 == "?" }.count
    return try c.prepare("EXPLAIN QUERY PLAN " + sql).all(Array(repeating: .int(1), count: n)) { $0.string(3) }
}

@Test func version4DropsJudgmentsByAnnotatorAndEveryQueryByAnnotatorStillUsesAnIndex() throws {
    let t = try TestDB()
    try t.db.read { c in
        #expect(try c.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'judgments_by_annotator'") == 0)
        // What a judgment insert maintains now: the unique key's index and three others.
        let indexes = try c.prepare("SELECT name FROM pragma_index_list('judgments') ORDER BY name").all([]) { $0.string(0) }
        #expect(indexes == ["judgments_by_created", "judgments_by_prompt", "sqlite_autoindex_judgments_1"])
        for sql in annotatorQueries {
            let lines = try plan(c, sql)
            let reads = lines.filter { $0.contains("judgments") }
            #expect(!reads.isEmpty, "no plan line reads judgments: \(lines) for \(sql)")
            for line in reads {
                #expect(line.contains("USING INDEX") || line.contains("USING COVERING INDEX"), "\(line) in the plan of \(sql)")
            }
        }
    }
}

@Test func aVersion3DatabaseWithJudgmentsMigratesTo4KeepingItsRowsAndPassingTheCheck() throws {
    let dir = TempDir()
    let path = dir.path("v3.db")
    do {
        let v3 = try databaseAtVersion(3, path: path)
        try v3.write { c in
            let (pid, r) = try seedPrompt(c, "2 + 2?", responses: 2)
            let a = try AnnotatorRepository(c).create(name: "ada", role: .annotator, token: Token.generate(), now: 1).id
            try oldPairwise(c, annotator: a, prompt: (pid, r), key: "k1", now: 5)
        }
        #expect(try v3.schemaVersion() == 3)
        #expect(try v3.read { try $0.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'judgments_by_annotator'") } == 1)
    }
    let db = try Database(path: path)
    #expect(try db.schemaVersion() == Migrations.latestVersion) // 4, and the later steps after it
    #expect(try db.check().isEmpty)
    let (index, judgment, labels) = try db.read { c in
        (try c.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'judgments_by_annotator'"),
         try c.scalar("SELECT count(*) FROM judgments WHERE annotator_id = 1 AND idempotency_key = 'k1'"),
         try c.scalar("SELECT labels FROM prompts WHERE id = 1"))
    }
    #expect(index == 0 && judgment == 1 && labels == 1)
}
