// The one way a test waits for something another thread does: `eventually` polls a condition until
// it holds or one generous budget has passed. A passing wait returns as soon as the condition holds,
// so the budget costs nothing on a quiet machine and only has to cover a loaded 2-core CI runner
// whose threads can stall for seconds. Tests keep their own #expect on the outcome; a test that
// wants to show that nothing happens calls the function under test directly instead of sleeping.
//
//     eventually { db.checkpointRounds > 0 }                       // from a synchronous test
//     await eventually { try status() == "open" }                  // from an async test
//     #expect(eventually { closed() }, "the server closed it")     // when the wait itself is the check
import Foundation

/// Seconds a test waits for another thread before giving up: far more than anything takes here.
public let eventuallyTimeout: Double = 60

/// Polls `condition` every `every` seconds, blocking this thread, until it is true (returns true) or
/// `timeout` seconds of wall time have passed (returns false).
@discardableResult
public func eventually(timeout: Double = eventuallyTimeout, every: Double = 0.01,
                       _ condition: () throws -> Bool) rethrows -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= end { return false }
        Thread.sleep(forTimeInterval: every)
    }
}

/// The same for async tests: sleeps with Task.sleep, so the cooperative pool's thread is free meanwhile.
@discardableResult
public func eventually(timeout: Double = eventuallyTimeout, every: Double = 0.01,
                       _ condition: () async throws -> Bool) async throws -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while true {
        if try await condition() { return true }
        if Date() >= end { return false }
        try await Task.sleep(nanoseconds: UInt64(every * 1e9))
    }
}
