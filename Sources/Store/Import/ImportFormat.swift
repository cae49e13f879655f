// The formats `hilo import` reads and how each row becomes prompts, responses and labels.
// A row is a JSON object (one JSONL line, or a CSV record turned into one by `csvObject`).
import Foundation

public enum ImportFormat: String, Sendable, CaseIterable {
    /// {"prompt": text | messages, "tags"?: [text], "metadata"?: {…}, "source"?: text}
    case prompts
    /// {"prompt": …, "responses": [text, …], "ranks"?: [int, …] (1 = best), "origin"?: text, + prompts' optional fields}
    case responses
    /// TRL preference rows: {"prompt","chosen","rejected"} as strings or message lists, or {"chosen","rejected"} with an implicit prompt.
    case trl
    /// Anthropic HH: {"chosen","rejected"} full "\n\nHuman: …\n\nAssistant: …" transcripts.
    case hh
    /// SFT demonstrations: {"prompt","completion"} (strings or message lists) or {"messages": […]} ending with an assistant turn.
    case sft

    var allowedFields: Set<String> {
        let promptExtras: Set<String> = ["tags", "metadata", "source"]
        switch self {
        case .prompts: return promptExtras.union(["prompt"])
        case .responses: return promptExtras.union(["prompt", "responses", "ranks", "origin"])
        case .trl: return promptExtras.union(["prompt", "chosen", "rejected"])
        case .hh: return promptExtras.union(["chosen", "rejected"])
        case .sft: return promptExtras.union(["prompt", "completion", "messages"])
        }
    }
}

/// What one row adds: a prompt, its responses, and optionally a ranking or a demonstration.
struct ImportItem {
    var prompt: NewPrompt
    var responses: [String] = []
    /// Parallel to `responses`; 1 = best. nil = no label.
    var ranks: [Int]? = nil
    /// An SFT demonstration, stored as a rewrite judgment by 'imported'.
    var demonstration: String? = nil
    /// Overrides the default 'import:<file>' response origin.
    var origin: String? = nil
}

/// A problem with one field of one row.
struct FieldError: Error { let field: String?; let message: String }

struct ImportRowParser {
    let format: ImportFormat
    let maxResponses: Int

    func parse(_ row: JSONValue) throws -> ImportItem {
        guard case let .object(pairs) = row else { throw FieldError(field: nil, message: "expected a JSON object") }
        let allowed = format.allowedFields
        for (key, _) in pairs where !allowed.contains(key) {
            throw FieldError(field: key, message: "unknown field for --format \(format.rawValue) (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        var item: ImportItem
        switch format {
        case .prompts:
            item = ImportItem(prompt: try prompt(required(row, "prompt")))
        case .responses:
            item = ImportItem(prompt: try prompt(required(row, "prompt")))
            guard case let .array(list) = try required(row, "responses"), !list.isEmpty else {
                throw FieldError(field: "responses", message: "expected a non-empty list of strings")
            }
            guard list.count <= maxResponses else { throw FieldError(field: "responses", message: "more than \(maxResponses) responses") }
            item.responses = try list.enumerated().map { k, v in
                guard let s = v.stringValue else { throw FieldError(field: "responses[\(k)]", message: "expected a string") }
                return s
            }
            if let ranks = row["ranks"], ranks != .null {
                guard case let .array(rl) = ranks, rl.count == list.count else {
                    throw FieldError(field: "ranks", message: "expected a list of \(list.count) integers, one per response")
                }
                item.ranks = try rl.enumerated().map { k, v in
                    guard case let .number(n) = v, n == n.rounded(), n >= 1, n <= 1000 else {
                        throw FieldError(field: "ranks[\(k)]", message: "expected an integer rank >= 1 (1 = best)")
                    }
                    return Int(n)
                }
                if Set(item.responses).count != item.responses.count {
                    throw FieldError(field: "responses", message: "a ranked response appears twice")
                }
            }
            if let origin = row["origin"], origin != .null {
                guard let s = origin.stringValue, !s.isEmpty else { throw FieldError(field: "origin", message: "expected a string") }
                item.origin = s
            }
        case .trl:
            item = try trl(row)
        case .hh:
            item = try hh(row)
        case .sft:
            item = try sft(row)
        }
        if let tags = row["tags"], tags != .null {
            guard case let .array(list) = tags else { throw FieldError(field: "tags", message: "expected a list of strings") }
            item.prompt.tags = try list.map {
                guard let s = $0.stringValue else { throw FieldError(field: "tags", message: "expected a list of strings") }
                return s
            }
        }
        if let metadata = row["metadata"], metadata != .null {
            guard case .object = metadata else { throw FieldError(field: "metadata", message: "expected an object") }
            item.prompt.metadata = metadata.serialized
        }
        if let source = row["source"], source != .null {
            guard let s = source.stringValue else { throw FieldError(field: "source", message: "expected a string") }
            item.prompt.source = s
        }
        return item
    }

    func required(_ row: JSONValue, _ key: String) throws -> JSONValue {
        guard let v = row[key], v != .null else { throw FieldError(field: key, message: "missing") }
        return v
    }

    func text(_ v: JSONValue, _ field: String) throws -> String {
        guard let s = v.stringValue else { throw FieldError(field: field, message: "expected a string") }
        guard !s.isEmpty else { throw FieldError(field: field, message: "empty") }
        return s
    }

    func messages(_ v: JSONValue, _ field: String) throws -> [Message] {
        do { return try Conversation.messages(from: v, field: field) } catch let e as StoreError {
            throw FieldError(field: field, message: e.description.replacingOccurrences(of: field + ": ", with: ""))
        }
    }

    func prompt(_ v: JSONValue) throws -> NewPrompt {
        switch v {
        case let .string(s):
            guard !s.isEmpty else { throw FieldError(field: "prompt", message: "empty") }
            return NewPrompt(text: s)
        case .array:
            let m = try messages(v, "prompt")
            guard m.last?.role == "user" else { throw FieldError(field: "prompt", message: "a conversation prompt must end with a user turn") }
            return NewPrompt(messages: m)
        default: throw FieldError(field: "prompt", message: "expected a string or a list of messages")
        }
    }

    /// The assistant text of a completion given as a message list (exactly one assistant turn).
    func completion(_ v: JSONValue, _ field: String) throws -> String {
        if case .string = v { return try text(v, field) }
        let m = try messages(v, field)
        guard m.count == 1, m[0].role == "assistant" else {
            throw FieldError(field: field, message: "expected exactly one assistant message after the prompt")
        }
        return m[0].content
    }

    func trl(_ row: JSONValue) throws -> ImportItem {
        let chosen = try required(row, "chosen"), rejected = try required(row, "rejected")
        var item: ImportItem
        if let p = row["prompt"], p != .null {
            item = ImportItem(prompt: try prompt(p))
            item.responses = [try completion(chosen, "chosen"), try completion(rejected, "rejected")]
        } else if case .string = chosen {
            // Implicit prompt, string form: split at the longest common prefix (TRL's extract_prompt
            // keeps a separating space with the completion).
            let c = Array(try text(chosen, "chosen").utf8), r = Array(try text(rejected, "rejected").utf8)
            var k = 0
            while k < c.count, k < r.count, c[k] == r[k] { k += 1 }
            while k > 0, k < c.count, c[k] & 0xC0 == 0x80 { k -= 1 } // do not split a UTF-8 sequence
            if k > 0, c[k - 1] == 0x20 { k -= 1 }
            guard k > 0 else { throw FieldError(field: "chosen", message: "no shared prompt prefix with rejected (add a \"prompt\" field)") }
            guard k < c.count, k < r.count else { throw FieldError(field: "rejected", message: "chosen and rejected are identical or one contains the other") }
            item = ImportItem(prompt: NewPrompt(text: String(decoding: c[..<k], as: UTF8.self)))
            item.responses = [String(decoding: c[k...], as: UTF8.self), String(decoding: r[k...], as: UTF8.self)]
        } else {
            // Implicit prompt, conversational: the shared leading turns are the prompt.
            let c = try messages(chosen, "chosen"), r = try messages(rejected, "rejected")
            guard c.count >= 2, r.count == c.count, Array(c.dropLast()) == Array(r.dropLast()) else {
                throw FieldError(field: "rejected", message: "chosen and rejected must share every turn but the last")
            }
            guard c.last?.role == "assistant", r.last?.role == "assistant" else {
                throw FieldError(field: "chosen", message: "the last turn must be the assistant's")
            }
            let p = Array(c.dropLast())
            guard p.last?.role == "user" else { throw FieldError(field: "chosen", message: "the prompt turns must end with a user turn") }
            item = ImportItem(prompt: NewPrompt(messages: p))
            item.responses = [c.last!.content, r.last!.content]
        }
        guard item.responses[0] != item.responses[1] else {
            throw FieldError(field: "rejected", message: "chosen and rejected are the same text")
        }
        item.ranks = [1, 2]
        return item
    }

    func hh(_ row: JSONValue) throws -> ImportItem {
        let chosen = try text(try required(row, "chosen"), "chosen"), rejected = try text(try required(row, "rejected"), "rejected")
        let marker = "\n\nAssistant:"
        guard let cr = chosen.range(of: marker, options: .backwards) else { throw FieldError(field: "chosen", message: "no \"\\n\\nAssistant:\" turn") }
        guard let rr = rejected.range(of: marker, options: .backwards) else { throw FieldError(field: "rejected", message: "no \"\\n\\nAssistant:\" turn") }
        let prefix = String(chosen[..<cr.lowerBound])
        guard prefix == String(rejected[..<rr.lowerBound]) else {
            throw FieldError(field: "rejected", message: "the transcript differs from chosen before the last Assistant turn")
        }
        guard let turns = Conversation.parseHH(prefix), turns.last?.role == "user" else {
            throw FieldError(field: "chosen", message: "expected \"\\n\\nHuman: …\" before the last Assistant turn")
        }
        func answer(_ s: Substring) -> String { String(s.hasPrefix(" ") ? s.dropFirst() : s) }
        var item = ImportItem(prompt: NewPrompt(messages: turns))
        item.responses = [answer(chosen[cr.upperBound...]), answer(rejected[rr.upperBound...])]
        guard item.responses[0] != item.responses[1] else { throw FieldError(field: "rejected", message: "chosen and rejected end with the same answer") }
        item.ranks = [1, 2]
        return item
    }

    func sft(_ row: JSONValue) throws -> ImportItem {
        if let m = row["messages"], m != .null {
            if row["prompt"] != nil || row["completion"] != nil {
                throw FieldError(field: "messages", message: "give either messages or prompt/completion, not both")
            }
            let turns = try messages(m, "messages")
            guard turns.count >= 2, turns.last?.role == "assistant", turns[turns.count - 2].role == "user" else {
                throw FieldError(field: "messages", message: "expected a conversation ending with a user turn and an assistant answer")
            }
            var item = ImportItem(prompt: NewPrompt(messages: Array(turns.dropLast())))
            item.demonstration = turns.last!.content
            return item
        }
        var item = ImportItem(prompt: try prompt(try required(row, "prompt")))
        item.demonstration = try completion(try required(row, "completion"), "completion")
        return item
    }

    /// Turns a CSV record into the JSON row of the format: text columns as strings; for
    /// `responses`, response_1…response_N (and rank_1…rank_N) columns become the lists; `tags` is
    /// comma-separated and `metadata` holds JSON.
    static func csvObject(header: [String], fields: [String], line: Int) throws -> JSONValue {
        guard fields.count == header.count else {
            throw FieldError(field: nil, message: "expected \(header.count) fields like the header, found \(fields.count)")
        }
        var pairs: [(String, JSONValue)] = []
        var responses: [(Int, String)] = [], ranks: [(Int, String)] = []
        for (name, value) in zip(header, fields) where !value.isEmpty {
            if name.hasPrefix("response_"), let k = Int(name.dropFirst(9)) { responses.append((k, value)); continue }
            if name.hasPrefix("rank_"), let k = Int(name.dropFirst(5)) { ranks.append((k, value)); continue }
            switch name {
            case "tags":
                pairs.append((name, .array(value.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })))
            case "metadata":
                guard let v = try? JSONValue.parse(value) else { throw FieldError(field: "metadata", message: "expected a JSON object") }
                pairs.append((name, v))
            default:
                pairs.append((name, .string(value)))
            }
        }
        if !responses.isEmpty {
            pairs.append(("responses", .array(responses.sorted { $0.0 < $1.0 }.map { .string($0.1) })))
        }
        if !ranks.isEmpty {
            pairs.append(("ranks", .array(try ranks.sorted { $0.0 < $1.0 }.map {
                guard let n = Int($0.1) else { throw FieldError(field: "rank_\($0.0)", message: "expected an integer") }
                return .number(Double(n))
            })))
        }
        return .object(pairs)
    }
}
