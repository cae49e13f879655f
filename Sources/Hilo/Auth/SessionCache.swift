// Remembers signed-in sessions for up to a second, so a busy annotator's requests do not each hash
// the cookie and query SQLite. Logout and disabling through the API drop entries at once; a change
// made by another process (`hilo annotators disable`) takes effect within `ttlMs`.
import Foundation
import Store

final class SessionCache: @unchecked Sendable {
    // `entries` is read and written only while holding `lock`.
    private let lock = NSLock()
    private var entries: [String: (principal: Principal, validUntil: Int64)] = [:]
    let ttlMs: Int64
    let maxEntries = 50_000

    init(ttlMs: Int64 = 1000) { self.ttlMs = ttlMs }

    func get(_ token: String, now: Int64) -> Principal? {
        lock.lock(); defer { lock.unlock() }
        guard let e = entries[token] else { return nil }
        if now >= e.validUntil || now < e.validUntil - ttlMs - 1 { entries[token] = nil; return nil }
        return e.principal
    }

    func put(_ token: String, _ p: Principal, sessionExpiresAt: Int64, now: Int64) {
        lock.lock(); defer { lock.unlock() }
        if entries.count >= maxEntries { entries.removeAll(keepingCapacity: true) }
        entries[token] = (p, min(now + ttlMs, sessionExpiresAt))
    }

    func remove(_ token: String) { lock.lock(); entries[token] = nil; lock.unlock() }
    func removeAll() { lock.lock(); entries.removeAll(); lock.unlock() }

    /// The enabled annotator of an unexpired session and when the session expires.
    static func lookup(_ c: Connection, token: String, now: Int64) throws -> (Principal, Int64)? {
        guard let (a, expiresAt) = try SessionRepository(c).session(token: token, now: now) else { return nil }
        return (Principal(id: a.id, name: a.name, role: a.role, sessionToken: token), expiresAt)
    }
}
