// Helpers for Store's tests: a fresh database file in a temporary folder, removed afterwards.
import Foundation
@testable import Store

final class TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-store-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to a file in the folder and returns its path.
    func file(_ name: String, _ text: String) -> String {
        let p = path(name)
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "<missing>" }
}

/// A database in a temporary folder (kept alive with it).
struct TestDB {
    let dir = TempDir()
    let db: Database
    init(options: Database.Options = Database.Options()) throws {
        db = try Database(path: dir.path("test.db"), options: options)
    }
}

/// A database at `path` migrated only to schema version `version`: the starting point of a migration test.
func databaseAtVersion(_ version: Int, path: String) throws -> Database {
    var options = Database.Options()
    options.migrations = Array(Migrations.steps.prefix(version))
    return try Database(path: path, options: options)
}

/// A pairwise label written as a database of an old schema version holds it: raw SQL, because the
/// repositories write today's columns (version 5 renamed judgments.assignment_id). Returns its id.
@discardableResult
func oldPairwise(_ c: Connection, annotator: Int64, prompt: (Int64, [Int64]), key: String, now: Int64, undoneAt: Int64? = nil) throws -> Int64 {
    try c.run("INSERT INTO judgments (annotator_id, prompt_id, kind, idempotency_key, created_at, undone_at) VALUES (?, ?, 'pairwise', ?, ?, ?)",
              [.int(annotator), .int(prompt.0), .text(key), .int(now), undoneAt.map { .int($0) } ?? .null])
    let id = c.lastInsertID
    for (rank, response) in prompt.1.prefix(2).enumerated() {
        try c.run("INSERT INTO judgment_ranks (judgment_id, response_id, rank) VALUES (?, ?, ?)", [.int(id), .int(response), .int(Int64(rank + 1))])
    }
    return id
}

/// Seeds a prompt with `n` responses named "r1"…; returns (prompt id, response ids).
func seedPrompt(_ c: Connection, _ text: String, responses n: Int, now: Int64 = 1_000) throws -> (Int64, [Int64]) {
    let repo = PromptRepository(c)
    let (pid, _) = try repo.insert(NewPrompt(text: text), now: now)
    let ids = try (1...n).map { try repo.addResponse(promptID: pid, text: "\(text)-r\($0)", origin: "test", now: now).id }
    return (pid, ids)
}

/// Submits a ranking (ranks parallel to `responses`) by `annotator`.
@discardableResult
func rank(_ c: Connection, annotator: Int64, prompt: Int64, _ responses: [Int64], _ ranks: [Int],
          origin: LabelOrigin = .human, bothBad: Bool = false, now: Int64 = 2_000) throws -> Judgment {
    var j = NewJudgment(annotatorID: annotator, promptID: prompt, kind: responses.count == 2 ? .pairwise : .ranking)
    j.ranks = zip(responses, ranks).map { ResponseRank(responseID: $0, rank: $1) }
    j.origin = origin
    j.bothBad = bothBad
    return try JudgmentRepository(c).submit(j, now: now).judgment
}
