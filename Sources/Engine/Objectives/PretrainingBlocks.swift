// Domain pretraining data: documents tokenized, each followed by EOS (GPT-2's document separator, as
// nanoGPT's OpenWebText preparation), joined into one token stream and cut into blocks of T positions.
// Block i covers stream tokens [i·T, i·T + T]: T inputs and their T next-token targets, so consecutive
// blocks share one boundary token and every stream token after the first is a target exactly once.
//
// The tail — the last 1…T targets that do not fill a block — is dropped by default (as transformers'
// run_clm `group_texts`): at most T tokens of the whole corpus, and every step sees full blocks. With
// `keepTail` it becomes one shorter, padded block instead (targets −1 on the padding), which matters when
// the corpus is small. A corpus too short for a single block is an error unless `keepTail` is set.
import Foundation

public struct PretrainingBlocks: Sendable, Equatable {
    /// The joined token stream.
    public let tokens: [Int]
    /// T.
    public let blockSize: Int
    /// Fill for the padded tail block.
    public let padTokenId: Int
    /// Blocks, the padded tail included when kept.
    public let count: Int

    public init(documents: [String], tokenize: Tokenize, eosTokenId: Int, blockSize: Int,
                padTokenId: Int? = nil, keepTail: Bool = false, vocabSize: Int? = nil) throws {
        guard blockSize >= 1 else { throw EngineError.invalidConfig("block size must be positive, got \(blockSize)") }
        var stream: [Int] = []
        for doc in documents where !doc.isEmpty {
            let ids = try tokenize(doc)
            if let v = vocabSize, let bad = ids.first(where: { $0 < 0 || $0 >= v }) {
                throw EngineError.invalidInput("token id \(bad) is outside the model's vocabulary of \(v) tokens: the tokenizer does not match the model")
            }
            stream += ids
            stream.append(eosTokenId)
        }
        let targets = max(stream.count - 1, 0)
        let full = targets / blockSize
        let tail = targets % blockSize
        let count = full + (keepTail && tail > 0 ? 1 : 0)
        guard count > 0 else {
            throw EngineError.invalidInput("the pretraining corpus has \(stream.count) tokens, too few for one block of \(blockSize)"
                + (keepTail ? "" : " (set keepTail to train on a short, padded block)"))
        }
        self.tokens = stream; self.blockSize = blockSize; self.padTokenId = padTokenId ?? eosTokenId; self.count = count
    }

    /// The blocks at `indices` as a batch of width T (every position a target except a tail's padding).
    public func batch(_ indices: [Int]) -> TokenBatch {
        precondition(indices.allSatisfy { (0..<count).contains($0) }, "block index out of range")
        let t = blockSize
        var ids = [Int](repeating: padTokenId, count: indices.count * t)
        var targets = [Int](repeating: -1, count: indices.count * t)
        var lengths: [Int] = []
        for (b, i) in indices.enumerated() {
            let start = i * t
            let n = min(t, tokens.count - 1 - start)
            for p in 0..<n { ids[b * t + p] = tokens[start + p]; targets[b * t + p] = tokens[start + p + 1] }
            lengths.append(n)
        }
        return TokenBatch(rows: indices.count, width: t, inputIds: ids, targets: targets, lengths: lengths,
                          promptLengths: [Int](repeating: 0, count: indices.count), truncatedRows: 0)
    }
}
