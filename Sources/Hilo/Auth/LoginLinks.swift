// Login links: `http://HOST:PORT/login?token=…` with a random 256-bit token stored only as its hash.
// An annotator's link is durable, like a personal bookmark: it works until an admin issues a new
// one or disables the annotator (the convention of link-based annotation tools, so a lost session
// never locks a labeller out). The first admin's link, printed at the first start, is one-time:
// using it rotates that admin's token to a value nobody has seen. One-time tokens are listed (as
// hashes) in the settings key `auth.one_time_token_hashes`.
import Foundation
import Store

public enum LoginLinks {
    static let oneTimeKey = "auth.one_time_token_hashes"
    /// Hashes of links that no longer work and why ("used:<hex>", "replaced:<hex>"), newest last,
    /// so a refused link can say what happened; capped at `retiredLimit`.
    static let retiredKey = "auth.retired_token_hashes"
    static let retiredLimit = 500

    /// Why a login link was refused, in the words the refusal page uses.
    public enum Refusal: Equatable, Sendable {
        case unknown, usedUp, replaced, disabled(name: String)
    }

    /// The link for a token under a base URL such as "http://127.0.0.1:8080".
    public static func url(base: String, token: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/login?token=" + token
    }

    /// Creates an annotator with a new token. Throws StoreError.invalid for a bad or taken name.
    public static func create(_ c: Connection, name: String, role: Role, oneTime: Bool = false, now: Int64) throws -> (annotator: Annotator, token: String) {
        let token = Token.generate()
        let a = try AnnotatorRepository(c).create(name: name, role: role, token: token, now: now)
        if oneTime { try markOneTime(c, token: token, now: now) }
        return (a, token)
    }

    /// Issues a new durable token for an annotator; the old link stops working.
    public static func renew(_ c: Connection, annotatorID: Int64, now: Int64) throws -> String {
        let token = Token.generate()
        if let old = try AnnotatorRepository(c).tokenHash(annotatorID) { try retire(c, "replaced", SHA256.hex(old), now: now) }
        try AnnotatorRepository(c).setToken(annotatorID, token: token)
        return token
    }

    /// On an empty install (no admin who can log in), creates the admin and returns its one-time token.
    public static func bootstrap(_ c: Connection, now: Int64) throws -> (annotator: Annotator, token: String)? {
        guard try !AnnotatorRepository(c).all().contains(where: { $0.role == .admin && $0.hasToken }) else { return nil }
        var name = "admin"
        var n = 1
        while try AnnotatorRepository(c).byName(name) != nil { n += 1; name = "admin-\(n)" }
        return try create(c, name: name, role: .admin, oneTime: true, now: now)
    }

    /// The enabled annotator a login token belongs to; a one-time token is used up (rotated).
    static func consume(_ c: Connection, token: String, now: Int64) throws -> Annotator? {
        guard token.utf8.count <= 256, let a = try AnnotatorRepository(c).byToken(token) else { return nil }
        let hex = SHA256.hex(Token.hash(token))
        var hashes = try oneTimeHashes(c)
        if let i = hashes.firstIndex(of: hex) {
            hashes.remove(at: i)
            try SettingsRepository(c).set(oneTimeKey, .array(hashes.map { .string($0) }), now: now)
            try AnnotatorRepository(c).setToken(a.id, token: Token.generate())
            try retire(c, "used", hex, now: now)
        }
        return a
    }

    /// The annotator of a durable token (bearer authentication never uses up a one-time link).
    static func durableAnnotator(token: String, _ c: Connection) throws -> Annotator? {
        guard token.utf8.count <= 256, let a = try AnnotatorRepository(c).byToken(token) else { return nil }
        return try oneTimeHashes(c).contains(SHA256.hex(Token.hash(token))) ? nil : a
    }

    /// Why `token` does not sign anyone in.
    static func refusal(_ c: Connection, token: String) throws -> Refusal {
        guard token.utf8.count <= 256 else { return .unknown }
        if let a = try AnnotatorRepository(c).disabledByToken(token) { return .disabled(name: a.name) }
        let hex = SHA256.hex(Token.hash(token))
        let retired = try SettingsRepository(c).get(retiredKey)?.arrayValue?.compactMap(\.stringValue) ?? []
        if retired.contains("used:" + hex) { return .usedUp }
        if retired.contains("replaced:" + hex) { return .replaced }
        return .unknown
    }

    static func retire(_ c: Connection, _ why: String, _ hex: String, now: Int64) throws {
        let retired = (try SettingsRepository(c).get(retiredKey)?.arrayValue?.compactMap(\.stringValue) ?? []) + [why + ":" + hex]
        try SettingsRepository(c).set(retiredKey, .array(retired.suffix(retiredLimit).map { .string($0) }), now: now)
    }

    static func oneTimeHashes(_ c: Connection) throws -> [String] {
        try SettingsRepository(c).get(oneTimeKey)?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    static func markOneTime(_ c: Connection, token: String, now: Int64) throws {
        let hashes = try oneTimeHashes(c) + [SHA256.hex(Token.hash(token))]
        try SettingsRepository(c).set(oneTimeKey, .array(hashes.map { .string($0) }), now: now)
    }
}
