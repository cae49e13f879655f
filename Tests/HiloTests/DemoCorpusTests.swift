// The demo corpus: determinism for a seed, the JSONL shape of every kind, the rules the rows obey
// (chosen passes the judge, rejected fails, demonstrations are right), and the train/held-out split.
import Engine
import Foundation
import Support
import Testing
@testable import Hilo

@Suite struct DemoCorpusTests {
    let judge = DemoJudge()

    func lines(_ kind: DemoCorpusKind, _ count: Int, seed: UInt64, rule: DemoRule = .correct,
               conversational: Bool = false) throws -> [String] {
        var config = DemoCorpusConfig()
        config.split = kind.defaultSplit
        config.rule = rule
        var rng = SplitMix64(seed: seed)
        return try DemoCorpus(config: config).jsonLines(kind, count: count, conversational: conversational, rng: &rng)
    }

    func object(_ line: String) throws -> [String: Any] {
        #expect(!line.contains("\n"), "one JSON object per line")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test(arguments: DemoCorpusKind.allCases)
    func sameSeedWritesTheSameBytesAndAnotherSeedDoesNot(_ kind: DemoCorpusKind) throws {
        let a = try lines(kind, 50, seed: 7), b = try lines(kind, 50, seed: 7), c = try lines(kind, 50, seed: 8)
        #expect(a.count == 50)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func rowsDoNotDependOnHowTheCountIsChunked() throws {
        let corpus = try DemoCorpus()
        var one = SplitMix64(seed: 11), two = SplitMix64(seed: 11)
        let whole = try corpus.jsonLines(.preferences, count: 10, rng: &one)
        let parts = try corpus.jsonLines(.preferences, count: 4, rng: &two) + corpus.jsonLines(.preferences, count: 6, rng: &two)
        #expect(whole == parts)
        var three = SplitMix64(seed: 11)
        let rows = corpus.preferenceExamples(count: 10, rng: &three)
        #expect(try rows.map { e in
            String(decoding: try JSONSerialization.data(withJSONObject: ["prompt": e.prompt, "chosen": e.chosen, "rejected": e.rejected],
                                                        options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        } == whole, "the typed rows are the rows the JSONL holds")
    }

    @Test func pinnedSeedWritesTheKnownFirstSFTRow() throws {
        // Pinned so an accidental change to the generator (which would change the shipped starter model) shows.
        let first = try lines(.sft, 1, seed: 1)[0]
        #expect(first == #"{"completion":" 8 minus 8 is 0.","prompt":"\n\nHuman: Subtract 8 from 8.\n\nAssistant:"}"#)
    }

    @Test func everyKindHasExactlyItsFieldsInTheHHForm() throws {
        func hhPrompt(_ o: [String: Any]) -> Bool {
            guard let p = o["prompt"] as? String else { return false }
            return p.hasPrefix("\n\nHuman: ") && p.hasSuffix("\n\nAssistant:") && judge.problem(inPrompt: p) != nil
        }
        func completion(_ v: Any?) -> Bool { (v as? String).map { $0.hasPrefix(" ") && $0.count > 1 } ?? false }
        for l in try lines(.pretrain, 100, seed: 1) {
            let o = try object(l)
            #expect(Set(o.keys) == ["text"])
            #expect(((o["text"] as? String) ?? "").isEmpty == false)
        }
        for l in try lines(.sft, 100, seed: 1) {
            let o = try object(l)
            #expect(Set(o.keys) == ["prompt", "completion"]); #expect(hhPrompt(o)); #expect(completion(o["completion"]))
        }
        for l in try lines(.preferences, 100, seed: 1) {
            let o = try object(l)
            #expect(Set(o.keys) == ["prompt", "chosen", "rejected"]); #expect(hhPrompt(o))
            #expect(completion(o["chosen"])); #expect(completion(o["rejected"]))
            #expect(o["chosen"] as? String != o["rejected"] as? String)
        }
        for l in try lines(.kto, 100, seed: 1) {
            let o = try object(l)
            #expect(Set(o.keys) == ["prompt", "completion", "label"]); #expect(hhPrompt(o)); #expect(completion(o["completion"]))
            #expect(o["label"] is Bool && (l.contains("\"label\":true") || l.contains("\"label\":false")))
        }
        for l in try lines(.prompts, 100, seed: 1) {
            let o = try object(l)
            #expect(Set(o.keys) == ["prompt"]); #expect(hhPrompt(o))
        }
    }

    @Test func conversationalRowsHoldMessageLists() throws {
        func messages(_ v: Any?, role: String) -> String? {
            guard let list = v as? [[String: Any]], list.count == 1, list[0]["role"] as? String == role,
                  let content = list[0]["content"] as? String, !content.hasPrefix(" "), !content.isEmpty else { return nil }
            return content
        }
        for l in try lines(.preferences, 50, seed: 2, conversational: true) {
            let o = try object(l)
            let q = try #require(messages(o["prompt"], role: "user"))
            let c = try #require(messages(o["chosen"], role: "assistant")), r = try #require(messages(o["rejected"], role: "assistant"))
            #expect(judge.satisfies(.correct, prompt: q, response: c) == true)
            #expect(judge.satisfies(.correct, prompt: q, response: r) == false)
        }
        for l in try lines(.kto, 20, seed: 2, conversational: true) {
            let o = try object(l)
            #expect(messages(o["prompt"], role: "user") != nil); #expect(messages(o["completion"], role: "assistant") != nil)
        }
        #expect(messages(try object(try lines(.prompts, 1, seed: 2, conversational: true)[0])["prompt"], role: "user") != nil)
        #expect(throws: DemoError.self) { try lines(.pretrain, 1, seed: 2, conversational: true) }
    }

    @Test(arguments: DemoRule.allCases)
    func everyPreferenceRowsChosenPassesTheRuleAndRejectedFails(_ rule: DemoRule) throws {
        var config = DemoCorpusConfig(); config.rule = rule
        let corpus = try DemoCorpus(config: config)
        var rng = SplitMix64(seed: 21)
        for _ in 0..<400 {
            let e = corpus.preferenceExample(rng: &rng)
            #expect(judge.satisfies(rule, prompt: e.prompt, response: e.chosen) == true, "\(e)")
            #expect(judge.satisfies(rule, prompt: e.prompt, response: e.rejected) == false, "\(e)")
            if rule != .correct { // style rules: both right, only the style differs
                #expect(judge.satisfies(.correct, prompt: e.prompt, response: e.rejected) == true, "\(e)")
            }
        }
    }

    @Test func demonstrationsAreRightAndKTOLabelsMatchTheJudge() throws {
        let corpus = try DemoCorpus()
        var rng = SplitMix64(seed: 4)
        for _ in 0..<300 {
            let e = corpus.sftExample(rng: &rng)
            #expect(judge.satisfies(.correct, prompt: e.prompt, response: e.completion) == true, "\(e)")
        }
        var desirable = 0
        for _ in 0..<400 {
            let e = corpus.ktoExample(rng: &rng)
            #expect(judge.satisfies(.correct, prompt: e.prompt, response: e.completion) == e.desirable, "\(e)")
            if e.desirable { desirable += 1 }
        }
        #expect((160...240).contains(desirable), "about half desirable, got \(desirable) of 400")
    }

    @Test func pretrainingMixesRightAndWrongTranscriptsWithProse() throws {
        let corpus = try DemoCorpus()
        var rng = SplitMix64(seed: 6)
        var prose = 0, right = 0, answers = 0
        for _ in 0..<500 {
            let doc = corpus.pretrainingDocument(rng: &rng)
            guard doc.hasPrefix(ChatTemplate.humanMarker) else { prose += 1; #expect(!doc.contains("Human:")); continue }
            let turns = try ChatTemplate.parse(doc)
            #expect((2...6).contains(turns.count) && turns.count % 2 == 0)
            for i in stride(from: 0, to: turns.count, by: 2) {
                #expect(turns[i].role == .user && turns[i + 1].role == .assistant)
                let p = try #require(DemoPhrasing.problem(inQuestion: turns[i].content), "\(turns[i].content)")
                #expect(DemoSplit.of(turns[i].content) == .train, "a held-out question in the training corpus: \(turns[i].content)")
                answers += 1
                if judge.verdict(problem: p, response: turns[i + 1].content).isCorrect { right += 1 }
            }
        }
        #expect((70...130).contains(prose), "about 20% prose, got \(prose) of 500")
        let rate = Double(right) / Double(answers)
        #expect(rate > 0.62 && rate < 0.78, "about 70% right answers, got \(rate)")
    }

    @Test func trainingQueueAndHeldOutPromptsShareNoTextButShareFacts() throws {
        func question(_ prompt: String) throws -> String {
            try #require(try ChatTemplate.parse(prompt).last { $0.role == .user }).content
        }
        var trainedTexts = Set<String>(), trainedFacts = Set<String>()
        for kind in [DemoCorpusKind.sft, .preferences, .kto] {
            for l in try lines(kind, 1500, seed: 13) {
                let prompt = try object(l)["prompt"] as? String ?? ""
                let q = try question(prompt)
                #expect(DemoSplit.of(q) == .train, "\(q)")
                trainedTexts.insert(DemoTemplate.normalize(q))
                trainedFacts.insert(try #require(judge.problem(inPrompt: prompt)).key)
            }
        }
        var config = DemoCorpusConfig(); config.split = .heldout
        var rng = SplitMix64(seed: 13)
        let held = try DemoCorpus(config: config).questions(count: 100, rng: &rng)
        let queue = try lines(.prompts, 100, seed: 13).map { try question(try object($0)["prompt"] as? String ?? "") }
        #expect(Set(queue).count == 100, "queue prompts are distinct")
        #expect(queue.allSatisfy { DemoSplit.of($0) == .queue })
        #expect(held.allSatisfy { DemoSplit.of($0.text) == .heldout })
        let queueTexts = Set(queue.map { DemoTemplate.normalize($0) }), heldTexts = Set(held.map { DemoTemplate.normalize($0.text) })
        #expect(queueTexts.isDisjoint(with: trainedTexts))
        #expect(heldTexts.isDisjoint(with: trainedTexts))
        #expect(heldTexts.isDisjoint(with: queueTexts))
        // The facts are shared: most held-out questions ask something training rows answer in other words.
        let seen = held.filter { trainedFacts.contains($0.problem.key) }.count
        #expect(seen >= 80, "\(seen) of 100 held-out questions ask a trained fact")
    }

    @Test func badConfigurationsAndCountsAreClearErrors() throws {
        var config = DemoCorpusConfig(); config.prosePercent = 150
        #expect(throws: DemoError.invalid("prosePercent must be a percentage in 0…100, got 150")) { try DemoCorpus(config: config) }
        config = DemoCorpusConfig(); config.maxTurns = 0
        #expect(throws: DemoError.self) { try DemoCorpus(config: config) }
        var rng = SplitMix64(seed: 1)
        #expect(throws: DemoError.self) { try DemoCorpus().jsonLines(.sft, count: -1, rng: &rng) }
        #expect(try DemoCorpus().jsonLines(.sft, count: 0, rng: &rng).isEmpty)
    }
}
