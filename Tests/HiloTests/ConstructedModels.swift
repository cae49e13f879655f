// Constructed tiny GPT-2 folders for the evaluation tests, built in a few milliseconds: a byte-level tokenizer
// with no merges (every byte is one token, so a response re-tokenizes to exactly the tokens generated),
// random policies, a policy that writes one byte over and over, and a reward model that scores a
// response by its last byte. The constructed ones make outcomes known in advance: with the blocks'
// output projections zeroed the residual stream is the token embedding, so
//   policy:  logits_j = wte_j · ln_f(wte_prev)  — rows ≈ d and the favoured row 8·d: it always wins;
//   reward:  score = d · ln_f(wte_last)         — +16 for the liked byte (row d), about −16 for any other (row −d).
import Engine
import Foundation

enum ConstructedModels {
    static let width = 16

    /// The ±1 direction both constructions use (zero mean, unit variance: LayerNorm leaves it as is).
    static var direction: [Float] { (0..<width).map { $0 % 2 == 0 ? 1 : -1 } }

    static func config() -> GPT2Config {
        GPT2Config(vocabSize: 257, nPositions: 96, nEmbd: width, nLayer: 1, nHead: 2, eosTokenId: 0, bosTokenId: 0)
    }

    /// A tokenizer folder: the 256 bytes plus <|endoftext|> (id 0).
    static func tokenizer(in dir: URL) throws -> (url: URL, tokenizer: Tokenizer) {
        var trainer = try BPETrainer(config: BPETrainerConfig(vocabSize: 257))
        trainer.feed("tiny")
        let t = try trainer.train()
        let url = dir.appendingPathComponent("tokenizer")
        try t.save(directory: url)
        return (url, t)
    }

    /// A policy with random weights (init std 0.02: close to uniform over the bytes).
    static func randomPolicy(at url: URL, tokenizer: URL, seed: UInt64) throws {
        let m = try GPT2(config: config())
        var rng = SeededRNG(seed: seed)
        m.initializeWeights(rng: &rng)
        try ModelFolder.save(config: config(), kind: .languageModel, parameters: m.params, to: url, tokenizerFrom: tokenizer)
    }

    /// Zeroes the blocks' contributions and the position embeddings.
    static func flatten(_ p: ParameterBuffer) {
        for name in ["wpe.weight", "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias", "h.0.mlp.c_proj.weight", "h.0.mlp.c_proj.bias"] {
            let v = p.view(name)
            for i in v.indices { v[i] = 0 }
        }
    }

    /// A policy that answers every prompt with `byte` repeated (its token's logit is 8× every other's).
    static func favouringPolicy(at url: URL, tokenizer: URL, token: Int, seed: UInt64) throws {
        let m = try GPT2(config: config())
        var rng = SeededRNG(seed: seed)
        m.initializeWeights(rng: &rng)
        flatten(m.params)
        let wte = m.params.view("wte.weight"), d = direction
        for j in 0..<257 {
            for k in 0..<width { wte[j * width + k] = (j == token ? 8 : 1) * d[k] + 0.1 * Float(Int(rng.next() % 200) - 100) / 100 }
        }
        try ModelFolder.save(config: config(), kind: .languageModel, parameters: m.params, to: url, tokenizerFrom: tokenizer)
    }

    /// A reward model that scores +16 when a response ends with `token` and about −16 otherwise.
    static func rewardLiking(at url: URL, tokenizer: URL, token: Int, seed: UInt64) throws {
        var c = config()
        c.numLabels = 1
        c.architectures = ["GPT2ForSequenceClassification"]
        let m = try GPT2(config: c, scoreHead: true)
        var rng = SeededRNG(seed: seed)
        m.initializeWeights(rng: &rng)
        flatten(m.params)
        let wte = m.params.view("wte.weight"), d = direction
        for j in 0..<257 {
            for k in 0..<width { wte[j * width + k] = (j == token ? 1 : -1) * d[k] + 0.05 * Float(Int(rng.next() % 200) - 100) / 100 }
        }
        let score = m.params.view("score.weight")
        for k in 0..<width { score[k] = d[k] }
        try ModelFolder.save(config: c, kind: .reward, parameters: m.params, to: url, tokenizerFrom: tokenizer)
    }
}
