// `hilo train pretrain|sft|reward|dpo|ipo|kto|ppo|grpo|rloo`: one training stage on JSONL data in Hilo's export
// formats, from a Hugging Face model folder (or from scratch for pretraining) to a new model folder.
// A progress bar with ETA and the stage's key metrics goes to stderr; --json prints the final report.
// Ctrl-C stops after the current step and writes a resumable checkpoint; --resume continues from it.
import ArgumentParser
import Engine
import Foundation
import Hilo
import Store

extension TrainingStage: ExpressibleByArgument {}
extension DPOConfig.LossType: ExpressibleByArgument {}
extension KLEstimator: ExpressibleByArgument {}
extension GRPOLossType: ExpressibleByArgument {}
extension RewardScaling: ExpressibleByArgument {}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model: pretrain, sft, reward, dpo, ipo, kto, ppo, grpo or rloo.",
        discussion: """
        Data (--data FILE.jsonl, one JSON object per line, the formats `hilo export` writes):
          pretrain  raw text lines or {"text"}        sft  {"prompt","completion"}
          reward    {"prompt","chosen","rejected"}, HH {"chosen","rejected"}, or {"prompt","responses","ranks"}
          dpo, ipo  {"prompt","chosen","rejected"}     kto  {"prompt","completion","label"}
          ppo       {"prompt"} or raw prompt lines (`hilo export --format prompts`; --db reads the database's prompts)
          grpo, rloo  the same as ppo; other columns of a row (e.g. "answer") go to --reward-cmd programs;
                    or labelled groups {"prompt","responses","ranks"} (annotators' rankings are the rewards)
        grpo/rloo rewards: --reward-model DIR, --reward-cmd "CMD" (JSONL {"prompt","completion",…} on stdin, one
        number or null per line on stdout), --reward-rule correct|equation|period; several are summed with
        --reward-weights (in that order: model, commands, rules).
        Ctrl-C writes a checkpoint to OUT.checkpoint; run the same command with --resume to continue.
        """)

    @Argument(help: "The stage: pretrain, sft, reward, dpo, ipo, kto, ppo, grpo, rloo.") var stage: TrainingStage

    @Option(help: "The starting model folder (Hugging Face GPT-2 layout, with its tokenizer).") var model: String?
    @Option(help: "The output model folder (must not exist unless --replace).") var out: String
    @Option(help: "The training rows, JSON Lines in the stage's format.") var data: String?
    @Option(help: "Read the rows from a Hilo database instead (sft, reward, dpo, ipo, kto, ppo): exported as `hilo export` would (ppo: --format prompts), then read like --data.") var db: String?
    @Flag(help: "--db: one row per response pair in the majority direction instead of one per label.") var aggregate = false
    @Option(help: "The frozen reference model for dpo/ipo/kto/ppo (default: the starting model).") var ref: String?
    @Option(name: .customLong("reward-model"), help: "The reward model folder PPO (or grpo/rloo) scores rollouts with.") var rewardModel: String?

    @Option(help: "β: the strength of the KL penalty (dpo, ipo, kto: default 0.1; grpo: 0, no reference; rloo: 0.05).") var beta: Double?
    @Option(help: "Peak learning rate (default: 1e-6 for dpo, ipo and kto, TRL's; 5e-5 for the other stages).") var lr: Float?
    @Option(help: "Passes over the data.") var epochs = 1
    @Option(help: "Examples per step (pairs for dpo; prompts per rollout for ppo).") var batch = 8
    @Option(help: "Stop after this many steps.") var maxSteps: Int?
    @Option(help: "Linear warmup steps.") var warmup = 0
    @Option(help: "Decoupled weight decay of matrices.") var weightDecay: Float = 0
    @Option(help: "Clip the global gradient norm to this (0 disables).") var maxGradNorm: Float = 1
    @Option(help: "Freeze the lowest N transformer blocks (the backward stops above them).") var freezeLayers: Int?
    @Option(help: "Train only the top N transformer blocks (the complement of --freeze-layers).") var trainLayers: Int?
    @Flag(help: "Freeze wte and wpe (and so the tied LM head).") var freezeEmbeddings = false
    @Option(help: "Seed of data order, sampling and new weights.") var seed: UInt64 = 0
    @Option(help: "Longest row in tokens (default: the model's n_positions); longer rows are truncated.") var maxLength: Int?
    @Option(help: "Prompt tokens kept when a row is too long (its last ones; default maxLength/2).") var maxPromptLength: Int?

    @Option(help: "dpo: sigmoid (DPO), hinge or robust.") var loss: DPOConfig.LossType = .sigmoid
    @Option(help: "dpo: assumed share of flipped labels (cDPO for sigmoid, robust for robust).") var labelSmoothing: Double = 0
    @Option(help: "dpo/ipo: weight of an NLL term on the chosen responses (RPO).") var rpoAlpha: Double?
    @Flag(help: "dpo/ipo: keep the reference model in memory instead of precomputing its log-probs once.") var liveReference = false
    @Option(help: "kto: weight of thumbs-up rows.") var desirableWeight: Double = 1
    @Option(help: "kto: weight of thumbs-down rows.") var undesirableWeight: Double = 1
    @Option(help: "reward: share of rows held out for accuracy.") var evalFraction: Double = 0.1
    @Option(help: "reward: the centering coefficient of mean((r_c + r_r)²).") var centerRewards: Double?

    @Option(help: "ppo: passes over each rollout.") var ppoEpochs = 4
    @Option(help: "ppo: rows per update minibatch (default 4); grpo/rloo: samples per optimizer step (default: the whole generation batch).") var minibatch: Int?
    @Option(help: "ppo, grpo, rloo: tokens sampled per completion.") var maxNewTokens = 48
    @Option(help: "ppo, grpo, rloo: sampling temperature.") var temperature: Float = 1
    @Option(help: "ppo: initial β of the per-token KL penalty.") var klCoef: Double = 0.05
    @Option(help: "ppo: make β adaptive towards this KL (nats per sequence).") var klTarget: Double?
    @Option(help: "ppo: the adaptive controller's horizon in samples.") var klHorizon: Double = 10000
    @Option(help: "ppo: the per-token KL estimator, k1 or k3.") var klEstimator: KLEstimator = .k1
    @Flag(help: "ppo: divide scores by their running standard deviation.") var scaleScores = false
    @Option(help: "ppo: clip scores to ±this.") var scoreClip: Double?
    @Option(help: "ppo: subtract this from the score of a rollout without EOS.") var missingEosPenalty: Double?
    @Flag(help: "ppo: put the value head on the policy's backbone instead of a copy of the reward model.") var shareValueBackbone = false

    @Option(help: "grpo, rloo: completions sampled per prompt, G ≥ 2 (default 8 for grpo, 2 for rloo).") var numGenerations: Int?
    @Option(help: "grpo, rloo: updates on each generation batch (μ).") var numIterations = 1
    @Option(help: "grpo, rloo: ε of the ratio's clip window.") var epsilon: Double = 0.2
    @Option(help: "grpo, rloo: upper ε of the clip window (DAPO's clip-higher; default ε).") var epsilonHigh: Double?
    @Option(help: "grpo: loss aggregation grpo, bnpo, dr_grpo or dapo.") var lossType: GRPOLossType = .dapo
    @Option(help: "grpo: divide centred rewards by the group's std (group), the batch's (batch) or not (none).") var scaleRewards: RewardScaling = .group
    @Flag(help: "rloo: normalise the advantages over the batch.") var normalizeAdvantages = false
    @Option(name: .customLong("reward-cmd"), help: "grpo, rloo: a reward program (repeatable).") var rewardCmd: [String] = []
    @Option(name: .customLong("reward-rule"), help: "grpo, rloo: a built-in demo rule as reward 1/0 (correct, equation, period; repeatable).") var rewardRule: [DemoRule] = []
    @Option(name: .customLong("reward-weights"), parsing: .upToNextOption, help: "grpo, rloo: one weight per reward source (model, commands, rules).") var rewardWeights: [Double] = []
    @Option(help: "grpo, rloo: seconds a reward program may take per batch.") var rewardTimeout: Double = 120

    @Option(help: "pretrain from scratch: the tokenizer folder (instead of --model).") var tokenizer: String?
    @Option(help: "pretrain from scratch: transformer blocks.") var layers = 4
    @Option(help: "pretrain from scratch: width (n_embd).") var embd = 256
    @Option(help: "pretrain from scratch: attention heads.") var heads = 4
    @Option(help: "pretrain from scratch: context length (n_positions).") var positions = 256

    @Option(name: .customLong("lora-r"), help: "Train a LoRA adapter of this rank on the frozen model (pretrain, sft, dpo, ipo, kto); OUT is then a PEFT adapter folder naming its base.") var loraR: Int?
    @Option(name: .customLong("lora-alpha"), help: "LoRA's alpha: the update is scaled by alpha/r (default 2·r).") var loraAlpha: Double?
    @Option(name: .customLong("lora-targets"), help: "Modules to adapt: names (c_attn,c_proj,c_fc), all-linear, or a regex (default PEFT's: c_attn).") var loraTargets: String?
    @Option(name: .customLong("lora-dropout"), help: "LoRA dropout (only 0: Hilo trains adapters without dropout).") var loraDropout: Double = 0
    @Flag(help: "rsLoRA: scale the update by alpha/√r instead of alpha/r.") var rslora = false
    @Option(help: "Continue training this adapter folder on --model, its base (an adapter folder given as --model also works).") var adapter: String?

    @Option(help: "The checkpoint folder (default: OUT.checkpoint).") var checkpoint: String?
    @Flag(help: "Continue from the checkpoint a stopped run wrote (same command and options).") var resume = false
    @Flag(help: "Replace an existing output folder.") var replace = false
    @Flag(help: "Print one JSON object with the final report.") var json = false
    @Flag(help: "No progress bar.") var quiet = false

    func validate() throws {
        if (data == nil) == (db == nil) { throw ValidationError("give --data FILE.jsonl or --db PATH (one of them)") }
        if db != nil && stage == .pretrain { throw ValidationError("pretrain reads --data only (the database holds no raw text)") }
        if model == nil && !(stage == .pretrain && tokenizer != nil) {
            throw ValidationError(stage == .pretrain ? "give --model, or --tokenizer to pretrain from scratch" : "--model is required")
        }
        if freezeLayers != nil && trainLayers != nil { throw ValidationError("give --freeze-layers or --train-layers, not both") }
        if stage == .ppo && rewardModel == nil { throw ValidationError("ppo needs --reward-model") }
        if [.grpo, .rloo].contains(stage) {
            let n = (rewardModel == nil ? 0 : 1) + rewardCmd.count + rewardRule.count
            if !rewardWeights.isEmpty && rewardWeights.count != n {
                throw ValidationError("--reward-weights has \(rewardWeights.count) weights for \(n) reward sources (model, commands, rules)")
            }
        }
    }

    func job() throws -> TrainingJob {
        let rows: TrainingData
        if let db {
            rows = try Self.export(db: db, stage: stage, aggregate: aggregate)
        } else {
            let url = URL(fileURLWithPath: data!)
            guard let bytes = FileManager.default.contents(atPath: url.path) else {
                throw EngineError.badFile(path: url.path, reason: "cannot read the data file")
            }
            rows = try TrainingData.parse(jsonl: bytes, stage: stage, source: url.path)
        }
        let source: TrainingJob.ModelSource
        if let m = model {
            source = .folder(URL(fileURLWithPath: m))
        } else {
            let tok = try Tokenizer.load(directory: URL(fileURLWithPath: tokenizer!))
            let eos = tok.eosTokenId
            source = .scratch(GPT2Config(vocabSize: tok.vocabSize, nPositions: positions, nEmbd: embd, nLayer: layers, nHead: heads,
                                         eosTokenId: eos, bosTokenId: eos), tokenizer: URL(fileURLWithPath: tokenizer!))
        }
        var job = TrainingJob(stage: stage, model: source, output: URL(fileURLWithPath: out), data: rows)
        job.reference = ref.map { URL(fileURLWithPath: $0) }
        job.rewardModel = rewardModel.map { URL(fileURLWithPath: $0) }
        job.replaceOutput = replace
        job.checkpoint = checkpoint.map { URL(fileURLWithPath: $0) }
        job.adapter = adapter.map { URL(fileURLWithPath: $0) }
        if let r = loraR {
            job.lora = LoRATrainingConfig(r: r, alpha: loraAlpha, targets: loraTargets.map(Self.loraTargets), dropout: loraDropout, rslora: rslora)
        } else if loraAlpha != nil || loraTargets != nil || rslora {
            throw ValidationError("--lora-alpha, --lora-targets and --rslora shape a new adapter: give --lora-r too")
        }
        var trainable: Int? = trainLayers
        if let f = freezeLayers {
            // The layer count is only known from the model: read it without loading weights.
            let n: Int
            if let m = model { n = try ModelFolder.layerCount(at: URL(fileURLWithPath: m)) } else { n = layers }
            guard f <= n else { throw EngineError.invalidInput("--freeze-layers \(f) is more than the model's \(n) blocks") }
            trainable = n - f
        }
        job.config = TrainingConfig(learningRate: lr ?? Self.defaultLearningRate(stage), epochs: epochs, batchSize: batch, maxSteps: maxSteps, warmupSteps: warmup,
                                    weightDecay: weightDecay, maxGradNorm: maxGradNorm > 0 ? maxGradNorm : nil, seed: seed,
                                    trainableBlocks: trainable, trainEmbeddings: !freezeEmbeddings,
                                    maxLength: maxLength, maxPromptLength: maxPromptLength)
        let beta = self.beta ?? Self.defaultBeta(stage)
        job.dpo = DPOTrainingConfig(loss: DPOConfig(beta: beta, lossType: stage == .ipo ? .ipo : loss, labelSmoothing: labelSmoothing,
                                                    rpoAlpha: rpoAlpha), precomputeReference: !liveReference)
        job.kto = KTOTrainingConfig(loss: KTOConfig(beta: beta, desirableWeight: desirableWeight, undesirableWeight: undesirableWeight))
        job.reward = RewardTrainingConfig(loss: RewardLossConfig(centerRewardsCoefficient: centerRewards), evalFraction: evalFraction)
        job.ppo = PPOTrainingConfig(ppo: PPOConfig(klEstimator: klEstimator),
                                    kl: KLControllerConfig(kind: klTarget == nil ? .fixed : .adaptive, initialCoef: klCoef,
                                                           target: klTarget ?? 6, horizon: klHorizon),
                                    rewardNormalization: RewardNormalizerConfig(scale: scaleScores, clip: scoreClip),
                                    ppoEpochs: ppoEpochs, minibatchSize: minibatch ?? 4, maxNewTokens: maxNewTokens,
                                    temperature: temperature, shareValueBackbone: shareValueBackbone, missingEOSPenalty: missingEosPenalty)
        if [.grpo, .rloo].contains(stage) { try configureGroup(&job, beta: beta) }
        return job
    }

    /// grpo/rloo: the algorithm's options and the reward sources, in the order --reward-weights follows.
    func configureGroup(_ job: inout TrainingJob, beta: Double) throws {
        job.group = GroupTrainingConfig(algorithm: stage == .rloo ? .rloo : .grpo, numGenerations: numGenerations, maxNewTokens: maxNewTokens,
                                        temperature: temperature, numIterations: numIterations, minibatchSize: minibatch, scaleRewards: scaleRewards,
                                        grpo: GRPOConfig(epsilon: epsilon, epsilonHigh: epsilonHigh, beta: beta, lossType: lossType),
                                        rloo: RLOOConfig(epsilon: epsilon, epsilonHigh: epsilonHigh, beta: beta, normalizeAdvantages: normalizeAdvantages))
        var sources: [RewardSourceSpec.Source] = rewardModel.map { [.model(URL(fileURLWithPath: $0))] } ?? []
        job.rewardModel = nil
        sources += rewardCmd.map { .program($0, timeout: rewardTimeout) }
        sources += rewardRule.map { rule in .function(name: rule.rawValue, DemoJudge.rewards(rule: rule)) }
        job.rewardSources = sources.enumerated().map { RewardSourceSpec($1, weight: rewardWeights.isEmpty ? 1 : rewardWeights[$0]) }
    }

    /// β without --beta: DPO's family and KTO 0.1; GRPO 0 (TRL: no reference model); RLOO 0.05 (TRL).
    static func defaultBeta(_ stage: TrainingStage) -> Double {
        stage == .grpo ? 0 : stage == .rloo ? 0.05 : 0.1
    }

    /// --lora-targets as PEFT reads target_modules: "all-linear", a regex (any regex metacharacter), or
    /// comma-separated module names.
    static func loraTargets(_ text: String) -> LoRAConfig.Targets {
        if text == "all-linear" { return .allLinear }
        if text.contains(where: { "*()[]|^$\\+?{}".contains($0) }) { return .regex(text) }
        return .names(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    /// The learning rate without --lr. The DPO family and KTO take TRL's 1e-6: their loss only asks for a
    /// margin, and a large step reaches it by pushing the chosen response down too (see
    /// LikelihoodDisplacementMonitor); the likelihood stages take 5e-5.
    static func defaultLearningRate(_ stage: TrainingStage) -> Float {
        [.dpo, .ipo, .kto].contains(stage) ? 1e-6 : 5e-5
    }

    /// The stage's rows from the database, through the exporter: the same JSONL `hilo export` writes,
    /// read by the same parser as --data (so a database and its export train identically).
    static func export(db path: String, stage: TrainingStage, aggregate: Bool) throws -> TrainingData {
        let format: ExportFormat = stage == .sft ? .sft : stage == .kto ? .kto : [.ppo, .grpo, .rloo].contains(stage) ? .prompts : .trl
        var options = ExportOptions(format: format)
        options.aggregate = aggregate
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-train-\(getpid())-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let database = try openDatabase(path)
        let out = try ExportOutput(path: tmp.path)
        _ = try Exporter(db: database, options: options).run(train: out)
        try out.commit()
        guard let bytes = FileManager.default.contents(atPath: tmp.path) else { throw EngineError.badFile(path: tmp.path, reason: "cannot read the export") }
        return try TrainingData.parse(jsonl: bytes, stage: stage, source: "\(path) (\(format.rawValue) export)")
    }

    func run() throws {
        let beta = self.beta ?? Self.defaultBeta(stage)
        if ![.ppo, .grpo, .rloo].contains(stage) && (beta <= 0 || !beta.isFinite) { throw EngineError.invalidConfig("--beta must be > 0, got \(beta)") }
        let job = try job()
        let stop = StopFlag()
        stop.installSIGINT()
        let bar = ProgressBar(stage: stage, enabled: !quiet)
        let report = try job.run(hooks: TrainingHooks(progress: { p in
            bar.update(p)
            // Said at once (not only in the final report), so a long run can be stopped early.
            for w in p.warnings { FileHandle.standardError.write(Data("\nwarning: \(w)\n".utf8)) }
        }, shouldStop: { stop.isSet }), resume: resume)
        bar.finish()
        if json {
            let data = try JSONEncoder.sorted.encode(report)
            print(String(decoding: data, as: UTF8.self))
        } else if report.completed {
            let keys = ProgressBar.keys(stage).filter { report.metrics[$0.0] != nil }
            let summary = keys.map { "\($0.1) \(ProgressBar.format(report.metrics[$0.0]!))" }.joined(separator: ", ")
            let eval = report.evaluation.keys.sorted().map { "\($0) \(ProgressBar.format(report.evaluation[$0]!))" }.joined(separator: ", ")
            print("trained \(stage.rawValue) for \(report.steps) steps in \(String(format: "%.1f", report.seconds)) s (\(Int(report.tokensPerSecond)) tokens/s): \(summary)\(eval.isEmpty ? "" : "; held out: " + eval)")
            print("wrote \(report.output!)")
        }
        if !report.completed {
            FileHandle.standardError.write(Data("stopped at step \(report.steps)/\(report.totalSteps); checkpoint in \(report.checkpoint ?? "?"); run the same command with --resume to continue\n".utf8))
            throw ExitCode(130)
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }
}

/// Set by SIGINT (Ctrl-C): the run stops after its current step. A second Ctrl-C exits at once.
final class StopFlag: @unchecked Sendable {
    // The lock guards `set`; the signal source's handler runs on a dispatch queue.
    private let lock = NSLock()
    private var set = false
    private var source: DispatchSourceSignal?

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }

    func installSIGINT() {
        signal(SIGINT, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        s.setEventHandler { [self] in
            lock.lock(); let again = set; set = true; lock.unlock()
            // _exit, not exit: the training thread is inside a BLAS call, and OpenBLAS's exit handler
            // would wait for its worker threads for ever. Folders are written atomically, so quitting
            // mid-step leaves at most a temporary folder, never a half-written model.
            if again { _exit(130) }
            FileHandle.standardError.write(Data("\ninterrupted: finishing this step and writing a checkpoint (Ctrl-C again to quit now)\n".utf8))
        }
        s.resume()
        source = s
    }
}

/// A one-line progress bar on stderr: steps, ETA and the stage's key metrics.
final class ProgressBar: @unchecked Sendable {
    // Only the training thread calls update/finish.
    let stage: TrainingStage
    let enabled: Bool
    private var lastDraw = 0.0
    private var drawn = false

    init(stage: TrainingStage, enabled: Bool) { self.stage = stage; self.enabled = enabled }

    static func keys(_ stage: TrainingStage) -> [(String, String)] {
        switch stage {
        case .pretrain, .sft: return [("loss", "loss")]
        case .reward: return [("loss", "loss"), ("accuracy", "acc"), ("margin", "margin")]
        case .dpo, .ipo: return [("loss", "loss"), ("rewards/accuracies", "acc"), ("rewards/margins", "margin")]
        case .kto: return [("loss", "loss"), ("kl", "kl"), ("rewards/margins", "margin")]
        case .ppo: return [("objective/scores", "score"), ("objective/kl", "kl"), ("policy/clipfrac_avg", "clip"), ("loss/value_avg", "vf")]
        case .grpo, .rloo: return [("reward", "reward"), ("reward_std", "std"), ("kl", "kl"), ("clip_ratio/region_mean", "clip"),
                                   ("completions/mean_length", "len")]
        }
    }

    static func format(_ v: Double) -> String { abs(v) >= 1000 || (abs(v) < 0.001 && v != 0) ? String(format: "%.3g", v) : String(format: "%.4f", v) }

    func update(_ p: TrainingProgress) {
        guard enabled else { return }
        let t = Date().timeIntervalSince1970
        guard p.step == p.totalSteps || t - lastDraw > 0.2 else { return }
        lastDraw = t
        let width = 24, filled = p.totalSteps > 0 ? width * p.step / p.totalSteps : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let rate = p.elapsed / Double(max(p.step, 1))
        let eta = Int(rate * Double(p.totalSteps - p.step))
        let metrics = Self.keys(stage).compactMap { k in p.metrics[k.0].map { "\(k.1) \(Self.format($0))" } }
        let tps = p.metrics["tokens/s"].map { " \(Int($0)) tok/s" } ?? ""
        let line = "\r\(stage.rawValue) \(bar) \(p.step)/\(p.totalSteps) ETA \(eta / 60)m\(String(format: "%02d", eta % 60))s \(metrics.joined(separator: " "))\(tps)\u{1B}[K"
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() { if drawn { FileHandle.standardError.write(Data("\n".utf8)) } }
}
