// `hilo export --format F [-o FILE]`: writes a dataset for TRL, OpenRLHF or HH-style readers.
import ArgumentParser
import Foundation
import Store

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export preference, KTO, SFT, prompt-only or raw label datasets as JSON Lines.",
        discussion: """
        Formats: trl (prompt/chosen/rejected), hh (chosen/rejected transcripts), rm-static, kto, sft, raw (every \
        judgment), pairs (aggregated pairs with vote counts), prompts ({"prompt"} for PPO/RLOO/GRPO and `hilo train ppo`; \
        held-out prompts excluded). Human labels only unless --include-ai. With \
        --test-fraction, -o NAME.jsonl writes NAME.train.jsonl and NAME.test.jsonl, split by prompt.
        """)

    @Option(help: "The dataset format: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ExportFormat

    @Option(name: [.short, .customLong("output")], help: "Write to this file (atomically) instead of standard output.")
    var output: String?

    @Option(help: "The SQLite database file.")
    var db: String = "hilo.db"

    @Flag(help: "Messages ({\"role\",\"content\"} lists) instead of strings (trl, kto, sft, prompts).")
    var conversational = false

    @Flag(help: "trl: no prompt column; chosen and rejected carry the prompt (RewardTrainer's implicit form).")
    var implicitPrompt = false

    @Option(help: "Only labels (prompts: prompts) created at or after this UTC time (2026-01-31 or 2026-01-31T12:00:00Z).")
    var since: String?

    @Option(help: "Only labels by this annotator (repeat for several).")
    var annotator: [String] = []

    @Flag(help: "Include AI (RLAIF) labels; by default only human labels are exported.")
    var includeAI = false

    @Flag(help: "One row per response pair in the majority direction instead of one per label.")
    var aggregate = false

    @Option(help: "Keep pairs whose majority share of votes (ties count) is at least this, 0…1.")
    var minAgreement: Double?

    @Option(help: "Keep pairs with at least this many votes.")
    var minVotes = 1

    @Option(help: "Fraction of prompts written to the test file (needs -o).")
    var testFraction = 0.0

    @Option(help: "Seed of the train/test split.")
    var seed: UInt64 = 0

    func run() throws {
        ignoreFileSizeSignal()
        var options = ExportOptions(format: format)
        options.conversational = conversational
        options.implicitPrompt = implicitPrompt
        options.annotators = annotator
        options.includeAI = includeAI
        options.aggregate = aggregate
        options.minAgreement = minAgreement
        options.minVotes = max(1, minVotes)
        options.testFraction = testFraction
        options.seed = seed
        if let since {
            guard let ms = parseUTCTime(since) else { throw ValidationError("--since: expected a date like 2026-01-31 or 2026-01-31T12:00:00Z") }
            options.since = ms
        }
        if testFraction > 0, output == nil { throw ValidationError("--test-fraction writes two files: give -o NAME.jsonl") }
        guard FileManager.default.fileExists(atPath: db) else {
            printError("error: \(db): no such database (import into it first, or pass --db)")
            throw ExitCode.failure
        }
        let database = try openDatabase(db)
        var outputs: [ExportOutput] = []
        do {
            let exporter = try Exporter(db: database, options: options)
            let report: ExportReport
            if testFraction > 0, let output {
                let (train, test) = splitNames(output)
                outputs = [try ExportOutput(path: train), try ExportOutput(path: test)]
                report = try exporter.run(train: outputs[0], test: outputs[1])
            } else {
                outputs = [try output.map(ExportOutput.init(path:)) ?? ExportOutput()]
                report = try exporter.run(train: outputs[0])
            }
            for o in outputs { try o.commit() }
            let names = outputs.compactMap(\.path)
            printError(names.isEmpty ? "exported \(report.rows) rows"
                       : testFraction > 0 ? "exported \(report.trainRows) rows to \(names[0]) and \(report.testRows) to \(names[1])"
                       : "exported \(report.rows) rows to \(names[0])")
        } catch let e as StoreError {
            outputs.forEach { $0.abort() }
            printError("error: \(e)" + (output.map { "; \($0) was not written" } ?? ""))
            throw ExitCode.failure
        }
    }

    /// data.jsonl -> (data.train.jsonl, data.test.jsonl); names Hugging Face datasets maps to splits.
    func splitNames(_ path: String) -> (String, String) {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension.isEmpty ? "jsonl" : url.pathExtension
        let base = url.deletingPathExtension().path
        return ("\(base).train.\(ext)", "\(base).test.\(ext)")
    }
}

/// Unix milliseconds of "YYYY-MM-DD" or an ISO 8601 time with zone (UTC when none is given).
func parseUTCTime(_ text: String) -> Int64? {
    let formats = ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss"]
    for format in formats {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = format
        if let d = f.date(from: text) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
    }
    return nil
}
