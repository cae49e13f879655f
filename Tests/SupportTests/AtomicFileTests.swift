// AtomicFile: a file or folder appears whole or not at all, an existing one is replaced only when
// complete, and a failed write leaves neither the new file nor a temporary behind.
import Foundation
import Support
import Testing

private func makeFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-support-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Test func aFolderWhoseWritingFailsNeverAppears() throws {
    let dir = try makeFolder(); defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("half")
    struct Boom: Error {}
    #expect(throws: Boom.self) {
        try AtomicFile.writeFolder(at: out) { tmp in
            try AtomicFile.write(Data("{}".utf8), to: tmp.appendingPathComponent("config.json"))
            throw Boom()
        }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
}

@Test func aFileWhoseWritingFailsLeavesTheOldOneAndNoTemporary() throws {
    let dir = try makeFolder(); defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("rows.jsonl")
    try AtomicFile.write(Data("old\n".utf8), to: url)
    struct Boom: Error {}
    #expect(throws: Boom.self) {
        try AtomicFile.write(to: url) { out in
            try out.write(Data("new, but only half".utf8))
            throw Boom()
        }
    }
    #expect(try String(contentsOf: url, encoding: .utf8) == "old\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["rows.jsonl"])
}

@Test func aCommittedFileReplacesTheOldOneAndADiscardedOneDisappears() throws {
    let dir = try makeFolder(); defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("out.txt")
    try AtomicFile.write(Data("old".utf8), to: url)
    let kept = try AtomicFile.Output(creating: url)
    try kept.write(Data("new".utf8))
    #expect(try String(contentsOf: url, encoding: .utf8) == "old", "nothing shows before commit")
    try kept.commit()
    #expect(try String(contentsOf: url, encoding: .utf8) == "new")
    let dropped = try AtomicFile.Output(creating: url)
    try dropped.write(Data("never".utf8))
    dropped.discard()
    #expect(try String(contentsOf: url, encoding: .utf8) == "new")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.txt"])
}

@Test func anExistingFolderIsReplacedOnlyWhenAsked() throws {
    let dir = try makeFolder(); defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("model")
    try AtomicFile.writeFolder(at: out) { try AtomicFile.write(Data("1".utf8), to: $0.appendingPathComponent("a")) }
    #expect(throws: AtomicFileError(path: out.path, reason: "already exists")) {
        try AtomicFile.writeFolder(at: out) { _ in }
    }
    try AtomicFile.writeFolder(at: out, replace: true) { try AtomicFile.write(Data("2".utf8), to: $0.appendingPathComponent("b")) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["b"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model"])
}

@Test func aFileInAMissingFolderIsAClearErrorNamingThePath() throws {
    let url = URL(fileURLWithPath: "/nonexistent-hilo-folder/x.jsonl")
    do {
        try AtomicFile.write(Data("x".utf8), to: url)
        Issue.record("writing into a missing folder succeeded")
    } catch let error as AtomicFileError {
        #expect(error.path == url.path && error.description.hasPrefix("\(url.path): cannot create:"))
    }
}
