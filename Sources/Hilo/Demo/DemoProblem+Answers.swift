// What a problem's answers look like: the equation ("7 + 5 = 12", "3 hours = 180 minutes") and the
// plausible wrong values a careless assistant gives (off by one, the wrong operation, swapped digits,
// a wrong conversion factor), never negative and never the right answer.
import Support

extension DemoProblem {
    /// The operator symbol in equations.
    public var symbol: String {
        switch operation {
        case .add: return "+"
        case .subtract: return "-"
        case .multiply: return "×"
        case .convert: return "="
        }
    }

    /// The operation in words: "7 plus 5", "12 minus 5", "7 times 5", "3 hours".
    public var spokenExpression: String {
        switch operation {
        case .add: return "\(a) plus \(b)"
        case .subtract: return "\(a) minus \(b)"
        case .multiply: return "\(a) times \(b)"
        case .convert: return "\(a) \(fromUnit.name(for: a))"
        }
    }

    /// Conversions: the unit the question starts from and the one it asks for.
    public var fromUnit: DemoUnit { let c = DemoConversion.all[b]; return toSmall ? c.big : c.small }
    public var toUnit: DemoUnit { let c = DemoConversion.all[b]; return toSmall ? c.small : c.big }

    /// The left side of the equation: "7 + 5", or "3 hours" for a conversion.
    public var expression: String {
        operation == .convert ? spokenExpression : "\(a) \(symbol) \(b)"
    }

    /// The full equation stating `value` (right or wrong): "7 + 5 = 12", "3 hours = 180 minutes".
    public func equation(_ value: Int) -> String {
        operation == .convert ? "\(expression) = \(value) \(toUnit.name(for: value))" : "\(expression) = \(value)"
    }

    /// A plausible wrong answer: one of the mistakes that fit this problem, at random.
    public func wrongAnswer(rng: inout SplitMix64) -> Int {
        let candidates = wrongAnswers
        return rng.pick(candidates)
    }

    /// Every plausible wrong answer (distinct, non-negative, never the answer; never empty).
    public var wrongAnswers: [Int] {
        let right = answer
        var out: [Int] = []
        func add(_ v: Int) { if v >= 0 && v != right && !out.contains(v) { out.append(v) } }
        // Off by one.
        add(right + 1); add(right - 1)
        // The wrong operation or factor.
        switch operation {
        case .add: add(a * b); add(abs(a - b))
        case .subtract: add(a + b)
        case .multiply: add(a + b); add(a * (b + 1))
        case .convert:
            let f = DemoConversion.all[b].factor
            let wrongFactor = f >= 100 ? f / 10 : (f == 60 ? 100 : 10)
            if toSmall { add(a * wrongFactor); add(a + f) } else { add(a / wrongFactor); add(a * f) }
        }
        // Swapped digits (12 → 21) or a dropped zero (3000 → 300).
        if right >= 10 {
            if right % 10 == 0 { add(right / 10) } else { add(Int(String(String(right).reversed()))!) }
        }
        return out
    }
}
