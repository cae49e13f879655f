// Plain sentences about numbers and units for the pretraining corpus, so a tiny language model sees
// ordinary language beside the Q/A transcripts. Every sentence is true; none is a question, so none
// can be a queued or held-out prompt.
import Support

enum DemoProse {
    static let general = [
        "Numbers can be added, subtracted and multiplied.",
        "Adding two numbers gives their sum.",
        "Subtracting a number takes it away.",
        "Multiplying is adding the same number again and again.",
        "The product of two numbers is what you get when you multiply them.",
        "Counting carefully helps you get the right answer.",
        "A careful answer states the result and checks it.",
        "Units tell you what a number counts.",
        "Big units are made of many small ones.",
        "To turn a big unit into a small one, you multiply.",
        "To turn a small unit into a big one, you divide.",
    ]

    /// One true sentence about a problem.
    static func sentence(about p: DemoProblem, rng: inout SplitMix64) -> String {
        let v = p.answer
        switch p.operation {
        case .add:
            let name = rng.pick(DemoPhrasing.names), item = rng.pick(DemoPhrasing.items)
            return rng.pick([
                "\(p.a) plus \(p.b) is \(v).", "If you add \(p.a) and \(p.b), you get \(v).", "\(p.a) + \(p.b) = \(v).",
                "\(name) had \(p.a) \(p.a == 1 ? item.singular : item.plural) and got \(p.b) more, so \(name) had \(v) \(item.plural).",
            ])
        case .subtract:
            return rng.pick(["\(p.a) minus \(p.b) leaves \(v).", "Taking \(p.b) away from \(p.a) gives \(v).", "\(p.a) - \(p.b) = \(v)."])
        case .multiply:
            return rng.pick(["\(p.a) times \(p.b) is \(v).", "\(p.a) groups of \(p.b) make \(v).", "\(p.a) × \(p.b) = \(v)."])
        case .convert:
            let c = DemoConversion.all[p.b]
            return rng.pick([
                "There are \(c.factor) \(c.small.plural) in one \(c.big.singular).",
                "\(p.a) \(p.fromUnit.name(for: p.a)) is the same as \(v) \(p.toUnit.name(for: v)).",
                "To turn \(c.big.plural) into \(c.small.plural), multiply by \(c.factor).",
            ])
        }
    }

    /// A paragraph of three to five sentences: facts about random problems, and general ones.
    static func paragraph(rng: inout SplitMix64) -> String {
        var out: [String] = []
        for _ in 0..<rng.int(in: 3...5) {
            if rng.chance(1, in: 4) { out.append(rng.pick(general)) }
            else { out.append(sentence(about: DemoProblem.random(rng: &rng), rng: &rng)) }
        }
        return out.joined(separator: " ")
    }
}
