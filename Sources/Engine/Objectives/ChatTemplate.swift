// The plain-text conversation template Hilo uses for GPT-2-family models: Anthropic's HH-RLHF format,
//     "\n\nHuman: <user text>\n\nAssistant: <assistant text>\n\nHuman: …"
// which GPT-2 tokenizes without special tokens and which TRL and OpenRLHF read as they are. A system
// message, if any, is plain text before the first "\n\nHuman:". A prompt for generation ends with
// "\n\nAssistant:" and no space: the completion starts with the space, as in HH's chosen/rejected texts,
// so " Hello" stays one GPT-2 token.
import Foundation

public struct ChatTurn: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(role: Role, content: String) { self.role = role; self.content = content }
}

public enum ChatTemplate {
    public static let humanMarker = "\n\nHuman:"
    public static let assistantMarker = "\n\nAssistant:"

    /// `render` as a Jinja chat template, for tokenizer_config.json: transformers' `apply_chat_template`
    /// (and TRL's conversational datasets) then give the same text Hilo gives. A role other than
    /// system, user or assistant, or a system message after the first, is refused as `render` refuses it.
    public static let jinja = "{% for message in messages %}"
        + "{% if message['role'] == 'system' %}{% if not loop.first %}{{ raise_exception('a system message must be the first turn') }}{% endif %}{{ message['content'] }}"
        + "{% elif message['role'] == 'user' %}{{ '\\n\\nHuman: ' + message['content'] }}"
        + "{% elif message['role'] == 'assistant' %}{{ '\\n\\nAssistant: ' + message['content'] }}"
        + "{% else %}{{ raise_exception('unknown role: ' + message['role']) }}{% endif %}"
        + "{% endfor %}{% if add_generation_prompt %}{{ '\\n\\nAssistant:' }}{% endif %}"

    /// Renders turns to HH text. `addGenerationPrompt` appends "\n\nAssistant:" for the model to continue.
    /// Throws when a system turn is not first or a content contains a turn marker (it would not parse back).
    public static func render(_ turns: [ChatTurn], addGenerationPrompt: Bool = false) throws -> String {
        var text = ""
        for (i, turn) in turns.enumerated() {
            if turn.content.contains(humanMarker) || turn.content.contains(assistantMarker) {
                throw EngineError.invalidInput("chat turn \(i) contains a \"\\n\\nHuman:\" or \"\\n\\nAssistant:\" marker, which would split it into two turns")
            }
            switch turn.role {
            case .system:
                guard i == 0 else { throw EngineError.invalidInput("chat turn \(i): a system message must be the first turn") }
                text += turn.content
            case .user: text += humanMarker + " " + turn.content
            case .assistant: text += assistantMarker + " " + turn.content
            }
        }
        if addGenerationPrompt { text += assistantMarker }
        return text
    }

    /// Parses HH text back into turns: text before the first marker becomes a system turn (if not empty),
    /// each marker starts a turn and one space after it is dropped. A transcript ending in
    /// "\n\nAssistant:" ends with an empty assistant turn.
    public static func parse(_ text: String) throws -> [ChatTurn] {
        var turns: [ChatTurn] = []
        var rest = Substring(text)
        var role: ChatTurn.Role? = nil
        while true {
            let h = rest.range(of: humanMarker), a = rest.range(of: assistantMarker)
            let next: (Range<Substring.Index>, ChatTurn.Role)?
            switch (h, a) {
            case let (h?, a?): next = h.lowerBound < a.lowerBound ? (h, .user) : (a, .assistant)
            case let (h?, nil): next = (h, .user)
            case let (nil, a?): next = (a, .assistant)
            case (nil, nil): next = nil
            }
            let body = next.map { rest[..<$0.0.lowerBound] } ?? rest
            if let r = role {
                turns.append(ChatTurn(role: r, content: String(body.hasPrefix(" ") ? body.dropFirst() : body)))
            } else if !body.isEmpty {
                turns.append(ChatTurn(role: .system, content: String(body)))
            }
            guard let (range, nextRole) = next else { break }
            role = nextRole
            rest = rest[range.upperBound...]
        }
        guard turns.contains(where: { $0.role != .system }) else {
            throw EngineError.invalidInput("not an HH transcript: no \"\\n\\nHuman:\" or \"\\n\\nAssistant:\" turn")
        }
        return turns
    }

    /// Splits a full HH transcript into the prompt (through the last "\n\nAssistant:") and the final
    /// completion (everything after it, leading space included) — TRL's prompt extraction for HH's
    /// chosen/rejected columns.
    public static func splitLastAssistant(_ transcript: String) throws -> (prompt: String, completion: String) {
        guard let r = transcript.range(of: assistantMarker, options: .backwards) else {
            throw EngineError.invalidInput("not an HH transcript: no \"\\n\\nAssistant:\" turn to split at")
        }
        return (String(transcript[..<r.upperBound]), String(transcript[r.upperBound...]))
    }
}
