// A problem as one user asks it, and the answers an assistant may give to it. Answers come in the
// domain's styles, each of which may state a right or a wrong value:
//     plain arithmetic: "7 + 5 = 12."  "7 + 5 = 12"  "The answer is 12."  "12"  "12."  "It's 12."
//                       "7 plus 5 is 12."  "That's 12."
//     word problems and conversions add the noun: "That's 12 apples."  "180 minutes"
//                       "3 hours = 180 minutes."  "There are 180 minutes in 3 hours."  …
import Support

public struct DemoQuestion: Sendable, Hashable {
    public let problem: DemoProblem
    /// The question's text, e.g. "How many minutes are in 3 hours?".
    public let text: String
    /// What the answer counts, when the question names it: the target unit, or a word problem's items.
    public let noun: DemoUnit?

    public init(problem: DemoProblem, text: String, noun: DemoUnit?) {
        self.problem = problem; self.text = text; self.noun = noun
    }

    /// An answer style: a template over {v} (the value), {vn} (the value with its noun), {eq} (the full
    /// equation), {spoken} ("7 plus 5", "3 hours").
    struct Style: Sendable {
        let template: DemoTemplate
        /// Needs a noun ({vn}), so only for word problems and conversions.
        let needsNoun: Bool
        /// Reads right only for conversions ("There are 180 minutes in 3 hours.").
        let conversionOnly: Bool
        init(_ t: String, conversion: Bool = false) {
            template = DemoTemplate(t); needsNoun = template.slots.contains("vn"); conversionOnly = conversion
        }
    }

    static let styles: [Style] = [
        .init("{eq}."), .init("{eq}"), .init("The answer is {v}."), .init("{v}"), .init("{v}."), .init("It's {v}."),
        .init("That's {v}."), .init("{spoken} is {v}."),
        .init("That's {vn}."), .init("The answer is {vn}."), .init("{vn}"), .init("{eq}, so the answer is {vn}."),
        .init("There are {vn} in {spoken}.", conversion: true), .init("{spoken} is {vn}.", conversion: true),
    ]

    /// The styles that read right for this question: with a noun, the noun-less "{spoken} is {v}." is
    /// left out ("3 hours is 180." reads wrong); without one, the noun styles are.
    var styles: [Style] {
        Self.styles.filter { s in
            if noun == nil { return !s.needsNoun }
            if s.conversionOnly && problem.operation != .convert { return false }
            return s.template.text != "{spoken} is {v}."
        }
    }

    /// The number of answer styles for this question (style indices run over 0..<styleCount).
    public var styleCount: Int { styles.count }

    /// The answer in style `style` stating `value` (pass `problem.answer` for a right answer).
    public func answer(_ value: Int, style: Int) -> String {
        let s = styles[style]
        let p = problem
        var values = ["v": "\(value)", "eq": p.equation(value), "spoken": p.spokenExpression]
        if let n = noun { values["vn"] = "\(value) \(n.name(for: value))" }
        return s.template.render(values)
    }

    /// An answer in a random style: right, or with a plausible wrong value.
    public func answer(correct: Bool, rng: inout SplitMix64) -> String {
        let value = correct ? problem.answer : problem.wrongAnswer(rng: &rng)
        return answer(value, style: rng.int(in: 0...(styleCount - 1)))
    }
}
