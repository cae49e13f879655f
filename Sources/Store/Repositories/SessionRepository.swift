// Browser login sessions: a cookie token (stored as its hash) that maps to an annotator until it expires.
import Foundation
public struct SessionRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    /// Stores a session for `token` that lasts `ttlMs`.
    public func create(token: String, annotatorID: Int64, now: Int64, ttlMs: Int64) throws {
        try c.run("INSERT INTO sessions (token_hash, annotator_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                  [.blob(Token.hash(token)), .int(annotatorID), .int(now), .int(now + ttlMs)])
    }

    /// The enabled annotator of an unexpired session, or nil.
    public func annotator(token: String, now: Int64) throws -> Annotator? {
        try session(token: token, now: now)?.annotator
    }

    static let annotatorColumns = AnnotatorRepository.columns.split(separator: ",")
        .map { "a." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")

    /// The enabled annotator of an unexpired session and when the session expires, or nil.
    public func session(token: String, now: Int64) throws -> (annotator: Annotator, expiresAt: Int64)? {
        try c.prepare("""
            SELECT \(Self.annotatorColumns), s.expires_at FROM sessions s JOIN annotators a ON a.id = s.annotator_id
            WHERE s.token_hash = ? AND s.expires_at > ? AND a.disabled = 0
            """).first([.blob(Token.hash(token)), .int(now)]) { (AnnotatorRepository.row($0), $0.int(6)) }
    }

    /// The settings key listing sessions a disabling ended, as "annotatorID:hex(token hash)", newest last.
    static let endedKey = "auth.sessions_ended_by_disabling"

    /// Whether `token` is a session that ended because its annotator was disabled (and still is).
    public func endedByDisabling(token: String) throws -> Bool {
        let suffix = ":" + SHA256.hex(Token.hash(token))
        let ended = try SettingsRepository(c).get(Self.endedKey)?.arrayValue?.compactMap(\.stringValue) ?? []
        guard let entry = ended.last(where: { $0.hasSuffix(suffix) }), let id = Int64(entry.dropLast(suffix.count)) else { return false }
        return try AnnotatorRepository(c).byID(id)?.disabled == true
    }

    /// Logs a session out.
    public func delete(token: String) throws {
        try c.run("DELETE FROM sessions WHERE token_hash = ?", [.blob(Token.hash(token))])
    }

    /// Removes expired sessions; returns how many.
    @discardableResult
    public func deleteExpired(now: Int64) throws -> Int {
        try c.run("DELETE FROM sessions WHERE expires_at <= ?", [.int(now)])
        return c.changes
    }
}
