// The rows of an import file as JSON objects with their line numbers: JSON Lines checked for
// UTF-8 and size, or CSV records mapped onto the format's fields through the header.

/// A row-level problem found while reading (syntax, encoding, size).
struct RowError: Error { let line: Int; let field: String?; let message: String }

/// Rows of a JSONL or CSV file as JSON objects, with their line numbers.
struct RowSource {
    let stream: ByteStream
    let options: ImportOptions
    var lineBuffer: [UInt8] = []
    var csv: CSVReader?
    var header: [String]?

    init(stream: ByteStream, options: ImportOptions) {
        self.stream = stream
        self.options = options
        if options.fileType == .csv { csv = CSVReader(stream: stream, maxBytes: options.maxRowBytes) }
    }

    mutating func next() throws -> (Int, JSONValue)? {
        if csv != nil { return try nextCSV() }
        while true {
            switch try stream.nextLine(into: &lineBuffer, maxBytes: options.maxRowBytes) {
            case .end: return nil
            case let .tooLong(line): throw RowError(line: line, field: nil, message: "line longer than \(options.maxRowBytes) bytes")
            case let .line(line):
                if lineBuffer.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                return try lineBuffer.withUnsafeBufferPointer { buf in
                    if let bad = UTF8Validation.firstInvalidOffset(buf) {
                        throw RowError(line: line, field: nil, message: "invalid UTF-8 at byte \(bad + 1)")
                    }
                    do { return (line, try JSONValue.parse(bytes: buf)) } catch let e as JSONError {
                        throw RowError(line: line, field: nil, message: e.description)
                    }
                }
            }
        }
    }

    func decode(_ bytes: [UInt8], line: Int, field: String?) throws -> String {
        if let bad = bytes.withUnsafeBufferPointer({ UTF8Validation.firstInvalidOffset($0) }) {
            throw RowError(line: line, field: field, message: "invalid UTF-8 at byte \(bad + 1)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func nextCSV() throws -> (Int, JSONValue)? {
        while true {
            let record: (line: Int, fields: [[UInt8]])?
            do { record = try csv!.next() } catch let CSVReader.CSVError.malformed(line, message) {
                if header == nil { throw StoreError.invalid("\(stream.path):\(line): the CSV header is malformed: \(message)") }
                throw RowError(line: line, field: nil, message: message)
            }
            guard let record else { return nil }
            guard let header else {
                var names = try record.fields.map { try decode($0, line: record.line, field: nil) }
                if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0] = String(first.dropFirst()) }
                if Set(names).count != names.count { throw StoreError.invalid("\(stream.path):\(record.line): the CSV header repeats a column") }
                self.header = names
                continue
            }
            let fields = try record.fields.enumerated().map { k, f in
                try decode(f, line: record.line, field: k < header.count ? header[k] : nil)
            }
            do { return (record.line, try ImportRowParser.csvObject(header: header, fields: fields, line: record.line)) } catch let e as FieldError {
                throw RowError(line: record.line, field: e.field, message: e.message)
            }
        }
    }
}
