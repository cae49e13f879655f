// Hugging Face model folders written by transformers load with every tensor equal to torch's
// values; folders Hilo saves load back identically and are laid out as transformers writes them.
import Foundation
import Testing
@testable import Engine

/// Loads `fixture` and compares every tensor with torch's `.float()` values; returns the model.
@discardableResult
func expectFixtureLoads(_ fixture: String, expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> LoadedModel {
    let model = try ModelFolder.load(at: CheckpointFixtures.folder(fixture))
    let want = try CheckpointFixtures.expected(expected)
    #expect(want.count == model.parameters.layout.tensors.count, sourceLocation: sourceLocation)
    for t in model.parameters.layout.tensors {
        guard let w = want[t.name] else { Issue.record("no expected values for \(t.name)", sourceLocation: sourceLocation); continue }
        #expect(w.shape == t.shape, "\(t.name) shape", sourceLocation: sourceLocation)
        let got = model.parameters.view(t.name)
        var maxDiff: Float = 0
        for i in 0..<t.count { maxDiff = max(maxDiff, abs(got[i] - w.values[i])) }
        #expect(maxDiff == 0, "\(fixture) \(t.name): max difference \(maxDiff)", sourceLocation: sourceLocation)
    }
    return model
}

@Test(arguments: [("lm_f32", "lm_f32", "F32"), ("lm_f16", "lm_f16", "F16"), ("lm_bf16", "lm_bf16", "BF16"),
                  ("lm_sharded", "lm_f32", "F32"), ("lm_head", "lm_f32", "F32"), ("lm_legacy", "lm_f32", "F32")])
func languageModelFoldersFromTransformersLoadEveryTensorExactly(_ fixture: String, _ expected: String, _ dtype: String) throws {
    let model = try expectFixtureLoads(fixture, expected: expected)
    #expect(model.kind == .languageModel)
    #expect(model.sourceDType == dtype)
    #expect(model.config.nEmbd == 16 && model.config.nLayer == 2 && model.config.vocabSize == 48 && model.config.nPositions == 16)
    #expect(model.config.eosTokenId == 47)
    #expect(model.generationConfig.eosTokenId == 47)
}

@Test func rewardModelFromTransformersLoadsWithItsScoreHead() throws {
    let model = try expectFixtureLoads("reward", expected: "reward")
    #expect(model.kind == .reward)
    #expect(model.config.numLabels == 1)
    #expect(model.config.padTokenId == 47)
    #expect(model.parameters.layout["score.weight"].shape == [1, 16])
}

@Test func generationConfigIsReadAndDerivedFromConfigWhenAbsent() throws {
    let g = try ModelFolder.load(at: CheckpointFixtures.folder("lm_f32")).generationConfig
    #expect(g == GenerationDefaults(eosTokenIds: [47], bosTokenId: 47, maxNewTokens: 20, temperature: 0.7, topK: 5, topP: 0.9, doSample: true))
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    try ModelFolder.save(try ModelFolder.load(at: CheckpointFixtures.folder("lm_f32")), to: dir.appendingPathComponent("g"))
    #expect(try ModelFolder.load(at: dir.appendingPathComponent("g")).generationConfig == g, "written and read back unchanged")
    let legacy = try ModelFolder.load(at: CheckpointFixtures.folder("lm_legacy")).generationConfig
    #expect(legacy == GenerationDefaults(eosTokenIds: [47], bosTokenId: 47))
    let list = try JSONDecoder().decode(GenerationDefaults.self, from: Data(#"{"eos_token_id":[3,5],"extra":1}"#.utf8))
    #expect(list.eosTokenIds == [3, 5])
}

@Test func inspectReportsKindCountsDtypeAndIgnoredTensorsWithoutReadingData() throws {
    let lm = try ModelFolder.inspect(at: CheckpointFixtures.folder("lm_f16"))
    // transformers: sum(p.numel() for p in GPT2LMHeadModel(tiny).parameters()) == 7616 (tied head counted once)
    #expect(lm.parameterCount == 7616)
    #expect(lm.kind == .languageModel && lm.architecture == "GPT2LMHeadModel" && lm.dtype == "F16" && lm.prefixed)
    let reward = try ModelFolder.inspect(at: CheckpointFixtures.folder("reward"))
    #expect(reward.parameterCount == 7616 + 16 && reward.kind == .reward)
    let legacy = try ModelFolder.inspect(at: CheckpointFixtures.folder("lm_legacy"))
    #expect(!legacy.prefixed)
    #expect(legacy.ignoredTensors == ["h.0.attn.bias", "h.0.attn.masked_bias", "h.1.attn.bias", "h.1.attn.masked_bias"])
    #expect(try ModelFolder.inspect(at: CheckpointFixtures.folder("lm_head")).ignoredTensors == ["lm_head.weight"])
    #expect(try ModelFolder.inspect(at: CheckpointFixtures.folder("lm_sharded")).files.count == 2)
}

@Test(arguments: ["lm_f16", "reward"])
func savedFolderReloadsIdenticallyWithTransformersNamesAndConfig(_ fixture: String) throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let model = try ModelFolder.load(at: CheckpointFixtures.folder(fixture))
    let out = dir.appendingPathComponent("v1")
    try ModelFolder.save(model, to: out)
    #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out.path)) == ["config.json", "model.safetensors", "generation_config.json"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["v1"], "no temporary folder left behind")

    let back = try ModelFolder.load(at: out)
    #expect(back.kind == model.kind && back.sourceDType == "F32")
    #expect(back.config.nEmbd == model.config.nEmbd && back.config.eosTokenId == model.config.eosTokenId)
    #expect(Array(back.parameters.view("h.1.mlp.c_proj.weight")) == Array(model.parameters.view("h.1.mlp.c_proj.weight")))
    for t in model.parameters.layout.tensors {
        #expect(Array(back.parameters.view(t.name)) == Array(model.parameters.view(t.name)), "\(t.name)")
    }

    let file = try SafeTensorsFile(url: out.appendingPathComponent("model.safetensors"))
    let expectedNames = model.parameters.layout.tensors.map { $0.name == "score.weight" ? $0.name : "transformer." + $0.name }
    #expect(file.names == expectedNames, "layout order, transformers' names")
    #expect(file.metadata == ["format": "pt"])
    #expect(file.tensors.allSatisfy { $0.dtype == .f32 })

    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as! [String: Any]
    #expect(config["model_type"] as? String == "gpt2")
    #expect(config["activation_function"] as? String == "gelu_new")
    #expect(config["n_ctx"] as? Int == 16 && config["n_positions"] as? Int == 16)
    if fixture == "reward" {
        #expect(config["architectures"] as? [String] == ["GPT2ForSequenceClassification"])
        #expect(config["id2label"] as? [String: String] == ["0": "LABEL_0"])
        #expect(config["pad_token_id"] as? Int == 47)
    } else {
        #expect(config["architectures"] as? [String] == ["GPT2LMHeadModel"])
    }
}

@Test func rewardModelWithoutPadTokenIsSavedWithEOSAsPad() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    var model = try ModelFolder.load(at: CheckpointFixtures.folder("reward"))
    model.config.padTokenId = nil
    try ModelFolder.save(model, to: dir.appendingPathComponent("r"))
    #expect(try ModelFolder.load(at: dir.appendingPathComponent("r")).config.padTokenId == 47)
}

@Test func savingOverAnExistingFolderNeedsReplaceAndTokenizerFilesAreCopied() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let source = dir.appendingPathComponent("src")
    try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
    try Data(#"{"model":{}}"#.utf8).write(to: source.appendingPathComponent("tokenizer.json"))
    let model = try ModelFolder.load(at: CheckpointFixtures.folder("lm_f32"))
    let out = dir.appendingPathComponent("out")
    try ModelFolder.save(model, to: out, tokenizerFrom: source)
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("tokenizer.json").path))
    expectCheckpointError([out.path, "already exists"]) { try ModelFolder.save(model, to: out) }
    model.parameters.view("ln_f.bias")[0] = 123
    try ModelFolder.save(model, to: out, replace: true)
    #expect(try ModelFolder.load(at: out).parameters.view("ln_f.bias")[0] == 123)
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("tokenizer.json").path), "the replaced folder is the new one only")
    #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["src", "out"])
}

@Test func aLanguageModelLoadsAsARewardModelWithANewZeroScoreHeadAndBack() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let lm = try ModelFolder.load(at: CheckpointFixtures.folder("lm_f32"))
    let reward = try ModelFolder.load(at: CheckpointFixtures.folder("lm_f32"), as: .reward)
    #expect(reward.kind == .reward && reward.newTensors == ["score.weight"] && reward.config.numLabels == 1)
    #expect(reward.parameters.view("score.weight").allSatisfy { $0 == 0 })
    for t in lm.parameters.layout.tensors {
        #expect(Array(reward.parameters.view(t.name)) == Array(lm.parameters.view(t.name)), "\(t.name)")
    }
    reward.parameters.view("score.weight")[3] = 0.5
    try ModelFolder.save(reward, to: dir.appendingPathComponent("rm"))
    let back = try ModelFolder.load(at: dir.appendingPathComponent("rm"))
    #expect(back.kind == .reward && back.newTensors.isEmpty && back.parameters.view("score.weight")[3] == 0.5)
    #expect(back.config.padTokenId == 47, "EOS becomes the pad id of a saved reward model")

    let policy = try ModelFolder.load(at: CheckpointFixtures.folder("reward"), as: .languageModel)
    #expect(policy.kind == .languageModel && !policy.parameters.layout.hasScoreHead)
    let expected = try CheckpointFixtures.expected("reward")
    #expect(Array(policy.parameters.view("h.1.attn.c_attn.weight")) == expected["h.1.attn.c_attn.weight"]!.values)
}
