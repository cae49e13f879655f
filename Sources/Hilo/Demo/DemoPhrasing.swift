// The wordings of the demo domain: how a problem is asked (plain arithmetic, word problems, unit
// questions) and how an assistant may answer ("7 + 5 = 12.", "The answer is 12.", "12", "That's 180
// minutes."). Questions are templates so the judge can read them back; answers are free text.
import Support

public enum DemoPhrasing {
    /// A question wording for one operation. Word problems need operands of at least `minA`/`minB`
    /// so the nouns read right ("2 boxes", never "1 boxes").
    struct Question: Sendable {
        let operation: DemoProblem.Operation
        let template: DemoTemplate
        let isWordProblem: Bool
        let minA: Int, minB: Int
        init(_ op: DemoProblem.Operation, _ text: String, word: Bool = false, minA: Int = 0, minB: Int = 0) {
            operation = op; template = DemoTemplate(text); isWordProblem = word; self.minA = minA; self.minB = minB
        }
    }

    static let names = ["Sam", "Ana", "Leo", "Mia", "Tom", "Zoe", "Ben", "Ivy"]
    static let items: [(singular: String, plural: String)] = [
        ("apple", "apples"), ("pencil", "pencils"), ("sticker", "stickers"), ("book", "books"),
        ("marble", "marbles"), ("cookie", "cookies"), ("coin", "coins"), ("shell", "shells"),
    ]

    static let questions: [Question] = [
        .init(.add, "What is {a} + {b}?"), .init(.add, "What is {a} plus {b}?"), .init(.add, "Compute {a} plus {b}."),
        .init(.add, "Add {a} and {b}."), .init(.add, "What's the sum of {a} and {b}?"), .init(.add, "{a} + {b} = ?"),
        .init(.add, "{name} has {a} {items} and gets {b} more. How many {items} does {name} have now?", word: true, minA: 2),
        .init(.add, "There are {a} {items} in a box and {b} more on the table. How many {items} are there in all?", word: true, minA: 2),

        .init(.subtract, "What is {a} - {b}?"), .init(.subtract, "What is {a} minus {b}?"), .init(.subtract, "Compute {a} minus {b}."),
        .init(.subtract, "Subtract {b} from {a}."), .init(.subtract, "What is {a} take away {b}?"), .init(.subtract, "{a} - {b} = ?"),
        .init(.subtract, "{name} had {a} {items} and gave away {b}. How many {items} are left?", word: true, minA: 2),
        .init(.subtract, "A jar holds {a} {items}. {name} takes {b} of them. How many {items} stay in the jar?", word: true, minA: 2),

        .init(.multiply, "What is {a} × {b}?"), .init(.multiply, "What is {a} times {b}?"), .init(.multiply, "Compute {a} times {b}."),
        .init(.multiply, "Multiply {a} by {b}."), .init(.multiply, "What is the product of {a} and {b}?"), .init(.multiply, "{a} × {b} = ?"),
        .init(.multiply, "There are {a} boxes with {b} {items} in each. How many {items} are there in total?", word: true, minA: 2, minB: 2),
        .init(.multiply, "{name} buys {a} bags of {b} {items}. How many {items} does {name} buy?", word: true, minA: 2, minB: 2),

        .init(.convert, "How many {to} are in {n} {from}?"), .init(.convert, "Convert {n} {from} to {to}."),
        .init(.convert, "{n} {from} is how many {to}?"), .init(.convert, "What is {n} {from} in {to}?"),
        .init(.convert, "How many {to} make {n} {from}?"),
    ]

    /// The words each word slot may take when reading a question back.
    static let choices: [String: [String]] = [
        "name": names.map { $0.lowercased() },
        "items": items.map(\.plural),
        "from": DemoConversion.unitNames, "to": DemoConversion.unitNames,
    ]

    /// The wordings that fit a problem.
    static func questions(for p: DemoProblem) -> [Question] {
        questions.filter { $0.operation == p.operation && p.a >= $0.minA && p.b >= $0.minB }
    }

    /// A random wording of the problem: the question a user asks.
    public static func question(for p: DemoProblem, rng: inout SplitMix64) -> DemoQuestion {
        let q = rng.pick(questions(for: p))
        let item = rng.pick(items)
        var values = ["a": "\(p.a)", "b": "\(p.b)", "n": "\(p.a)", "name": rng.pick(names), "items": item.plural]
        var noun: DemoUnit? = nil
        if p.operation == .convert {
            values["from"] = p.fromUnit.name(for: p.a)
            values["to"] = p.toUnit.plural
            noun = p.toUnit
        } else if q.isWordProblem {
            noun = DemoUnit(singular: item.singular, plural: item.plural, symbol: item.plural)
        }
        return DemoQuestion(problem: p, text: q.template.render(values), noun: noun)
    }

    /// Reads a question back: the problem, or nil when the text is no demo question (or its numbers
    /// are outside the domain).
    public static func problem(inQuestion text: String) -> DemoProblem? {
        for q in questions {
            guard let v = q.template.match(text, choices: choices) else { continue }
            switch q.operation {
            case .convert:
                guard let n = v["n"].flatMap({ Int($0) }), let from = v["from"], let to = v["to"],
                      let (i, toSmall) = DemoConversion.find(from: from, to: to) else { continue }
                let f = DemoConversion.all[i].factor
                let ok = toSmall ? DemoProblem.convertRange.contains(n) : n % f == 0 && DemoProblem.convertRange.contains(n / f)
                if ok { return DemoProblem(operation: .convert, a: n, b: i, toSmall: toSmall) }
            default:
                guard let a = v["a"].flatMap({ Int($0) }), let b = v["b"].flatMap({ Int($0) }) else { continue }
                let ok: Bool
                switch q.operation {
                case .add: ok = DemoProblem.addRange.contains(a) && DemoProblem.addRange.contains(b)
                case .subtract: ok = DemoProblem.subtractRange.contains(a) && (1...a).contains(b)
                default: ok = DemoProblem.multiplyRange.contains(a) && DemoProblem.multiplyRange.contains(b)
                }
                if ok { return DemoProblem(operation: q.operation, a: a, b: b) }
            }
        }
        return nil
    }
}
