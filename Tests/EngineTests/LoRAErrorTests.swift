// Adapters Hilo cannot compute exactly are refused with the file and the field: other PEFT types,
// DoRA, biases, targets that match nothing or match a module Hilo does not adapt, an adapter of
// another model (shapes), a missing or stray tensor, a pickle-only folder.
import Foundation
import Testing
@testable import Engine

@Suite struct LoRAErrorTests {
    /// A copy of peft's GPT-2 adapter folder with `edit` applied to its config, loaded on the GPT-2 base.
    func load(editing edit: (inout [String: Any]) -> Void = { _ in }, weights: ((URL) throws -> Void)? = nil) throws -> String {
        let source = LoRAGolden.fixtures.appendingPathComponent("gpt2_adapter")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-lora-bad-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let configURL = dir.appendingPathComponent("adapter_config.json")
        var dict = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        edit(&dict)
        try JSONSerialization.data(withJSONObject: dict).write(to: configURL)
        try weights?(dir)
        let base = try ModelFolder.load(at: LoRAGolden.fixtures.appendingPathComponent("gpt2")).config
        do {
            _ = try LoRAAdapter.load(from: dir, base: LoRABase(gpt2: base))
        } catch let e as EngineError {
            return e.description
        }
        Issue.record("the adapter loaded")
        return ""
    }

    @Test func anotherPeftTypeIsRefusedByName() throws {
        let m = try load { $0["peft_type"] = "IA3" }
        #expect(m.contains("adapter_config.json") && m.contains("peft_type is 'IA3'"))
    }

    @Test func doraIsRefused() throws {
        #expect(try load { $0["use_dora"] = true }.contains("use_dora is true: DoRA"))
    }

    @Test func aTrainedBiasIsRefused() throws {
        #expect(try load { $0["bias"] = "lora_only" }.contains("bias is 'lora_only'"))
    }

    @Test func aTargetMatchingNothingNamesTheTarget() throws {
        let m = try load { $0["target_modules"] = ["c_attn", "q_proj"] }
        #expect(m.contains("target_modules: 'q_proj' matches no projection"))
    }

    @Test func aRegexReachingTheLMHeadIsRefused() throws {
        #expect(try load { $0["target_modules"] = ".*(c_attn|lm_head)" }.contains("matches 'lm_head'"))
    }

    @Test func anAdapterOfAnotherModelNamesTheTensorAndBothShapes() throws {
        let m = try load { $0["r"] = 8 }
        #expect(m.contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight") && m.contains("[4, 32]") && m.contains("[8, 32]"))
    }

    @Test func aTensorForAnUntargetedModuleIsNamed() throws {
        let m = try load { $0["target_modules"] = ["c_attn", "c_fc"] }
        #expect(m.contains("unexpected tensor 'base_model.model.transformer.h.0.attn.c_proj.lora_A.weight'"))
    }

    @Test func aPickleOnlyFolderSaysHowToFixIt() throws {
        let m = try load(weights: { dir in
            try FileManager.default.moveItem(at: dir.appendingPathComponent("adapter_model.safetensors"),
                                             to: dir.appendingPathComponent("adapter_model.bin"))
        })
        #expect(m.contains("adapter_model.bin") && m.contains("safe_serialization"))
    }

    @Test func layersToTransformAdaptsOnlyThoseBlocks() throws {
        let base = try ModelFolder.load(at: LoRAGolden.fixtures.appendingPathComponent("gpt2")).config
        let a = try LoRAAdapter(config: LoRAConfig(r: 2, targetModules: .names(["c_attn"]), layersToTransform: [1]), base: LoRABase(gpt2: base))
        #expect(a.adaptedModules == ["transformer.h.1.attn.c_attn"])
        let all = try LoRAAdapter(config: LoRAConfig(r: 2, targetModules: .allLinear), base: LoRABase(gpt2: base))
        #expect(all.adaptedModules.count == 8)
    }
}
