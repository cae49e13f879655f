// `hilo bench candidates`: the candidate generator's throughput on a randomly initialised GPT-2 of a
// given shape: one pass that stocks N prompts with K responses each (sampling, duplicate checks and
// the database writes included), side by side with bare PolicySampler calls on the same prompts, so
// the ratio shows what the bookkeeping costs. For Tests/Benchmarks/bench.d/72-candidates.sh.
import ArgumentParser
import Engine
import Foundation
import Hilo
import Store
import Support

struct BenchCandidates: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "candidates", abstract: "Candidate generation in responses/s and tokens/s (generator pass vs bare sampling).")
    @OptionGroup var shape: ModelShape
    @Option(help: "Prompts to stock (the buffer).") var prompts = 16
    @Option(help: "Responses per prompt (K).") var perPrompt = 4
    @Option(help: "New tokens per response.") var newTokens = 32
    @Option(help: "Prompts per generation batch.") var batchPrompts = 8
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-bench-candidates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A small byte-level tokenizer; the model's larger vocabulary only adds ids that decode to nothing.
        var trainer = try BPETrainer(config: BPETrainerConfig(vocabSize: min(300, shape.vocab)))
        trainer.feed(bytes: Array((0..<200).map { "\n\nHuman: What is \($0) plus \($0 * 7)?\n\nAssistant: It is \($0 * 8)." }.joined().utf8))
        let tokenizer = try trainer.train()
        let tok = dir.appendingPathComponent("tokenizer")
        try tokenizer.save(directory: tok)
        let model = try shape.gpt2(minPositions: 64 + newTokens)
        var config = model.config
        config.eosTokenId = tokenizer.eosTokenId
        let folder = dir.appendingPathComponent("policy-v1")
        try ModelFolder.save(config: config, kind: .languageModel, parameters: model.params, to: folder, tokenizerFrom: tok)

        let db = try Database(path: dir.appendingPathComponent("bench.db").path)
        let texts = (0..<prompts).map { "\n\nHuman: What is \($0) plus \($0 + 11)? Explain briefly.\n\nAssistant:" }
        let stamp = currentTimeMs()
        try db.write { c in
            for t in texts { _ = try PromptRepository(c).insert(NewPrompt(text: t), now: stamp) }
            let m = try ModelRepository(c).create(name: "policy-v1", kind: .policy, parentID: nil, path: folder.path, now: stamp)
            try ModelRepository(c).setServing(m.id)
            try SettingsRepository(c).set("candidates", .object([("buffer_prompts", .number(Double(prompts))), ("per_prompt", .number(Double(perPrompt))),
                                                                 ("max_new_tokens", .number(Double(newTokens)))]), now: stamp)
        }
        let app = HiloApp(db: db)
        defer { app.stop() }
        var gc = CandidateGenerator.Config()
        gc.seed = shape.seed
        gc.batchPrompts = batchPrompts
        let generator = CandidateGenerator(db: app.db, clock: app.config.clock, board: app.candidates, config: gc)
        let t0 = now()
        let report = try generator.runOnce()
        let pass = now() - t0

        let t1 = now() // loading included, as in the pass
        let sampler = try PolicySampler(folder: folder)
        var rng = SeededRNG(seed: shape.seed)
        let settings = PolicySampler.Settings(maxNewTokens: newTokens)
        var bareTokens = 0, bareResponses = 0
        var start = 0
        while start < texts.count {
            let chunk = Array(texts[start..<min(texts.count, start + batchPrompts)])
            for list in try sampler.sample(prompts: chunk, perPrompt: perPrompt, settings: settings, rng: &rng) {
                bareResponses += list.count; bareTokens += list.reduce(0) { $0 + $1.tokenCount }
            }
            start += batchPrompts
        }
        let bare = now() - t1
        let samples = report.generated + report.duplicates
        emit(json, [("responses", report.generated), ("duplicates", report.duplicates), ("tokens", report.tokens), ("pass_s", pass),
                    ("responses_per_s", Double(samples) / pass), ("tokens_per_s", Double(report.tokens) / pass),
                    ("bare_responses_per_s", Double(bareResponses) / bare), ("bare_tokens_per_s", Double(bareTokens) / bare),
                    ("pass_over_bare", pass / bare * Double(bareTokens) / Double(max(1, report.tokens))), ("peak_rss_mib", peakRSSMiB())],
             text: String(format: "candidates: %d responses (%d duplicates) in %.2f s: %.1f responses/s, %.0f tokens/s; bare sampling %.0f tokens/s",
                          report.generated, report.duplicates, pass, Double(samples) / pass, Double(report.tokens) / pass, Double(bareTokens) / bare))
    }
}
