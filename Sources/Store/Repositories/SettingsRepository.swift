// Settings (key -> JSON value) and the idempotency replay store for non-judgment POSTs.
public struct SettingsRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    public func get(_ key: String) throws -> JSONValue? {
        try c.prepare("SELECT value FROM settings WHERE key = ?").first([.text(key)]) { try JSONValue.parse($0.string(0)) }
    }

    public func set(_ key: String, _ value: JSONValue, now: Int64) throws {
        try c.run("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                  [.text(key), .text(value.serialized), .int(now)])
    }

    public func all() throws -> [(key: String, value: JSONValue)] {
        try c.prepare("SELECT key, value FROM settings ORDER BY key").all([]) { (key: $0.string(0), value: try JSONValue.parse($0.string(1))) }
    }

    /// The reply stored for (annotator, key), if this request was seen before.
    public func idempotentReply(annotatorID: Int64, key: String) throws -> String? {
        try c.prepare("SELECT response FROM idempotency WHERE annotator_id = ? AND key = ?").first([.int(annotatorID), .text(key)]) { $0.string(0) }
    }

    /// Stores the reply to replay for (annotator, key); call in the same transaction as the action.
    public func storeIdempotentReply(annotatorID: Int64, key: String, reply: String, now: Int64) throws {
        try c.run("INSERT OR IGNORE INTO idempotency (annotator_id, key, response, created_at) VALUES (?, ?, ?, ?)",
                  [.int(annotatorID), .text(key), .text(reply), .int(now)])
    }
}
