// `hilo import FILE --format F`: loads prompts, responses and labels from JSONL or CSV.
import ArgumentParser
import Foundation
import Store

extension ImportFormat: ExpressibleByArgument {}
extension ImportFileType: ExpressibleByArgument {}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import prompts, responses, preferences or demonstrations from JSONL or CSV.",
        discussion: """
        Formats: prompts, responses (a prompt with N responses and optional ranks), trl (prompt/chosen/rejected, \
        string or conversational, explicit or implicit prompt), hh (Anthropic chosen/rejected transcripts), \
        sft (prompt/completion or messages). FILE may be - for standard input. Re-importing adds nothing.
        """)

    @Argument(help: "The JSONL or CSV file (- for standard input).")
    var file: String

    @Option(help: "The row format: \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ImportFormat

    @Option(help: "jsonl or csv (default: from the file name; .csv is CSV).")
    var type: ImportFileType?

    @Option(help: "The SQLite database file.")
    var db: String = "hilo.db"

    @Flag(help: "Stop at the first bad row and write nothing.")
    var strict = false

    @Option(help: "Rows per transaction.")
    var batchSize = 5_000

    @Option(help: "Longest accepted line or CSV record, in bytes.")
    var maxRowBytes = 8 << 20

    func run() throws {
        ignoreFileSizeSignal()
        var options = ImportOptions(format: format, fileType: type ?? .guess(path: file))
        options.strict = strict
        options.batchSize = max(1, batchSize)
        options.maxRowBytes = maxRowBytes
        let database = try openDatabase(db)
        do {
            let report = try Importer(db: database, options: options).run(path: file)
            for issue in report.issues { printError("skipped \(issue)") }
            if report.badRows > report.issues.count { printError("… and \(report.badRows - report.issues.count) more bad rows") }
            print("""
                \(file): \(report.rows) rows: added \(report.promptsAdded) prompts, \(report.responsesAdded) responses, \
                \(report.judgmentsAdded) labels; \(report.unchangedRows) rows already present; \(report.badRows) bad rows skipped
                """)
            if report.badRows > 0 { throw ExitCode(2) }
        } catch let failure as ImportFailure {
            printError("error: \(failure.issue)")
            printError(strict ? "nothing was imported (--strict)"
                : "stopped; \(failure.report.promptsAdded) prompts, \(failure.report.responsesAdded) responses and \(failure.report.judgmentsAdded) labels from earlier batches were kept (re-running resumes)")
            throw ExitCode.failure
        }
    }
}

/// Prints to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Opens the database, turning failures into a one-line message.
func openDatabase(_ path: String) throws -> Database {
    do { return try Database(path: path) } catch let e as StoreError {
        printError("error: \(path): \(e)")
        throw ExitCode.failure
    }
}

/// With a file-size limit (ulimit -f), writing past it raises SIGXFSZ, which kills the process by
/// default; ignored, the write fails with EFBIG and SQLite rolls the transaction back cleanly.
func ignoreFileSizeSignal() {
    signal(SIGXFSZ, SIG_IGN)
}
