// Tiny random models for the loop tests: a byte-level BPE tokenizer learnt from a few sentences,
// two GPT-2 policies with different random weights, and a reward model whose score head is scaled
// up so its scores spread (σ(|Δ|) from near 0.5 to near 1). Built once per test process in a
// temporary folder; versions are registered in a test's database with `register`.
import Engine
import Foundation
@testable import Hilo
@testable import Store

enum TinyModels {
    static let root: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-tiny-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var trainer = try BPETrainer(config: BPETrainerConfig(vocabSize: 300))
            let corpus = (0..<40).map { "\n\nHuman: What is \($0) plus \($0 + 3)?\n\nAssistant: It is \(2 * $0 + 3). The answer is right." }
            trainer.feed(bytes: Array(corpus.joined(separator: " ").utf8))
            let tokenizer = try trainer.train()
            let tok = dir.appendingPathComponent("tokenizer")
            try tokenizer.save(directory: tok)
            var config = GPT2Config(vocabSize: tokenizer.vocabSize, nPositions: 64, nEmbd: 16, nLayer: 1, nHead: 2)
            config.eosTokenId = tokenizer.eosTokenId
            config.bosTokenId = tokenizer.eosTokenId
            for (name, seed) in [("policy-a", UInt64(1)), ("policy-b", 2)] {
                let model = try GPT2(config: config)
                var rng = SeededRNG(seed: seed)
                model.initializeWeights(rng: &rng)
                try ModelFolder.save(config: config, kind: .languageModel, parameters: model.params,
                                     to: dir.appendingPathComponent(name), tokenizerFrom: tok)
            }
            let reward = try GPT2(config: config, scoreHead: true)
            var rng = SeededRNG(seed: 3)
            reward.initializeWeights(rng: &rng)
            let w = reward.params["score.weight"]
            for i in 0..<config.nEmbd { w[i] *= 10 }
            try ModelFolder.save(config: config, kind: .reward, parameters: reward.params,
                                 to: dir.appendingPathComponent("reward-a"), tokenizerFrom: tok)
        } catch {
            fatalError("tiny models: \(error)")
        }
        return dir
    }()

    static func folder(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// Registers `folder` as model version `name` of `kind`, serving when asked. Returns its id.
    @discardableResult
    static func register(_ db: Database, _ name: String, _ kind: ModelKind, folder: String, serving: Bool = true, now: Int64 = 1) throws -> Int64 {
        try db.write { c in
            let m = try ModelRepository(c).create(name: name, kind: kind, parentID: nil, path: Self.folder(folder).path, now: now)
            if serving { try ModelRepository(c).setServing(m.id) }
            return m.id
        }
    }
}
