// Schema version 5 (Migration5.swift) renames assignments to leases and judgments.assignment_id to
// lease_id. A version-4 database's leases and the judgments naming them come through intact, the
// foreign key follows the rename, and the repositories read what version 4 wrote.
import Testing
@testable import Store

@Test func aVersion4DatabaseWithLeasesMigratesTo5KeepingEveryLeaseAndTheJudgmentsThatNameThem() throws {
    let dir = TempDir()
    let path = dir.path("v4.db")
    var ids: (prompt: Int64, annotator: Int64, open: Int64, done: Int64, judgment: Int64) = (0, 0, 0, 0, 0)
    do {
        let v4 = try databaseAtVersion(4, path: path)
        try v4.write { c in
            let (pid, r) = try seedPrompt(c, "2 + 2?", responses: 2)
            let a = try AnnotatorRepository(c).create(name: "ada", role: .annotator, token: "token-a", now: 1).id
            try c.run("INSERT INTO assignments (prompt_id, annotator_id, leased_at, expires_at, completed_at) VALUES (?, ?, 10, 600010, 20)", [.int(pid), .int(a)])
            let done = c.lastInsertID
            let j = try oldPairwise(c, annotator: a, prompt: (pid, r), key: "k1", now: 20)
            try c.run("UPDATE judgments SET assignment_id = ? WHERE id = ?", [.int(done), .int(j)])
            try c.run("INSERT INTO assignments (prompt_id, annotator_id, leased_at, expires_at) VALUES (?, ?, 30, 600030)", [.int(pid), .int(a)])
            ids = (pid, a, c.lastInsertID, done, j)
        }
        #expect(try v4.schemaVersion() == 4)
    }
    let db = try Database(path: path)
    #expect(try db.schemaVersion() == 5)
    #expect(try db.check().isEmpty)
    try db.read { c in
        #expect(try c.scalar("SELECT count(*) FROM sqlite_master WHERE name LIKE 'assignments%'") == 0)
        let indexes = try c.prepare("SELECT name FROM pragma_index_list('leases') ORDER BY name").all([]) { $0.string(0) }
        #expect(indexes == ["leases_by_annotator", "leases_open"])
        let fk = try c.prepare("SELECT \"table\", \"from\" FROM pragma_foreign_key_list('judgments') WHERE \"from\" = 'lease_id'").all([]) { [$0.string(0), $0.string(1)] }
        #expect(fk == [["leases", "lease_id"]])
        let repo = LeaseRepository(c)
        #expect(try repo.byID(ids.done) == Lease(id: ids.done, promptID: ids.prompt, annotatorID: ids.annotator, leasedAt: 10, expiresAt: 600_010, completedAt: 20))
        #expect(try repo.openLease(annotatorID: ids.annotator, now: 100)?.id == ids.open)
        #expect(try JudgmentRepository(c).byID(ids.judgment)?.leaseID == ids.done)
    }
}
