// The embedded starter policy: StarterModel.folder finds the resource bundle's Hugging Face folder, the
// sampler loads it, and its sampled answers to demo prompts are answers the judge reads.
import Engine
import Foundation
import Testing
@testable import Hilo

@Suite struct StarterModelTests {
    @Test func folderHoldsAGPT2WithItsTokenizerUnderTenMegabytes() throws {
        let folder = try StarterModel.folder
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(Set(["config.json", "model.safetensors", "generation_config.json", "tokenizer.json"]).isSubset(of: Set(files)))
        let size = try files.reduce(0) { total, f in
            total + ((try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(f).path)[.size] as? Int) ?? 0)
        }
        #expect(size > 1_000_000 && size <= 10 * 1024 * 1024, "\(size) bytes")
        let loaded = try ModelFolder.inspect(at: folder)
        #expect(loaded.config.nLayer == 4 && loaded.config.nEmbd == 128)
    }

    @Test func sampledAnswersToDemoPromptsAreReadByTheJudge() throws {
        let sampler = try PolicySampler(folder: try StarterModel.folder)
        let prompts = try DemoSeed(config: .init(queue: 0, heldout: 8)).prompts(.heldout, count: 8)
        var rng = SeededRNG(seed: 3)
        let samples = try sampler.sample(prompts: prompts, perPrompt: 2, settings: .init(), rng: &rng)
        let judge = DemoJudge()
        var read = 0
        for (prompt, group) in zip(prompts, samples) {
            for s in group {
                #expect(!s.text.contains("Human:"), "one answer, no new turn: \(s.text)")
                if judge.verdict(prompt: prompt, response: s.text)?.stated != nil { read += 1 }
            }
        }
        #expect(read >= 14, "the judge reads an answer in \(read) of 16 samples")
    }
}
