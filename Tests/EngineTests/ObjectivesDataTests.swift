// Data preparation for the objectives at the token level, with a character tokenizer (one id per
// ASCII character, EOS = 0) so every expected id can be read off the text: pretraining blocks, SFT
// masks, preference pairs and truncation, KTO's mismatched KL rows, rankings, and the HH template.
import Foundation
import Testing
@testable import Engine

private func chars(_ s: String) -> [Int] { s.unicodeScalars.map { Int($0.value) } }
private func ids(_ s: String) -> [Int] { s.unicodeScalars.map { Int($0.value) } }
private let eos = 0

private func row(_ b: TokenBatch, _ r: Int) -> (ids: [Int], targets: [Int]) {
    (Array(b.inputIds[(r * b.width)..<((r + 1) * b.width)]), Array(b.targets[(r * b.width)..<((r + 1) * b.width)]))
}

@Suite struct PretrainingBlocksTests {
    @Test func documentsJoinWithEOSAndTheTailIsDropped() throws {
        // Stream: a b c EOS d e EOS = 7 tokens, 6 targets; T = 4 → one block, 2 tail targets dropped.
        let blocks = try PretrainingBlocks(documents: ["abc", "", "de"], tokenize: chars, eosTokenId: eos, blockSize: 4)
        #expect(blocks.tokens == ids("abc") + [eos] + ids("de") + [eos])
        #expect(blocks.count == 1)
        let b = blocks.batch([0])
        #expect(b.inputIds == ids("abc") + [eos])
        #expect(b.targets == ids("bc") + [eos] + ids("d"))
        #expect(b.lengths == [4])
    }

    @Test func keepTailPadsTheLastBlockAndMasksItsPadding() throws {
        let blocks = try PretrainingBlocks(documents: ["abc", "de"], tokenize: chars, eosTokenId: eos, blockSize: 4,
                                           padTokenId: 9, keepTail: true)
        #expect(blocks.count == 2)
        let b = blocks.batch([1])
        #expect(b.inputIds == ids("de") + [9, 9])
        #expect(b.targets == ids("e") + [eos, -1, -1])
        #expect(b.lengths == [2])
    }

    @Test func corpusShorterThanOneBlockIsAnErrorUnlessTheTailIsKept() throws {
        #expect(throws: EngineError.self) {
            _ = try PretrainingBlocks(documents: ["ab"], tokenize: chars, eosTokenId: eos, blockSize: 8)
        }
        let kept = try PretrainingBlocks(documents: ["ab"], tokenize: chars, eosTokenId: eos, blockSize: 8, keepTail: true)
        #expect(kept.count == 1 && kept.batch([0]).lengths == [2])
    }
}

@Suite struct BatchBuilderTests {
    let limits = SequenceLimits(maxLength: 16, maxPromptLength: 8, eosTokenId: eos, padTokenId: 7, bosTokenId: 1)

    @Test func sftPutsTheLossOnCompletionTokensAndEOSOnly() throws {
        let b = try BatchBuilder(limits: limits).sft([SFTExample(prompt: "ab", completion: "cd"),
                                                      SFTExample(prompt: "q", completion: "r")], tokenize: chars)
        #expect(b.width == 5)
        #expect(row(b, 0).ids == ids("abcd") + [eos])
        #expect(row(b, 0).targets == [-1] + ids("cd") + [eos, -1])
        #expect(row(b, 1).ids == ids("qr") + [eos, 7, 7])
        #expect(row(b, 1).targets == ids("r") + [eos, -1, -1, -1])
        #expect(b.completionTokens == [3, 2] && b.lengths == [5, 3] && b.promptLengths == [2, 1])
        #expect(b.attentionMask == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    }

    @Test func preferenceBatchPutsChosenRowsFirstThenRejected() throws {
        let p = try BatchBuilder(limits: limits).preference([
            PreferenceExample(prompt: "P", chosen: "good", rejected: "no"),
            PreferenceExample(prompt: "QQ", chosen: "y", rejected: "nope"),
        ], tokenize: chars)
        #expect(p.pairs == 2 && p.batch.rows == 4)
        #expect(row(p.batch, 0).ids.prefix(6) == ArraySlice(ids("Pgood") + [eos]))
        #expect(row(p.batch, 2).ids.prefix(4) == ArraySlice(ids("Pno") + [eos]))
        #expect(p.chosenTokens == [5, 2] && p.rejectedTokens == [3, 5])
        let (c, r) = p.split([1, 2, 3, 4])
        #expect(c == [1, 2] && r == [3, 4])
    }

    @Test func longPromptKeepsItsEndAndLongCompletionIsCutAtItsEnd() throws {
        let short = SequenceLimits(maxLength: 6, maxPromptLength: 2, eosTokenId: eos)
        let builder = try BatchBuilder(limits: short)
        // Prompt 6 + longest 3 > 6: the prompt keeps its last max(2, 6 − 3) = 3 tokens.
        let a = try builder.preference([PreferenceExample(prompt: "abcdef", chosen: "xy", rejected: "z")], tokenize: chars)
        #expect(a.batch.promptLengths == [3, 3] && a.batch.truncatedRows == 1)
        #expect(row(a.batch, 0).ids == ids("defxy") + [eos])
        // Longest 5: the prompt keeps max(2, 1) = 2 tokens, the completion is cut to 4 and loses its EOS.
        let b = try builder.preference([PreferenceExample(prompt: "abcdef", chosen: "vwxy", rejected: "z")], tokenize: chars)
        #expect(row(b.batch, 0).ids == ids("efvwxy"))
        #expect(row(b.batch, 1).ids == ids("efz") + [eos, eos, eos])
        #expect(b.chosenTokens == [4])
        // Short examples are untouched.
        let c = try builder.preference([PreferenceExample(prompt: "ab", chosen: "c", rejected: "d")], tokenize: chars)
        #expect(c.batch.truncatedRows == 0)
    }

    @Test func ktoPairsEachPromptWithThePreviousRowsCompletionForKL() throws {
        let k = try BatchBuilder(limits: limits).kto([
            KTOExample(prompt: "A", completion: "x", desirable: true),
            KTOExample(prompt: "B", completion: "yy", desirable: false),
            KTOExample(prompt: "C", completion: "z", desirable: true),
        ], tokenize: chars)
        #expect(k.desirable == [true, false, true])
        #expect(row(k.batch, 1).ids.prefix(4) == ArraySlice(ids("Byy") + [eos]))
        #expect(row(k.kl, 0).ids.prefix(3) == ArraySlice(ids("Az") + [eos]))    // prompt 0 + completion 2
        #expect(row(k.kl, 1).ids.prefix(3) == ArraySlice(ids("Bx") + [eos]))    // prompt 1 + completion 0
        #expect(row(k.kl, 2).ids.prefix(4) == ArraySlice(ids("Cyy") + [eos]))   // prompt 2 + completion 1
        #expect(throws: EngineError.self) {
            _ = try BatchBuilder(limits: limits).kto([KTOExample(prompt: "A", completion: "x", desirable: true)], tokenize: chars)
        }
    }

    @Test func rewardRowsHaveNoEOSAndScoreAtTheLastToken() throws {
        let r = try BatchBuilder(limits: limits).rankings([
            RankingExample(prompt: "P", responses: ["a", "bb", "c"], ranks: [1, 2, 2]),
            RankingExample(prompt: "Q", responses: ["dd", "e"], ranks: [2, 1]),
        ], tokenize: chars)
        #expect(r.groups == [0..<3, 3..<5] && r.batch.rows == 5 && r.batch.width == 3)
        #expect(row(r.batch, 1).ids == ids("Pbb"))
        #expect(r.batch.lastIndices == [1, 5, 7, 11, 13])
        #expect(r.grouped([1, 2, 3, 4, 5]) == [[1, 2, 3], [4, 5]])
        let pairs = try BatchBuilder(limits: limits).rewardPairs([PreferenceExample(prompt: "P", chosen: "ab", rejected: "c")], tokenize: chars)
        #expect(pairs.batch.lengths == [3, 2])
    }

    @Test func completionGridGathersAndScattersThePredictingPositions() throws {
        // Row 0: prompt "ab", completion "cd"+EOS → predicted at positions 1, 2, 3; row 1: "q" → "r"+EOS at 0, 1.
        let b = try BatchBuilder(limits: limits).sft([SFTExample(prompt: "ab", completion: "cd"),
                                                      SFTExample(prompt: "q", completion: "r")], tokenize: chars)
        let mask = try b.completionMask()
        #expect(mask.lengths == [3, 2] && mask.width == 3)
        let perPosition = (0..<10).map(Double.init)
        let grid = b.gatherCompletion(perPosition, mask: mask)
        #expect(grid == [1, 2, 3, 5, 6, 0])
        #expect(b.scatterCompletion(grid, mask: mask) == [0, 1, 2, 3, 0, 5, 6, 0, 0, 0])
        // Positions with a target are exactly the gathered ones.
        #expect(zip(b.targets, b.scatterCompletion(grid.map { _ in 1 }, mask: mask)).allSatisfy { ($0 >= 0) == ($1 == 1) })
    }

    @Test func rolloutBatchKeepsGeneratedIdsAsTheyAre() throws {
        let b = try BatchBuilder(limits: limits).tokens(prompts: [[5, 6], [7]], completions: [[8, eos], [9, 10, 11]])
        #expect(row(b, 0).ids == [5, 6, 8, eos] && row(b, 1).ids == [7, 9, 10, 11])
        #expect(b.completionTokens == [2, 3])
        #expect(throws: EngineError.self) { _ = try BatchBuilder(limits: limits).tokens(prompts: [[5]], completions: [[]]) }
    }

    @Test func tokenizerOutsideTheModelVocabularyIsRejected() throws {
        let small = SequenceLimits(maxLength: 16, eosTokenId: eos, vocabSize: 100)
        do {
            _ = try BatchBuilder(limits: small).sft([SFTExample(prompt: "ab", completion: "xyz")], tokenize: chars)
            Issue.record("'x' (120) is outside a 100-token vocabulary")
        } catch let e as EngineError {
            #expect(e.description.contains("tokenizer does not match the model"))
        }
    }

    @Test func emptyPromptGetsBOSOrFailsWithoutOne() throws {
        let b = try BatchBuilder(limits: limits).sft([SFTExample(prompt: "", completion: "a")], tokenize: chars)
        #expect(row(b, 0).ids == [1] + ids("a") + [eos])
        let noBOS = SequenceLimits(maxLength: 16, eosTokenId: eos)
        #expect(throws: EngineError.self) { _ = try BatchBuilder(limits: noBOS).sft([SFTExample(prompt: "", completion: "a")], tokenize: chars) }
    }

    @Test func badLimitsAndEmptyBatchesAreRejected() throws {
        #expect(throws: EngineError.self) { _ = try BatchBuilder(limits: SequenceLimits(maxLength: 2048, eosTokenId: eos), nPositions: 1024) }
        #expect(throws: EngineError.self) { _ = try BatchBuilder(limits: SequenceLimits(maxLength: 8, maxPromptLength: 8, eosTokenId: eos)) }
        #expect(throws: EngineError.self) { _ = try BatchBuilder(limits: limits).preference([], tokenize: chars) }
        let gpt2 = SequenceLimits(config: GPT2Config(vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12))
        #expect(gpt2.maxLength == 1024 && gpt2.eosTokenId == 50256 && gpt2.padTokenId == 50256 && gpt2.maxPromptLength == 512)
    }
}

@Suite struct ChatTemplateTests {
    let turns = [ChatTurn(role: .user, content: "Hi there"), ChatTurn(role: .assistant, content: "Hello!"),
                 ChatTurn(role: .user, content: "How are you?")]

    @Test func rendersHHTextAndParsesItBack() throws {
        let text = try ChatTemplate.render(turns, addGenerationPrompt: true)
        #expect(text == "\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: How are you?\n\nAssistant:")
        let parsed = try ChatTemplate.parse(try ChatTemplate.render(turns))
        #expect(parsed == turns)
        let withSystem = [ChatTurn(role: .system, content: "Be brief.")] + turns
        #expect(try ChatTemplate.parse(try ChatTemplate.render(withSystem)) == withSystem)
    }

    @Test func splitsAnHHTranscriptAtTheLastAssistantTurn() throws {
        let (prompt, completion) = try ChatTemplate.splitLastAssistant("\n\nHuman: Q1\n\nAssistant: A1\n\nHuman: Q2\n\nAssistant: A2 ok")
        #expect(prompt == "\n\nHuman: Q1\n\nAssistant: A1\n\nHuman: Q2\n\nAssistant:")
        #expect(completion == " A2 ok")
    }

    @Test func contentWithAMarkerOrALateSystemTurnOrPlainTextIsRejected() {
        #expect(throws: EngineError.self) { _ = try ChatTemplate.render([ChatTurn(role: .user, content: "x\n\nAssistant: y")]) }
        #expect(throws: EngineError.self) { _ = try ChatTemplate.render(turns + [ChatTurn(role: .system, content: "late")]) }
        #expect(throws: EngineError.self) { _ = try ChatTemplate.parse("just some text") }
        #expect(throws: EngineError.self) { _ = try ChatTemplate.splitLastAssistant("\n\nHuman: only a question") }
    }
}
