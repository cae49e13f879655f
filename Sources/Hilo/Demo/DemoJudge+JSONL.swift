// The judge over JSONL, for scripts and end-to-end tests that stand in for annotators outside Swift:
// a row {"prompt": …, "response": …} ("completion" is accepted for "response"; either may be a
// string or a TRL message list) becomes
//     {"demo": true, "stated": 12, "correct": true, "ends_with_period": true, "states_equation": false, "satisfies": true}
// or {"demo": false} when the prompt is not a demo question.
import Foundation

extension DemoJudge {
    /// Judges one JSONL row under `rule`; a malformed row is a thrown `DemoError` naming the field.
    public func judgeRow(_ line: String, rule: DemoRule) throws -> String {
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
        var out: [String: Any] = ["demo": false]
        if let v = verdict(prompt: prompt, response: response) {
            out = ["demo": true, "correct": v.isCorrect, "ends_with_period": v.endsWithPeriod,
                   "states_equation": v.statesEquation, "satisfies": rule.holds(for: v),
                   "stated": v.stated.map { $0 == $0.rounded() && abs($0) < 1e15 ? Int($0) as Any : $0 as Any } ?? NSNull()]
        }
        let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
