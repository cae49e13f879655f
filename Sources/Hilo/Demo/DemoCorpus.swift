// The generator of Hilo's demo domain: an assistant that answers arithmetic and unit questions, right
// or wrong, in varied styles. Everything is a pure function of the configuration and the random
// generator passed in, so a seed reproduces a corpus byte for byte.
//
// Prompts are single HH turns, "\n\nHuman: <question>\n\nAssistant:", and completions start with a
// space (" 7 + 5 = 12."), as in Anthropic's HH data and TRL's explicit-prompt rows.
import Engine
import Support

public struct DemoCorpusConfig: Codable, Sendable, Equatable {
    /// Which question texts the rows draw from: training rows use `.train`, the demo queue `.queue`,
    /// evaluation `.heldout`, so no queued or evaluated prompt was ever trained on.
    public var split: DemoSplit = .train
    /// Pretraining transcripts: percent of answers that are right. Mostly right, so the base model
    /// leans right; some wrong, so it is not always right and preference training has room to gain.
    public var pretrainCorrectPercent = 70
    /// Pretraining: percent of documents that are prose about numbers and units rather than
    /// transcripts, so the model sees ordinary sentences too.
    public var prosePercent = 20
    /// Pretraining transcripts hold 1…maxTurns exchanges, so the model learns that turns follow turns.
    public var maxTurns = 3
    /// KTO rows: percent labelled desirable (a right answer); the rest state a wrong one.
    public var ktoDesirablePercent = 50
    /// Preference rows: the property the chosen response has and the rejected one lacks.
    public var rule: DemoRule = .correct

    public init() {}

    public func validate() throws {
        for (name, v) in [("pretrainCorrectPercent", pretrainCorrectPercent), ("prosePercent", prosePercent),
                          ("ktoDesirablePercent", ktoDesirablePercent)] where !(0...100).contains(v) {
            throw DemoError.invalid("\(name) must be a percentage in 0…100, got \(v)")
        }
        guard (1...8).contains(maxTurns) else { throw DemoError.invalid("maxTurns must be in 1…8, got \(maxTurns)") }
    }
}

public enum DemoError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String { switch self { case let .invalid(m): return m } }
}

public struct DemoCorpus: Sendable {
    public let config: DemoCorpusConfig
    let judge = DemoJudge()

    public init(config: DemoCorpusConfig = DemoCorpusConfig()) throws {
        try config.validate()
        self.config = config
    }

    /// A random question of the configured split (questions of other sets are drawn again).
    public func question(rng: inout SplitMix64) -> DemoQuestion {
        while true {
            let q = DemoPhrasing.question(for: DemoProblem.random(rng: &rng), rng: &rng)
            if config.split.contains(q.text) { return q }
        }
    }

    /// The prompt for a question: "\n\nHuman: <question>\n\nAssistant:".
    public static func prompt(_ question: String) -> String {
        ChatTemplate.humanMarker + " " + question + ChatTemplate.assistantMarker
    }

    /// A pretraining document: prose, or a transcript of 1…maxTurns exchanges mixing right and wrong answers.
    public func pretrainingDocument(rng: inout SplitMix64) -> String {
        if rng.chance(config.prosePercent, in: 100) { return DemoProse.paragraph(rng: &rng) }
        var text = ""
        for _ in 0..<rng.int(in: 1...config.maxTurns) {
            let q = question(rng: &rng)
            let a = q.answer(correct: rng.chance(config.pretrainCorrectPercent, in: 100), rng: &rng)
            text += Self.prompt(q.text) + " " + a
        }
        return text
    }

    /// A demonstration: a right answer in a random style.
    public func sftExample(rng: inout SplitMix64) -> SFTExample {
        let q = question(rng: &rng)
        return SFTExample(prompt: Self.prompt(q.text), completion: " " + q.answer(correct: true, rng: &rng))
    }

    /// A preference pair under `config.rule`: the chosen response satisfies it, the rejected one does not.
    /// For `.correct` the two styles are drawn independently (only rightness differs systematically); for the
    /// style rules both state the right answer (only the style differs).
    public func preferenceExample(rng: inout SplitMix64) -> PreferenceExample {
        let q = question(rng: &rng)
        let (chosen, rejected): (String, String)
        switch config.rule {
        case .correct:
            chosen = q.answer(correct: true, rng: &rng)
            rejected = q.answer(correct: false, rng: &rng)
        case .equation, .period:
            let answers = (0..<q.styleCount).map { q.answer(q.problem.answer, style: $0) }
            let good = answers.filter { config.rule.holds(for: judge.verdict(problem: q.problem, response: $0)) }
            let bad = answers.filter { !config.rule.holds(for: judge.verdict(problem: q.problem, response: $0)) }
            precondition(!good.isEmpty && !bad.isEmpty, "every question has styles with and without each property")
            chosen = rng.pick(good); rejected = rng.pick(bad)
        }
        return PreferenceExample(prompt: Self.prompt(q.text), chosen: " " + chosen, rejected: " " + rejected)
    }

    /// A KTO row: desirable (right answer) with probability `ktoDesirablePercent`, else a wrong answer.
    public func ktoExample(rng: inout SplitMix64) -> KTOExample {
        let q = question(rng: &rng)
        let good = rng.chance(config.ktoDesirablePercent, in: 100)
        return KTOExample(prompt: Self.prompt(q.text), completion: " " + q.answer(correct: good, rng: &rng), desirable: good)
    }

    /// `count` rows of each kind, drawn in order from `rng` (the same rows `jsonLines` writes).
    public func pretrainingDocuments(count: Int, rng: inout SplitMix64) -> [String] {
        (0..<max(count, 0)).map { _ in pretrainingDocument(rng: &rng) }
    }
    public func sftExamples(count: Int, rng: inout SplitMix64) -> [SFTExample] {
        (0..<max(count, 0)).map { _ in sftExample(rng: &rng) }
    }
    public func preferenceExamples(count: Int, rng: inout SplitMix64) -> [PreferenceExample] {
        (0..<max(count, 0)).map { _ in preferenceExample(rng: &rng) }
    }
    public func ktoExamples(count: Int, rng: inout SplitMix64) -> [KTOExample] {
        (0..<max(count, 0)).map { _ in ktoExample(rng: &rng) }
    }

    /// `count` questions with distinct texts, for the demo queue. Throws when the split runs out of
    /// distinct wordings (10,000 draws in a row bring nothing new).
    public func questions(count: Int, rng: inout SplitMix64) throws -> [DemoQuestion] {
        var seen = Set<String>(), out: [DemoQuestion] = []
        var misses = 0
        while out.count < count {
            let q = question(rng: &rng)
            if seen.insert(q.text).inserted { out.append(q); misses = 0; continue }
            misses += 1
            guard misses < 10_000 else {
                throw DemoError.invalid("the \(config.split.rawValue) split ran out of distinct prompts after \(out.count) of the \(count) asked for")
            }
        }
        return out
    }
}
