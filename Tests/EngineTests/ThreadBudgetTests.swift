// ThreadBudget: a lower limit still runs every part of a loop exactly once (each thread takes every
// limit-th part), and the limit is clamped to 1...cores and restorable.
import Foundation
import Testing
@testable import Engine

@Test func aThreadBudgetOfOneRunsEveryPartOnceOnTheCallingThreadAndTheLimitRestores() {
    let previous = ThreadBudget.setLimit(1)
    defer { ThreadBudget.setLimit(previous) }
    #expect(ThreadBudget.limit == 1)
    var seen = [Int](repeating: 0, count: 8)
    var covered = 0
    seen.withUnsafeMutableBufferPointer { buf in
        Parallel.parts(100, parts: 8) { p, r in buf[p] += 1; covered += r.count }
    }
    #expect(seen == [Int](repeating: 1, count: 8) && covered == 100)
    #expect(ThreadBudget.setLimit(1_000) == 1 && ThreadBudget.limit == ThreadBudget.cores, "clamped to the cores")
    #expect(ThreadBudget.setLimit(0) == ThreadBudget.cores && ThreadBudget.limit == 1, "at least one")
}
