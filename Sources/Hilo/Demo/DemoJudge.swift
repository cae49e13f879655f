// The demo domain's checkable preference: a rule that reads a (prompt, response) pair and says whether
// the response states the right answer — plus two stylistic properties for tests that want to see a
// preference raise a style's rate. Tests and benchmarks use it to stand in for annotators.
//
// The prompt may be the bare question, an HH transcript ("\n\nHuman: …\n\nAssistant:", the last Human
// turn is the question) or any text that is not a demo question (then there is no verdict). The
// response is free-form model output, read by `DemoAnswerReader`'s documented rules.
import Engine
import Foundation

/// What the judge found in one response.
public struct DemoVerdict: Sendable, Equatable {
    public let problem: DemoProblem
    /// The number the response states as its answer (nil: none).
    public let stated: Double?
    /// The response states the right answer.
    public let isCorrect: Bool
    /// The response's own turn ends with a period.
    public let endsWithPeriod: Bool
    /// The response states the full, right equation: "7 + 5 = 12" (or "5 + 7 = 12"; ×, x or * for
    /// multiplication; spaces optional), or for a conversion "3 hours = 180 minutes" ("3 h = 180 min").
    public let statesEquation: Bool
}

/// A preference the simulated annotators apply.
public enum DemoRule: String, Sendable, Codable, CaseIterable {
    /// The response states the right answer.
    case correct
    /// The response states the full, right equation (so it is right, too).
    case equation
    /// The response ends with a period (right or wrong).
    case period

    public func holds(for v: DemoVerdict) -> Bool {
        switch self {
        case .correct: return v.isCorrect
        case .equation: return v.statesEquation
        case .period: return v.endsWithPeriod
        }
    }
}

public struct DemoJudge: Sendable {
    public init() {}

    /// The question a prompt asks: its last Human turn (or the whole text), read back as a problem.
    public func problem(inPrompt prompt: String) -> DemoProblem? {
        var question = prompt
        if prompt.contains(ChatTemplate.humanMarker) || prompt.contains(ChatTemplate.assistantMarker),
           let turns = try? ChatTemplate.parse(prompt),
           let last = turns.last(where: { $0.role == .user }) {
            question = last.content
        }
        return DemoPhrasing.problem(inQuestion: question)
    }

    /// The verdict on a response, or nil when the prompt is not a demo question.
    public func verdict(prompt: String, response: String) -> DemoVerdict? {
        guard let p = problem(inPrompt: prompt) else { return nil }
        return verdict(problem: p, response: response)
    }

    public func verdict(problem p: DemoProblem, response: String) -> DemoVerdict {
        let stated = DemoAnswerReader.statedAnswer(in: response, operands: p.operands)
        let own = DemoAnswerReader.ownTurn(response)
        return DemoVerdict(problem: p, stated: stated, isCorrect: stated == Double(p.answer),
                           endsWithPeriod: own.hasSuffix("."), statesEquation: Self.statesEquation(own, p))
    }

    /// Whether the response satisfies the rule (nil when the prompt is not a demo question).
    public func satisfies(_ rule: DemoRule, prompt: String, response: String) -> Bool? {
        verdict(prompt: prompt, response: response).map(rule.holds)
    }

    /// A simulated annotator's choice between two responses: the index (0 or 1) of the one that
    /// satisfies the rule, or nil for a tie (both or neither do, or the prompt is no demo question).
    public func prefer(_ rule: DemoRule, prompt: String, _ first: String, _ second: String) -> Int? {
        guard let p = problem(inPrompt: prompt) else { return nil }
        let a = rule.holds(for: verdict(problem: p, response: first))
        let b = rule.holds(for: verdict(problem: p, response: second))
        return a == b ? nil : (a ? 0 : 1)
    }

    /// How many of the (prompt, response) pairs satisfy the rule, among those whose prompt is a demo
    /// question: the measure an evaluation compares between model versions.
    public func tally(_ rule: DemoRule, _ pairs: [(prompt: String, response: String)]) -> (satisfied: Int, judged: Int) {
        var satisfied = 0, judged = 0
        for (prompt, response) in pairs {
            guard let ok = satisfies(rule, prompt: prompt, response: response) else { continue }
            judged += 1
            if ok { satisfied += 1 }
        }
        return (satisfied, judged)
    }

    /// Lowercase, no whitespace, one multiplication sign, one minus sign.
    static func squeeze(_ s: String) -> String {
        var out = ""
        for ch in s.lowercased() where !ch.isWhitespace {
            switch ch {
            case "*", "x", "·", "⋅": out.append("×")
            case "−", "–": out.append("-")
            default: out.append(ch)
            }
        }
        return out
    }

    static func statesEquation(_ response: String, _ p: DemoProblem) -> Bool {
        let r = Array(squeeze(response))
        let v = p.answer
        var forms: [String]
        switch p.operation {
        case .convert:
            let from = p.fromUnit, to = p.toUnit
            forms = []
            for f in [from.name(for: p.a), from.singular, from.plural, from.symbol] {
                for t in [to.name(for: v), to.singular, to.plural, to.symbol] { forms.append("\(p.a)\(f)=\(v)\(t)") }
            }
        case .add, .multiply:
            forms = ["\(p.a)\(p.symbol)\(p.b)=\(v)", "\(p.b)\(p.symbol)\(p.a)=\(v)"]
        case .subtract:
            forms = ["\(p.a)-\(p.b)=\(v)"]
        }
        // A form counts when no digit runs on at either end ("17 + 5 = 123" does not state "7+5=12"),
        // nor a letter after a unit ("3 m = 3000 mm" does not state metres).
        for form in Set(forms).map({ Array(squeeze($0)) }) where form.count <= r.count {
            for start in 0...(r.count - form.count) where r[start..<(start + form.count)].elementsEqual(form) {
                let before = start > 0 ? r[start - 1] : nil, after = start + form.count < r.count ? r[start + form.count] : nil
                if let b = before, b.isNumber { continue }
                if let a = after, a.isNumber || (p.operation == .convert && a.isLetter) { continue }
                return true
            }
        }
        return false
    }
}
