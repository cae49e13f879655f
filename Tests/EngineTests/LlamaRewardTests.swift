// Llama-family reward models against transformers (make_llama_reward_golden.py): a
// LlamaForSequenceClassification (GQA, tied) and a Qwen2ForSequenceClassification (biases) are
// loaded from their folders; the scores at the last non-pad token of a right-padded batch and the
// gradient of every parameter of Σ w·score must equal transformers'. Hilo's saved reward folder
// round-trips, a causal LM loads as a reward model with a new score head and no lm_head.
import Foundation
import Testing
@testable import Engine

@Suite struct LlamaRewardTests {
    static let models = ["llama3_reward", "qwen2_reward"]

    static func folder(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("llama/\(name)")
    }

    /// The model loaded through the architecture dispatch, and its golden.
    static func load(_ name: String) throws -> (any CausalLM, Golden) {
        let loaded = try ModelFolder.loadModel(at: folder(name))
        #expect(loaded.kind == .reward)
        #expect(loaded.model is Llama)
        return (loaded.model, Golden.load("llama/\(name)"))
    }

    @Test(arguments: models)
    func scoresAtTheLastNonPadTokenMatchTransformers(_ name: String) throws {
        let (m, g) = try Self.load(name)
        try m.forward(tokens: g.ints("ids"), batch: 3, seq: 10)
        let scores = m.scores(at: g.ints("positions").map(Int.init)), ref = g.floats("scores")
        let worst = zip(scores, ref).map { abs($0 - $1) }.max()!
        print("\(name) scores: \(scores) vs \(ref), max |diff| = \(worst)")
        #expect(worst < 1e-5, "\(name): scores differ from transformers by \(worst)")
    }

    @Test(arguments: models)
    func everyGradientOfAWeightedScoreSumMatchesTransformers(_ name: String) throws {
        let (m, g) = try Self.load(name)
        m.zeroGradients()
        try m.forward(tokens: g.ints("ids"), batch: 3, seq: 10)
        let positions = g.ints("positions").map(Int.init)
        _ = m.scores(at: positions)
        m.scoreBackward(g.floats("weights"), at: positions)
        m.backward()
        let names = Set(g.meta.tensors.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) })
        #expect(names == Set(m.layout.tensors.map(\.name)), "\(name): Hilo's tensors are not transformers' parameters")
        var worst: Float = 0, worstName = ""
        for t in m.layout.tensors where names.contains(t.name) {
            let ref = g.floats("grad." + t.name)
            let d = maxDifference(UnsafeBufferPointer(m.grads.view(t.name)), ref)
            let rel = d.abs / (ref.map(abs).max()! + 1e-8)
            if rel > worst { worst = rel; worstName = t.name }
        }
        print("\(name) gradients: max |diff| / max |grad| = \(worst) (\(worstName))")
        #expect(worst < 1e-4, "\(name): gradient of \(worstName) differs by \(worst) of its largest value")
    }

    @Test(arguments: models)
    func savedRewardFolderIsASequenceClassificationModelWithTheSameScores(_ name: String) throws {
        let (m, g) = try Self.load(name)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-llama-reward-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        try ModelFolder.save(m, generationConfig: nil, to: out)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as! [String: Any]
        let family = (m as! Llama).config.family
        #expect(config["architectures"] as? [String] == [family.sequenceClassification])
        #expect(config["pad_token_id"] as? Int == 0)
        let file = try SafeTensorsFile(url: out.appendingPathComponent("model.safetensors"))
        #expect(!file.tensors.contains { $0.name == "lm_head.weight" } && file.tensors.contains { $0.name == "score.weight" })
        let again = try ModelFolder.loadModel(at: out)
        #expect(again.kind == .reward)
        try again.model.forward(tokens: g.ints("ids"), batch: 3, seq: 10)
        try m.forward(tokens: g.ints("ids"), batch: 3, seq: 10)
        let p = g.ints("positions").map(Int.init)
        #expect(again.model.scores(at: p) == m.scores(at: p))
    }

    @Test func causalLMLoadsAsARewardModelWithANewScoreHeadAndNoLMHead() throws {
        let loaded = try ModelFolder.loadModel(at: Self.folder("qwen2"), as: .reward)
        #expect(loaded.newTensors == ["score.weight"])
        #expect(loaded.model.layout.tensor(named: "lm_head.weight") == nil)
        #expect(loaded.model.params.view("score.weight").allSatisfy { $0 == 0 })
        // The backbone is the causal LM's.
        let lm = try ModelFolder.loadModel(at: Self.folder("qwen2"))
        let name = "model.layers.1.mlp.down_proj.weight"
        #expect(Array(loaded.model.params.view(name)) == Array(lm.model.params.view(name)))
    }
}

@Test func aRewardConfigOnCausalLMWeightsNamesTheMissingScoreTensor() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyLlamaFixture("llama3", into: dir)
    try editFixtureConfig(folder) { $0["architectures"] = ["LlamaForSequenceClassification"] }
    expectCheckpointError(["model.safetensors.index.json", "missing tensor 'score.weight'", "LlamaForSequenceClassification"]) {
        _ = try ModelFolder.loadLlama(at: folder)
    }
}
