// BPETrainer against `tokenizers`' BpeTrainer on the same corpus (Fixtures/tokenizer/
// train_corpus.json → trained_reference.json), and the trained tokenizer saved and loaded back.

import Foundation
import Testing
@testable import Engine

@Suite struct TokenizerTrainerTests {
    static func corpus() throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(contentsOf: TokenizerFixtures.directory.appendingPathComponent("train_corpus.json")))
    }

    static func trained(vocabSize: Int = 700) throws -> Tokenizer {
        var trainer = try BPETrainer(config: BPETrainerConfig(vocabSize: vocabSize))
        for line in try corpus() { trainer.feed(line) }
        return try trainer.train()
    }

    @Test func trainerLearnsTheSameVocabularyAndMergesAsTokenizersBpeTrainer() throws {
        let mine = try Self.trained()
        let reference = try Tokenizer.load(tokenizerJSON: TokenizerFixtures.directory.appendingPathComponent("trained_reference.json"))
        #expect(mine.vocabSize == 700)
        #expect(mine.vocabSize == reference.vocabSize)
        #expect(mine.eosTokenId == 0)
        let a = mine.merges, b = reference.merges
        #expect(a.count == b.count)
        let firstDiff = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDiff == nil, "merge \(firstDiff?.offset ?? -1): \(String(describing: firstDiff?.element.0)) vs \(String(describing: firstDiff?.element.1))")
        #expect(mine.vocabulary == reference.vocabulary)
    }

    @Test func trainedTokenizerEncodesTheCorpusLikeTheReferenceAndRoundTrips() throws {
        let mine = try Self.trained()
        let reference = try Tokenizer.load(tokenizerJSON: TokenizerFixtures.directory.appendingPathComponent("trained_reference.json"))
        for line in try Self.corpus().prefix(100) {
            let ids = mine.encode(line)
            #expect(ids == reference.encode(line))
            #expect(mine.decode(ids) == line)
        }
    }

    @Test func savedFilesLoadBackToTheSameTokenizer() throws {
        let mine = try Self.trained(vocabSize: 400)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-tok-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try mine.save(directory: dir)
        let fromJSON = try Tokenizer.load(directory: dir)
        let fromPair = try Tokenizer.load(vocab: dir.appendingPathComponent("vocab.json"), merges: dir.appendingPathComponent("merges.txt"))
        #expect(fromJSON.merges.count == mine.merges.count)
        #expect(fromJSON.vocabulary == mine.vocabulary)
        #expect(fromJSON.addedTokens == mine.addedTokens)
        let text = "Hello<|endoftext|> naïve 👍🏽 日本語\n\n  x"
        #expect(fromJSON.encode(text) == mine.encode(text))
        #expect(fromPair.encode(text) == mine.encode(text))
        #expect(fromJSON.decode(mine.encode(text)) == text)
    }

    @Test func specialTokensInTheCorpusAreNeverMergedIntoOtherTokens() throws {
        var trainer = try BPETrainer(config: BPETrainerConfig(vocabSize: 300, specialTokens: ["<|endoftext|>", "<|pad|>"]))
        for _ in 0..<50 { trainer.feed("ab<|endoftext|>ab<|pad|>") }
        let tok = try trainer.train()
        #expect(tok.id(for: "<|pad|>") == 1)
        let pieces = tok.vocabulary.keys.filter { $0.contains("|") || $0.contains("<") }
        #expect(Set(pieces) == ["<|endoftext|>", "<|pad|>", "<", "|"], "\(pieces.sorted())")
        #expect(tok.encode("ab<|pad|>") == [tok.id(for: "ab")!, 1])
    }

    @Test func feedingAFileInChunksCountsTheSameWordsAsFeedingItWhole() throws {
        let text = try Self.corpus().joined(separator: "\n")
        var whole = try BPETrainer(config: BPETrainerConfig(vocabSize: 300))
        whole.feed(text + "\u{FFFD}\n")
        var chunked = try BPETrainer(config: BPETrainerConfig(vocabSize: 300))
        chunked.feed(bytes: Array(text.utf8) + [0xFF, 0x0A], chunkSize: 997)
        #expect(whole.distinctWords > 1000)
        #expect(chunked.wordCounts == whole.wordCounts)
    }

    @Test func vocabSizeSmallerThanTheByteAlphabetIsRejected() {
        #expect(throws: EngineError.self) { try BPETrainer(config: BPETrainerConfig(vocabSize: 100)) }
    }
}
