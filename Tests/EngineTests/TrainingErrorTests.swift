// Bad configurations fail before any work with a clear message; a stopped run resumes to exactly the
// weights of an uninterrupted one; a non-finite loss stops the run before the weights change.
import Foundation
import Testing
@testable import Engine

private func tinyModel(seed: UInt64 = 3, positions: Int = 48) throws -> GPT2 {
    var c = Synthetic.config
    c.nPositions = positions
    let m = try GPT2(config: c)
    var rng = SeededRNG(seed: seed)
    m.initializeWeights(rng: &rng)
    return m
}

private func snapshot(_ m: GPT2) -> [Float] { Array(UnsafeBufferPointer(start: m.params.base, count: m.layout.totalCount)) }

private func message(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}

@Suite struct TrainingErrorTests {
    let cfg = TrainingConfig(learningRate: 1e-3, epochs: 1, batchSize: 4, seed: 9)

    @Test func nonPositiveBetaIsRejectedBeforeTraining() throws {
        let m = try tinyModel(), before = snapshot(m)
        for beta in [0.0, -0.1, .nan] {
            let e = message { _ = try DPOTrainer(policy: m, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg,
                                                 dpo: DPOTrainingConfig(loss: DPOConfig(beta: beta))) }
            #expect(e?.contains("beta must be > 0") == true, "β = \(beta): \(e ?? "no error")")
            let k = message { _ = try KTOTrainer(policy: m, reference: nil, examples: Synthetic.thumbs, tokenize: Synthetic.tokenize, config: cfg,
                                                 kto: KTOTrainingConfig(loss: KTOConfig(beta: beta))) }
            #expect(k?.contains("beta must be > 0") == true)
        }
        #expect(snapshot(m) == before)
    }

    @Test func referenceOfAnotherArchitectureIsRejected() throws {
        let m = try tinyModel()
        var other = Synthetic.config
        other.nLayer = 3
        let ref = try GPT2(config: other)
        let e = message { _ = try DPOTrainer(policy: m, reference: ref, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: cfg) }
        #expect(e?.contains("another architecture") == true, "\(e ?? "no error")")
        let k = message { _ = try KTOTrainer(policy: m, reference: ref, examples: Synthetic.thumbs, tokenize: Synthetic.tokenize, config: cfg) }
        #expect(k?.contains("another architecture") == true)
    }

    @Test func emptyDatasetsAreRejected() throws {
        let m = try tinyModel()
        #expect(message { _ = try DPOTrainer(policy: m, reference: nil, examples: [], tokenize: Synthetic.tokenize, config: cfg) }?.contains("empty") == true)
        #expect(message { _ = try KTOTrainer(policy: m, reference: nil, examples: [], tokenize: Synthetic.tokenize, config: cfg) }?.contains("empty") == true)
        #expect(message { _ = try CausalLMTrainer(model: m, examples: [], tokenize: Synthetic.tokenize, config: cfg) }?.contains("empty") == true)
        #expect(message { _ = try CausalLMTrainer(model: m, documents: ["", ""], tokenize: Synthetic.tokenize, config: cfg) }?.contains("empty") == true)
        let rm = try GPT2(config: Synthetic.config, scoreHead: true)
        #expect(message { _ = try RewardTrainer(model: rm, tokenize: Synthetic.tokenize, config: cfg) }?.contains("empty") == true)
        #expect(message { _ = try PPOTrainer(policy: m, reference: nil, reward: rm, prompts: [], tokenize: Synthetic.tokenize, config: cfg) }?.contains("empty") == true)
        let job = TrainingJob(stage: .dpo, model: .folder(URL(fileURLWithPath: "/nonexistent")), output: URL(fileURLWithPath: "/tmp/none"),
                              data: .preferences([], rankings: []))
        #expect(message { _ = try job.run() }?.contains("dataset is empty") == true)
    }

    @Test func tokenizerLargerThanTheModelVocabularyIsRejected() throws {
        let m = try tinyModel()
        let wide: Tokenize = { s in Array(s.utf8).map { Int($0) + 200 } }   // ids up to 455 for a 257-token model
        let e = message { _ = try DPOTrainer(policy: m, reference: nil, examples: Synthetic.pairs, tokenize: wide, config: cfg) }
        #expect(e?.contains("tokenizer does not match the model") == true, "\(e ?? "no error")")
        let s = message { _ = try CausalLMTrainer(model: m, documents: ["hello"], tokenize: wide, config: cfg) }
        #expect(s?.contains("tokenizer does not match the model") == true)
    }

    @Test func tokenizerLargerThanTheModelVocabularyIsRejectedByKTORewardAndPPOToo() throws {
        let m = try tinyModel(), before = snapshot(m)
        let rm = try GPT2(config: Synthetic.config, scoreHead: true)
        let wide: Tokenize = { s in Array(s.utf8).map { Int($0) + 200 } }
        let errors = [
            message { _ = try KTOTrainer(policy: m, reference: nil, examples: Synthetic.thumbs, tokenize: wide, config: cfg) },
            message { _ = try RewardTrainer(model: rm, pairs: Synthetic.pairs, tokenize: wide, config: cfg) },
            message { _ = try PPOTrainer(policy: m, reference: nil, reward: rm, prompts: Synthetic.subjects, tokenize: wide, config: cfg) },
        ]
        for e in errors { #expect(e?.contains("tokenizer does not match the model") == true, "\(e ?? "no error")") }
        #expect(snapshot(m) == before)
    }

    @Test func ppoRejectsANegativeKLCoefficientAndMismatchedModelsBeforeTraining() throws {
        let m = try tinyModel(), before = snapshot(m)
        let rm = try GPT2(config: Synthetic.config, scoreHead: true)
        func ppo(reference: GPT2? = nil, reward: GPT2 = rm, _ config: PPOTrainingConfig = PPOTrainingConfig()) -> String? {
            message { _ = try PPOTrainer(policy: m, reference: reference, reward: reward, prompts: Synthetic.subjects,
                                         tokenize: Synthetic.tokenize, config: cfg, ppo: config) }
        }
        let beta = ppo(PPOTrainingConfig(kl: KLControllerConfig(initialCoef: -0.1)))
        #expect(beta?.contains("KL coefficient must be ≥ 0") == true, "\(beta ?? "no error")")
        var deeper = Synthetic.config
        deeper.nLayer = 3
        let ref = ppo(reference: try GPT2(config: deeper))
        #expect(ref?.contains("another architecture") == true, "\(ref ?? "no error")")
        var wider = Synthetic.config
        wider.vocabSize = 300
        let reward = ppo(reward: try GPT2(config: wider, scoreHead: true))
        #expect(reward?.contains("must share the tokenizer") == true, "\(reward ?? "no error")")
        let notReward = ppo(reward: try GPT2(config: Synthetic.config))
        #expect(notReward?.contains("no score head") == true, "\(notReward ?? "no error")")
        #expect(snapshot(m) == before)
    }

    @Test func promptsLongerThanTheContextAreTruncatedFromTheStart() throws {
        let m = try tinyModel(positions: 24)
        let long = [PreferenceExample(prompt: String(repeating: "long prompt ", count: 20), chosen: " yes!", rejected: " no.")] + Synthetic.pairs
        let t = try DPOTrainer(policy: m, reference: nil, examples: long, tokenize: Synthetic.tokenize, config: cfg)
        let (r, batch) = try t.lossAndGradients(rows: [0, 1])
        #expect(r.loss.isFinite)
        #expect(batch.width <= 24)
        #expect(batch.truncatedRows == 1)
        #expect(message { _ = try DPOTrainer(policy: m, reference: nil, examples: long, tokenize: Synthetic.tokenize,
                                             config: TrainingConfig(maxLength: 100)) }?.contains("exceeds the model's n_positions") == true)
    }

    @Test func aStoppedRunResumesToTheWeightsOfAnUninterruptedRun() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = cfg
        config.epochs = 2
        let full = try tinyModel()
        let r0 = try DPOTrainer(policy: full, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: config).train()

        let first = try tinyModel()
        let counter = Counter()
        let stopped = try DPOTrainer(policy: first, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: config)
            .train(hooks: TrainingHooks(progress: { _ in counter.bump() }, shouldStop: { counter.value >= 7 }), checkpoint: dir)
        #expect(!stopped.completed && stopped.steps == 7)
        let state = try TrainingCheckpoint.read(at: dir)
        #expect(state.step == 7 && state.stage == .dpo && state.slots.first?.adamStep == 7)

        let second = try tinyModel()   // a fresh process: the starting weights again, then the checkpoint
        let resumed = try DPOTrainer(policy: second, reference: nil, examples: Synthetic.pairs, tokenize: Synthetic.tokenize, config: config)
            .train(checkpoint: dir, resume: true)
        #expect(resumed.completed && resumed.steps == r0.steps)
        #expect(snapshot(second) == snapshot(full), "resumed weights differ from the uninterrupted run")
    }

    @Test func nonFiniteWeightsStopTheRunBeforeAnyUpdate() throws {
        let m = try tinyModel()
        m.params["h.1.mlp.c_fc.bias"][0] = .nan
        let before = snapshot(m)
        let t = try KTOTrainer(policy: m, reference: try tinyModel(), examples: Synthetic.thumbs, tokenize: Synthetic.tokenize, config: cfg)
        #expect(throws: NonFiniteError.self) { _ = try t.train() }
        #expect(zip(snapshot(m), before).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }
}

/// A thread-safe counter for hooks.
final class Counter: @unchecked Sendable {
    // `n` is guarded by `lock`.
    private let lock = NSLock()
    private var n = 0
    func bump() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
