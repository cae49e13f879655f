// Tokenizer behaviour beyond the golden files: sharing between threads, huge pieces, arbitrary
// bytes, round trips, the end-of-text token from tokenizer_config.json, and the vocabulary check.

import Foundation
import Testing
@testable import Engine

@Suite struct TokenizerBehaviourTests {
    @Test func concurrentEncodesFromManyTasksGiveTheSameIdsAsOneThread() async throws {
        let tok = try TokenizerFixtures.tokenizer()
        let cases = try TokenizerFixtures.golden().cases
        let results = await withTaskGroup(of: (Int, [Int]).self) { group in
            for round in 0..<4 {
                for (i, c) in cases.enumerated() { group.addTask { (i, round == 0 ? tok.encode(c.text) : tok.encode(c.text + "")) } }
            }
            var out: [(Int, [Int])] = []
            for await r in group { out.append(r) }
            return out
        }
        #expect(results.count == cases.count * 4)
        for (i, ids) in results { #expect(ids == cases[i].ids, "case '\(cases[i].name)'") }
    }

    @Test func batchEncodingOnSeveralThreadsKeepsTheOrderAndTheIds() throws {
        let tok = try TokenizerFixtures.tokenizer()
        let golden = try TokenizerFixtures.golden()
        let texts = golden.random_cases.map(\.text)
        let batch = tok.encode(batch: texts, threads: 3)
        #expect(batch == golden.random_cases.map(\.ids))
        #expect(tok.encode(batch: [], threads: 4).isEmpty)
        #expect(tok.encode(batch: ["<|endoftext|>"], allowSpecialTokens: false, threads: 4) == [tok.encode("<|endoftext|>", allowSpecialTokens: false)])
    }

    @Test func hugeWhitespaceAndPunctuationPiecesEncodeAndRoundTrip() throws {
        let tok = try TokenizerFixtures.tokenizer()
        for text in [String(repeating: " ", count: 200_000) + "x", String(repeating: "=-", count: 50_000), String(repeating: "ab", count: 40_000)] {
            let ids = tok.encode(text)
            #expect(!ids.isEmpty)
            #expect(tok.decode(ids) == text)
            // The scan loop and the heap loop agree on the same long input.
            #expect(tok.encode(text, allowSpecialTokens: true, forceHeap: true) == ids)
        }
    }

    @Test func arbitraryBytesNeverCrashAndDecodeToTheRepairedText() throws {
        let tok = try TokenizerFixtures.tokenizer()
        var rng = SeededRNG(seed: 42)
        for _ in 0..<300 {
            let bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let ids = tok.encode(bytes: bytes)
            #expect(tok.decode(ids) == String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func eosTokenComesFromTokenizerConfigWhenTheFolderHasOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-tokeos-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TokenizerFixtures.directory.appendingPathComponent("tokenizer.json"), to: dir.appendingPathComponent("tokenizer.json"))
        #expect(try Tokenizer.load(directory: dir).eosTokenId == 0)
        try Data(#"{"eos_token": {"content": "<|pad|>", "special": true}}"#.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        #expect(try Tokenizer.load(directory: dir).eosTokenId == 2000)
    }

    @Test func tokenizerLargerThanTheModelVocabularyIsRejected() throws {
        let tok = try TokenizerFixtures.tokenizer()
        #expect(tok.vocabSize == 2003)
        try tok.checkFits(modelVocabSize: 2003, model: "m")
        // The ids past the model's are added tokens (2000…2002): the message names the highest one.
        #expect(throws: EngineError.invalidInput("the tokenizer does not fit tiny-gpt2: added token \"ÉTÉ\" has id 2002, but the model's vocab_size is 2000 (ids 0…1999)")) {
            try tok.checkFits(modelVocabSize: 2000, model: "tiny-gpt2")
        }
    }

    @Test func pieceCacheGrowsKeepsEveryEntryAndStopsAtItsCapacity() {
        func key(_ i: Int) -> BPECache.Key {
            let bytes = Array("piece\(i)".utf8)
            return bytes.withUnsafeBufferPointer { BPECache.Key($0)! }
        }
        let cache = BPECache(capacity: 5000)
        for i in 0..<6000 { cache.insert(key(i), [Int32(i), Int32(-i)][...]) }
        for i in 0..<5000 {
            var out: [Int32] = [7]
            #expect(cache.lookup(key(i), into: &out) && out == [7, Int32(i), Int32(-i)], "entry \(i)")
        }
        var out: [Int32] = []
        #expect(!cache.lookup(key(5500), into: &out) && out.isEmpty)
        let long = Array(repeating: UInt8(0x61), count: 16)
        #expect(long.withUnsafeBufferPointer { BPECache.Key($0) } == nil)
    }

    @Test func tokenLookupsAndByteTableAgree() throws {
        let tok = try TokenizerFixtures.tokenizer()
        #expect(tok.token(for: 0) == "<|endoftext|>")
        #expect(tok.id(for: "<|pad|>") == 2000)
        #expect(tok.isSpecial(0) && !tok.isSpecial(2001))
        #expect(ByteLevel.encode([0x20, 0x0A, 0x41]) == "ĠĊA")
        for b in 0..<256 { #expect(ByteLevel.byte(for: ByteLevel.scalars[b]) == UInt8(b)) }
        #expect(Set(ByteLevel.scalars).count == 256)
    }
}
