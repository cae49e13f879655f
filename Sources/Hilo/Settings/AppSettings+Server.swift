// Where annotators reach this server: `server.public_url`, the base of every login link that
// `hilo annotators add|link` prints and the admin page makes. Until an admin sets it, it follows the
// address `hilo serve` last listened on (recorded at each start), so links carry the real port
// rather than a guess; once an admin sets it (a proxy, a DNS name), starts leave it alone.
import Foundation
import Store

extension AppSettings {
    public struct ServerSection: Codable, Sendable, Equatable {
        /// The base of login links, e.g. "https://label.example.org"; empty = "http://127.0.0.1:8080".
        /// Why a setting: the server cannot know the name a reverse proxy or DNS gives it.
        public var publicUrl: String = ""

        public init() {}

        func validate(_ fail: (String) -> SettingsError) throws(SettingsError) {
            guard publicUrl.isEmpty || Self.isHTTPURL(publicUrl) else {
                throw fail("server.public_url must be empty or an http:// or https:// address without spaces")
            }
        }

        static func isHTTPURL(_ s: String) -> Bool {
            guard s.utf8.count <= 2048, s.hasPrefix("http://") || s.hasPrefix("https://") else { return false }
            let rest = s.drop(while: { $0 != "/" }).dropFirst(2)
            return !rest.isEmpty && rest.first != "/" && !s.contains(where: { $0.isWhitespace || $0.isNewline })
        }
    }

    /// The settings key holding the address `hilo serve` last listened on.
    static let listenedKey = "server.listened_url"
    /// The link base when nothing was ever recorded (a database no server has opened yet).
    static let fallbackURL = "http://127.0.0.1:8080"

    /// Records that the server listens on `url`: `server.public_url` follows it unless an admin set
    /// another address (one that differs from the address recorded before).
    static func recordListening(_ c: Connection, url: String, now: Int64) throws {
        let repo = SettingsRepository(c)
        let previous = try repo.get(listenedKey)?.stringValue
        var settings = try load(c)
        if settings.server.publicUrl.isEmpty || settings.server.publicUrl == previous {
            settings.server.publicUrl = url
            try settings.save(c, now: now)
        }
        try repo.set(listenedKey, .string(url), now: now)
    }

    /// Whether an admin chose the public URL (rather than it following the listening address).
    static func publicURLChosen(_ c: Connection) throws -> Bool {
        let url = try load(c).server.publicUrl
        let listened = try SettingsRepository(c).get(listenedKey)?.stringValue
        return !url.isEmpty && url != listened
    }
}

extension LoginLinks {
    /// The base of login links made outside a request (the CLI): `server.public_url` or the fallback.
    public static func publicBase(_ c: Connection) throws -> String {
        let url = try AppSettings.load(c).server.publicUrl
        return url.isEmpty ? AppSettings.fallbackURL : url
    }
}
