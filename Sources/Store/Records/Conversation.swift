// Conversations as Hilo stores them: JSON arrays of {"role","content"} turns, their Anthropic-HH
// text rendering, and the canonical form a prompt's content hash is computed from.
import Foundation
import Support
public enum Conversation {
    public static let roles: Set<String> = ["system", "user", "assistant"]

    /// Canonical JSON: [{"role":…,"content":…},…] with keys in that order, no spaces.
    public static func json(_ messages: [Message]) -> String {
        var w = JSONWriter()
        writeJSON(messages, into: &w)
        return w.string
    }

    static func writeJSON(_ messages: [Message], into w: inout JSONWriter) {
        w.raw("[")
        for (k, m) in messages.enumerated() {
            if k > 0 { w.raw(",") }
            w.raw("{\"role\":"); w.string(m.role); w.raw(",\"content\":"); w.string(m.content); w.raw("}")
        }
        w.raw("]")
    }

    /// Parses a stored or imported message list; throws with `field` in the message when malformed.
    public static func messages(from value: JSONValue, field: String) throws -> [Message] {
        guard case let .array(items) = value else { throw StoreError.invalid("\(field): expected a list of {\"role\",\"content\"} messages") }
        return try items.enumerated().map { k, item in
            guard case let .object(pairs) = item else { throw StoreError.invalid("\(field)[\(k)]: expected an object") }
            for (key, _) in pairs where key != "role" && key != "content" {
                throw StoreError.invalid("\(field)[\(k)]: unknown field \"\(key)\"")
            }
            guard let role = item["role"]?.stringValue, roles.contains(role) else {
                throw StoreError.invalid("\(field)[\(k)].role: expected \"system\", \"user\" or \"assistant\"")
            }
            guard let content = item["content"]?.stringValue else { throw StoreError.invalid("\(field)[\(k)].content: expected a string") }
            return Message(role: role, content: content)
        }
    }

    /// The turn markers of an HH transcript.
    public static let humanMarker = "\n\nHuman:", assistantMarker = "\n\nAssistant:"

    /// The HH transcript of `messages`: "\n\nHuman: …\n\nAssistant: …" (system turns lead as plain text).
    public static func hhText(_ messages: [Message]) -> String {
        var out = ""
        for m in messages {
            switch m.role {
            case "user": out += "\n\nHuman: " + m.content
            case "assistant": out += "\n\nAssistant: " + m.content
            default: out += m.content
            }
        }
        return out
    }

    /// Splits an HH transcript ("\n\nHuman: …\n\nAssistant: …") into turns. Text before the first
    /// marker becomes a system turn. Returns nil when there is no Human turn at all.
    public static func parseHH(_ text: String) -> [Message]? {
        let human = humanMarker, assistant = assistantMarker
        var turns: [Message] = []
        var rest = Substring(text)
        var role: String? = nil
        while true {
            let h = rest.range(of: human), a = rest.range(of: assistant)
            let next: (Range<Substring.Index>, String)?
            switch (h, a) {
            case let (h?, a?): next = h.lowerBound < a.lowerBound ? (h, "user") : (a, "assistant")
            case let (h?, nil): next = (h, "user")
            case let (nil, a?): next = (a, "assistant")
            default: next = nil
            }
            let chunk = next.map { rest[..<$0.0.lowerBound] } ?? rest
            if let role {
                turns.append(Message(role: role, content: String(chunk.hasPrefix(" ") ? chunk.dropFirst() : chunk)))
            } else if !chunk.isEmpty {
                turns.append(Message(role: "system", content: String(chunk)))
            }
            guard let next else { break }
            role = next.1
            rest = rest[next.0.upperBound...]
        }
        return turns.contains { $0.role == "user" } ? turns : nil
    }
}
