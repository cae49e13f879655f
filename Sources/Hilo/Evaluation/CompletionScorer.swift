// A language model folder loaded to score completions: log π(response | prompt), summed over the
// response's tokens, as `hilo logprob` computes it (prompt and response tokenized separately and
// concatenated, TRL's convention). The KL of a policy to its reference is estimated from these sums
// for the same tokens under both models. Pairs longer than the context keep the prompt's last tokens;
// a response longer than the context less one token keeps its first tokens.
import Engine
import Foundation

public final class CompletionScorer: @unchecked Sendable {
    public let folder: URL
    let model: any CausalLM
    let tokenizer: Tokenizer
    let bos: Int
    /// One forward at a time per loaded model (its activations are reused).
    private let lock = NSLock()

    public init(folder: URL) throws {
        self.folder = folder
        let (model, tokenizer, loaded) = try ModelFolder.open(at: folder, as: .languageModel)
        self.model = model; self.tokenizer = tokenizer
        guard let b = model.shape.bosTokenId ?? tokenizer.eosTokenId ?? model.shape.eosTokenId else {
            throw EngineError.badFile(path: folder.path, reason: "no BOS or EOS token to start an empty prompt with")
        }
        bos = b
    }

    /// The tokens of a (prompt, response) pair and the index of the first response token.
    func tokens(prompt: String, response: String) -> (ids: [Int32], start: Int) {
        let n = model.shape.contextLength
        var p = tokenizer.encode(prompt), r = tokenizer.encode(response)
        if p.isEmpty { p = [bos] }
        if r.count > n - 1 { r = Array(r.prefix(n - 1)) }
        if p.count + r.count > n { p = Array(p.suffix(n - r.count)) }
        return ((p + r).map(Int32.init), p.count)
    }

    /// Σ log π(response tokens | prompt) for each pair, in order (0 for an empty response).
    public func logprobSums(_ items: [(prompt: String, response: String)], batchRows: Int = 8) throws -> [Double] {
        precondition(batchRows >= 1)
        let rows = items.map { tokens(prompt: $0.prompt, response: $0.response) }
        var out: [Double] = []
        out.reserveCapacity(rows.count)
        lock.lock(); defer { lock.unlock() }
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(rows.count, start + batchRows)])
            let T = max(1, chunk.map(\.ids.count).max() ?? 1)
            var tokens = [Int32](repeating: 0, count: chunk.count * T)
            var targets = [Int32](repeating: -1, count: chunk.count * T)
            for (b, row) in chunk.enumerated() {
                for (t, id) in row.ids.enumerated() { tokens[b * T + t] = id }
                // Position t predicts token t + 1: score every response token.
                for t in max(0, row.start - 1)..<(row.ids.count - 1) { targets[b * T + t] = row.ids[t + 1] }
            }
            try model.forward(tokens: tokens, batch: chunk.count, seq: T)
            let lp = try model.tokenLogprobs(targets: targets)
            for b in 0..<chunk.count {
                var sum = 0.0
                for t in 0..<T where targets[b * T + t] >= 0 { sum += Double(lp[b * T + t]) }
                out.append(sum)
            }
            start += batchRows
        }
        return out
    }
}
