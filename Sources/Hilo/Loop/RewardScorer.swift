// A reward model folder loaded for scoring: RLAIF pre-labels, the admin's view of scores, and the
// automatic evaluation (reward-model win rate, mean reward). A response is scored as the reward model
// trained: prompt and response tokenized separately and concatenated (TRL's convention), the score
// read at the last token, no EOS appended. Pairs longer than the context keep the response's tokens
// and the prompt's last ones.
import Engine
import Foundation

public final class RewardScorer: @unchecked Sendable {
    public let folder: URL
    let model: any CausalLM
    let tokenizer: Tokenizer
    let bos: Int32?
    /// One forward at a time per loaded model (its activations are reused).
    private let lock = NSLock()

    public init(folder: URL) throws {
        self.folder = folder
        let (model, tokenizer, loaded) = try ModelFolder.open(at: folder)
        guard loaded.kind == .reward else {
            throw EngineError.badFile(path: folder.path, reason: "not a reward model (GPT2ForSequenceClassification or a Llama-family …ForSequenceClassification with score.weight)")
        }
        self.model = model; self.tokenizer = tokenizer
        bos = (model.shape.bosTokenId ?? tokenizer.eosTokenId).map(Int32.init)
    }

    /// The score of each (prompt, response), in order, computed in batches of `batchRows`.
    public func scores(_ items: [(prompt: String, response: String)], batchRows: Int = 16) throws -> [Double] {
        precondition(batchRows >= 1)
        let n = model.shape.contextLength
        let rows: [[Int32]] = items.map { item in
            let p = tokenizer.encode(item.prompt).map(Int32.init), r = tokenizer.encode(item.response).map(Int32.init)
            var ids = p + r
            if ids.isEmpty, let bos { ids = [bos] }
            if ids.count > n { ids = r.count >= n ? Array(r.suffix(n)) : Array(p.suffix(n - r.count)) + r }
            return ids
        }
        var out: [Double] = []
        out.reserveCapacity(rows.count)
        lock.lock(); defer { lock.unlock() }
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + batchRows)]
            let T = max(1, chunk.map(\.count).max() ?? 1)
            var tokens = [Int32](repeating: 0, count: chunk.count * T)
            for (b, row) in chunk.enumerated() { for (t, id) in row.enumerated() { tokens[b * T + t] = id } }
            try model.forward(tokens: tokens, batch: chunk.count, seq: T)
            // Causal attention: right padding never changes the scores at a row's own last token.
            out += model.scores(at: chunk.map { max(0, $0.count - 1) }).map(Double.init)
            start += batchRows
        }
        return out
    }

    /// sigma(|a - b|): how sure the reward model is about the order of two responses (0.5 = no idea).
    public static func confidence(_ a: Double, _ b: Double) -> Double { 1 / (1 + exp(-abs(a - b))) }
}
