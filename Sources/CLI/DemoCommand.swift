// `hilo demo corpus`: writes the synthetic arithmetic-and-units corpus Hilo's embedded default is
// trained on, as JSONL that `hilo import` and `hilo train` read. A seed reproduces a file byte for byte.
import ArgumentParser
import Foundation
import Hilo
import Store
import Support

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "The demo domain: arithmetic and unit questions, answered right or wrong.",
        subcommands: [DemoCorpusCommand.self, DemoJudgeCommand.self, DemoRemoveCommand.self])
}

struct DemoRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove the 1,500 demo prompts from a database (labelled or evaluated ones stay).")

    @Option(help: "The SQLite database file.")
    var db: String = "hilo.db"

    func run() throws {
        let database = try openDatabase(db)
        let out = try database.write { try DemoSeed.remove($0) }
        print("removed \(out.removed) demo prompts" + (out.kept > 0 ? "; kept \(out.kept) that labels or evaluations use" : ""))
    }
}

extension DemoCorpusKind: ExpressibleByArgument {}
extension DemoSplit: ExpressibleByArgument {}
extension DemoRule: ExpressibleByArgument {}

struct DemoCorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus", abstract: "Write demo rows as JSONL (pretrain, sft, preferences, kto or prompts).")

    @Option(help: "What to write: \(DemoCorpusKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: DemoCorpusKind

    @Option(help: "How many rows (documents for pretrain, distinct prompts for prompts).")
    var count: Int

    @Option(help: "The random seed; the same seed writes the same bytes.")
    var seed: UInt64 = 0

    @Option(help: "Question texts to draw from: train, queue, heldout or all (default: queue for prompts, train otherwise).")
    var split: DemoSplit?

    @Option(help: "Preferences only: what the chosen response has and the rejected lacks: correct, equation or period.")
    var rule: DemoRule = .correct

    @Flag(help: "Prompts and completions as message lists (TRL's conversational form) instead of HH strings.")
    var conversational = false

    @Option(name: .shortAndLong, help: "The output file (written atomically); standard output when omitted.")
    var output: String?

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must not be negative") }
        guard count <= 10_000_000 else { throw ValidationError("--count must be at most 10000000") }
        if rule != .correct && kind != .preferences { throw ValidationError("--rule applies to --kind preferences only") }
        if conversational && kind == .pretrain { throw ValidationError("--conversational does not apply to --kind pretrain (raw text)") }
    }

    func run() throws {
        var config = DemoCorpusConfig()
        config.split = split ?? kind.defaultSplit
        config.rule = rule
        let corpus = try DemoCorpus(config: config)
        var rng = SplitMix64(seed: seed)
        // Generated in chunks so a large count does not hold the whole file in memory.
        let chunk = 10_000
        if let output {
            // Readers see the old file or the new one, never part of it.
            try AtomicFile.write(to: URL(fileURLWithPath: output)) { file in
                try writeRows(corpus, &rng, chunk: chunk) { try file.write($0) }
            }
        } else {
            try writeRows(corpus, &rng, chunk: chunk) { FileHandle.standardOutput.write($0) }
        }
    }

    private func writeRows(_ corpus: DemoCorpus, _ rng: inout SplitMix64, chunk: Int, _ write: (Data) throws -> Void) throws {
        if kind == .prompts {
            // Distinct prompts need the whole set at once (a chunk could repeat an earlier one).
            try write(Data(try corpus.jsonLines(.prompts, count: count, conversational: conversational, rng: &rng)
                .map { $0 + "\n" }.joined().utf8))
            return
        }
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            let lines = try corpus.jsonLines(kind, count: n, conversational: conversational, rng: &rng)
            try write(Data(lines.map { $0 + "\n" }.joined().utf8))
            done += n
        }
    }
}

struct DemoJudgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge",
        abstract: "Judge {\"prompt\",\"response\"} JSONL rows by the demo rule (one verdict per line; a summary on stderr).")

    @Argument(help: "The JSONL file; standard input when omitted.")
    var file: String?

    @Option(help: "The rule for \"satisfies\": correct, equation or period.")
    var rule: DemoRule = .correct

    @Flag(help: "Print the reward instead of the verdict: 1 (the rule holds), 0, or null (not a demo question); a GRPO/RLOO --reward-cmd.")
    var score = false

    func run() throws {
        let handle: FileHandle
        if let file {
            guard let h = FileHandle(forReadingAtPath: file) else { throw DemoError.invalid("cannot read \(file)") }
            handle = h
        } else {
            handle = FileHandle.standardInput
        }
        let data = handle.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else { throw DemoError.invalid("\(file ?? "stdin") is not valid UTF-8") }
        let judge = DemoJudge()
        var out = "", rows = 0, demo = 0, satisfied = 0
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let verdict: String
            do { verdict = try score ? judge.scoreRow(String(line), rule: rule) : judge.judgeRow(String(line), rule: rule) } catch {
                throw DemoError.invalid("\(file ?? "stdin"):\(i + 1): \(error)")
            }
            rows += 1
            if verdict.contains("\"demo\":true") || (score && verdict != "null") { demo += 1 }
            if verdict.contains("\"satisfies\":true") || (score && verdict == "1") { satisfied += 1 }
            out += verdict + "\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        let rate = demo > 0 ? String(format: "%.1f%%", 100 * Double(satisfied) / Double(demo)) : "n/a"
        FileHandle.standardError.write(Data("judged \(rows) rows: \(demo) demo questions, \(satisfied) satisfy \(rule.rawValue) (\(rate))\n".utf8))
    }
}
