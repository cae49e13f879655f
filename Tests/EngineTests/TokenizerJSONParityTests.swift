// Hilo's tokenizer.json pipeline against the `tokenizers` library on real vocabularies (Llama 3,
// Qwen2, Llama 2, Phi-3, GPT-2, StarCoder): Fixtures/make_tokenizer_json_golden.py rebuilt each
// tokenizer.json from llama.cpp's test vocabularies (checking llama.cpp's reference ids first) and
// wrote the ids and decoded texts `tokenizers` gives for llama.cpp's texts, Hilo's hard cases and
// random strings. Every case must match exactly; a failure names the first case that does not.

import Foundation
import Testing
@testable import Engine

struct TokenizerJSONGolden: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let ids_with_special: [Int]
        let decoded: String
        let decoded_skip_special: String
    }
    typealias DecodeCase = TokenizerGolden.DecodeCase
    let version: Int
    let vocab: String
    let llama_cpp_cases: Int
    let vocab_size: Int
    let cases: [Case]
    let decode_cases: [DecodeCase]
}

enum TokenizerJSONFixtures {
    static let vocabularies = ["llama-bpe", "qwen2", "llama-spm", "phi-3", "gpt-2", "starcoder"]

    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("tokenizer_json")
    }

    static func golden(_ vocab: String) throws -> TokenizerJSONGolden {
        try JSONDecoder().decode(TokenizerJSONGolden.self, from: Data(contentsOf: directory.appendingPathComponent("\(vocab).golden.json")))
    }

    /// The vocabulary's tokenizer.json, unpacked from its committed .gz with gzip into a temporary folder.
    static func tokenizer(_ vocab: String) throws -> Tokenizer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-tokjson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tokenizer.json")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-dc", directory.appendingPathComponent("\(vocab).tokenizer.json.gz").path]
        gzip.standardOutput = try FileHandle(forWritingTo: file)
        try gzip.run()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0, "gzip -dc \(vocab).tokenizer.json.gz")
        return try Tokenizer.load(tokenizerJSON: file)
    }
}

@Suite struct TokenizerJSONParityTests {
    @Test(arguments: TokenizerJSONFixtures.vocabularies)
    func encodeMatchesTokenizersOnEveryCase(vocab: String) throws {
        let golden = try TokenizerJSONFixtures.golden(vocab)
        let tok = try TokenizerJSONFixtures.tokenizer(vocab)
        #expect(golden.version == 1)
        #expect(golden.llama_cpp_cases >= 40 && golden.cases.count > 300)
        #expect(tok.vocabSize == golden.vocab_size)
        var identical = 0, identicalWithSpecial = 0
        var firstMismatch: String? = nil
        for (i, c) in golden.cases.enumerated() {
            let ids = tok.encode(c.text)
            if ids == c.ids { identical += 1 } else if firstMismatch == nil {
                firstMismatch = "case \(i) \(c.text.debugDescription): \(tokenIdsFirstDifference(ids, c.ids))"
            }
            let withSpecial = tok.encode(c.text, addSpecialTokens: true)
            if withSpecial == c.ids_with_special { identicalWithSpecial += 1 } else if firstMismatch == nil {
                firstMismatch = "case \(i) with special tokens \(c.text.debugDescription): \(tokenIdsFirstDifference(withSpecial, c.ids_with_special))"
            }
        }
        print("\(vocab): \(identical)/\(golden.cases.count) cases identical, \(identicalWithSpecial) with special tokens")
        #expect(identical == golden.cases.count && identicalWithSpecial == golden.cases.count, "\(vocab): \(firstMismatch ?? "")")
    }

    @Test(arguments: TokenizerJSONFixtures.vocabularies)
    func decodeMatchesTokenizersWithAndWithoutSpecialTokens(vocab: String) throws {
        let golden = try TokenizerJSONFixtures.golden(vocab)
        let tok = try TokenizerJSONFixtures.tokenizer(vocab)
        var identical = 0, total = 0
        var firstMismatch: String? = nil
        let checks = golden.cases.map { ($0.ids, $0.decoded, $0.decoded_skip_special) }
            + golden.decode_cases.map { ($0.ids, $0.text, $0.text_skip_special) }
        for (ids, text, skipped) in checks {
            total += 1
            let mine = tok.decode(ids), mineSkipped = tok.decode(ids, skipSpecialTokens: true)
            if mine == text && mineSkipped == skipped { identical += 1 } else if firstMismatch == nil {
                firstMismatch = "ids \(ids.prefix(12)): \(mine.debugDescription) / \(mineSkipped.debugDescription) vs \(text.debugDescription) / \(skipped.debugDescription)"
            }
        }
        print("\(vocab): \(identical)/\(total) decodes identical")
        #expect(golden.decode_cases.count == 300)
        #expect(identical == total, "\(vocab): \(firstMismatch ?? "")")
    }

    @Test func heapMergeLoopAgreesWithTheScanLoopOnLlama3AndLlama2() throws {
        for vocab in ["llama-bpe", "llama-spm"] {
            let tok = try TokenizerJSONFixtures.tokenizer(vocab)
            // Llama 2's text is one piece, cut into words at "▁" (no token has "▁" after another character).
            #expect(tok.model.wordStart == (vocab == "llama-spm" ? Array("\u{2581}".utf8) : nil))
            for c in try TokenizerJSONFixtures.golden(vocab).cases.prefix(120) {
                let ids = tok.encode(c.text, allowSpecialTokens: true, forceHeap: true)
                #expect(ids == c.ids, "\(vocab) \(c.text.debugDescription): \(tokenIdsFirstDifference(ids, c.ids))")
            }
        }
    }
}

/// Pipelines today's vocabularies do not use (Metaspace with each prepend scheme, Split with every
/// behavior and invert, a regex no scanner knows, Digits, NFKC, Lowercase), each put on a base
/// vocabulary's tokenizer.json by the golden script and run through `tokenizers`.
struct TokenizerJSONVariants: Decodable {
    struct Variant: Decodable {
        let name: String
        let base: String
        let fields: String
        let cases: [Case]
    }
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let decoded: String
    }
    let version: Int
    let variants: [Variant]
}

@Suite struct TokenizerJSONVariantTests {
    @Test func everyPipelineVariantMatchesTokenizersIdsAndDecodedText() throws {
        let golden = try JSONDecoder().decode(TokenizerJSONVariants.self, from: Data(contentsOf: TokenizerJSONFixtures.directory.appendingPathComponent("variants.golden.json")))
        #expect(golden.variants.count == 15)
        var bases: [String: JSONObject] = [:]
        for v in golden.variants {
            if bases[v.base] == nil {
                let path = TokenizerJSONFixtures.directory.appendingPathComponent("\(v.base).tokenizer.json.gz").path
                let gzip = Process()
                let pipe = Pipe()
                gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                gzip.arguments = ["gzip", "-dc", path]
                gzip.standardOutput = pipe
                try gzip.run()
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                gzip.waitUntilExit()
                bases[v.base] = try TokenizerJSONParser.parse([UInt8](data)) as? JSONObject
            }
            var doc = try #require(bases[v.base])
            let fields = try #require(try TokenizerJSONParser.parse(Array(v.fields.utf8)) as? JSONObject)
            for (key, value) in fields.members {
                doc.members.removeAll { $0.key == key }
                doc.members.append((key, value))
            }
            let tok = try Tokenizer.parse(TokenizerJSONField(doc, path: ""), eosToken: nil)
            var identical = 0
            var firstMismatch: String? = nil
            for c in v.cases {
                let ids = tok.encode(c.text)
                let decoded = tok.decode(c.ids)
                if ids == c.ids && decoded == c.decoded { identical += 1 } else if firstMismatch == nil {
                    firstMismatch = "\(c.text.debugDescription): \(tokenIdsFirstDifference(ids, c.ids)); decoded \(decoded.debugDescription) vs \(c.decoded.debugDescription)"
                }
            }
            print("\(v.name): \(identical)/\(v.cases.count) cases identical")
            #expect(identical == v.cases.count, "\(v.name): \(firstMismatch ?? "")")
        }
    }
}
