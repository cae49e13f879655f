// Annotators and admins: creating them, finding them by token hash, disabling them; and their
// tokens (Token).
import Foundation
public struct AnnotatorRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    static let columns = "id, name, role, created_at, disabled, token_hash IS NOT NULL"

    static func row(_ s: Statement) -> Annotator {
        Annotator(id: s.int(0), name: s.string(1), role: Role(rawValue: s.string(2)) ?? .annotator,
                  createdAt: s.int(3), disabled: s.int(4) != 0, hasToken: s.int(5) != 0)
    }

    /// Creates an annotator who logs in with `token` (stored as its hash); nil token = cannot log in.
    public func create(name: String, role: Role, token: String?, now: Int64) throws -> Annotator {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= 100 else { throw StoreError.invalid("an annotator name must be 1 to 100 characters") }
        if try byName(trimmed) != nil { throw StoreError.conflict("an annotator named \"\(trimmed)\" already exists") }
        try c.run("INSERT INTO annotators (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                  [.text(trimmed), .text(role.rawValue), token.map { .blob(Token.hash($0)) } ?? .null, .int(now)])
        return try byID(c.lastInsertID)!
    }

    public func byID(_ id: Int64) throws -> Annotator? {
        try c.prepare("SELECT \(Self.columns) FROM annotators WHERE id = ?").first([.int(id)], Self.row)
    }

    public func byName(_ name: String) throws -> Annotator? {
        try c.prepare("SELECT \(Self.columns) FROM annotators WHERE name = ?").first([.text(name)], Self.row)
    }

    /// The enabled annotator whose API token hashes to `tokenHash`, or nil.
    public func byTokenHash(_ tokenHash: [UInt8]) throws -> Annotator? {
        try c.prepare("SELECT \(Self.columns) FROM annotators WHERE token_hash = ? AND disabled = 0")
            .first([.blob(tokenHash)], Self.row)
    }

    /// The enabled annotator for a presented token.
    public func byToken(_ token: String) throws -> Annotator? { try byTokenHash(Token.hash(token)) }

    public func all() throws -> [Annotator] {
        try c.prepare("SELECT \(Self.columns) FROM annotators ORDER BY id").all([], Self.row)
    }

    /// Disables (or re-enables) an annotator; a disabled one cannot log in, their labels stay.
    public func setDisabled(_ id: Int64, _ disabled: Bool) throws {
        try c.run("UPDATE annotators SET disabled = ? WHERE id = ?", [.int(disabled ? 1 : 0), .int(id)])
        guard c.changes == 1 else { throw StoreError.notFound("no annotator with id \(id)") }
        if disabled { try c.run("DELETE FROM sessions WHERE annotator_id = ?", [.int(id)]) }
    }

    /// Enabled admins who can sign in (the last of them must not be disabled).
    public func signInAdminCount() throws -> Int {
        Int(try c.scalar("SELECT count(*) FROM annotators WHERE role = 'admin' AND disabled = 0 AND token_hash IS NOT NULL"))
    }

    /// Replaces an annotator's token (the old one stops working at once).
    public func setToken(_ id: Int64, token: String) throws {
        try c.run("UPDATE annotators SET token_hash = ? WHERE id = ?", [.blob(Token.hash(token)), .int(id)])
        guard c.changes == 1 else { throw StoreError.notFound("no annotator with id \(id)") }
    }

    /// The id of the token-less pseudo annotator `name` ('imported', 'ai:<judge>'), created on first use.
    public func pseudo(_ name: String, now: Int64) throws -> Int64 {
        if let a = try byName(name) { return a.id }
        try c.run("INSERT INTO annotators (name, role, token_hash, created_at) VALUES (?, 'annotator', NULL, ?)",
                  [.text(name), .int(now)])
        return c.lastInsertID
    }
}

/// API and session tokens: random, shown once, stored only as SHA-256.
public enum Token {
    /// A new random token: 32 bytes from the system CSPRNG as 64 hex digits.
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return SHA256.hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    /// The stored form of a token: its SHA-256.
    public static func hash(_ token: String) -> [UInt8] { SHA256.hash(token) }
}
