// Import: every format, JSONL and CSV, idempotency, bad rows with file:line:field, --strict, and
// a database failure halfway through.
import Foundation
import Testing
@testable import Store

func runImport(_ t: TestDB, _ name: String, _ text: String, _ format: ImportFormat, strict: Bool = false,
               batch: Int = 5_000) throws -> ImportReport {
    var options = ImportOptions(format: format, fileType: .guess(path: name))
    options.strict = strict
    options.batchSize = batch
    return try Importer(db: t.db, options: options).run(path: t.dir.file(name, text), now: 1_000)
}

func pairTexts(_ t: TestDB) throws -> [[String]] {
    try t.db.read { c in
        try c.prepare("""
            SELECT p.text, ch.text, re.text FROM preference_pairs pp JOIN prompts p ON p.id = pp.prompt_id
            JOIN responses ch ON ch.id = pp.chosen_id JOIN responses re ON re.id = pp.rejected_id ORDER BY pp.judgment_id, ch.id, re.id
            """).all([]) { [$0.string(0), $0.string(1), $0.string(2)] }
    }
}

@Test func promptsAndRankedResponsesImportOnceAndReimportAddsNothing() throws {
    let t = try TestDB()
    let text = """
        {"prompt": "Name a colour.", "tags": ["easy"], "metadata": {"id": 7}}
        {"prompt": "2+2?", "responses": ["4", "5", "four"], "ranks": [1, 2, 1]}

        """
    let r1 = try runImport(t, "a.jsonl", text, .responses)
    // Line 1 has no responses: for --format responses that is an error.
    #expect(r1.badRows == 1 && r1.issues.first?.description.hasSuffix("a.jsonl:1: responses: missing") == true)
    #expect(r1.promptsAdded == 1 && r1.responsesAdded == 3 && r1.judgmentsAdded == 1)
    let p = try runImport(t, "p.jsonl", String(text.split(separator: "\n")[0]) + "\n", .prompts)
    #expect(p.promptsAdded == 1)
    let again = try runImport(t, "a.jsonl", text, .responses)
    #expect(again.promptsAdded == 0 && again.responsesAdded == 0 && again.judgmentsAdded == 0 && again.unchangedRows == 1)
    // 4 and four tie above 5: two pairs.
    #expect(try pairTexts(t) == [["2+2?", "4", "5"], ["2+2?", "four", "5"]])
    let prompt = try t.db.read { try PromptRepository($0).byID(2) }
    #expect(prompt?.tags == ["easy"] && prompt?.metadata == #"{"id":7}"# && prompt?.source == "p.jsonl")
}

@Test func trlRowsInAllThreeFormsBecomePairwiseLabels() throws {
    let t = try TestDB()
    let text = """
        {"prompt": "The sky is", "chosen": " blue.", "rejected": " green."}
        {"chosen": "The grass is green.", "rejected": "The grass is pink."}
        {"prompt": [{"role": "user", "content": "Hi?"}], "chosen": [{"role": "assistant", "content": "Hello."}], "rejected": [{"role": "assistant", "content": "Go."}]}
        {"chosen": [{"role": "user", "content": "Yo"}, {"role": "assistant", "content": "Hey"}], "rejected": [{"role": "user", "content": "Yo"}, {"role": "assistant", "content": "No"}]}
        """
    let r = try runImport(t, "trl.jsonl", text, .trl)
    #expect(r.badRows == 0 && r.judgmentsAdded == 4)
    #expect(try pairTexts(t) == [
        ["The sky is", " blue.", " green."],
        ["The grass is", " green.", " pink."],
        ["\n\nHuman: Hi?", "Hello.", "Go."],
        ["\n\nHuman: Yo", "Hey", "No"],
    ])
    let imported = try t.db.read { try AnnotatorRepository($0).byName("imported") }
    #expect(imported?.hasToken == false)
}

@Test func hhTranscriptsSplitAtTheLastAssistantTurn() throws {
    let t = try TestDB()
    let row = #"{"chosen": "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant: Knock knock.", "rejected": "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant: No."}"#
    let bad = #"{"chosen": "\n\nHuman: A\n\nAssistant: x", "rejected": "\n\nHuman: B\n\nAssistant: y"}"#
    let r = try runImport(t, "hh.jsonl", row + "\n" + bad + "\n", .hh)
    #expect(r.judgmentsAdded == 1 && r.badRows == 1)
    #expect(r.issues.first?.description == "\(t.dir.path("hh.jsonl")):2: rejected: the transcript differs from chosen before the last Assistant turn")
    let prompt = try t.db.read { try PromptRepository($0).byID(1) }!
    #expect(prompt.messages == [Message(role: "user", content: "Hi"), Message(role: "assistant", content: "Hello"), Message(role: "user", content: "Joke?")])
    #expect(try pairTexts(t) == [["\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?", "Knock knock.", "No."]])
}

@Test func sftRowsBecomeDemonstrations() throws {
    let t = try TestDB()
    let text = """
        {"prompt": "Say hi", "completion": "Hi!"}
        {"messages": [{"role": "user", "content": "Count"}, {"role": "assistant", "content": "1 2 3"}]}
        """
    let r = try runImport(t, "sft.jsonl", text, .sft)
    #expect(r.judgmentsAdded == 2 && r.badRows == 0)
    let rewrites = try t.db.read { c in try c.prepare("SELECT rewrite FROM judgments WHERE kind = 'rewrite' ORDER BY id").all([]) { $0.string(0) } }
    #expect(rewrites == ["Hi!", "1 2 3"])
    #expect(try runImport(t, "sft.jsonl", text, .sft).judgmentsAdded == 0)
}

@Test func csvWithQuotedFieldsImportsLikeJSONL() throws {
    let t = try TestDB()
    let csv = "prompt,response_1,response_2,rank_1,rank_2,tags\r\n\"Say \"\"hi\"\", politely\",\"Hello,\nfriend\",yo,1,2,\"a, b\"\r\n"
    let r = try runImport(t, "r.csv", csv, .responses)
    #expect(r.badRows == 0 && r.promptsAdded == 1 && r.responsesAdded == 2 && r.judgmentsAdded == 1)
    #expect(try pairTexts(t) == [["Say \"hi\", politely", "Hello,\nfriend", "yo"]])
    #expect(try t.db.read { try PromptRepository($0).byID(1)?.tags } == ["a", "b"])
    let bad = try runImport(t, "b.csv", "prompt,chosen,rejected\nonly,two\n", .trl)
    #expect(bad.issues.map(\.line) == [2] && bad.issues[0].message.contains("expected 3 fields"))
}

@Test func badRowsAreReportedWithLineAndFieldAndSkipped() throws {
    let t = try TestDB()
    var lines = [
        #"{"prompt": "ok"}"#,
        #"{"prompt": "x", "colour": "red"}"#,
        #"{"prompt": 5}"#,
        #"{"prompt": "unterminated}"#,
        #"["not", "an", "object"]"#,
        "",
        #"{"prompt": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}"#,
    ].joined(separator: "\n") + "\n"
    lines += "{\"prompt\": \"bad \u{FFFD}\"}\n" // valid; replaced below by invalid bytes
    var bytes = Array(lines.utf8)
    let marker = Array("\u{FFFD}".utf8)
    if let k = (0...(bytes.count - marker.count)).first(where: { Array(bytes[$0..<$0 + marker.count]) == marker }) {
        bytes.replaceSubrange(k..<k + marker.count, with: [0xC3, 0x28])
    }
    let path = t.dir.path("bad.jsonl")
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    let report = try Importer(db: t.db, options: ImportOptions(format: .prompts, fileType: .jsonl)).run(path: path)
    #expect(report.promptsAdded == 1 && report.badRows == 6)
    #expect(report.issues.map { "\($0.line) \($0.field ?? "-")" } == ["2 colour", "3 prompt", "4 -", "5 -", "7 prompt", "8 -"])
    #expect(report.issues[3].message == "expected a JSON object")
    #expect(report.issues[4].message.contains("must end with a user turn"))
    #expect(report.issues[5].message == "invalid UTF-8 at byte 17")
}

@Test func strictStopsAtTheFirstBadRowAndWritesNothing() throws {
    let t = try TestDB()
    let rows = (0..<20).map { #"{"prompt": "p\#($0)"}"# } + [#"{"prompt": ""}"#]
    #expect {
        _ = try runImport(t, "s.jsonl", rows.joined(separator: "\n"), .prompts, strict: true, batch: 5)
    } throws: { error in
        guard let f = error as? ImportFailure else { return false }
        return f.issue.line == 21 && f.issue.field == "prompt" && f.issue.message == "empty"
    }
    #expect(try t.db.read { try PromptRepository($0).count() } == 0)
}

@Test func aTooLongLineIsAnErrorAndTheNextLineStillImports() throws {
    let t = try TestDB()
    var options = ImportOptions(format: .prompts, fileType: .jsonl)
    options.maxRowBytes = 100
    let path = t.dir.file("long.jsonl", "{\"prompt\": \"\(String(repeating: "x", count: 500))\"}\n{\"prompt\": \"short\"}\n")
    let report = try Importer(db: t.db, options: options).run(path: path)
    #expect(report.promptsAdded == 1 && report.issues.map(\.line) == [1] && report.issues[0].message.contains("longer than 100 bytes"))
}

@Test func aFullDiskStopsTheImportWithTheLineAndKeepsCommittedBatches() throws {
    let dir = TempDir()
    var dbOptions = Database.Options()
    dbOptions.maxPageCount = 80
    let db = try Database(path: dir.path("small.db"), options: dbOptions)
    let big = String(repeating: "y", count: 2_000)
    let text = (0..<400).map { #"{"prompt": "\#($0) \#(big)"}"# }.joined(separator: "\n")
    var options = ImportOptions(format: .prompts, fileType: .jsonl)
    options.batchSize = 10
    do {
        _ = try Importer(db: db, options: options).run(path: dir.file("big.jsonl", text))
        Issue.record("the import did not fail")
    } catch let f as ImportFailure {
        #expect(f.issue.message.contains("full"))
        // Whole batches of 10 were committed before the failing row; nothing of its batch was.
        let stored = try db.read { try PromptRepository($0).count() }
        #expect(stored > 0 && stored % 10 == 0 && stored == f.report.promptsAdded)
        #expect(f.issue.line > stored && f.issue.line <= stored + 10)
    }
    #expect(try db.check() == [])
}

@Test func anUnreadableFileIsAClearError() throws {
    let t = try TestDB()
    #expect {
        _ = try Importer(db: t.db, options: ImportOptions(format: .prompts, fileType: .jsonl)).run(path: t.dir.path("missing.jsonl"))
    } throws: { "\($0)".contains("missing.jsonl: cannot open") }
}
