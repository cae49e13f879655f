// The group-commit writer: its thread's priority, and each job's own outcome inside a shared batch.
import Foundation
import Testing
@testable import Hilo
@testable import Store

@Test func theWriterThreadRunsAtTheNicenessItIsGiven() async throws {
    let t = try TestApp()
    // Raising one's nice value is always allowed, so the test can ask for one above its own.
    let wanted = ThreadPriority.currentNiceness + 3
    let queue = WriteQueue(db: t.db, niceness: wanted)
    defer { queue.stop() }
    let seen = try await queue.write { _ in ThreadPriority.currentNiceness }
    #expect(seen == wanted)
    #expect(ThreadPriority.currentNiceness == wanted - 3, "only the writer thread changed")
}

@Test func aRefusedHigherPriorityLeavesTheWriterWorkingAtItsNiceness() async throws {
    let t = try TestApp()
    let own = ThreadPriority.currentNiceness
    // Below one's own needs a privilege (root has it; most users do not): either way writes go on.
    let queue = WriteQueue(db: t.db, niceness: own - 1)
    defer { queue.stop() }
    let seen = try await queue.write { c in
        try c.run("CREATE TABLE w (x)")
        try c.run("INSERT INTO w VALUES (1)")
        return ThreadPriority.currentNiceness
    }
    #expect(seen == own - 1 || seen == own)
    #expect(try t.db.read { try $0.scalar("SELECT count(*) FROM w") } == 1)
}

@Test func aFailingJobRollsBackAloneWhileItsBatchCommits() async throws {
    let t = try TestApp()
    let queue = WriteQueue(db: t.db)
    defer { queue.stop() }
    try await queue.write { try $0.run("CREATE TABLE w (x UNIQUE)") }
    struct Boom: Error {}
    // Queued together, so they usually share one transaction; each must learn its own outcome.
    let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
        for i in 0..<20 {
            group.addTask {
                do {
                    try await queue.write { c in
                        try c.run("INSERT INTO w VALUES (?)", [.int(Int64(i))])
                        if i % 5 == 0 { throw Boom() }
                    }
                    return (i, true)
                } catch { return (i, false) }
            }
        }
        var all: [Int: Bool] = [:]
        for await (i, ok) in group { all[i] = ok }
        return all
    }
    #expect(outcomes.filter { !$0.value }.keys.sorted() == [0, 5, 10, 15])
    #expect(try t.db.read { try $0.prepare("SELECT x FROM w ORDER BY x").all { $0.int(0) } } == (0..<20).filter { $0 % 5 != 0 }.map(Int64.init))
}
