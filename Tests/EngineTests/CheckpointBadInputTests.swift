// Broken model folders: each is an EngineError that names the file and what is wrong.
import Foundation
import Testing
@testable import Engine

/// Copies fixture `name` into a fresh temporary folder and returns the copy.
func copyCheckpointFixture(_ name: String, into dir: URL) throws -> URL {
    let to = dir.appendingPathComponent(name)
    try FileManager.default.copyItem(at: CheckpointFixtures.folder(name), to: to)
    return to
}

/// Edits config.json in `folder` as a dictionary.
func editFixtureConfig(_ folder: URL, _ edit: (inout [String: Any]) -> Void) throws {
    let url = folder.appendingPathComponent("config.json")
    var dict = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    edit(&dict)
    try JSONSerialization.data(withJSONObject: dict).write(to: url)
}

/// Rewrites model.safetensors in `folder` after editing its tensors (name, shape, values; F32).
func editFixtureWeights(_ folder: URL, dtype: SafeTensorsFile.DType = .f32, _ edit: (inout [(String, [Int], [Float])]) -> Void) throws {
    let url = folder.appendingPathComponent("model.safetensors")
    let file = try SafeTensorsFile(url: url)
    var tensors = try file.tensors.map { ($0.name, $0.shape, try file.floats($0.name)) }
    edit(&tensors)
    let arrays = tensors.map { $0.2 }
    let pointers = arrays.map { a -> UnsafeMutableBufferPointer<Float> in
        let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: a.count); _ = p.initialize(from: a); return p
    }
    defer { pointers.forEach { $0.deallocate() } }
    let entries = zip(tensors, pointers).map { SafeTensorsWriter.Entry(name: $0.0, shape: $0.1, values: UnsafeBufferPointer($1)) }
    try SafeTensorsWriter.write(entries, dtype: dtype, to: url)
}

@Test func missingFolderConfigAndWeightsAreClearErrors() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    expectCheckpointError([dir.appendingPathComponent("nope").path, "no such model folder"]) { _ = try ModelFolder.load(at: dir.appendingPathComponent("nope")) }
    let folder = try copyCheckpointFixture("lm_f32", into: dir)
    try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
    expectCheckpointError([folder.appendingPathComponent("model.safetensors").path, "no such file"]) { _ = try ModelFolder.load(at: folder) }
    try Data([0x80, 0x02]).write(to: folder.appendingPathComponent("pytorch_model.bin"))
    expectCheckpointError(["model.safetensors", "pytorch_model.bin", "safe_serialization=True"]) { _ = try ModelFolder.load(at: folder) }
    try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
    expectCheckpointError([folder.appendingPathComponent("config.json").path, "no such file"]) { _ = try ModelFolder.load(at: folder) }
}

@Test func llamaAndOtherArchitecturesAreRefusedPlainly() throws {
    let llama = CheckpointFixtures.folder("llama")
    expectCheckpointError([llama.appendingPathComponent("config.json").path, "unsupported architecture 'LlamaForCausalLM'",
                       "model_type \"llama\"", "Hilo runs GPT-2-family models"]) { _ = try ModelFolder.load(at: llama) }
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyCheckpointFixture("lm_f32", into: dir)
    try editFixtureConfig(folder) { $0["architectures"] = ["GPT2DoubleHeadsModel"] }
    expectCheckpointError(["config.json", "unsupported architecture 'GPT2DoubleHeadsModel'"]) { _ = try ModelFolder.inspect(at: folder) }
}

/// config.json edits and the words their error must contain.
let badModelConfigs: [(String, @Sendable ([String: Any]) -> [String: Any], [String])] = [
    ("heads", { var d = $0; d["n_head"] = 3; return d }, ["n_embd (16) must be a positive multiple of n_head (3)"]),
    ("activation", { var d = $0; d["activation_function"] = "relu"; return d }, ["activation_function 'relu' is not supported"]),
    ("type", { var d = $0; d["n_layer"] = "two"; return d }, ["n_layer must be an integer"]),
    ("untied", { var d = $0; d["tie_word_embeddings"] = false; return d }, ["tie_word_embeddings false"]),
    ("inverse idx", { var d = $0; d["scale_attn_by_inverse_layer_idx"] = true; return d }, ["scale_attn_by_inverse_layer_idx"]),
    ("no model_type", { var d = $0; d["model_type"] = nil; return d }, ["model_type missing"]),
]

@Test(arguments: 0..<badModelConfigs.count)
func badConfigValuesAreErrorsNamingConfigJSON(_ i: Int) throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyCheckpointFixture("lm_f32", into: dir)
    try editFixtureConfig(folder) { $0 = badModelConfigs[i].1($0) }
    expectCheckpointError([folder.appendingPathComponent("config.json").path] + badModelConfigs[i].2) { _ = try ModelFolder.load(at: folder) }
}

@Test func configThatIsNotJSONIsAClearError() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyCheckpointFixture("lm_f32", into: dir)
    try Data("{ oops".utf8).write(to: folder.appendingPathComponent("config.json"))
    expectCheckpointError([folder.appendingPathComponent("config.json").path, "not a JSON object"]) { _ = try ModelFolder.load(at: folder) }
}

@Test func missingTensorWrongShapeUnexpectedAndDuplicateNamesAreClearErrors() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let weights = { (f: URL) in f.appendingPathComponent("model.safetensors").path }

    let missing = try copyCheckpointFixture("lm_f32", into: dir.appendingPathComponent("a"))
    try editFixtureWeights(missing) { $0.removeAll { $0.0 == "transformer.h.1.ln_2.bias" } }
    expectCheckpointError([weights(missing), "missing tensor 'h.1.ln_2.bias'"]) { _ = try ModelFolder.load(at: missing) }

    let shape = try copyCheckpointFixture("lm_f32", into: dir.appendingPathComponent("b"))
    try editFixtureConfig(shape) { $0["n_positions"] = 32 }
    expectCheckpointError([weights(shape), "'transformer.wpe.weight' has shape [16, 16]", "needs [32, 16]"]) { _ = try ModelFolder.load(at: shape) }

    let extra = try copyCheckpointFixture("lm_f32", into: dir.appendingPathComponent("c"))
    try editFixtureWeights(extra) { $0.append(("transformer.h.0.adapter.weight", [2], [1, 2])) }
    expectCheckpointError([weights(extra), "unexpected tensor 'transformer.h.0.adapter.weight'"]) { _ = try ModelFolder.load(at: extra) }

    let both = try copyCheckpointFixture("lm_f32", into: dir.appendingPathComponent("d"))
    try editFixtureWeights(both) { t in t.append(("ln_f.bias", [16], t.first { $0.0 == "transformer.ln_f.bias" }!.2)) }
    expectCheckpointError([weights(both), "both", "ln_f.bias"]) { _ = try ModelFolder.load(at: both) }

    let scoreInLM = try copyCheckpointFixture("lm_f32", into: dir.appendingPathComponent("e"))
    try editFixtureWeights(scoreInLM) { $0.append(("score.weight", [1, 16], [Float](repeating: 0, count: 16))) }
    expectCheckpointError([weights(scoreInLM), "unexpected tensor 'score.weight'", "GPT2LMHeadModel"]) { _ = try ModelFolder.load(at: scoreInLM) }

    let noScore = try copyCheckpointFixture("reward", into: dir.appendingPathComponent("f"))
    try editFixtureWeights(noScore) { $0.removeAll { $0.0 == "score.weight" } }
    expectCheckpointError([weights(noScore), "missing tensor 'score.weight'", "GPT2ForSequenceClassification"]) { _ = try ModelFolder.load(at: noScore) }
}

@Test func anUntiedLMHeadIsRefusedAndATiedOneAccepted() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyCheckpointFixture("lm_head", into: dir)
    #expect(try ModelFolder.load(at: folder).kind == .languageModel, "a head equal to wte loads")
    try editFixtureWeights(folder) { t in
        let i = t.firstIndex { $0.0 == "lm_head.weight" }!
        t[i].2[5] += 0.25
    }
    expectCheckpointError([folder.appendingPathComponent("model.safetensors").path, "'lm_head.weight' differs from wte.weight", "0.25"]) {
        _ = try ModelFolder.load(at: folder)
    }
}

@Test func unsupportedDtypeInAFolderIsAClearError() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyCheckpointFixture("lm_f32", into: dir)
    // Rewrite ln_f.bias as F64 by hand: 16 doubles.
    let url = folder.appendingPathComponent("model.safetensors")
    let file = try SafeTensorsFile(url: url)
    var header = "{"
    var data: [UInt8] = []
    for t in file.tensors {
        let values = try file.floats(t.name)
        let isF64 = t.name == "transformer.ln_f.bias"
        let bytes: [UInt8] = isF64 ? values.flatMap { v in withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { Array($0) } }
                                   : values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        header += "\"\(t.name)\":{\"dtype\":\"\(isF64 ? "F64" : "F32")\",\"shape\":\(t.shape),\"data_offsets\":[\(data.count),\(data.count + bytes.count)]},"
        data += bytes
    }
    header.removeLast(); header += "}"
    try Data(safetensorsBytes(header: header, data: data)).write(to: url)
    expectCheckpointError([url.path, "'transformer.ln_f.bias' has dtype F64", "F32, F16 and BF16"]) { _ = try ModelFolder.load(at: folder) }
}

@Test func badGenerationConfigNamesTheFileAndField() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyCheckpointFixture("lm_f32", into: dir)
    try Data(#"{"max_new_tokens": "ten"}"#.utf8).write(to: folder.appendingPathComponent("generation_config.json"))
    expectCheckpointError([folder.appendingPathComponent("generation_config.json").path, "max_new_tokens"]) { _ = try ModelFolder.load(at: folder) }
}

/// A truncated or bit-flipped model.safetensors inside a folder always throws, never crashes.
@Test func truncatedOrCorruptedWeightsInAFolderThrowNeverCrash() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyCheckpointFixture("lm_f16", into: dir)
    let url = folder.appendingPathComponent("model.safetensors")
    let valid = try Data(contentsOf: url)
    for length in stride(from: 0, to: valid.count, by: 97) {
        try valid.prefix(length).write(to: url)
        expectCheckpointError([url.path]) { _ = try ModelFolder.load(at: folder) }
    }
    var rng = SeededRNG(seed: 11)
    let headerEnd = 8 + Int(valid.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    for _ in 0..<400 {
        var bytes = [UInt8](valid)
        bytes[Int(rng.next() % UInt64(headerEnd))] ^= UInt8(1 << (rng.next() % 8))
        try Data(bytes).write(to: url)
        do { _ = try ModelFolder.load(at: folder) } catch is EngineError {}
    }
}

@Test func configWithAListOfEOSIdsTakesTheFirst() throws {
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    let folder = try copyCheckpointFixture("lm_f32", into: dir)
    try editFixtureConfig(folder) { $0["eos_token_id"] = [47, 3] }
    #expect(try ModelFolder.load(at: folder).config.eosTokenId == 47)
}

@Test func weightsWithNaNOrInfinityAreRefusedAtLoadNamingTheTensor() throws {
    // They loaded, and a model that can only give NaN logits was found out when it first generated.
    let dir = try makeCheckpointTempFolder(); defer { removeCheckpointTempFolder(dir) }
    for (i, bad) in [Float.nan, .infinity, -.infinity].enumerated() {
        let caseDir = dir.appendingPathComponent("case\(i)")
        try FileManager.default.createDirectory(at: caseDir, withIntermediateDirectories: true)
        let folder = try copyCheckpointFixture("lm_f32", into: caseDir)
        var poisoned = ""
        try editFixtureWeights(folder) { tensors in
            let k = tensors.firstIndex { $0.0.hasSuffix("mlp.c_fc.weight") }!
            poisoned = tensors[k].0
            tensors[k].2[3] = bad
        }
        expectCheckpointError([folder.path, "'\(poisoned.replacingOccurrences(of: "transformer.", with: ""))'", "1 of", "NaN or infinite"]) {
            _ = try ModelFolder.load(at: folder)
        }
    }
}
