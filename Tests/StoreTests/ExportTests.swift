// Export: the exact lines of each format, the filters, aggregation with agreement, the split, and
// the atomic file output.
import Foundation
import Testing
@testable import Store

/// Runs an export into a string.
func export(_ db: Database, _ options: ExportOptions) throws -> String {
    let dir = TempDir()
    let out = try ExportOutput(path: dir.path("out.jsonl"))
    _ = try Exporter(db: db, options: options).run(train: out)
    try out.commit()
    return dir.read("out.jsonl")
}

func options(_ format: ExportFormat, _ edit: (inout ExportOptions) -> Void = { _ in }) -> ExportOptions {
    var o = ExportOptions(format: format)
    edit(&o)
    return o
}

/// One plain prompt ranked by two humans (disagreeing on one pair) and one AI; a conversation
/// prompt with a pairwise label, thumbs and a rewrite.
func seededExportDB() throws -> TestDB {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let (p1, r) = try seedPrompt(c, "Q", responses: 3) // responses "Q-r1", "Q-r2", "Q-r3"
        let ann = AnnotatorRepository(c)
        let a = try ann.create(name: "ann", role: .annotator, token: "a", now: 0).id
        let b = try ann.create(name: "bob", role: .annotator, token: "b", now: 0).id
        let ai = try ann.pseudo("ai:judge", now: 0)
        try rank(c, annotator: a, prompt: p1, r, [1, 2, 3], now: 1_000)
        try rank(c, annotator: b, prompt: p1, r, [1, 3, 2], now: 5_000)
        try rank(c, annotator: ai, prompt: p1, [r[0], r[1]], [2, 1], origin: .ai, now: 6_000)
        let (p2, _) = try PromptRepository(c).insert(NewPrompt(messages: [Message(role: "user", content: "Hi \"you\"")]), now: 0)
        let x = try PromptRepository(c).addResponse(promptID: p2, text: "Hello\nthere", origin: "t", now: 0).id
        let y = try PromptRepository(c).addResponse(promptID: p2, text: "Bye", origin: "t", now: 0).id
        try rank(c, annotator: a, prompt: p2, [x, y], [1, 2], now: 7_000)
        var fb = NewJudgment(annotatorID: b, promptID: p2, kind: .feedback)
        fb.thumbs = [Thumb(responseID: y, up: false)]
        _ = try JudgmentRepository(c).submit(fb, now: 8_000)
        var rw = NewJudgment(annotatorID: b, promptID: p2, kind: .rewrite)
        rw.rewrite = "Hello!"
        _ = try JudgmentRepository(c).submit(rw, now: 9_000)
    }
    return t
}

@Test func trlStringAndConversationalLinesAreExact() throws {
    let t = try seededExportDB()
    #expect(try export(t.db, options(.trl)) == """
        {"prompt":"Q","chosen":"Q-r1","rejected":"Q-r2"}
        {"prompt":"Q","chosen":"Q-r1","rejected":"Q-r3"}
        {"prompt":"Q","chosen":"Q-r2","rejected":"Q-r3"}
        {"prompt":"Q","chosen":"Q-r1","rejected":"Q-r2"}
        {"prompt":"Q","chosen":"Q-r1","rejected":"Q-r3"}
        {"prompt":"Q","chosen":"Q-r3","rejected":"Q-r2"}
        {"prompt":"\\n\\nHuman: Hi \\"you\\"\\n\\nAssistant:","chosen":" Hello\\nthere","rejected":" Bye"}

        """)
    let conversational = try export(t.db, options(.trl) { $0.conversational = true; $0.annotators = ["ann"]; $0.since = 7_000 })
    #expect(conversational == """
        {"prompt":[{"role":"user","content":"Hi \\"you\\""}],"chosen":[{"role":"assistant","content":"Hello\\nthere"}],"rejected":[{"role":"assistant","content":"Bye"}]}

        """)
}

@Test func hhRmStaticKtoAndSftLinesAreExact() throws {
    let t = try seededExportDB()
    let hh = try export(t.db, options(.hh) { $0.annotators = ["ann"] }).split(separator: "\n")
    #expect(hh.first == #"{"chosen":"\n\nHuman: Q\n\nAssistant: Q-r1","rejected":"\n\nHuman: Q\n\nAssistant: Q-r2"}"#)
    #expect(hh.last == #"{"chosen":"\n\nHuman: Hi \"you\"\n\nAssistant: Hello\nthere","rejected":"\n\nHuman: Hi \"you\"\n\nAssistant: Bye"}"#)
    let rm = try export(t.db, options(.rmStatic) { $0.since = 7_000 })
    #expect(rm == #"{"prompt":"\n\nHuman: Hi \"you\"\n\nAssistant:","response":" Hello\nthere","chosen":" Hello\nthere","rejected":" Bye"}"# + "\n")
    let kto = try export(t.db, options(.kto) { $0.since = 7_000; $0.conversational = true })
    #expect(kto == """
        {"prompt":[{"role":"user","content":"Hi \\"you\\""}],"completion":[{"role":"assistant","content":"Hello\\nthere"}],"label":true}
        {"prompt":[{"role":"user","content":"Hi \\"you\\""}],"completion":[{"role":"assistant","content":"Bye"}],"label":false}
        {"prompt":[{"role":"user","content":"Hi \\"you\\""}],"completion":[{"role":"assistant","content":"Bye"}],"label":false}

        """)
    #expect(try export(t.db, options(.sft)) == #"{"prompt":"\n\nHuman: Hi \"you\"\n\nAssistant:","completion":" Hello!"}"# + "\n")
}

@Test func promptsFormatWritesEveryQueuedPromptOnceAndLeavesHeldOutOnesOut() throws {
    let t = try seededExportDB()
    try t.db.write { (c: Connection) throws in
        let repo = PromptRepository(c)
        _ = try repo.insert(NewPrompt(text: "unlabelled"), now: 20_000)
        let (held, _) = try repo.insert(NewPrompt(text: "held out"), now: 20_000)
        try c.execute("UPDATE prompts SET heldout = 1 WHERE id = \(held)")
    }
    #expect(try export(t.db, options(.prompts)) == """
        {"prompt":"Q"}
        {"prompt":"\\n\\nHuman: Hi \\"you\\"\\n\\nAssistant:"}
        {"prompt":"unlabelled"}

        """)
    #expect(try export(t.db, options(.prompts) { $0.conversational = true; $0.since = 20_000 }) == """
        {"prompt":[{"role":"user","content":"unlabelled"}]}

        """)
    #expect(throws: StoreError.self) { _ = try Exporter(db: t.db, options: options(.prompts) { $0.aggregate = true }) }
    #expect(throws: StoreError.self) { _ = try Exporter(db: t.db, options: options(.prompts) { $0.annotators = ["ann"] }) }
}

@Test func aiLabelsAreLeftOutUnlessIncluded() throws {
    let t = try seededExportDB()
    let human = try export(t.db, options(.trl)).split(separator: "\n").count
    let all = try export(t.db, options(.trl) { $0.includeAI = true }).split(separator: "\n").count
    #expect(human == 7 && all == 8)
}

@Test func aggregatedPairsCarryTheirVotesAndMinAgreementDropsContestedOnes() throws {
    let t = try seededExportDB()
    // Pairs of Q: (r1,r2) 2-0, (r1,r3) 2-0, (r2,r3) 1-1 (a split: no majority, dropped).
    let pairs = try export(t.db, options(.pairs)).split(separator: "\n")
    #expect(pairs.count == 3)
    #expect(pairs[0] == #"{"prompt_id":1,"chosen_id":1,"rejected_id":2,"prompt":"Q","chosen":"Q-r1","rejected":"Q-r2","votes":2,"agree":2,"disagree":0,"ties":0,"agreement":1}"#)
    // With the AI label the (r1,r2) pair is 2-1.
    let withAI = try export(t.db, options(.pairs) { $0.includeAI = true }).split(separator: "\n")
    #expect(withAI[0].hasSuffix(#""votes":3,"agree":2,"disagree":1,"ties":0,"agreement":0.6667}"#))
    // Raw pairs at min agreement 0.75 keep every label of the agreed pairs but none of (r2,r3).
    let strict = try export(t.db, options(.trl) { $0.minAgreement = 0.75 })
    #expect(!strict.contains(#""chosen":"Q-r2","rejected":"Q-r3""#) && !strict.contains(#""chosen":"Q-r3","rejected":"Q-r2""#))
    #expect(strict.split(separator: "\n").count == 5)
    #expect(try export(t.db, options(.trl) { $0.minVotes = 2; $0.aggregate = true }).split(separator: "\n").count == 2)
}

@Test func rawHasEveryLiveJudgmentWithItsParts() throws {
    let t = try seededExportDB()
    let lines = try export(t.db, options(.raw) { $0.includeAI = true }).split(separator: "\n")
    #expect(lines.count == 6)
    let feedback = try JSONValue.parse(String(lines[4]))
    #expect(feedback["kind"] == .string("feedback") && feedback["annotator"] == .string("bob"))
    #expect(feedback["thumbs"] == .array([.object([("response_id", .number(5)), ("up", .bool(false))])]))
    #expect(feedback["created_at"] == .string("1970-01-01T00:00:08.000Z"))
    let first = try JSONValue.parse(String(lines[0]))
    #expect(first["ranks"]?.arrayValue?.count == 3 && first["both_bad"] == .bool(false))
}

@Test func theSplitIsByPromptDeterministicAndDependsOnTheSeed() throws {
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let a = try AnnotatorRepository(c).create(name: "a", role: .annotator, token: "a", now: 0).id
        for k in 0..<200 {
            let (p, r) = try seedPrompt(c, "prompt \(k)", responses: 3)
            try rank(c, annotator: a, prompt: p, r, [1, 2, 3])
        }
    }
    func split(seed: UInt64) throws -> (train: [Substring], test: [Substring]) {
        let dir = TempDir()
        let train = try ExportOutput(path: dir.path("train.jsonl")), test = try ExportOutput(path: dir.path("test.jsonl"))
        let report = try Exporter(db: t.db, options: options(.trl) { $0.testFraction = 0.25; $0.seed = seed }).run(train: train, test: test)
        try train.commit(); try test.commit()
        let out = (dir.read("train.jsonl").split(separator: "\n"), dir.read("test.jsonl").split(separator: "\n"))
        #expect(report.trainRows == out.0.count && report.testRows == out.1.count)
        return out
    }
    let a = try split(seed: 1), b = try split(seed: 1), c = try split(seed: 2)
    #expect(a.train == b.train && a.test == b.test)
    #expect(a.test != c.test)
    #expect(a.train.count + a.test.count == 600)
    // About a quarter of the 200 prompts, and all three pairs of a prompt on the same side.
    func prompts(_ lines: [Substring]) throws -> Set<String> { Set(try lines.map { try JSONValue.parse(String($0))["prompt"]!.stringValue! }) }
    let testPrompts = try prompts(a.test), trainPrompts = try prompts(a.train)
    #expect(testPrompts.isDisjoint(with: trainPrompts))
    #expect(a.test.count == 3 * testPrompts.count && (30...70).contains(testPrompts.count))
}

@Test func anAbortedFileExportLeavesTheOldFileUntouched() throws {
    let dir = TempDir()
    let path = dir.file("data.jsonl", "old\n")
    let out = try ExportOutput(path: path)
    try out.write(Array("new partial".utf8))
    try out.flush()
    out.abort()
    #expect(dir.read("data.jsonl") == "old\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["data.jsonl"])
    #expect(throws: StoreError.self) { _ = try ExportOutput(path: dir.path("no/such/folder/x.jsonl")) }
}

@Test func optionsThatDoNotFitTheFormatAreRejected() throws {
    let t = try TestDB()
    #expect(throws: StoreError.self) { _ = try Exporter(db: t.db, options: options(.hh) { $0.conversational = true }) }
    #expect(throws: StoreError.self) { _ = try Exporter(db: t.db, options: options(.trl) { $0.testFraction = 1 }) }
    #expect(throws: StoreError.self) { _ = try Exporter(db: t.db, options: options(.kto) { $0.implicitPrompt = true }) }
}

@Test func anUnknownAnnotatorNameIsAnErrorNamingItNotAnEmptyFile() throws {
    let t = try seededExportDB()
    #expect(try export(t.db, options(.trl) { $0.annotators = ["ann"] }).split(separator: "\n").count == 4)
    do {
        _ = try Exporter(db: t.db, options: options(.trl) { $0.annotators = ["ann", "nobody"] })
        Issue.record("an unknown annotator was accepted")
    } catch StoreError.invalid(let why) {
        #expect(why.hasPrefix("no annotator named \"nobody\""), "\(why)")
    }
}

@Test func trainingExamplesMatchTheExportedRows() throws {
    let t = try seededExportDB()
    let exporter = try Exporter(db: t.db, options: options(.trl) { $0.annotators = ["ann"] })
    var pairs: [PreferenceExample] = []
    try exporter.forEachPair { pairs.append($0) }
    #expect(pairs.map { [$0.prompt, $0.chosen, $0.rejected] } == [
        ["Q", "Q-r1", "Q-r2"], ["Q", "Q-r1", "Q-r3"], ["Q", "Q-r2", "Q-r3"], ["\n\nHuman: Hi \"you\"", "Hello\nthere", "Bye"],
    ])
    #expect(pairs.last?.messages == [Message(role: "user", content: "Hi \"you\"")])
    var kto: [CompletionExample] = []
    try Exporter(db: t.db, options: options(.kto)).forEachKTO { kto.append($0) }
    #expect(kto.count == 15 && kto.last?.completion == "Bye" && kto.last?.label == false)
    var sft: [CompletionExample] = []
    try Exporter(db: t.db, options: options(.sft)).forEachDemonstration { sft.append($0) }
    #expect(sft.map(\.completion) == ["Hello!"] && sft[0].label == nil)
}

@Test func aRewriteTypedNextToARankingIsAnSFTRowLikeARewriteOnItsOwn() throws {
    // The annotation page stores a rewrite inside the ranking it was typed next to; `sft` read only
    // judgments of kind `rewrite` and exported none of these.
    let t = try seededExportDB()
    try t.db.write { (c: Connection) throws in
        let (p, r) = try seedPrompt(c, "Name a colour", responses: 3)
        let ann = try #require(try AnnotatorRepository(c).byName("ann"))
        var j = NewJudgment(annotatorID: ann.id, promptID: p, kind: .ranking)
        j.ranks = zip(r, [1, 2, 3]).map { ResponseRank(responseID: $0, rank: $1) }
        j.rewrite = "Blue."
        _ = try JudgmentRepository(c).submit(j, now: 10_000)
    }
    #expect(try export(t.db, options(.sft)) == """
        {"prompt":"\\n\\nHuman: Hi \\"you\\"\\n\\nAssistant:","completion":" Hello!"}
        {"prompt":"Name a colour","completion":"Blue."}

        """)
    var demonstrations: [CompletionExample] = []
    try Exporter(db: t.db, options: options(.sft)).forEachDemonstration { demonstrations.append($0) }
    #expect(demonstrations.map(\.completion) == ["Hello!", "Blue."], "the engine's SFT examples read the same rows")
}

@Test func anHHTranscriptStoredAsTextIsExportedOnceInEveryFormat() throws {
    // Demo and sampled prompts are stored as "\n\nHuman: …\n\nAssistant:" text. hh and rm-static
    // wrapped them again ("\n\nHuman: \n\nHuman: …\n\nAssistant:\n\nAssistant: …"), and a sampled
    // completion's own leading space became a second one after "Assistant:".
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        let prompts = PromptRepository(c)
        let (p, _) = try prompts.insert(NewPrompt(text: "\n\nHuman: What is 2+2?\n\nAssistant:"), now: 0)
        let good = try prompts.addResponse(promptID: p, text: " 4", origin: "model:v1", now: 0).id
        let bad = try prompts.addResponse(promptID: p, text: "5", origin: "model:v1", now: 0).id
        let a = try AnnotatorRepository(c).create(name: "ann", role: .annotator, token: "a", now: 0).id
        try rank(c, annotator: a, prompt: p, [good, bad], [1, 2], now: 1_000)
    }
    #expect(try export(t.db, options(.hh)) ==
            #"{"chosen":"\n\nHuman: What is 2+2?\n\nAssistant: 4","rejected":"\n\nHuman: What is 2+2?\n\nAssistant: 5"}"# + "\n")
    #expect(try export(t.db, options(.rmStatic)) ==
            #"{"prompt":"\n\nHuman: What is 2+2?\n\nAssistant:","response":" 4","chosen":" 4","rejected":" 5"}"# + "\n")
    #expect(try export(t.db, options(.trl)) ==
            #"{"prompt":"\n\nHuman: What is 2+2?\n\nAssistant:","chosen":" 4","rejected":" 5"}"# + "\n")
    #expect(try export(t.db, options(.trl) { $0.implicitPrompt = true }) ==
            #"{"chosen":"\n\nHuman: What is 2+2?\n\nAssistant: 4","rejected":"\n\nHuman: What is 2+2?\n\nAssistant: 5"}"# + "\n")
    #expect(try export(t.db, options(.trl) { $0.conversational = true }) ==
            #"{"prompt":[{"role":"user","content":"What is 2+2?"}],"chosen":[{"role":"assistant","content":" 4"}],"rejected":[{"role":"assistant","content":"5"}]}"# + "\n")
    #expect(try export(t.db, options(.prompts)) == #"{"prompt":"\n\nHuman: What is 2+2?\n\nAssistant:"}"# + "\n")
    #expect(try export(t.db, options(.prompts) { $0.conversational = true }) == #"{"prompt":[{"role":"user","content":"What is 2+2?"}]}"# + "\n")
}

@Test func textThatOnlyLooksLikeATranscriptStaysPlainText() throws {
    // No space after the marker: its turns would not spell it back, so it is exported as stored.
    let t = try TestDB()
    try t.db.write { (c: Connection) throws in
        _ = try PromptRepository(c).insert(NewPrompt(text: "\n\nHuman:Hi\n\nAssistant:"), now: 0)
    }
    #expect(try export(t.db, options(.prompts) { $0.conversational = true }) ==
            #"{"prompt":[{"role":"user","content":"\n\nHuman:Hi\n\nAssistant:"}]}"# + "\n")
}
