// The rows a stage trains on, and their reading from JSON Lines in Hilo's export formats (the same
// files TRL reads), so a file from `hilo export` and the rows the server takes from its database go
// through one path:
//     pretrain  raw text, one document per line, or {"text": …}
//     sft       {"prompt", "completion"}
//     reward    {"prompt", "chosen", "rejected"} (trl), {"chosen", "rejected"} HH transcripts,
//               {"prompt", "responses": […], "ranks": […]} K-way rankings (smaller rank is better)
//     dpo, ipo  {"prompt", "chosen", "rejected"} or HH transcripts
//     kto       {"prompt", "completion", "label": true|false}
//     ppo       {"prompt"} or raw text, one prompt per line
//     grpo, rloo  the same; every other column of a row goes to reward programs (GroupPrompt.row);
//               or groups labelled by annotators, {"prompt", "responses": […], "ranks": […]} (1 = best,
//               null = unranked; RankRewards, rankings of the same group averaged) or {…, "rewards": […]}
// Conversational rows (lists of {"role", "content"}) are rendered with the HH template (ChatTemplate):
// the prompt ends with "\n\nAssistant:" and the completion starts with a space.
import Foundation

public enum TrainingData: Sendable {
    case text([String])
    case sft([SFTExample])
    case preferences([PreferenceExample], rankings: [RankingExample])
    case kto([KTOExample])
    case prompts([String])
    case groupPrompts([GroupPrompt])
    case labelledGroups([LabelledGroup])

    public var count: Int {
        switch self {
        case .text(let a): return a.count
        case .sft(let a): return a.count
        case .preferences(let p, let r): return p.count + r.count
        case .kto(let a): return a.count
        case .prompts(let a): return a.count
        case .groupPrompts(let a): return a.count
        case .labelledGroups(let a): return a.count
        }
    }

    /// Parses JSON Lines for `stage`. `source` names the input in errors ("data.jsonl").
    public static func parse(jsonl data: Data, stage: TrainingStage, source: String) throws -> TrainingData {
        let content = String(decoding: data, as: UTF8.self)
        var docs: [String] = [], sft: [SFTExample] = [], prefs: [PreferenceExample] = [], ranks: [RankingExample] = []
        var kto: [KTOExample] = [], group: [GroupPrompt] = [], labelled = LabelledGroups()
        for (i, raw) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            func bad(_ why: String) -> EngineError { .badFile(path: source, reason: "line \(i + 1): \(why)") }
            let object = line.first == "{" ? (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] : nil
            switch stage {
            case .pretrain, .ppo:
                if let o = object {
                    guard let s = o[stage == .ppo ? "prompt" : "text"] else { throw bad("expected a \"\(stage == .ppo ? "prompt" : "text")\" field") }
                    docs.append(try renderText(s, role: stage == .ppo ? .prompt : .plain, bad))
                } else { docs.append(String(line)) }
            case .grpo, .rloo:
                if let o = object, o["responses"] != nil {
                    try labelled.add(o, text: try field(o, "prompt", .prompt, bad), bad)
                } else if let o = object {
                    guard let p = o["prompt"] else { throw bad("expected a \"prompt\" field") }
                    group.append(GroupPrompt(text: try renderText(p, role: .prompt, bad),
                                             row: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])))
                } else { group.append(GroupPrompt(text: String(line))) }
            case .sft:
                guard let o = object else { throw bad("not a JSON object (sft rows are {\"prompt\", \"completion\"})") }
                sft.append(SFTExample(prompt: try field(o, "prompt", .prompt, bad), completion: try field(o, "completion", .completion, bad)))
            case .reward, .dpo, .ipo:
                guard let o = object else { throw bad("not a JSON object (preference rows are {\"prompt\", \"chosen\", \"rejected\"})") }
                if stage == .reward, let responses = o["responses"] as? [String], let r = o["ranks"] as? [Int] {
                    ranks.append(RankingExample(prompt: try field(o, "prompt", .prompt, bad), responses: responses, ranks: r))
                } else if o["prompt"] == nil, let c = o["chosen"] as? String, let r = o["rejected"] as? String {
                    // HH transcripts: the prompt is everything through the last "\n\nAssistant:".
                    let (pc, cc) = try ChatTemplate.splitLastAssistant(c), (pr, rc) = try ChatTemplate.splitLastAssistant(r)
                    guard pc == pr else { throw bad("chosen and rejected transcripts differ before their last assistant turn") }
                    prefs.append(PreferenceExample(prompt: pc, chosen: cc, rejected: rc))
                } else {
                    prefs.append(PreferenceExample(prompt: try field(o, "prompt", .prompt, bad), chosen: try field(o, "chosen", .completion, bad),
                                                   rejected: try field(o, "rejected", .completion, bad)))
                }
            case .kto:
                guard let o = object else { throw bad("not a JSON object (kto rows are {\"prompt\", \"completion\", \"label\"})") }
                guard let label = o["label"] as? Bool else { throw bad("\"label\" must be true or false") }
                kto.append(KTOExample(prompt: try field(o, "prompt", .prompt, bad), completion: try field(o, "completion", .completion, bad), desirable: label))
            }
        }
        switch stage {
        case .pretrain: return .text(docs)
        case .ppo: return .prompts(docs)
        case .grpo, .rloo:
            if labelled.isEmpty { return .groupPrompts(group) }
            guard group.isEmpty else {
                throw EngineError.badFile(path: source, reason: "mixes prompts to sample and labelled groups ({\"prompt\", \"responses\", \"ranks\"}): use one kind per file")
            }
            return .labelledGroups(try labelled.groups())
        case .sft: return .sft(sft)
        case .reward, .dpo, .ipo: return .preferences(prefs, rankings: ranks)
        case .kto: return .kto(kto)
        }
    }

    enum Role { case plain, prompt, completion }

    private static func field(_ o: [String: Any], _ key: String, _ role: Role, _ bad: (String) -> EngineError) throws -> String {
        guard let v = o[key] else { throw bad("missing \"\(key)\"") }
        return try renderText(v, role: role, bad)
    }

    /// A string, or a conversational message list rendered with the HH template.
    private static func renderText(_ v: Any, role: Role, _ bad: (String) -> EngineError) throws -> String {
        if let s = v as? String { return s }
        guard let list = v as? [[String: Any]] else { throw bad("expected a string or a list of {\"role\", \"content\"} messages") }
        var turns: [ChatTurn] = []
        for m in list {
            guard let r = (m["role"] as? String).flatMap({ $0 == "human" ? .user : ChatTurn.Role(rawValue: $0) }),
                  let c = m["content"] as? String else { throw bad("a message needs a role (system, user, assistant) and a content string") }
            turns.append(ChatTurn(role: r, content: c))
        }
        if role == .completion {
            // The assistant's answer after "\n\nAssistant:": a space, then the text (several turns are joined by the template).
            if turns.count == 1, turns[0].role == .assistant { return " " + turns[0].content }
            let rendered = try ChatTemplate.render(turns)
            return rendered.hasPrefix(ChatTemplate.assistantMarker) ? String(rendered.dropFirst(ChatTemplate.assistantMarker.count)) : rendered
        }
        return try ChatTemplate.render(turns, addGenerationPrompt: role == .prompt)
    }
}
