// Each trainer's step against torch: the loss and the gradient of every parameter for one batch, on a
// tiny GPT-2 and fixed rows (make_training_golden.py writes the losses independently on transformers'
// outputs). Tolerances: loss 1e-4, gradients 1e-3 relative (max |Δ| / (|torch| + 1e-3) per tensor).
import Foundation
import Testing
@testable import Engine

struct TrainingGolden: Sendable {
    struct Entry: Decodable, Sendable { var shape: [Int]; var offset: Int }
    /// A row's fields: strings, and a Bool label for KTO.
    enum Field: Decodable, Sendable {
        case text(String), flag(Bool)
        init(from d: Decoder) throws {
            let c = try d.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .flag(b) } else { self = .text(try c.decode(String.self)) }
        }
        var string: String { if case .text(let s) = self { return s }; preconditionFailure("not a string") }
        var bool: Bool { if case .flag(let b) = self { return b }; preconditionFailure("not a bool") }
    }
    struct Case: Decodable, Sendable {
        var loss: Double
        var rows: [[Field]]?
        var beta: Double?
        var z0: Double?
        var documents: [String]?
        var block: Int?
        var blocks: Int?
        // PPO's fixed rollout.
        var prompts: [String]?
        var completions: [[Int]]?
        var scores: [Double]?
        var estimator: String?
        var whitenRewards: Bool?
        var shared: Bool?
        var minibatch: [Int]?
        var policyLoss: Double?
        var valueLoss: Double?
        var clipfrac: Double?
        enum CodingKeys: String, CodingKey {
            case loss, rows, beta, z0, documents, block, blocks, prompts, completions, scores, estimator, shared, minibatch, clipfrac
            case whitenRewards = "whiten_rewards", policyLoss = "policy_loss", valueLoss = "value_loss"
        }
    }
    struct Meta: Decodable, Sendable {
        var format: String
        var eos: Int
        var config: [String: Double]
        var cases: [String: Case]
        var tensors: [String: Entry]
    }
    let meta: Meta
    let blob: Data
    let config: GPT2Config

    static let shared = load("training_golden")

    /// training/`name`.json and .bin under Fixtures (make_training_golden.py's, or make_group_training_golden.py's).
    static func load(_ name: String) -> TrainingGolden {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("training")
        let meta = try! JSONDecoder().decode(Meta.self, from: Data(contentsOf: dir.appendingPathComponent(name + ".json")))
        precondition(meta.format == "hilo-training-golden-1")
        let c = meta.config
        let config = GPT2Config(vocabSize: Int(c["vocab_size"]!), nPositions: Int(c["n_positions"]!), nEmbd: Int(c["n_embd"]!),
                                nLayer: Int(c["n_layer"]!), nHead: Int(c["n_head"]!), layerNormEpsilon: Float(c["layer_norm_epsilon"]!),
                                eosTokenId: meta.eos, bosTokenId: meta.eos, padTokenId: meta.eos)
        return TrainingGolden(meta: meta, blob: try! Data(contentsOf: dir.appendingPathComponent(name + ".bin")), config: config)
    }

    func floats(_ name: String) -> [Float] {
        guard let e = meta.tensors[name] else { preconditionFailure("no golden tensor \(name)") }
        let n = e.shape.reduce(1, *)
        return blob.withUnsafeBytes { raw in (0..<n).map { raw.loadUnaligned(fromByteOffset: e.offset + 4 * $0, as: Float.self) } }
    }

    func model(_ prefix: String, scoreHead: Bool = false) throws -> GPT2 {
        let m = try GPT2(config: config, scoreHead: scoreHead)
        for t in m.layout.tensors {
            let v = floats((t.name == "score.weight" ? "reward." : prefix) + t.name)
            precondition(v.count == t.count, "\(t.name): golden \(v.count) values, layout \(t.count)")
            m.params[t.name].update(from: v, count: v.count)
        }
        return m
    }

    func testCase(_ name: String) -> Case { meta.cases[name]! }
    func rows(_ name: String) -> [[Field]] { testCase(name).rows! }
    func loss(_ name: String) -> Double { testCase(name).loss }

    /// One character per token: id = scalar − 32 (printable ASCII).
    static func tokenize(_ s: String) -> [Int] { s.unicodeScalars.map { Int($0.value) - 32 } }

    /// Compares every gradient; returns the worst relative difference.
    func compareGradients(_ m: any CausalLM, prefix: String) -> Float {
        var worst: Float = 0, worstName = ""
        for t in m.layout.tensors {
            let expected = floats(prefix + t.name)
            let d = maxDifference(UnsafeBufferPointer(m.grads.view(t.name)), expected)
            if d.rel > worst { worst = d.rel; worstName = t.name }
        }
        print("  worst gradient: \(worstName) rel \(worst)")
        return worst
    }
}

@Suite struct TrainingGoldenTests {
    private let g = TrainingGolden.shared
    private let config = TrainingConfig(learningRate: 1e-3, batchSize: 8, seed: 0, maxLength: 32)

    @Test func sftStepMatchesTorchLossAndGradients() throws {
        let m = try g.model("policy.")
        let rows = g.rows("sft").map { SFTExample(prompt: $0[0].string, completion: $0[1].string) }
        let t = try CausalLMTrainer(model: m, examples: rows, tokenize: TrainingGolden.tokenize, config: config)
        let (loss, _) = try t.lossAndGradients(rows: [0, 1, 2])
        print("sft: loss \(loss) vs torch \(g.loss("sft"))")
        #expect(abs(Double(loss) - g.loss("sft")) < 1e-4)
        #expect(g.compareGradients(m, prefix: "sft.grad.") < 1e-3)
    }

    @Test func pretrainingStepMatchesTorchLossAndGradients() throws {
        let m = try g.model("policy.")
        let c = g.testCase("pretrain")
        var cfg = config; cfg.maxLength = c.block
        let t = try CausalLMTrainer(model: m, documents: c.documents!, tokenize: TrainingGolden.tokenize, config: cfg)
        #expect(t.exampleCount == c.blocks!)
        let (loss, _) = try t.lossAndGradients(rows: Array(0..<t.exampleCount))
        print("pretrain: loss \(loss) vs torch \(g.loss("pretrain"))")
        #expect(abs(Double(loss) - g.loss("pretrain")) < 1e-4)
        #expect(g.compareGradients(m, prefix: "pretrain.grad.") < 1e-3)
    }

    private func preference(_ name: String, _ type: DPOConfig.LossType, precompute: Bool) throws {
        let m = try g.model("policy.")
        let rows = g.rows(name).map { PreferenceExample(prompt: $0[0].string, chosen: $0[1].string, rejected: $0[2].string) }
        let beta = g.testCase(name).beta!
        let t = try DPOTrainer(policy: m, reference: try g.model("reference."), examples: rows, tokenize: TrainingGolden.tokenize,
                               config: config, dpo: DPOTrainingConfig(loss: DPOConfig(beta: beta, lossType: type), precomputeReference: precompute))
        let (r, _) = try t.lossAndGradients(rows: [0, 1, 2])
        print("\(name) (precomputed reference: \(precompute)): loss \(r.loss) vs torch \(g.loss(name))")
        #expect(abs(r.loss - g.loss(name)) < 1e-4)
        #expect(g.compareGradients(m, prefix: "\(name).grad.") < 1e-3)
    }

    @Test func dpoStepMatchesTorchWithALiveReference() throws { try preference("dpo", .sigmoid, precompute: false) }
    @Test func dpoStepMatchesTorchWithPrecomputedReferenceLogprobs() throws { try preference("dpo", .sigmoid, precompute: true) }
    @Test func ipoStepMatchesTorchLossAndGradients() throws { try preference("ipo", .ipo, precompute: true) }

    @Test func ktoStepMatchesTorchLossAndGradients() throws {
        let m = try g.model("policy.")
        let rows = g.rows("kto").map { KTOExample(prompt: $0[0].string, completion: $0[1].string, desirable: $0[2].bool) }
        let t = try KTOTrainer(policy: m, reference: try g.model("reference."), examples: rows, tokenize: TrainingGolden.tokenize, config: config,
                               kto: KTOTrainingConfig(loss: KTOConfig(beta: g.testCase("kto").beta!)))
        let (r, _) = try t.lossAndGradients(rows: [0, 1, 2, 3])
        print("kto: loss \(r.loss) vs torch \(g.loss("kto")); z0 \(r.kl) vs \(g.testCase("kto").z0!)")
        #expect(abs(r.loss - g.loss("kto")) < 1e-4)
        #expect(abs(r.kl - g.testCase("kto").z0!) < 1e-4)
        #expect(g.compareGradients(m, prefix: "kto.grad.") < 1e-3)
    }

    @Test func rewardModelStepMatchesTorchLossAndGradients() throws {
        let m = try g.model("policy.", scoreHead: true)
        let rows = g.rows("reward").map { PreferenceExample(prompt: $0[0].string, chosen: $0[1].string, rejected: $0[2].string) }
        let t = try RewardTrainer(model: m, pairs: rows, tokenize: TrainingGolden.tokenize, config: config,
                                  reward: RewardTrainingConfig(evalFraction: 0))
        let (r, _) = try t.lossAndGradients(rows: [0, 1, 2])
        print("reward: loss \(r.loss) vs torch \(g.loss("reward"))")
        #expect(abs(r.loss - g.loss("reward")) < 1e-4)
        #expect(g.compareGradients(m, prefix: "reward.grad.") < 1e-3)
    }
}
