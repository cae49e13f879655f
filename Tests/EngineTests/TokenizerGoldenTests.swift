// Hilo's tokenizer against the `tokenizers` library: the golden files written by
// Fixtures/make_tokenizer_golden.py hold a byte-level BPE trained by `tokenizers` and the ids,
// pre-tokenized pieces and decodes it gives for hard cases. Any difference fails, naming the case.

import Foundation
import Testing
@testable import Engine

struct TokenizerGolden: Decodable {
    struct Case: Decodable {
        let name: String
        let text: String
        let ids: [Int]
        let pieces: [String]
        let ids_special_as_text: [Int]
        let ids_prefix_space: [Int]
        let ids_vocab_merges: [Int]
        let decoded: String
        let decoded_skip_special: String
    }
    struct RandomCase: Decodable {
        let text: String
        let ids: [Int]
        let ids_prefix_space: [Int]
        let decoded: String
    }
    struct ByteCase: Decodable {
        let name: String
        let bytes: [UInt8]
        let repaired: String
        let ids: [Int]
    }
    struct DecodeCase: Decodable {
        let ids: [Int]
        let text: String
        let text_skip_special: String
    }
    let version: Int
    let vocab_size: Int
    let eos_token_id: Int
    let cases: [Case]
    let random_cases: [RandomCase]
    let byte_cases: [ByteCase]
    let decode_cases: [DecodeCase]
}

enum TokenizerFixtures {
    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("tokenizer")
    }
    static func golden() throws -> TokenizerGolden {
        try JSONDecoder().decode(TokenizerGolden.self, from: Data(contentsOf: directory.appendingPathComponent("golden.json")))
    }
    static func tokenizer() throws -> Tokenizer {
        try Tokenizer.load(tokenizerJSON: directory.appendingPathComponent("tokenizer.json"))
    }
}

/// Describes the first difference between two id lists, for failure messages.
func firstDifference(_ a: [Int], _ b: [Int]) -> String {
    let i = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    return "first difference at index \(i) of \(a.count) vs \(b.count): \(a[i..<min(a.count, i + 6)]) vs \(b[i..<min(b.count, i + 6)])"
}

@Suite struct TokenizerGoldenTests {
    @Test func goldenFixtureVersionAndVocabularyMatchTheLoadedTokenizer() throws {
        let g = try TokenizerFixtures.golden()
        let tok = try TokenizerFixtures.tokenizer()
        #expect(g.version == 1)
        #expect(tok.vocabSize == g.vocab_size)
        #expect(tok.eosTokenId == g.eos_token_id)
        #expect(g.cases.count >= 30)
    }

    @Test func preTokenizerPiecesMatchTokenizersForEveryHardCase() throws {
        for c in try TokenizerFixtures.golden().cases {
            let pieces = Pretokenizer.pieces(c.text).map { ByteLevel.encode(Array($0.utf8)) }
            #expect(pieces == c.pieces, "case '\(c.name)'")
        }
    }

    @Test func encodeMatchesTokenizersIdsForEveryHardCase() throws {
        let tok = try TokenizerFixtures.tokenizer()
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text)
            #expect(ids == c.ids, "case '\(c.name)': \(firstDifference(ids, c.ids))")
            // Twice: the second run is served from the piece cache.
            #expect(tok.encode(c.text) == c.ids, "case '\(c.name)' from the cache")
        }
    }

    @Test func encodeMatchesTokenizersOnRandomStringsOfTrickyCharacters() throws {
        let tok = try TokenizerFixtures.tokenizer()
        let prefixed = try Tokenizer.load(tokenizerJSON: TokenizerFixtures.directory.appendingPathComponent("tokenizer_prefix_space.json"))
        let cases = try TokenizerFixtures.golden().random_cases
        #expect(cases.count == 400)
        for c in cases {
            #expect(tok.encode(c.text) == c.ids, "\(c.text.debugDescription): \(firstDifference(tok.encode(c.text), c.ids))")
            #expect(prefixed.encode(c.text) == c.ids_prefix_space, "prefix space, \(c.text.debugDescription)")
            #expect(tok.decode(c.ids) == c.decoded, "decode \(c.text.debugDescription)")
        }
    }

    @Test func heapMergeLoopGivesTheSameIdsAsTheScanLoop() throws {
        let tok = try TokenizerFixtures.tokenizer()
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text, allowSpecialTokens: true, forceHeap: true)
            #expect(ids == c.ids, "case '\(c.name)': \(firstDifference(ids, c.ids))")
        }
    }

    @Test func specialTokensEncodeAsPlainTextWhenNotAllowed() throws {
        let tok = try TokenizerFixtures.tokenizer()
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text, allowSpecialTokens: false)
            #expect(ids == c.ids_special_as_text, "case '\(c.name)': \(firstDifference(ids, c.ids_special_as_text))")
        }
    }

    @Test func olderFileLayoutWithStringMergesAndPrefixSpaceMatches() throws {
        let tok = try Tokenizer.load(tokenizerJSON: TokenizerFixtures.directory.appendingPathComponent("tokenizer_prefix_space.json"))
        #expect(tok.addPrefixSpace)
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text)
            #expect(ids == c.ids_prefix_space, "case '\(c.name)': \(firstDifference(ids, c.ids_prefix_space))")
        }
    }

    @Test func vocabJSONAndMergesTXTGiveTheSameIdsAsTokenizers() throws {
        let dir = TokenizerFixtures.directory
        let tok = try Tokenizer.load(vocab: dir.appendingPathComponent("vocab.json"), merges: dir.appendingPathComponent("merges.txt"))
        #expect(tok.eosTokenId == 0)
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text)
            #expect(ids == c.ids_vocab_merges, "case '\(c.name)': \(firstDifference(ids, c.ids_vocab_merges))")
        }
    }

    @Test func decodeMatchesTokenizersWithAndWithoutSpecialTokens() throws {
        let tok = try TokenizerFixtures.tokenizer()
        let g = try TokenizerFixtures.golden()
        for c in g.cases {
            #expect(tok.decode(c.ids) == c.decoded, "case '\(c.name)'")
            #expect(tok.decode(c.ids, skipSpecialTokens: true) == c.decoded_skip_special, "case '\(c.name)' skipping specials")
        }
        for (i, c) in g.decode_cases.enumerated() {
            #expect(tok.decode(c.ids) == c.text, "decode case \(i): \(c.ids.prefix(8))")
            #expect(tok.decode(c.ids, skipSpecialTokens: true) == c.text_skip_special, "decode case \(i) skipping specials")
        }
    }

    @Test func invalidUTF8BytesAreRepairedAsPythonDoesThenEncoded() throws {
        let tok = try TokenizerFixtures.tokenizer()
        for c in try TokenizerFixtures.golden().byte_cases {
            #expect(String(decoding: c.bytes, as: UTF8.self) == c.repaired, "case '\(c.name)'")
            #expect(tok.encode(bytes: c.bytes) == c.ids, "case '\(c.name)'")
        }
    }
}
