// The DPO family against a frozen reference (DPOLoss: sigmoid, ipo, hinge, robust; cDPO through label
// smoothing; RPO's NLL term). Each step forwards the B chosen and B rejected rows as one batch of 2B
// (TRL's concatenated forward), takes their completion log-probs, and back-propagates the loss's
// gradient with respect to them. The reference log-probs come from a frozen reference model, or — with
// `precomputeReference` — are computed once before training (from the reference, or from the policy's
// initial weights when there is none), after which no reference model stays in memory.
import Foundation

public final class DPOTrainer: StageTrainer {
    let stage: TrainingStage
    let policy: OptimizedModel
    public let config: TrainingConfig
    public let dpoConfig: DPOTrainingConfig
    private let examples: [PreferenceExample]
    private let builder: BatchBuilder
    private let tokens: TokenCache
    private let loss: DPOLoss
    /// The frozen reference, when its log-probs are not precomputed.
    private var reference: (any CausalLM)?
    /// A LoRA policy's live reference in its own weights: the base with the adapter off (a new adapter),
    /// or a frozen copy of the adapter it started from (a loaded one, TRL's semantics).
    private var referenceInPolicy = false, referenceAdapter: LoRAAdapter?
    /// With LoRA: whether the reference is the base without the adapter (1) or the starting adapter (0),
    /// reported as the metric reference/base_without_adapter.
    private var referenceIsBase: Bool?
    /// (chosen, rejected) reference log-probs per example, when precomputed.
    private var precomputed: [(Double, Double)] = []
    /// Watches for the chosen log-prob falling while the margin grows (see LikelihoodDisplacement.swift).
    private var displacement = LikelihoodDisplacementMonitor()
    /// The last batch's chosen log-prob change against the reference, per chosen token.
    private var lastChosenShift = 0.0
    private var pendingWarnings: [String] = []

    var exampleCount: Int { examples.count }
    var slots: [(String, OptimizedModel)] { [("policy", policy)] }
    public var model: any CausalLM { policy.model }

    /// `reference` nil uses the policy's initial weights as the reference (TRL's default).
    public init(policy model: any CausalLM, reference: (any CausalLM)?, examples: [PreferenceExample], tokenize: @escaping Tokenize,
                config: TrainingConfig, dpo: DPOTrainingConfig = DPOTrainingConfig()) throws {
        try config.validate()
        loss = try DPOLoss(config: dpo.loss)
        if let r = reference { try requireSameArchitecture(r, model, role: "reference model") }
        guard !examples.isEmpty else { throw EngineError.invalidInput("the preference dataset is empty") }
        builder = try BatchBuilder(limits: config.limits(for: model), nPositions: model.shape.contextLength)
        tokens = try TokenCache(examples.flatMap { [$0.prompt, $0.chosen, $0.rejected] }, tokenize: tokenize, vocabSize: model.shape.vocabSize)
        self.examples = examples; self.config = config; dpoConfig = dpo
        stage = dpo.loss.lossType == .ipo ? .ipo : .dpo
        referenceIsBase = reference == nil ? model.lora?.isIdentity : nil
        if dpo.precomputeReference {
            let ref = reference ?? model
            for chunk in stride(from: 0, to: examples.count, by: config.batchSize) {
                let pb = try builder.preference(Array(examples[chunk..<min(chunk + config.batchSize, examples.count)]), tokenize: tokens.callAsFunction)
                try ref.forward(pb.batch)
                let (c, r) = pb.split(try ref.rowLogprobs(pb.batch).sums)
                precomputed += zip(c, r).map { ($0, $1) }
            }
            self.reference = nil
        } else {
            for chunk in stride(from: 0, to: examples.count, by: 64) {
                _ = try builder.preference(Array(examples[chunk..<min(chunk + 64, examples.count)]), tokenize: tokens.callAsFunction)
            }
            if reference == nil, let lora = model.lora {
                referenceInPolicy = true
                referenceAdapter = lora.isIdentity ? nil : try lora.clone()
                self.reference = nil
            } else {
                self.reference = try reference ?? model.clone()
            }
        }
        policy = OptimizedModel(model: model, config: config)
    }

    public func train(hooks: TrainingHooks = .none, checkpoint: URL? = nil, resume: Bool = false) throws -> TrainingReport {
        try runStage(self, config: config, hooks: hooks, checkpoint: checkpoint, resume: resume)
    }

    /// The loss and gradients of one batch of pairs, without updating (the golden tests call this).
    func lossAndGradients(rows: [Int]) throws -> (DPOResult, TokenBatch) {
        let pb = try builder.preference(rows.map { examples[$0] }, tokenize: tokens.callAsFunction)
        let refC: [Double], refR: [Double]
        if let ref = reference {
            try ref.forward(pb.batch)
            (refC, refR) = pb.split(try ref.rowLogprobs(pb.batch).sums)
        } else if referenceInPolicy {
            (refC, refR) = try model.withAdapter(referenceAdapter) {
                try model.forward(pb.batch)
                return pb.split(try model.rowLogprobs(pb.batch).sums)
            }
        } else {
            refC = rows.map { precomputed[$0].0 }; refR = rows.map { precomputed[$0].1 }
        }
        model.zeroGradients()
        try model.forward(pb.batch)
        let (pc, pr) = pb.split(try model.rowLogprobs(pb.batch).sums)
        let result = try loss(PreferenceLogProbs(policyChosen: pc, policyRejected: pr, referenceChosen: refC, referenceRejected: refR,
                                                 chosenTokens: pb.chosenTokens, rejectedTokens: pb.rejectedTokens))
        model.rowLogprobBackward(pb.batch, rowGrads: result.dPolicyChosen + result.dPolicyRejected)
        model.backward()
        lastChosenShift = zip(pc, refC).reduce(0) { $0 + $1.0 - $1.1 } / Double(max(1, pb.chosenTokens.reduce(0, +)))
        return (result, pb.batch)
    }

    func step(rows: [Int], lr: Float, rng: inout SeededRNG) throws -> ObjectiveMetrics {
        let (result, batch) = try lossAndGradients(rows: rows)
        let norm = try policy.update(lr: lr, context: "DPO (\(dpoConfig.loss.lossType.rawValue))")
        var m = result.metrics
        m["grad_norm"] = Double(norm); m["tokens"] = Double(batch.realTokens)
        if let base = referenceIsBase { m["reference/base_without_adapter"] = base ? 1 : 0 }
        if let w = displacement.observe(step: displacementSteps + 1, chosenShiftPerToken: lastChosenShift,
                                        margins: m["rewards/margins"] ?? 0, chosenReward: m["rewards/chosen"] ?? 0) {
            pendingWarnings.append(w)
        }
        displacementSteps += 1
        return m
    }

    private var displacementSteps = 0

    func takeWarnings() -> [String] { defer { pendingWarnings = [] }; return pendingWarnings }

    private struct Extra: Codable { var displacement: LikelihoodDisplacementMonitor; var steps: Int }
    func extraState() throws -> Data { try JSONEncoder().encode(Extra(displacement: displacement, steps: displacementSteps)) }
    func restore(extraState: Data) throws {
        guard let e = try? JSONDecoder().decode(Extra.self, from: extraState) else { return }
        displacement = e.displacement; displacementSteps = e.steps
    }
}
