// Bad tokenizer files give clear errors naming the file and what is wrong, never a crash.

import Foundation
import Testing
@testable import Engine

@Suite struct TokenizerErrorTests {
    /// Writes `files` into a fresh folder and returns the error loading it gives.
    func loadError(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-tokerr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        do {
            _ = try Tokenizer.load(directory: dir)
        } catch let e as EngineError {
            return e.description
        }
        Issue.record("loading \(files.keys.sorted()) did not fail")
        return ""
    }

    func tokenizerJSON(model: String, pre: String = #"{"type":"ByteLevel","add_prefix_space":false,"use_regex":true}"#,
                       normalizer: String = "null") -> String {
        #"{"version":"1.0","added_tokens":[],"normalizer":\#(normalizer),"pre_tokenizer":\#(pre),"decoder":{"type":"ByteLevel"},"model":\#(model)}"#
    }

    @Test func folderWithoutTokenizerFilesIsRejectedNamingTheFolder() throws {
        let e = try loadError(["config.json": "{}"])
        #expect(e.contains("no tokenizer found"))
    }

    @Test func truncatedTokenizerJSONIsRejectedNamingTheFile() throws {
        let full = try String(contentsOf: TokenizerFixtures.directory.appendingPathComponent("tokenizer.json"), encoding: .utf8)
        let e = try loadError(["tokenizer.json": String(full.prefix(5000))])
        #expect(e.contains("tokenizer.json") && e.contains("not valid JSON"))
    }

    @Test func unigramAndWordPieceModelsAreRejectedAsUnsupported() throws {
        let unigram = try loadError(["tokenizer.json": tokenizerJSON(model: #"{"type":"Unigram","vocab":[["a",0.0]]}"#)])
        #expect(unigram.contains("tokenizer.json") && unigram.contains("\"Unigram\" is not supported"))
        let wordpiece = try loadError(["tokenizer.json": tokenizerJSON(model: #"{"type":"WordPiece","vocab":{"a":0}}"#)])
        #expect(wordpiece.contains("\"WordPiece\" is not supported"))
    }

    @Test func mergesNamingUnknownTokensAreRejectedWithTheMergeNumber() throws {
        let e = try loadError(["tokenizer.json": tokenizerJSON(model: #"{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b","a c"]}"#)])
        #expect(e.contains("tokenizer.json") && e.contains("merge 2") && e.contains("\"c\" is not in the vocabulary"))
        let merged = try loadError(["tokenizer.json": tokenizerJSON(model: #"{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","b"]]}"#)])
        #expect(merged.contains("merged token \"ab\""))
    }

    @Test func mergesTXTWithABadLineIsRejectedWithTheLineNumber() throws {
        let e = try loadError(["vocab.json": #"{"a":0,"b":1,"ab":2}"#, "merges.txt": "#version: 0.2\na b\nab\n"])
        #expect(e.contains("merges.txt") && e.contains("line 3"))
        let unknown = try loadError(["vocab.json": #"{"a":0,"b":1,"ab":2}"#, "merges.txt": "#version: 0.2\na x\n"])
        #expect(unknown.contains("merges.txt") && unknown.contains("\"x\" is not in the vocabulary"))
    }

    @Test func unsupportedComponentsAreRejectedNamingTheFieldPath() throws {
        let model = #"{"type":"BPE","vocab":{"a":0},"merges":[]}"#
        let n = try loadError(["tokenizer.json": tokenizerJSON(model: model, normalizer: #"{"type":"BertNormalizer"}"#)])
        #expect(n.contains("tokenizer.json: normalizer.type \"BertNormalizer\" is not supported"))
        let p = try loadError(["tokenizer.json": tokenizerJSON(model: model, pre: #"{"type":"Whitespace"}"#)])
        #expect(p.contains("pre_tokenizer.type \"Whitespace\" is not supported"))
        let nested = try loadError(["tokenizer.json": tokenizerJSON(model: model, pre: #"{"type":"Sequence","pretokenizers":[{"type":"Digits"},{"type":"Foo"}]}"#)])
        #expect(nested.contains("pre_tokenizer.pretokenizers[1].type \"Foo\" is not supported"))
        let notLast = try loadError(["tokenizer.json": tokenizerJSON(model: model, pre: #"{"type":"Sequence","pretokenizers":[{"type":"ByteLevel"},{"type":"Digits"}]}"#)])
        #expect(notLast.contains("pre_tokenizer.pretokenizers[0] is ByteLevel but not the last step"))
        let behavior = try loadError(["tokenizer.json": tokenizerJSON(model: model, pre: #"{"type":"Split","pattern":{"String":" "},"behavior":"Sideways"}"#)])
        #expect(behavior.contains("pre_tokenizer.behavior \"Sideways\" is not a split behavior"))
        let regex = try loadError(["tokenizer.json": tokenizerJSON(model: model, pre: #"{"type":"Split","pattern":{"Regex":"(unclosed"},"behavior":"Isolated"}"#)])
        #expect(regex.contains("pre_tokenizer.pattern") && regex.contains("does not compile"))
        let flag = try loadError(["tokenizer.json": tokenizerJSON(model: #"{"type":"BPE","vocab":{"a":0},"merges":[],"byte_fallback":"yes"}"#)])
        #expect(flag.contains("model.byte_fallback is not true or false"))
    }

    @Test func sparseHugeIdsAreRejectedInsteadOfAllocatingGigabytes() throws {
        let e = try loadError(["tokenizer.json": tokenizerJSON(model: #"{"type":"BPE","vocab":{"a":0,"b":2000000000},"merges":[]}"#)])
        #expect(e.contains("tokenizer.json") && e.contains("contiguous"))
    }

    @Test func missingFileIsReportedAsSuch() {
        let url = URL(fileURLWithPath: "/nonexistent/hilo/tokenizer.json")
        #expect(throws: EngineError.badFile(path: url.path, reason: "no such file")) { try Tokenizer.load(tokenizerJSON: url) }
    }
}
