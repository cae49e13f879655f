// The RFC 4180 reader: quoted commas, doubled quotes, newlines inside fields, CRLF, and errors.
import Testing
@testable import Store

func csvRecords(_ text: String) throws -> [(Int, [String])] {
    let dir = TempDir()
    var reader = CSVReader(stream: try ByteStream(path: dir.file("t.csv", text), chunkSize: 7), maxBytes: 1000)
    var out: [(Int, [String])] = []
    while let r = try reader.next() { out.append((r.line, r.fields.map { String(decoding: $0, as: UTF8.self) })) }
    return out
}

@Test func csvReadsQuotedCommasQuotesAndNewlines() throws {
    let records = try csvRecords("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\nplain,,\"\"\nlast,row,end")
    #expect(records.map(\.1) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["plain", "", ""], ["last", "row", "end"]])
    // Each record reports the line it starts on; the quoted newline pushes the next one down.
    #expect(records.map(\.0) == [1, 2, 4, 5])
}

@Test func csvReportsAnUnclosedQuoteAndAStrayQuoteWithTheirLine() throws {
    #expect(throws: CSVReader.CSVError.self) { _ = try csvRecords("a,b\n\"open,field\n") }
    do {
        _ = try csvRecords("a,b\nx,y\nbad\"quote,z\n")
        Issue.record("a stray quote was accepted")
    } catch let CSVReader.CSVError.malformed(line, message) {
        #expect(line == 3)
        #expect(message.contains("quote"))
    }
}
