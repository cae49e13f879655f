// `hilo import`: streams a JSONL or CSV file into the database in batches. Each row is validated
// (UTF-8, JSON or CSV syntax, the format's fields) before anything is written; re-importing a
// file adds nothing because prompts, responses and imported labels are keyed by content hash.
import Foundation
import Support

public enum ImportFileType: String, Sendable, CaseIterable {
    case jsonl, csv

    /// From the file name: .csv is CSV, anything else JSON Lines.
    public static func guess(path: String) -> ImportFileType { path.lowercased().hasSuffix(".csv") ? .csv : .jsonl }
}

public struct ImportOptions: Sendable {
    public var format: ImportFormat
    public var fileType: ImportFileType
    /// Stop at the first bad row and write nothing (one transaction for the whole file).
    public var strict = false
    /// Rows per transaction when not strict: larger is faster, smaller loses less work on a crash.
    public var batchSize = 5_000
    /// A line (or CSV record) longer than this is an error: bounds memory per row.
    public var maxRowBytes = 8 << 20
    /// Most responses one row may carry.
    public var maxResponses = 64
    /// Bad rows kept in the report (all are counted).
    public var maxReportedErrors = 100
    /// The name recorded as the prompts' `source` and the responses' origin ("import:<name>"):
    /// an upload's own file name rather than the temporary file it was written to; nil = the path's.
    public var sourceName: String? = nil
    public init(format: ImportFormat, fileType: ImportFileType) { self.format = format; self.fileType = fileType }
}

/// One rejected row: where and why.
public struct ImportIssue: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var field: String?
    public var message: String
    public var description: String { "\(file):\(line): " + (field.map { "\($0): " } ?? "") + message }
}

public struct ImportReport: Sendable, Equatable {
    /// Rows read (not counting blank lines or a CSV header).
    public var rows = 0
    public var promptsAdded = 0
    public var responsesAdded = 0
    public var judgmentsAdded = 0
    /// Rows that added nothing because everything in them was already stored.
    public var unchangedRows = 0
    public var badRows = 0
    public var issues: [ImportIssue] = []
}

/// An import that stopped: the issue (file, line) and what was committed before it.
public struct ImportFailure: Error, CustomStringConvertible {
    public var issue: ImportIssue
    public var report: ImportReport
    public var description: String { issue.description }
}

public struct Importer {
    let db: Database
    let options: ImportOptions

    public init(db: Database, options: ImportOptions) { self.db = db; self.options = options }

    /// Imports `path` ("-" = standard input). Throws `ImportFailure` on the first bad row when
    /// strict (nothing written), or when the database fails (busy, disk full): batches committed
    /// before that stay, and re-running the import resumes idempotently.
    public func run(path: String, now: Int64 = currentTimeMs()) throws -> ImportReport {
        let stream = try ByteStream(path: path)
        let name = options.sourceName ?? (path == "-" ? "stdin" : (path as NSString).lastPathComponent)
        var rows = RowSource(stream: stream, options: options)
        let parser = ImportRowParser(format: options.format, maxResponses: options.maxResponses)
        var report = ImportReport()
        var batch: [(line: Int, item: ImportItem)] = []

        func fail(_ issue: ImportIssue) throws -> Never {
            throw ImportFailure(issue: issue, report: report)
        }
        /// Parses the next row, recording bad ones; nil at the end.
        func nextItem() throws -> (Int, ImportItem)? {
            while true {
                let next: (Int, JSONValue)?
                do { next = try rows.next() } catch let e as RowError {
                    let issue = ImportIssue(file: path, line: e.line, field: e.field, message: e.message)
                    report.rows += 1
                    if options.strict { try fail(issue) }
                    record(issue)
                    continue
                }
                guard let (line, value) = next else { return nil }
                report.rows += 1
                do { return (line, try parser.parse(value)) } catch let e as FieldError {
                    let issue = ImportIssue(file: path, line: line, field: e.field, message: e.message)
                    if options.strict { try fail(issue) }
                    record(issue)
                }
            }
        }
        func record(_ issue: ImportIssue) {
            report.badRows += 1
            if report.issues.count < options.maxReportedErrors { report.issues.append(issue) }
        }
        func store(_ items: [(line: Int, item: ImportItem)], _ c: Connection, savepoints: Bool) throws {
            let writer = ItemWriter(c: c, origin: "import:" + name, source: name, now: now)
            for (line, item) in items {
                do {
                    if savepoints { try c.execute("SAVEPOINT row") }
                    let added = try writer.write(item)
                    if savepoints { try c.execute("RELEASE row") }
                    report.promptsAdded += added.prompts; report.responsesAdded += added.responses
                    report.judgmentsAdded += added.judgments
                    if added.prompts + added.responses + added.judgments == 0 { report.unchangedRows += 1 }
                } catch let e as StoreError {
                    if case .invalid(let message) = e {
                        let issue = ImportIssue(file: path, line: line, field: nil, message: message)
                        if !savepoints { try fail(issue) }
                        try c.execute("ROLLBACK TO row; RELEASE row")
                        record(issue)
                        continue
                    }
                    try fail(ImportIssue(file: path, line: line, field: nil, message: e.description))
                }
            }
        }

        if options.strict {
            // One transaction: the first error rolls everything back.
            let before = report
            do {
                try db.write { c in
                    while let (line, item) = try nextItem() {
                        batch.append((line, item))
                        if batch.count >= options.batchSize { try store(batch, c, savepoints: false); batch.removeAll(keepingCapacity: true) }
                    }
                    try store(batch, c, savepoints: false)
                }
            } catch var failure as ImportFailure {
                var r = before
                r.rows = failure.report.rows
                failure.report = r
                throw failure
            } catch let e as StoreError {
                throw ImportFailure(issue: ImportIssue(file: path, line: stream.line, field: nil, message: e.description), report: before)
            }
            return report
        }
        while true {
            while batch.count < options.batchSize, let (line, item) = try nextItem() { batch.append((line, item)) }
            if batch.isEmpty { break }
            let committed = report
            do {
                try db.write { c in try store(batch, c, savepoints: true) }
            } catch var failure as ImportFailure {
                failure.report = committed
                throw failure
            } catch let e as StoreError {
                throw ImportFailure(issue: ImportIssue(file: path, line: batch[0].line, field: nil, message: e.description), report: committed)
            }
            batch.removeAll(keepingCapacity: true)
        }
        return report
    }
}
