// The Database: schema application and versioning, pragmas, transactions, a busy database, a full
// disk, concurrent readers, and `check`.
import CSQLite
import Foundation
import TestHelpers
import Testing
@testable import Store

@Test func freshDatabaseIsAtTheLatestVersionWithWALAndForeignKeys() throws {
    let t = try TestDB()
    #expect(try t.db.schemaVersion() == Migrations.latestVersion)
    try t.db.write { (c: Connection) throws in
        #expect(try c.prepare("PRAGMA journal_mode").first { $0.string(0) } == "wal")
        #expect(try c.scalar("PRAGMA foreign_keys") == 1)
        #expect(try c.scalar("PRAGMA synchronous") == 2) // FULL
        #expect(try c.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'preference_pairs'") == 1)
    }
    // Reopening does not re-apply the schema (it would fail on CREATE TABLE).
    _ = try Database(path: t.db.path)
    #expect(try t.db.check() == [])
}

@Test func sqliteKeepsNoAllocationStatisticsOnceAConnectionIsOpenSoAllocationsTakeNoGlobalMutex() throws {
    let t = try TestDB()
    try t.db.write { c in
        try c.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, payload BLOB)")
        for _ in 0..<100 { try c.run("INSERT INTO filler (payload) VALUES (randomblob(3000))") }
    }
    #expect(Connection.memoryStatisticsOff)
    // With the statistics on, SQLite counts the bytes it holds (page caches, schema: well over 0).
    #expect(sqlite3_memory_used() == 0)
    #expect(try t.db.read { try $0.scalar("SELECT count(*) FROM filler") } == 100)
}

@Test func aNewerSchemaVersionIsRefused() throws {
    let t = try TestDB()
    try t.db.write { try $0.execute("PRAGMA user_version = 99") }
    #expect(throws: StoreError.newerSchema(found: 99, known: Migrations.latestVersion)) { _ = try Database(path: t.db.path) }
}

@Test func aThrowingWriteRollsBackEverything() throws {
    let t = try TestDB()
    struct Boom: Error {}
    #expect(throws: Boom.self) {
        try t.db.write { (c: Connection) throws in
            _ = try PromptRepository(c).insert(NewPrompt(text: "kept?"), now: 1)
            throw Boom()
        }
    }
    #expect(try t.db.read { try PromptRepository($0).count() } == 0)
}

@Test func aForeignKeyViolationFailsTheWrite() throws {
    let t = try TestDB()
    #expect(throws: StoreError.self) {
        try t.db.write { try $0.run("INSERT INTO responses (prompt_id, text, origin, content_hash, created_at) VALUES (42, 'x', 'o', zeroblob(32), 0)") }
    }
}

@Test func aLockedDatabaseFailsWithBusyAfterTheTimeout() throws {
    var options = Database.Options()
    options.busyTimeoutMs = 50
    let t = try TestDB(options: options)
    // Another process holds the write lock.
    var other: OpaquePointer?
    #expect(sqlite3_open(t.db.path, &other) == SQLITE_OK)
    defer { sqlite3_close(other) }
    #expect(sqlite3_exec(other, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK)
    #expect {
        try t.db.write { _ = try PromptRepository($0).insert(NewPrompt(text: "p"), now: 1) }
    } throws: { error in
        if case .busy = error as? StoreError { return true }
        return false
    }
    sqlite3_exec(other, "ROLLBACK", nil, nil, nil)
    // Once released, the same write succeeds and nothing half-written was left behind.
    try t.db.write { _ = try PromptRepository($0).insert(NewPrompt(text: "p"), now: 1) }
    #expect(try t.db.read { try PromptRepository($0).count() } == 1)
}

@Test func aFullDiskFailsTheTransactionAndKeepsEarlierCommits() throws {
    let dir = TempDir()
    var options = Database.Options()
    options.maxPageCount = 60 // about 240 kB with 4 kB pages
    let db = try Database(path: dir.path("full.db"), options: options)
    try db.write { _ = try PromptRepository($0).insert(NewPrompt(text: "first"), now: 1) }
    let big = String(repeating: "x", count: 4000)
    #expect {
        try db.write { (c: Connection) throws in
            for k in 0..<200 { _ = try PromptRepository(c).insert(NewPrompt(text: "\(k) \(big)"), now: 2) }
        }
    } throws: { error in
        if case .full = error as? StoreError { return true }
        return false
    }
    #expect(try db.read { try PromptRepository($0).count() } == 1)
    #expect(try db.check() == [])
}

@Test func readersSeeASnapshotWhileTheWriterWorks() async throws {
    let t = try TestDB()
    let db = t.db
    try db.write { (c: Connection) throws in for k in 0..<100 { _ = try PromptRepository(c).insert(NewPrompt(text: "p\(k)"), now: 1) } }
    // Writers and readers on several tasks at once: every read sees a whole number of batches of 10.
    try await withThrowingTaskGroup(of: Void.self) { group in
        for w in 0..<4 {
            group.addTask {
                for b in 0..<5 {
                    try db.write { (c: Connection) throws in for k in 0..<10 { _ = try PromptRepository(c).insert(NewPrompt(text: "w\(w)-\(b)-\(k)"), now: 1) } }
                }
            }
        }
        for _ in 0..<4 {
            group.addTask {
                for _ in 0..<20 {
                    let n = try db.read { try PromptRepository($0).count() }
                    #expect(n % 10 == 0 && n >= 100 && n <= 300)
                }
            }
        }
        try await group.waitForAll()
    }
    #expect(try db.read { try PromptRepository($0).count() } == 300)
}

@Test func checkReportsAHandEditedTextAndABrokenPairwiseJudgment() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let (pid, r) = try seedPrompt(c, "p", responses: 2)
        let a = try AnnotatorRepository(c).create(name: "ann", role: .annotator, token: "t", now: 1)
        let j = try rank(c, annotator: a.id, prompt: pid, r, [1, 2])
        try c.run("UPDATE prompts SET text = 'edited' WHERE id = ?", [.int(pid)])
        try c.run("DELETE FROM judgment_ranks WHERE judgment_id = ? AND response_id = ?", [.int(j.id), .int(r[1])])
    }
    let problems = try t.db.check()
    #expect(problems.count == 2)
    #expect(problems.contains { $0.hasPrefix("pairwise judgment without exactly 2 ranked responses: id 1") })
    #expect(problems.contains { $0.hasPrefix("prompt content hash does not match its text: id 1") })
}

@Test func anAppendedMigrationRunsOnceOnAnOlderDatabaseAndAFailingOneChangesNothing() throws {
    let t = try TestDB()
    let latest = Migrations.latestVersion
    let next = Migrations.steps + ["ALTER TABLE prompts ADD COLUMN difficulty INTEGER"]
    let applied = try t.db.withWriter { try Migrations.migrate($0, steps: next) }
    #expect(applied == [latest + 1])
    #expect(try t.db.schemaVersion() == latest + 1)
    let again = try t.db.withWriter { try Migrations.migrate($0, steps: next) }
    #expect(again.isEmpty)
    // A broken next version rolls back and leaves the file where it was.
    let broken = next + ["CREATE TABLE extra (x); THIS IS NOT SQL"]
    #expect(throws: StoreError.self) { try t.db.withWriter { try Migrations.migrate($0, steps: broken) } }
    #expect(try t.db.schemaVersion() == latest + 1)
    #expect(try t.db.read { try $0.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'extra'") } == 0)
}

@Test func aVersion1DatabaseWithDataMigratesToTheLatestAndKeepsItsRowsOrFailsTheCheck() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-v1-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("old.db").path
    // A file as version 1 wrote it: schema.sql only, with a prompt, a model and a run.
    do {
        var options = Database.Options()
        options.migrations = [Schema.sql]
        let v1 = try Database(path: path, options: options)
        try v1.write { c in
            _ = try PromptRepository(c).insert(NewPrompt(text: "2 + 2?"), now: 1)
            _ = try ModelRepository(c).create(name: "policy-v1", kind: .policy, parentID: nil, path: "/m/p1", now: 1)
            _ = try TrainingRunRepository(c).enqueue(kind: .dpo, config: "{}", baseModelID: 1, now: 2)
        }
        #expect(try v1.schemaVersion() == 1)
    }
    let db = try Database(path: path)
    #expect(try db.schemaVersion() == Migrations.latestVersion)
    #expect(try db.check().isEmpty)
    let row = try db.read { c in
        try c.prepare("SELECT p.heldout, m.labels_used, m.pruned_at IS NULL, r.trigger, r.step FROM prompts p, model_versions m, training_runs r")
            .first([]) { [$0.int(0), $0.int(1), $0.int(2), $0.string(3) == "admin" ? 1 : 0, $0.int(4)] }
    }
    #expect(row == [0, 0, 1, 1, 0])
}

/// `n` rows of `bytes` random bytes, one transaction per row, so every commit adds pages to the WAL.
private func writeRows(_ db: Database, _ n: Int, bytes: Int = 3000) throws {
    try db.write { try $0.execute("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, payload BLOB)") }
    for _ in 0..<n { try db.write { try $0.run("INSERT INTO filler (payload) VALUES (randomblob(?))", [.int(Int64(bytes))]) } }
}

/// A WAL frame: a 4 KiB page and its 24-byte header.
private let frameBytes = 4096 + 24

private func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

@Test func theCheckpointThreadCopiesTheWALIntoTheDatabaseFileWhileWritesGoOn() throws {
    var options = Database.Options()
    options.checkpointPages = 20
    let t = try TestDB(options: options)
    let before = fileSize(t.db.path)
    try writeRows(t.db, 300) // ~300 pages
    // The thread checkpoints in the background: wait for it.
    eventually { fileSize(t.db.path) >= before + 300 * 3000 }
    #expect(t.db.checkpointRounds >= 1)
    #expect(fileSize(t.db.path) >= before + 300 * 3000, "the rows reached the database file, not only the WAL")
    // The WAL restarts from its beginning instead of growing: at most the writer's limit (8 × 20
    // pages) and a few commits, against ~300 pages without checkpoints.
    #expect(fileSize(t.db.path + "-wal") <= (8 * 20 + 10) * frameBytes + 32)
    #expect(try t.db.read { try $0.scalar("SELECT count(*) FROM filler") } == 300)
    #expect(try t.db.check() == [])
}

@Test func aCheckpointRoundRunsPerThresholdOfNewPagesNotPerCommit() throws {
    var options = Database.Options()
    options.checkpointPages = 50
    let t = try TestDB(options: options)
    try writeRows(t.db, 300) // 300 commits of 2 to 3 frames each (row page, interior, ...): ~16 rounds
    eventually { t.db.checkpointRounds > 0 }
    let rounds = t.db.checkpointRounds
    #expect(rounds >= 1)
    #expect(rounds <= 25, "a round per 50 new pages, not one per commit once the WAL passed 50")
}

@Test func withoutTheCheckpointThreadTheCommitCheckpointsAsSQLiteDoes() throws {
    var options = Database.Options()
    options.checkpointPages = nil
    let t = try TestDB(options: options)
    try writeRows(t.db, 300, bytes: 16_000) // ~1200 pages: past SQLite's automatic threshold of 1000
    #expect(t.db.checkpointRounds == 0)
    #expect(fileSize(t.db.path) >= 2_000_000, "the commit that passed 1000 pages copied them")
    #expect(try t.db.read { try $0.scalar("SELECT count(*) FROM filler") } == 300)
}

@Test func theWALRestartsOnceALongReadEndsInsteadOfGrowing() throws {
    // A reader keeps a snapshot open, so no checkpoint can copy past it and the WAL cannot restart
    // while it lives; once it ends, the checkpoints catch up and the WAL starts over.
    var options = Database.Options()
    options.checkpointPages = 10
    let t = try TestDB(options: options)
    try writeRows(t.db, 5)
    try t.db.read { c in
        _ = try c.scalar("SELECT count(*) FROM filler")
        try writeRows(t.db, 100)
        #expect(fileSize(t.db.path + "-wal") >= 100 * 3000, "the open snapshot pins the WAL")
    }
    let pinned = fileSize(t.db.path + "-wal")
    try writeRows(t.db, 400)
    // The first commit after the read appends to the pinned WAL and catches up; the next starts it over.
    #expect(fileSize(t.db.path + "-wal") <= pinned + 4 * frameBytes, "restarted instead of growing by 400 pages")
    #expect(try t.db.read { try $0.scalar("SELECT count(*) FROM filler") } == 505)
}

@Test func closingTheDatabaseLeavesEverythingInTheFile() throws {
    let dir = TempDir()
    var options = Database.Options()
    options.checkpointPages = 20
    do {
        let db = try Database(path: dir.path("c.db"), options: options)
        try writeRows(db, 200)
    }
    #expect(!FileManager.default.fileExists(atPath: dir.path("c.db-wal")), "the last connection to close checkpointed and removed the WAL")
    let db = try Database(path: dir.path("c.db"), options: options)
    #expect(try db.read { try $0.scalar("SELECT count(*) FROM filler") } == 200)
}
