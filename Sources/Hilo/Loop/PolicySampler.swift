// A policy model folder loaded for sampling: the loop's candidate generator and the evaluation
// campaigns both write responses through it, so a response's recorded sampling settings always mean
// the same thing. Prompts are the stored prompt text (plain, or the HH rendering of a conversation);
// a generation ends at EOS, at a new "\n\nHuman:" turn (cut off), or after max_new_tokens.
//
//     let sampler = try PolicySampler(folder: version.url)
//     var rng = SeededRNG(seed: 7)
//     let outs = try sampler.sample(prompts: ["\n\nHuman: 2 + 2?\n\nAssistant:"], perPrompt: 4,
//                                   settings: .init(), rng: &rng)
import Engine
import Foundation

public final class PolicySampler: @unchecked Sendable {
    /// How responses are sampled; stored as JSON in `responses.sampling` with the batch's seed.
    public struct Settings: Codable, Sendable, Equatable {
        /// Divides the logits (ignored when greedy).
        public var temperature: Double = 1
        /// Nucleus sampling mass; nil or 1 disables.
        public var topP: Double? = 0.95
        /// Sample among the k most likely tokens only; nil disables.
        public var topK: Int?
        /// Longest response in tokens.
        public var maxNewTokens: Int = 48
        /// Always take the most likely token (evaluation of a deterministic policy).
        public var greedy = false

        public init(temperature: Double = 1, topP: Double? = 0.95, topK: Int? = nil, maxNewTokens: Int = 48, greedy: Bool = false) {
            self.temperature = temperature; self.topP = topP; self.topK = topK; self.maxNewTokens = maxNewTokens; self.greedy = greedy
        }
    }

    public struct Sample: Sendable, Equatable {
        /// The response text (special tokens and a trailing "\n\nHuman:" turn removed).
        public var text: String
        /// Tokens generated (including EOS when it ended there).
        public var tokenCount: Int
        /// Sum of the chosen tokens' log-probabilities under the policy (temperature 1).
        public var logprobSum: Double
        /// eos, stop_sequence (a new Human turn began), length or context_full (the engine's FinishReason).
        public var finishReason: String
    }

    public let folder: URL
    let model: any CausalLM
    let tokenizer: Tokenizer
    let eos: [Int32]
    let humanTurn: [Int32]
    /// One generation at a time per loaded model (the generator's buffers are reused).
    private let lock = NSLock()
    private let generator: Generator

    public init(folder: URL) throws {
        self.folder = folder
        let (model, tokenizer, loaded) = try ModelFolder.open(at: folder, as: .languageModel)
        self.model = model; self.tokenizer = tokenizer
        generator = Generator(model: model)
        // Every EOS generation_config.json lists (Llama 3 instruct ends on several), else config.json's or the tokenizer's.
        var ids = loaded.generationConfig.eosTokenIds
        if let e = model.shape.eosTokenId ?? tokenizer.eosTokenId, !ids.contains(e) { ids.insert(e, at: 0) }
        eos = ids.map(Int32.init)
        humanTurn = tokenizer.encode("\n\nHuman:").map(Int32.init)
    }

    /// The model's context length.
    public var contextLength: Int { model.shape.contextLength }

    /// `perPrompt` samples for each prompt, in prompt order: result[i][k] is the k-th sample of prompt i.
    /// Prompts longer than the context allows keep their last tokens. Rows are generated in batches of
    /// `batchRows`.
    public func sample(prompts: [String], perPrompt: Int, settings: Settings, rng: inout SeededRNG,
                       batchRows: Int = 32, onRows: (Int) -> Void = { _ in }) throws -> [[Sample]] {
        precondition(perPrompt >= 1 && batchRows >= 1)
        let keep = max(1, contextLength - settings.maxNewTokens)
        let encoded: [[Int32]] = prompts.map { p in
            var ids = tokenizer.encode(p).map(Int32.init)
            if ids.isEmpty, let bos = eos.first { ids = [bos] }
            return ids.count > keep ? Array(ids.suffix(keep)) : ids
        }
        let rows = encoded.flatMap { Array(repeating: $0, count: perPrompt) }
        let config = SamplingConfig(maxNewTokens: settings.maxNewTokens, greedy: settings.greedy,
                                    temperature: settings.greedy ? 1 : Float(settings.temperature), topK: settings.topK,
                                    topP: settings.topP.map(Float.init), eosTokenIds: eos, stopSequences: [humanTurn])
        var out: [Sample] = []
        out.reserveCapacity(rows.count)
        lock.lock(); defer { lock.unlock() }
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(rows.count, start + batchRows)])
            for g in try generator.generate(prompts: chunk, config: config, rng: &rng) {
                var tokens = g.tokens.map(Int.init)
                if g.finishReason == .stopSequence, tokens.count >= humanTurn.count { tokens.removeLast(humanTurn.count) }
                let text = tokenizer.decode(tokens, skipSpecialTokens: true)
                out.append(Sample(text: text, tokenCount: g.tokens.count, logprobSum: g.logprobs.reduce(0) { $0 + Double($1) },
                                  finishReason: g.finishReason.rawValue))
            }
            start += batchRows
            onRows(out.count)
        }
        return stride(from: 0, to: out.count, by: perPrompt).map { Array(out[$0..<$0 + perPrompt]) }
    }
}
