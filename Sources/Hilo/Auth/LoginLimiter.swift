// Throttles failed logins per client address: after `limit` failures within `window` seconds the
// address gets 429 with Retry-After until the window has passed. In memory, per process.
import Foundation
import HTTP

final class LoginLimiter: @unchecked Sendable {
    // `failures` is read and written only while holding `lock`.
    private let lock = NSLock()
    private var failures: [String: [Int64]] = [:]
    let limit: Int
    let windowMs: Int64

    init(limit: Int, windowSeconds: Int) {
        self.limit = limit
        self.windowMs = Int64(windowSeconds) * 1000
    }

    /// Throws 429 when `address` has used up its failures.
    func check(_ address: String, now: Int64) throws(HTTPError) {
        lock.lock(); defer { lock.unlock() }
        let recent = (failures[address] ?? []).filter { $0 > now - windowMs }
        failures[address] = recent.isEmpty ? nil : recent
        if recent.count >= limit {
            let wait = max(1, Int((recent[0] + windowMs - now + 999) / 1000))
            throw HTTPError.tooManyRequests(retryAfter: wait, "too many failed login attempts; try again in \(wait) s")
        }
    }

    func recordFailure(_ address: String, now: Int64) {
        lock.lock(); defer { lock.unlock() }
        failures[address, default: []].append(now)
        if failures.count > 10_000 { failures = failures.filter { $0.value.last ?? 0 > now - windowMs } }
    }
}
