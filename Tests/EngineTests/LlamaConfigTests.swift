// Llama-family config.json and folders: both RoPE spellings read and written back, and every bad
// input (missing or contradictory fields, unsupported architectures and RoPE types, a missing
// shard, tensors of the wrong shape or dtype) is an EngineError naming the file and the field.
import Foundation
import Testing
@testable import Engine

private func llamaFixture(_ name: String) -> URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("llama/\(name)")
}

/// Copies Fixtures/llama/<name> into `dir` and returns the copy.
func copyLlamaFixture(_ name: String, into dir: URL) throws -> URL {
    let to = dir.appendingPathComponent(name)
    try FileManager.default.copyItem(at: llamaFixture(name), to: to)
    return to
}

/// config.json edits on the llama3 fixture and the words their error must contain.
let badLlamaConfigs: [(String, @Sendable ([String: Any]) -> [String: Any], [String])] = [
    ("gemma", { var d = $0; d["model_type"] = "gemma"; d["architectures"] = ["GemmaForCausalLM"]; return d },
     ["unsupported architecture 'GemmaForCausalLM'", "model_type \"gemma\""]),
    ("mixtral", { var d = $0; d["model_type"] = "mixtral"; d["architectures"] = ["MixtralForCausalLM"]; return d },
     ["unsupported architecture 'MixtralForCausalLM'"]),
    ("token classification", { var d = $0; d["architectures"] = ["LlamaForTokenClassification"]; return d },
     ["unsupported architecture 'LlamaForTokenClassification'", "LlamaForSequenceClassification"]),
    ("reward labels", { var d = $0; d["architectures"] = ["LlamaForSequenceClassification"]
                        d["id2label"] = ["0": "A", "1": "B"]; return d }, ["a reward model has one label, not 2"]),
    ("experts", { var d = $0; d["num_local_experts"] = 8; return d }, ["num_local_experts", "mixture-of-experts"]),
    ("missing", { var d = $0; d["intermediate_size"] = nil; return d }, ["missing field intermediate_size"]),
    ("heads", { var d = $0; d["hidden_size"] = 30; d["head_dim"] = nil; return d },
     ["hidden_size (30) must be a multiple of num_attention_heads (4)"]),
    ("kv heads", { var d = $0; d["num_key_value_heads"] = 3; return d },
     ["num_key_value_heads (3) must divide num_attention_heads (4)"]),
    ("odd head_dim", { var d = $0; d["head_dim"] = 7; return d }, ["head_dim (7) must be even"]),
    ("activation", { var d = $0; d["hidden_act"] = "gelu"; return d }, ["hidden_act 'gelu' is not supported"]),
    ("yarn", { var d = $0; d["rope_parameters"] = ["rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0]; return d },
     ["rope_parameters.rope_type 'yarn' is not supported", "'default' and 'llama3'"]),
    ("old dynamic", { var d = $0; d["rope_parameters"] = nil; d["rope_theta"] = 10000.0
                      d["rope_scaling"] = ["type": "dynamic", "factor": 2.0]; return d },
     ["rope_scaling.type 'dynamic' is not supported"]),
    ("llama3 factor", { var d = $0; var r = d["rope_parameters"] as! [String: Any]; r["factor"] = nil
                        d["rope_parameters"] = r; return d }, ["missing field rope_parameters.factor"]),
    ("contradictory theta", { var d = $0; d["rope_theta"] = 500000.0; return d },
     ["rope_theta (500000.0) contradicts rope_parameters.rope_theta (10000.0)"]),
    ("sliding", { var d = $0; d["use_sliding_window"] = true; return d }, ["use_sliding_window true is not supported"]),
    ("sliding layer", { var d = $0; d["layer_types"] = ["full_attention", "sliding_attention"]; return d },
     ["layer_types has 'sliding_attention'"]),
    ("partial rotary", { var d = $0; d["partial_rotary_factor"] = 0.5; return d }, ["partial_rotary_factor"]),
    ("type", { var d = $0; d["num_hidden_layers"] = "two"; return d }, ["num_hidden_layers must be an integer"]),
]

@Test(arguments: 0..<badLlamaConfigs.count)
func badLlamaConfigsAreErrorsNamingConfigJSONAndTheField(_ i: Int) throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyLlamaFixture("llama3", into: dir)
    try editFixtureConfig(folder) { $0 = badLlamaConfigs[i].1($0) }
    expectCheckpointError([folder.appendingPathComponent("config.json").path] + badLlamaConfigs[i].2) {
        _ = try ModelFolder.loadLlama(at: folder)
    }
}

@Test func theGPT2PathStillRefusesLlamaFoldersWhileTheLlamaPathReadsThem() throws {
    let folder = CheckpointFixtures.folder("llama")
    expectCheckpointError(["unsupported architecture 'LlamaForCausalLM'"]) { _ = try ModelFolder.load(at: folder) }
    let config = try LlamaConfig.read(at: folder.appendingPathComponent("config.json"))
    #expect(config.hiddenSize == 16 && config.headDim == 8 && config.numAttentionHeads == 2 && config.rmsNormEps == 1e-6)
    #expect(config.ropeTheta == 10000 && config.ropeScaling == .none && config.ropeSpelling == .parameters)
}

@Test func headDimTimesHeadsThatDoesNotMatchQProjIsAShapeErrorNamingBoth() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyLlamaFixture("qwen3", into: dir)
    try editFixtureConfig(folder) { $0["head_dim"] = 8 }
    expectCheckpointError(["model.safetensors", "tensor 'model.layers.0.self_attn.q_proj.weight' has shape [64, 32]",
                           "needs [32, 32]", "num_attention_heads 4 × head_dim 8 = 32"]) { _ = try ModelFolder.loadLlama(at: folder) }
}

@Test func aShardMissingFromTheFolderOrFromTheIndexIsAnErrorNamingTheIndex() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyLlamaFixture("llama3", into: dir)
    let index = folder.appendingPathComponent("model.safetensors.index.json")
    var json = try JSONSerialization.jsonObject(with: Data(contentsOf: index)) as! [String: Any]
    var map = json["weight_map"] as! [String: String]
    map["model.norm.weight"] = map["model.norm.weight"] == "model-00001-of-00002.safetensors"
        ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors"
    json["weight_map"] = map
    try JSONSerialization.data(withJSONObject: json).write(to: index)
    expectCheckpointError([index.path, "weight_map puts tensor 'model.norm.weight'", "which does not hold it"]) {
        _ = try ModelFolder.loadLlama(at: folder)
    }
    try FileManager.default.removeItem(at: folder.appendingPathComponent("model-00002-of-00002.safetensors"))
    expectCheckpointError([index.path, "weight_map lists shard 'model-00002-of-00002.safetensors', which is not in the folder"]) {
        _ = try ModelFolder.loadLlama(at: folder)
    }
}

@Test func missingUnexpectedAndWronglyTypedTensorsAreErrorsNamingTheTensor() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyLlamaFixture("qwen2", into: dir)
    try editFixtureWeights(folder) { $0.removeAll { $0.0 == "model.layers.1.self_attn.k_proj.bias" } }
    expectCheckpointError(["model.safetensors", "missing tensor 'model.layers.1.self_attn.k_proj.bias'", "Qwen2ForCausalLM"]) {
        _ = try ModelFolder.loadLlama(at: folder)
    }
    try FileManager.default.removeItem(at: folder); _ = try copyLlamaFixture("qwen2", into: dir)
    try editFixtureWeights(folder) { $0.append(("model.layers.0.mlp.experts.0.weight", [2], [1, 2])) }
    expectCheckpointError(["unexpected tensor 'model.layers.0.mlp.experts.0.weight'"]) { _ = try ModelFolder.loadLlama(at: folder) }
    // A file whose model.norm.weight is I32: every other tensor is F32 with the right shape.
    try FileManager.default.removeItem(at: folder); _ = try copyLlamaFixture("qwen2", into: dir)
    let file = try SafeTensorsFile(url: folder.appendingPathComponent("model.safetensors"))
    var parts: [String] = [], data: [UInt8] = []
    for t in file.tensors {
        let values = try file.floats(t.name)
        let dtype = t.name == "model.norm.weight" ? "I32" : "F32"
        parts.append("\"\(t.name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(t.shape),\"data_offsets\":[\(data.count),\(data.count + 4 * values.count)]}")
        values.withUnsafeBytes { data += $0 }
    }
    try Data(safetensorsBytes(header: "{\(parts.joined(separator: ","))}", data: data)).write(to: folder.appendingPathComponent("model.safetensors"))
    expectCheckpointError(["tensor 'model.norm.weight' has dtype I32", "F32, F16 and BF16"]) { _ = try ModelFolder.loadLlama(at: folder) }
}

@Test func aTiedModelWhoseStoredHeadDiffersFromTheEmbeddingIsRefused() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let loaded = try ModelFolder.loadLlama(at: llamaFixture("smollm3"))
    let folder = dir.appendingPathComponent("tied")
    try ModelFolder.saveLlama(config: loaded.config, parameters: loaded.parameters, to: folder)
    let embed = Array(loaded.parameters.view("model.embed_tokens.weight"))
    try editFixtureWeights(folder) { $0.append(("lm_head.weight", [96, 32], embed)) }
    _ = try ModelFolder.loadLlama(at: folder)   // equal to the embedding: accepted
    try editFixtureWeights(folder) { t in t = t.map { $0.0 == "lm_head.weight" ? ($0.0, $0.1, $0.2.map { $0 + 1 }) : $0 } }
    expectCheckpointError(["'lm_head.weight' differs from model.embed_tokens.weight", "tie_word_embeddings true"]) {
        _ = try ModelFolder.loadLlama(at: folder)
    }
}

@Test(arguments: ["llama3", "qwen2", "qwen3", "smollm3"])
func savingAndReloadingKeepsEveryTensorAndTheConfigInItsRopeSpelling(_ name: String) throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let loaded = try ModelFolder.loadLlama(at: llamaFixture(name))
    for dtype in [SafeTensorsFile.DType.f32, .bf16] {
        let folder = dir.appendingPathComponent("\(name)-\(dtype.rawValue)")
        try ModelFolder.saveLlama(config: loaded.config, parameters: loaded.parameters, dtype: dtype, to: folder)
        let again = try ModelFolder.loadLlama(at: folder)
        #expect(again.config == loaded.config && again.sourceDType == dtype.rawValue)
        // F32 keeps every bit; BF16 rounds each value to nearest even (llama3 was bf16 already: exact).
        let want = Array(UnsafeBufferPointer(start: loaded.parameters.base, count: loaded.parameters.layout.totalCount))
            .map { dtype == .f32 ? $0 : HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: $0)) }
        #expect(Array(UnsafeBufferPointer(start: again.parameters.base, count: again.parameters.layout.totalCount)) == want)
        let file = try SafeTensorsFile(url: folder.appendingPathComponent("model.safetensors"))
        #expect(file.info("lm_head.weight") == nil || !loaded.config.tieWordEmbeddings)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as! [String: Any]
        #expect((json["rope_parameters"] != nil) == (loaded.config.ropeSpelling == .parameters))
        #expect((json["rope_theta"] != nil) == (loaded.config.ropeSpelling == .topLevel))
    }
}

@Test func anUnsupportedModelTypeIsRefusedByEveryLoaderNamingTheField() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyLlamaFixture("llama3", into: dir)
    try editFixtureConfig(folder) { $0["model_type"] = "gemma3"; $0["architectures"] = ["Gemma3ForCausalLM"] }
    let words = [folder.appendingPathComponent("config.json").path, "unsupported architecture 'Gemma3ForCausalLM'", "model_type \"gemma3\"", "\"qwen2\""]
    expectCheckpointError(words) { _ = try ModelFolder.loadModel(at: folder) }
    expectCheckpointError(words) { _ = try ModelFolder.describe(at: folder) }
    expectCheckpointError(words) { _ = try ModelFolder.layerCount(at: folder) }
}
