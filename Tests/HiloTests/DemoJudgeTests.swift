// DemoJudge: right, wrong and tricky (prompt, response) pairs, every generated answer style, and the
// simulated annotator's choice.
import Support
import Testing
@testable import Hilo

@Suite struct DemoJudgeTests {
    let judge = DemoJudge()
    let hh = "\n\nHuman: What is 7 + 5?\n\nAssistant:"

    /// (response, stated answer, right, ends with a period, states the equation) for "What is 7 + 5?".
    static let additionCases: [(String, Double?, Bool, Bool, Bool)] = [
        (" 7 + 5 = 12.", 12, true, true, true),
        (" 12", 12, true, false, false),
        (" The answer is 12.", 12, true, true, false),
        (" 5 + 7 = 12", 12, true, false, true),                 // commutative equation
        ("7+5=12", 12, true, false, true),                       // no spaces
        (" 7 + 5 = 13.", 13, false, true, false),
        (" 7", 7, false, false, false),                          // repeats an operand
        (" twelve.", 12, true, true, false),                     // number word
        (" The answer is 12, not 13.", 12, true, true, false),
        (" 12.\n\nHuman: What is 3 + 4?\n\nAssistant: 7", 12, true, true, false), // runs on into a new turn
        (" 12<|endoftext|>junk 99", 12, true, false, false),
        (" What is 7 + 5? 12", 12, true, false, false),          // echoes the question first
        (" Let me think. 7 + 5 = 12.", 12, true, true, true),   // a sentence without a number first
        (" 17 + 5 = 123", 123, false, false, false),             // digits run on: not 7+5=12
        (" 12.5", 12.5, false, false, false),                    // a decimal is not 12
        (" 1,2", 1, false, false, false),                        // not a thousands group
        ("", nil, false, false, false),
        (" I don't know.", nil, false, true, false),
        (" 7 + 5 = -12", -12, false, false, false),              // a glued sign after "="
        (" It's 12 apples", 12, true, false, false),
        (" 12\nHuman: and 3 + 4?", 12, true, false, false),      // a new turn on the next line
        (" Assistant: 12.", 12, true, true, false),               // a role prefix the model made up
        (" Thirty-five", 35, false, false, false),                // a hyphenated number word
        (" twenty-one.", 21, false, true, false),
        (" It is 12\n13", 12, true, false, false),               // a line break ends the sentence
    ]

    @Test(arguments: additionCases.indices)
    func additionResponsesAreReadAsDocumented(_ i: Int) throws {
        let (response, stated, right, period, equation) = Self.additionCases[i]
        let v = try #require(judge.verdict(prompt: hh, response: response))
        #expect(v.stated == stated, "\(response.debugDescription)")
        #expect(v.isCorrect == right, "\(response.debugDescription)")
        #expect(v.endsWithPeriod == period, "\(response.debugDescription)")
        #expect(v.statesEquation == equation, "\(response.debugDescription)")
    }

    @Test func conversionsSubtractionsAndProductsAreReadAsDocumented() {
        func check(_ prompt: String, _ response: String, stated: Double?, right: Bool, equation: Bool = false,
                   sourceLocation: SourceLocation = #_sourceLocation) {
            let v = judge.verdict(prompt: prompt, response: response)
            #expect(v != nil, "no problem read from \(prompt.debugDescription)", sourceLocation: sourceLocation)
            #expect(v?.stated == stated, "\(response.debugDescription)", sourceLocation: sourceLocation)
            #expect(v?.isCorrect == right, "\(response.debugDescription)", sourceLocation: sourceLocation)
            #expect(v?.statesEquation == equation, "\(response.debugDescription)", sourceLocation: sourceLocation)
        }
        let hours = "How many minutes are in 3 hours?"
        check(hours, "There are 180 minutes in 3 hours.", stated: 180, right: true)   // the answer comes first
        check(hours, "3 hours is 180 minutes.", stated: 180, right: true)            // the operand comes first
        check(hours, "3 hours = 180 minutes.", stated: 180, right: true, equation: true)
        check(hours, "3 h = 180 min", stated: 180, right: true, equation: true)
        check(hours, "3 hours = 18 minutes", stated: 18, right: false)
        check(hours, "That's 300 minutes.", stated: 300, right: false)
        check(hours, "3 hours = 180 minutess", stated: 180, right: true, equation: false) // the unit runs on
        check("Convert 3000 meters to kilometers.", "3,000 meters is 3 kilometers.", stated: 3, right: true)
        check("Convert 3000 meters to kilometers.", "3000 meters = 3 kilometers", stated: 3, right: true, equation: true)
        check("Convert 3000 meters to kilometers.", "3000", stated: 3000, right: false)
        check("What is 10 - 5?", "The answer is 5.", stated: 5, right: true)           // the answer is an operand
        check("What is 10 - 5?", "10 - 5 = 5", stated: 5, right: true, equation: true)
        check("What is 10 - 5?", "5 - 10 = -5", stated: -5, right: false)
        check("What is 10 - 5?", "10 -5", stated: 5, right: true)                      // "-" after a number is a minus
        check("What is 3 - 3?", "3 - 3 = 0.", stated: 0, right: true, equation: true)
        check("What is 3 - 3?", "zero", stated: 0, right: true)
        check("What is 4 × 5?", "4 x 5 = 20", stated: 20, right: true, equation: true)
        check("What is 4 × 5?", "4*5=20.", stated: 20, right: true, equation: true)
        check("What is 4 × 5?", "5 × 4 = 20", stated: 20, right: true, equation: true)
        check("What is 4 × 5?", "twenty", stated: 20, right: true)
        check("Mia has 7 shells and gets 5 more. How many shells does Mia have now?",
              "7 + 5 = 12, so the answer is 12 shells.", stated: 12, right: true, equation: true)
        check("Mia has 7 shells and gets 5 more. How many shells does Mia have now?",
              "Mia has 12 shells now.", stated: 12, right: true)
    }

    @Test func promptsAreReadFromTheLastHumanTurnOrAsPlainText() {
        #expect(judge.problem(inPrompt: hh)?.key == "add 7 5")
        #expect(judge.problem(inPrompt: "What is 7 + 5?")?.key == "add 7 5")
        let multi = "\n\nHuman: What is 2 + 2?\n\nAssistant: 4.\n\nHuman: What is 7 + 5?\n\nAssistant:"
        #expect(judge.problem(inPrompt: multi)?.key == "add 7 5")
        #expect(judge.problem(inPrompt: "Be brief.\n\nHuman: Multiply 3 by 4.\n\nAssistant:")?.key == "multiply 3 4")
        #expect(judge.problem(inPrompt: "\n\nHuman: Tell me a joke.\n\nAssistant:") == nil)
        #expect(judge.verdict(prompt: "Tell me a joke.", response: "12") == nil)
        #expect(judge.satisfies(.correct, prompt: "Tell me a joke.", response: "12") == nil)
    }

    @Test func everyStyleOfEveryProblemIsJudgedRightOrWrongAsGenerated() {
        var rng = SplitMix64(seed: 5)
        var checked = 0
        for p in DemoProblem.all {
            let q = DemoPhrasing.question(for: p, rng: &rng)
            #expect(judge.problem(inPrompt: DemoCorpus.prompt(q.text)) == p, "\(q.text)")
            for style in 0..<q.styleCount {
                let right = q.answer(p.answer, style: style)
                let v: DemoVerdict? = judge.verdict(problem: p, response: " " + right)
                #expect(v?.isCorrect == true, "\(q.text) → \(right)")
                #expect(v?.statesEquation == right.contains(p.equation(p.answer)), "\(q.text) → \(right)")
                #expect(v?.endsWithPeriod == right.hasSuffix("."))
                for w in p.wrongAnswers {
                    let wrong = q.answer(w, style: style)
                    let u: DemoVerdict? = judge.verdict(problem: p, response: " " + wrong)
                    #expect(u?.isCorrect == false, "\(q.text) → \(wrong)")
                    #expect(u?.statesEquation == false, "\(q.text) → \(wrong)")
                    checked += 1
                }
            }
        }
        #expect(checked > 8_000)
    }

    @Test func simulatedAnnotatorPrefersTheResponseThatSatisfiesTheRule() {
        #expect(judge.prefer(.correct, prompt: hh, " 12", " 13") == 0)
        #expect(judge.prefer(.correct, prompt: hh, " 7 + 5 = 11.", " The answer is 12.") == 1)
        #expect(judge.prefer(.correct, prompt: hh, " 12", " 7 + 5 = 12.") == nil)      // both right: a tie
        #expect(judge.prefer(.correct, prompt: hh, " 11", " 13") == nil)               // both wrong: a tie
        #expect(judge.prefer(.equation, prompt: hh, " 12", " 7 + 5 = 12") == 1)
        #expect(judge.prefer(.period, prompt: hh, " 13.", " 12") == 0)                 // style only
        #expect(judge.prefer(.correct, prompt: "Tell me a joke.", "12", "13") == nil)
        let t = judge.tally(.correct, [(hh, " 12"), (hh, " 13"), ("Tell me a joke.", "12"), ("What is 2 × 3?", "6")])
        #expect(t.satisfied == 2 && t.judged == 3)
    }
}
