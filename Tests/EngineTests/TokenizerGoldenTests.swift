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
        let ids_no_regex: [Int]
        let ids_ignore_merges: [Int]
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
func tokenIdsFirstDifference(_ a: [Int], _ b: [Int]) -> String {
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
            let pieces = GPT2Pattern.pieces(c.text).map { ByteLevel.encode(Array($0.utf8)) }
            #expect(pieces == c.pieces, "case '\(c.name)'")
        }
    }

    @Test func everyUnicodeScalarIsClassedAsTokenizersPatternClassesIt() throws {
        struct Runs: Decodable { let runs: [[Value]] }
        enum Value: Decodable {
            case int(Int), string(String)
            init(from d: Decoder) throws {
                let c = try d.singleValueContainer()
                if let i = try? c.decode(Int.self) { self = .int(i) } else { self = .string(try c.decode(String.self)) }
            }
        }
        let runs = try JSONDecoder().decode(Runs.self, from: Data(contentsOf: TokenizerFixtures.directory.appendingPathComponent("scalar_classes.json"))).runs
        let starts: [UInt32] = runs.map { if case .int(let i) = $0[0] { UInt32(i) } else { 0 } }
        let classes: [GPT2Pattern.Class] = runs.map {
            guard case .string(let s) = $0[1] else { return .other }
            return s == "L" ? .letter : s == "N" ? .number : s == "S" ? .space : .other
        }
        #expect(runs.count > 1000)
        var run = 0
        var mismatches: [String] = []
        for v in UInt32(0)...0x10FFFF where !(0xD800...0xDFFF).contains(v) {
            while run + 1 < starts.count && starts[run + 1] <= v { run += 1 }
            let mine = GPT2Pattern.classify(v)
            if mine != classes[run] && mismatches.count < 10 { mismatches.append("U+\(String(v, radix: 16)): \(mine) vs \(classes[run])") }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test func encodeMatchesTokenizersIdsForEveryHardCase() throws {
        let tok = try TokenizerFixtures.tokenizer()
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text)
            #expect(ids == c.ids, "case '\(c.name)': \(tokenIdsFirstDifference(ids, c.ids))")
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
            #expect(tok.encode(c.text) == c.ids, "\(c.text.debugDescription): \(tokenIdsFirstDifference(tok.encode(c.text), c.ids))")
            #expect(prefixed.encode(c.text) == c.ids_prefix_space, "prefix space, \(c.text.debugDescription)")
            #expect(tok.decode(c.ids) == c.decoded, "decode \(c.text.debugDescription)")
        }
    }

    @Test func heapMergeLoopGivesTheSameIdsAsTheScanLoop() throws {
        let tok = try TokenizerFixtures.tokenizer()
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text, allowSpecialTokens: true, forceHeap: true)
            #expect(ids == c.ids, "case '\(c.name)': \(tokenIdsFirstDifference(ids, c.ids))")
        }
    }

    @Test func specialTokensEncodeAsPlainTextWhenNotAllowed() throws {
        let tok = try TokenizerFixtures.tokenizer()
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text, allowSpecialTokens: false)
            #expect(ids == c.ids_special_as_text, "case '\(c.name)': \(tokenIdsFirstDifference(ids, c.ids_special_as_text))")
        }
    }

    @Test func olderFileLayoutWithStringMergesAndPrefixSpaceMatches() throws {
        let tok = try Tokenizer.load(tokenizerJSON: TokenizerFixtures.directory.appendingPathComponent("tokenizer_prefix_space.json"))
        #expect(tok.addPrefixSpace)
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text)
            #expect(ids == c.ids_prefix_space, "case '\(c.name)': \(tokenIdsFirstDifference(ids, c.ids_prefix_space))")
        }
    }

    @Test func useRegexOffAndIgnoreMergesOnMatchTokenizers() throws {
        let dir = TokenizerFixtures.directory
        let noRegex = try Tokenizer.load(tokenizerJSON: dir.appendingPathComponent("tokenizer_no_regex.json"))
        let ignoreMerges = try Tokenizer.load(tokenizerJSON: dir.appendingPathComponent("tokenizer_ignore_merges.json"))
        // Whole-piece tokens the variant added, which plain merges do not produce.
        let wholePieces = Set(ignoreMerges.vocabulary.filter { $0.value >= 2000 }.values)
        var noRegexDiffers = 0, wholePieceHits = 0
        for c in try TokenizerFixtures.golden().cases {
            #expect(noRegex.encode(c.text) == c.ids_no_regex, "use_regex false, case '\(c.name)'")
            #expect(ignoreMerges.encode(c.text) == c.ids_ignore_merges, "ignore_merges, case '\(c.name)'")
            if c.ids_no_regex != c.ids { noRegexDiffers += 1 }
            if !wholePieces.isDisjoint(with: c.ids_ignore_merges) { wholePieceHits += 1 }
        }
        // Both switches change the ids of several cases, so these comparisons can fail.
        #expect(noRegexDiffers > 3)
        #expect(wholePieceHits > 0)
    }

    @Test func vocabJSONAndMergesTXTGiveTheSameIdsAsTokenizers() throws {
        let dir = TokenizerFixtures.directory
        let tok = try Tokenizer.load(vocab: dir.appendingPathComponent("vocab.json"), merges: dir.appendingPathComponent("merges.txt"))
        #expect(tok.eosTokenId == 0)
        for c in try TokenizerFixtures.golden().cases {
            let ids = tok.encode(c.text)
            #expect(ids == c.ids_vocab_merges, "case '\(c.name)': \(tokenIdsFirstDifference(ids, c.ids_vocab_merges))")
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
