// An RFC 4180 CSV reader over a ByteStream: comma-separated fields, records ended by LF or CRLF,
// fields optionally in double quotes, where "" is a quote and commas and newlines are literal.
struct CSVReader {
    enum CSVError: Error { case malformed(line: Int, message: String), tooLong(line: Int) }

    let stream: ByteStream
    let maxBytes: Int

    /// The next record's fields (raw UTF-8 bytes) and the line it starts on, or nil at the end.
    /// On a malformed record the rest of that record is consumed so reading can go on.
    mutating func next() throws -> (line: Int, fields: [[UInt8]])? {
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var size = 0
        // Skip blank lines between records.
        while let b = try stream.peekByte(), b == 0x0A || b == 0x0D { _ = try stream.nextByte() }
        let startLine = stream.line
        guard try stream.peekByte() != nil else { return nil }
        var error: String? = nil
        func fail(_ message: String) { if error == nil { error = message } }
        record: while true {
            // Start of a field.
            if try stream.peekByte() == UInt8(ascii: "\"") {
                _ = try stream.nextByte()
                quoted: while true {
                    guard let b = try stream.nextByte() else { fail("a quoted field is not closed"); break record }
                    if b == UInt8(ascii: "\"") {
                        if try stream.peekByte() == UInt8(ascii: "\"") { _ = try stream.nextByte(); field.append(b); size += 1; continue }
                        break quoted
                    }
                    field.append(b); size += 1
                    if size > maxBytes { fail("record longer than \(maxBytes) bytes"); field.removeAll() }
                }
                // After the closing quote: a comma, the end of the record, or an error.
                guard let b = try stream.nextByte() else { fields.append(field); break record }
                if b == UInt8(ascii: ",") { fields.append(field); field = []; continue record }
                if b == 0x0A { fields.append(field); break record }
                if b == 0x0D, try stream.peekByte() == 0x0A { _ = try stream.nextByte(); fields.append(field); break record }
                fail("unexpected character after a closing quote (quotes inside a field are written \"\")")
                while let c = try stream.nextByte(), c != 0x0A {}
                break record
            }
            // An unquoted field.
            while true {
                guard let b = try stream.nextByte() else { fields.append(field); break record }
                if b == UInt8(ascii: ",") { fields.append(field); field = []; continue record }
                if b == 0x0A { fields.append(field); break record }
                if b == 0x0D, try stream.peekByte() == 0x0A { _ = try stream.nextByte(); fields.append(field); break record }
                if b == UInt8(ascii: "\"") { fail("a quote inside an unquoted field (quote the whole field)") }
                field.append(b); size += 1
                if size > maxBytes { fail("record longer than \(maxBytes) bytes"); field.removeAll() }
            }
        }
        if let error { throw CSVError.malformed(line: startLine, message: error) }
        return (startLine, fields)
    }
}
