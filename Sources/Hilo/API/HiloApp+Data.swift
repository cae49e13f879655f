// Import and export over HTTP. POST /api/v1/import streams the upload to a temporary file (the
// server does that for `.upload` routes) and runs the store's Importer on it: counts, and errors
// with line numbers. GET /api/v1/export runs the store's Exporter into a temporary file and streams
// it back, so memory stays flat whatever the size; the file is removed once sent.
import Foundation
import HTTP
import Store

extension HiloApp {
    /// Largest import upload.
    static let maxImportBytes = 1 << 30

    func addDataRoutes(_ t: inout RouteTable) {
        t.add(.post, "/api/v1/import", .admin, options: .upload(maxBytes: Self.maxImportBytes)) { [self] r in try await importUpload(r) }
        t.add(.get, "/api/v1/export", .admin) { [self] r in try await export(r) }
    }

    struct ImportOut: Encodable {
        struct Issue: Encodable { var line: Int; var field: String?; var message: String }
        var rows: Int; var promptsAdded: Int; var responsesAdded: Int; var judgmentsAdded: Int
        var unchangedRows: Int; var badRows: Int; var errors: [Issue]; var stopped: Bool
        init(_ r: ImportReport, stopped: Bool, extra: ImportIssue? = nil) {
            rows = r.rows; promptsAdded = r.promptsAdded; responsesAdded = r.responsesAdded; judgmentsAdded = r.judgmentsAdded
            unchangedRows = r.unchangedRows; badRows = r.badRows
            errors = (r.issues + (extra.map { [$0] } ?? [])).map { Issue(line: $0.line, field: $0.field, message: $0.message) }
            self.stopped = stopped
        }
    }

    func importUpload(_ r: Request) async throws -> HTTP.Response {
        guard let formatName = r.query["format"] else {
            throw HTTPError.unprocessable("missing query parameter format (\(ImportFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let format = ImportFormat(rawValue: formatName) else {
            throw HTTPError.unprocessable("unknown format \(formatName); use \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let type: ImportFileType
        switch (r.query["type"], r.contentType) {
        case ("csv", _), (nil, "text/csv"): type = .csv
        case ("jsonl", _), (nil, _): type = .jsonl
        case (let other?, _): throw HTTPError.unprocessable("unknown type \(other); use jsonl or csv")
        }
        let accepted = ["application/x-ndjson", "application/jsonl", "application/json", "text/csv", "text/plain", "application/octet-stream"]
        if let ct = r.contentType, !accepted.contains(ct) {
            throw HTTPError(.unsupportedMediaType, "expected one of \(accepted.joined(separator: ", "))")
        }
        guard r.body.byteCount > 0 else { throw HTTPError.unprocessable("the upload is empty") }
        var options = ImportOptions(format: format, fileType: type)
        options.strict = try r.query.flag("strict")
        let body = r.body, importOptions = options
        let (out, ok) = try await offPool { [db] () throws -> (ImportOut, Bool) in
            let path: String
            var cleanup: String? = nil
            switch body {
            case .file(let url, _): path = url.path
            default:
                let temp = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-import-\(UUID().uuidString)").path
                guard FileManager.default.createFile(atPath: temp, contents: try body.data()) else {
                    throw HTTPError(.internalServerError, "could not write the upload to a temporary file in \(FileManager.default.temporaryDirectory.path)")
                }
                path = temp; cleanup = temp
            }
            defer { if let cleanup { try? FileManager.default.removeItem(atPath: cleanup) } }
            do {
                return (ImportOut(try Importer(db: db, options: importOptions).run(path: path), stopped: false), true)
            } catch let failure as ImportFailure {
                return (ImportOut(failure.report, stopped: true, extra: failure.issue), false)
            }
        }
        return try API.json(out, status: ok ? .ok : .unprocessableContent)
    }

    func export(_ r: Request) async throws -> HTTP.Response {
        guard let name = r.query["format"], let format = ExportFormat(rawValue: name) else {
            throw HTTPError.unprocessable("format must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var options = ExportOptions(format: format)
        options.conversational = try r.query.flag("conversational")
        options.implicitPrompt = try r.query.flag("implicit_prompt")
        options.includeAI = try r.query.flag("include_ai")
        options.aggregate = try r.query.flag("aggregate")
        options.annotators = r.query.values("annotator")
        if let s = r.query["since"] {
            guard let v = Int64(s) else { throw HTTPError.unprocessable("since must be Unix milliseconds") }
            options.since = v
        }
        if let s = r.query["min_agreement"] {
            guard let v = Double(s), (0...1).contains(v) else { throw HTTPError.unprocessable("min_agreement must be a number in [0, 1]") }
            options.minAgreement = v
        }
        if let s = r.query["min_votes"] {
            guard let v = Int(s), v >= 1 else { throw HTTPError.unprocessable("min_votes must be a positive integer") }
            options.minVotes = v
        }
        // A deterministic train/test split by prompt: the same seed and database give the same split;
        // `split` picks which half this download is.
        if let s = r.query["test_fraction"] {
            guard let v = Double(s), v >= 0, v < 1 else { throw HTTPError.unprocessable("test_fraction must be a number in [0, 1)") }
            options.testFraction = v
        }
        if let s = r.query["seed"] {
            guard let v = UInt64(s) else { throw HTTPError.unprocessable("seed must be a non-negative integer") }
            options.seed = v
        }
        let split = r.query["split"] ?? "train"
        guard split == "train" || split == "test" else { throw HTTPError.unprocessable("split must be train or test") }
        if split == "test" && options.testFraction == 0 { throw HTTPError.unprocessable("split=test needs test_fraction > 0") }
        let exportOptions = options
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-export-\(UUID().uuidString)").path
        let path = base + "-\(split).jsonl", other = base + (split == "train" ? "-test.jsonl" : "-train.jsonl")
        try await offPool { [db] in
            let exporter = try Exporter(db: db, options: exportOptions)
            let train = try ExportOutput(path: base + "-train.jsonl")
            let test = exportOptions.testFraction > 0 ? try ExportOutput(path: base + "-test.jsonl") : nil
            do {
                _ = try exporter.run(train: train, test: test)
                try train.commit()
                try test?.commit()
            } catch { train.abort(); test?.abort(); throw error }
            try? FileManager.default.removeItem(atPath: other)
        }
        let url = URL(fileURLWithPath: path)
        let file: BodyStream
        do { file = try BodyStream.file(url) } catch { try? FileManager.default.removeItem(at: url); throw error }
        // Normally removed once sent; if the body is never produced (HEAD, a client gone early), the
        // file goes after an hour (an unlinked file stays readable for a stream still sending it).
        DispatchQueue.global().asyncAfter(deadline: .now() + 3600) { try? FileManager.default.removeItem(at: url) }
        let stream = BodyStream(length: file.length) { writer in
            defer { try? FileManager.default.removeItem(at: url) }
            try await file.produce(writer)
        }
        return HTTP.Response(status: .ok, headers: [
            "Content-Type": "application/x-ndjson",
            "Content-Disposition": "attachment; filename=\"hilo-\(format.rawValue).jsonl\"",
        ], body: .stream(stream))
    }
}
