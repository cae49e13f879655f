// The demo domain's problems, split, wrong answers, random generator and question round trip.
import Support
import Testing
@testable import Hilo

@Suite struct DemoProblemTests {
    @Test func randomMatchesTheSplitMix64ReferenceOutputsForSeedZero() {
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(rng.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func randomIntStaysInRangeAndReachesEveryValue() {
        var rng = SplitMix64(seed: 42)
        var seen = Set<Int>()
        for _ in 0..<2000 {
            let v = rng.int(in: -3...5)
            #expect((-3...5).contains(v))
            seen.insert(v)
        }
        #expect(seen == Set(-3...5))
        #expect(rng.int(in: 7...7) == 7)
    }

    @Test func problemSpaceHasEveryCombinationOnceWithTheRightAnswers() {
        let all = DemoProblem.all
        #expect(all.count == 100 + 55 + 25 + DemoConversion.all.count * 5 * 2)
        #expect(Set(all.map(\.key)).count == all.count)
        #expect(DemoProblem(operation: .add, a: 7, b: 5).answer == 12)
        #expect(DemoProblem(operation: .subtract, a: 9, b: 5).answer == 4)
        #expect(DemoProblem(operation: .multiply, a: 4, b: 5).answer == 20)
        let hToMin = DemoConversion.all.firstIndex { $0.big.singular == "hour" && $0.small.singular == "minute" }!
        #expect(DemoProblem(operation: .convert, a: 3, b: hToMin, toSmall: true).answer == 180)
        #expect(DemoProblem(operation: .convert, a: 180, b: hToMin, toSmall: false).answer == 3)
        #expect(DemoProblem(operation: .convert, a: 3, b: hToMin, toSmall: true).equation(180) == "3 hours = 180 minutes")
        #expect(DemoProblem(operation: .convert, a: 60, b: hToMin, toSmall: false).equation(1) == "60 minutes = 1 hour")
    }

    @Test func splitSendsOneTextInEightToEachHeldSetByAStableHashOfTheNormalizedText() {
        // FNV-1a then SplitMix64's finalizer, values computed independently in Python.
        #expect(DemoProblem.stableHash("add 7 5") == 0x765C_4874_0F1F_C04C)
        #expect(DemoProblem.stableHash("add 1 1") == 0x010F_C859_E8BE_5110)
        #expect(DemoSplit.of("What is 7 + 5?") == DemoSplit.of("  what IS 7 +  5?\n"))
        // Every plain (non-word-problem) wording of every problem, counted per set.
        var counts: [DemoSplit: Int] = [:]
        var texts = Set<String>()
        for p in DemoProblem.all {
            for w in DemoPhrasing.questions(for: p) where !w.isWordProblem {
                var values = ["a": "\(p.a)", "b": "\(p.b)", "n": "\(p.a)"]
                if p.operation == .convert { values["from"] = p.fromUnit.name(for: p.a); values["to"] = p.toUnit.plural }
                let text = w.template.render(values)
                texts.insert(text)
                counts[DemoSplit.of(text), default: 0] += 1
            }
        }
        #expect(texts.count == 1380)
        // Pinned: changing the hash or the normalization would silently move prompts between the sets.
        #expect(counts[.heldout] == 162)
        #expect(counts[.queue] == 172)
        #expect(counts[.train] == 1380 - 162 - 172)
        #expect(DemoSplit.all.contains("What is 7 + 5?"))
        for t in texts.prefix(200) {
            #expect([DemoSplit.train, .queue, .heldout].filter { $0.contains(t) }.count == 1, "\(t)")
        }
    }

    @Test func wrongAnswersArePlausibleNonNegativeAndNeverRight() {
        for p in DemoProblem.all {
            let wrong = p.wrongAnswers
            #expect(!wrong.isEmpty)
            #expect(!wrong.contains(p.answer), "\(p.key)")
            #expect(wrong.allSatisfy { $0 >= 0 }, "\(p.key)")
            #expect(Set(wrong).count == wrong.count)
        }
        let p = DemoProblem(operation: .add, a: 7, b: 5)
        #expect(p.wrongAnswers == [13, 11, 35, 2, 21]) // off by one, ×, −, digits swapped
        let q = DemoProblem(operation: .convert, a: 3, b: 0, toSmall: true) // 3 km
        #expect(q.wrongAnswers == [3001, 2999, 300, 1003])
    }

    @Test func everyWordingOfEveryProblemReadsBackAsThatProblem() {
        var rng = SplitMix64(seed: 9)
        for p in DemoProblem.all {
            for _ in 0..<6 {
                let q = DemoPhrasing.question(for: p, rng: &rng)
                #expect(DemoPhrasing.problem(inQuestion: q.text) == p, "\(q.text)")
            }
        }
        for w in DemoPhrasing.questions where w.operation != .convert {
            let values = ["a": "4", "b": "3", "name": "Mia", "items": "shells"]
            #expect(DemoPhrasing.problem(inQuestion: w.template.render(values))?.key == "\(w.operation.rawValue) 4 3", "\(w.template.text)")
        }
    }

    @Test func questionsOutsideTheDomainReadAsNoProblem() {
        #expect(DemoPhrasing.problem(inQuestion: "Tell me a joke.") == nil)
        #expect(DemoPhrasing.problem(inQuestion: "What is 70 + 5?") == nil)          // operand out of range
        #expect(DemoPhrasing.problem(inQuestion: "What is 6 × 2?") == nil)           // products go to 5 × 5
        #expect(DemoPhrasing.problem(inQuestion: "What is 3 - 7?") == nil)           // negative result
        #expect(DemoPhrasing.problem(inQuestion: "How many kilometers are in 2500 meters?") == nil) // not whole
        #expect(DemoPhrasing.problem(inQuestion: "How many grams are in 3 hours?") == nil) // no such conversion
        #expect(DemoPhrasing.problem(inQuestion: "What is 7 + 5? And 3 + 4?") == nil)
        #expect(DemoPhrasing.problem(inQuestion: "  WHAT IS 7  +  5?\n")?.key == "add 7 5")
    }
}
