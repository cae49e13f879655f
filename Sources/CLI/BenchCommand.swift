// `hilo bench train|generate|sgemm`: the engine's throughput on a randomly initialised GPT-2 or
// Llama-family model of a given shape, for Tests/Benchmarks/bench.d/30-engine.sh and 32-llama.sh
// to put side by side with PyTorch.
import ArgumentParser
import COpenBLAS
import Engine
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the training engine's speed (tokens/s) and memory.",
        subcommands: [BenchTrain.self, BenchGenerate.self, BenchSgemm.self, BenchDPO.self, BenchPPO.self, BenchCandidates.self])
}

/// The model shape every bench subcommand takes.
struct ModelShape: ParsableArguments {
    @Option(help: "Architecture: gpt2, or a Llama-family model_type (llama, qwen2, qwen3, smollm3; tied head).") var arch = "gpt2"
    @Option(help: "Transformer blocks.") var layers = 4
    @Option(help: "Residual width (n_embd, hidden_size).") var embd = 256
    @Option(help: "Attention heads.") var heads = 4
    @Option(help: "Key/value heads (the Llama family; default: --heads).") var kvHeads: Int?
    @Option(help: "MLP inner width (the Llama family's intermediate_size; default: 4 × --embd).") var intermediate: Int?
    @Option(help: "Vocabulary size.") var vocab = 8192
    @Option(help: "Context length of the model (n_positions); defaults to the sequence length.") var positions: Int?
    @Option(help: "Seed for the random weights and tokens.") var seed: UInt64 = 1

    func model(minPositions: Int) throws -> any CausalLM {
        let context = max(positions ?? minPositions, minPositions)
        var rng = SeededRNG(seed: seed)
        if arch == "gpt2" {
            let model = try GPT2(config: GPT2Config(vocabSize: vocab, nPositions: context, nEmbd: embd, nLayer: layers, nHead: heads))
            model.initializeWeights(rng: &rng)
            return model
        }
        guard let family = LlamaConfig.Family(rawValue: arch) else {
            throw ValidationError("--arch \(arch): use gpt2, llama, qwen2, qwen3 or smollm3")
        }
        let config = LlamaConfig(family: family, vocabSize: vocab, hiddenSize: embd, intermediateSize: intermediate ?? 4 * embd,
                                 numHiddenLayers: layers, numAttentionHeads: heads, numKeyValueHeads: kvHeads ?? heads,
                                 maxPositionEmbeddings: context, tieWordEmbeddings: true)
        let model = try Llama(config: config)
        model.initializeWeights(rng: &rng)
        return model
    }

    /// The model when this benchmark runs GPT-2 only.
    func gpt2(minPositions: Int) throws -> GPT2 {
        guard let m = try model(minPositions: minPositions) as? GPT2 else { throw ValidationError("this benchmark runs GPT-2 only (--arch gpt2)") }
        return m
    }

    /// Matrix-product FLOPs of one forward per token at sequence length T: 2 × the block matrices'
    /// weights, 2·C·V for the LM head, and 4·T·(attention width)·L for q·kᵀ and p·v.
    func forwardFlopsPerToken(_ model: any CausalLM, seq T: Int) -> Double {
        let s = model.shape, C = Double(s.width), L = Double(s.layers), V = Double(s.vocabSize)
        let blockWeights = model.layout.tensors.filter { $0.layer != nil && $0.shape.count == 2 }.reduce(0) { $0 + $1.count }
        let attentionWidth = (model as? Llama).map { Double($0.config.qDim) } ?? C
        return 2 * Double(blockWeights) + 2 * C * V + 4 * Double(T) * attentionWidth * L
    }
}

/// `model` with a new LoRA adapter of rank `rank` (alpha 2·r) on every linear projection, PEFT's
/// initialisation; unchanged when `rank` is nil.
func withLoRA<Model: CausalLM>(_ model: Model, rank: Int?, seed: UInt64) throws -> Model {
    guard let r = rank else { return model }
    let adapter = try LoRAAdapter(config: LoRAConfig(r: r, loraAlpha: Double(2 * r), targetModules: .allLinear), base: LoRABase(model: model))
    var rng = SeededRNG(seed: seed &+ 2)
    adapter.initializeWeights(rng: &rng)
    model.lora = adapter
    return model
}

/// Peak resident memory of this process in MiB (VmHWM).
func peakRSSMiB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func emit(_ json: Bool, _ fields: [(String, Any)], text: String) {
    if json {
        let obj = Dictionary(uniqueKeysWithValues: fields.map { ($0.0, $0.1) })
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    } else {
        print(text)
    }
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Training steps (forward + backward + AdamW) in tokens/s.")
    @OptionGroup var shape: ModelShape
    @Option(help: "Sequence length T.") var seq = 128
    @Option(help: "Batch size B.") var batch = 8
    @Option(help: "Timed steps (after one warm-up step).") var steps = 5
    @Option(name: .customLong("lora-r"), help: "Train a LoRA adapter of this rank on every linear projection instead of the full model.") var loraR: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let model = try withLoRA(shape.model(minPositions: seq), rank: loraR, seed: shape.seed)
        var rng = SeededRNG(seed: shape.seed &+ 1)
        let seqs = (0..<batch).map { _ in (0...seq).map { _ in Int(rng.next() % UInt64(model.shape.vocabSize)) } }
        // Inputs are the first T tokens, targets the next T: every position is scored.
        let b = TokenBatch(rows: batch, width: seq, inputIds: seqs.flatMap { $0.dropLast() }, targets: seqs.flatMap { $0.dropFirst() })
        // The product's causal-LM step (pretraining and SFT run the same one) at a constant learning rate.
        let trainer = OptimizedModel(model: model, adamW: AdamWConfig(learningRate: 1e-4))
        try trainer.languageModelStep([b], lr: 1e-4)  // warm-up: allocates the workspace
        var best = Double.infinity, total = 0.0, loss: Float = 0
        for _ in 0..<steps {
            let t0 = now()
            loss = try trainer.languageModelStep([b], lr: 1e-4).loss
            let dt = now() - t0
            best = min(best, dt); total += dt
        }
        let tokensPerStep = Double(batch * seq)
        let mean = total / Double(steps)
        // Matrix-product FLOPs a step performs: 3 × forward (GPT-2: 24·C²·L + 2·C·V + 4·T·C·L per token).
        let flops = 3 * shape.forwardFlopsPerToken(model, seq: seq) * tokensPerStep
        let blas = BLASInfo.current()
        emit(json, [("tokens_per_s", tokensPerStep / mean), ("best_tokens_per_s", tokensPerStep / best),
                    ("step_s", mean), ("gflops", flops / mean / 1e9), ("peak_rss_mib", peakRSSMiB()),
                    ("openblas_core", blas.coreName), ("threads", blas.threads), ("loss", Double(loss)),
                    ("parameters", model.layout.parameterCount),
                    ("trained_parameters", trainer.trainable.reduce(0) { $0 + $1.count })],
             text: String(format: "train: %.0f tokens/s (best %.0f), %.3f s/step, %.1f GFLOP/s, peak RSS %.0f MiB, loss %.4f; %@",
                          tokensPerStep / mean, tokensPerStep / best, mean, flops / mean / 1e9, peakRSSMiB(), loss, blas.logLine))
    }
}

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generation with the KV cache in new tokens/s: greedy, or sampled with --top-p.")
    @OptionGroup var shape: ModelShape
    @Option(help: "Prompt tokens per row.") var prompt = 32
    @Option(help: "New tokens per row.") var newTokens = 64
    @Option(help: "Rows generated together.") var batch = 1
    @Option(help: "Timed runs (after one warm-up run).") var runs = 3
    @Option(help: "Sample at temperature 1 from this top-p nucleus instead of greedy decoding.") var topP: Float?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let model = try shape.model(minPositions: prompt + newTokens)
        var rng = SeededRNG(seed: shape.seed &+ 2)
        let prompts = (0..<batch).map { _ in (0..<prompt).map { _ in Int32(rng.next() % UInt64(model.shape.vocabSize)) } }
        let gen = Generator(model: model)
        let cfg = SamplingConfig(maxNewTokens: newTokens, greedy: topP == nil, topP: topP)
        _ = try gen.generate(prompts: prompts, config: cfg, rng: &rng)
        var total = 0.0, produced = 0, best = 0.0
        for _ in 0..<runs {
            let t0 = now()
            let out = try gen.generate(prompts: prompts, config: cfg, rng: &rng)
            let dt = now() - t0, n = out.reduce(0) { $0 + $1.tokens.count }
            total += dt; produced += n
            best = max(best, Double(n) / dt)
        }
        let blas = BLASInfo.current()
        emit(json, [("tokens_per_s", Double(produced) / total), ("best_tokens_per_s", best), ("peak_rss_mib", peakRSSMiB()),
                    ("openblas_core", blas.coreName)],
             text: String(format: "generate: %.1f new tokens/s (batch %d, prompt %d, %d new), peak RSS %.0f MiB; %@",
                          Double(produced) / total, batch, prompt, newTokens, peakRSSMiB(), blas.logLine))
    }
}

struct BenchSgemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgemm", abstract: "The machine's sgemm speed (GFLOP/s) through OpenBLAS: the peak a step is measured against.")
    @Option(help: "Matrix size n (n×n times n×n).") var size = 2048
    @Option(help: "Timed repetitions (best is reported).") var reps = 5
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let n = size
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for r in 0...reps {
            let t0 = now()
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            if r > 0 { best = min(best, now() - t0) }
        }
        let gflops = 2 * pow(Double(n), 3) / best / 1e9
        let blas = BLASInfo.current()
        emit(json, [("gflops", gflops), ("openblas_core", blas.coreName), ("threads", blas.threads)],
             text: String(format: "sgemm %d: %.1f GFLOP/s; %@", n, gflops, blas.logLine))
    }
}
