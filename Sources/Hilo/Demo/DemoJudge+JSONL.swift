// The judge over JSONL, for scripts and end-to-end tests that stand in for annotators outside Swift:
// a row {"prompt": …, "response": …} ("completion" is accepted for "response"; either may be a
// string or a TRL message list) becomes
//     {"demo": true, "stated": 12, "correct": true, "ends_with_period": true, "states_equation": false, "satisfies": true}
// or {"demo": false} when the prompt is not a demo question. As a reward (`hilo demo judge --score`, a
// GRPO/RLOO reward program, and --reward-rule) the verdict is 1 when the rule holds, 0 when not, and
// null (no reward) when the prompt is not a demo question.
import Engine
import Foundation

extension DemoJudge {
    /// Judges one JSONL row under `rule`; a malformed row is a thrown `DemoError` naming the field.
    public func judgeRow(_ line: String, rule: DemoRule) throws -> String {
        let (prompt, response) = try Self.promptAndResponse(line)
        var out: [String: Any] = ["demo": false]
        if let v = verdict(prompt: prompt, response: response) {
            out = ["demo": true, "correct": v.isCorrect, "ends_with_period": v.endsWithPeriod,
                   "states_equation": v.statesEquation, "satisfies": rule.holds(for: v),
                   "stated": v.stated.map { $0 == $0.rounded() && abs($0) < 1e15 ? Int($0) as Any : $0 as Any } ?? NSNull()]
        }
        let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The row's reward under `rule`: "1", "0", or "null" for a prompt that is not a demo question.
    public func scoreRow(_ line: String, rule: DemoRule) throws -> String {
        let (prompt, response) = try Self.promptAndResponse(line)
        return reward(prompt: prompt, response: response, rule: rule).map { $0 == 1 ? "1" : "0" } ?? "null"
    }

    /// 1 when the rule holds, 0 when not, nil when the prompt is not a demo question.
    public func reward(prompt: String, response: String, rule: DemoRule) -> Double? {
        verdict(prompt: prompt, response: response).map { rule.holds(for: $0) ? 1 : 0 }
    }

    /// The rule as a GRPO/RLOO reward function (`hilo train grpo --reward-rule correct`).
    public static func rewards(rule: DemoRule) -> @Sendable ([RewardSample]) throws -> [Double?] {
        { samples in
            let judge = DemoJudge()
            return samples.map { judge.reward(prompt: $0.prompt.text, response: $0.completion, rule: rule) }
        }
    }

    /// The prompt and response texts of a JSONL row; a malformed row is a thrown `DemoError` naming the field.
    static func promptAndResponse(_ line: String) throws -> (String, String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw DemoError.invalid("expected a JSON object")
        }
        func text(_ field: String, role: String) throws -> String {
            switch object[field] {
            case let s as String: return s
            case let list as [[String: Any]]:
                guard let content = list.last(where: { $0["role"] as? String == role })?["content"] as? String else {
                    throw DemoError.invalid("\"\(field)\": no \(role) message with a string \"content\"")
                }
                return content
            case nil: throw DemoError.invalid("missing \"\(field)\"")
            default: throw DemoError.invalid("\"\(field)\": expected a string or a list of messages")
            }
        }
        let prompt = try text("prompt", role: "user")
        let response = try text(object["response"] != nil ? "response" : "completion", role: "assistant")
        return (prompt, response)
    }
}
