// A LoRA adapter's settings, field for field PEFT's LoraConfig (adapter_config.json), restricted to
// what Hilo computes: plain LoRA on the blocks' linear projections, no bias, no DoRA.
//
// Each adapted linear y = W·x (+ b) becomes y = W·x (+ b) + s · B·(A·x) with A [r, in], B [out, r]
// and s = lora_alpha / r (rsLoRA: lora_alpha / √r); rank_pattern / alpha_pattern override r and
// alpha per module as PEFT matches them.
import Foundation

public struct LoRAConfig: Sendable, Equatable {
    /// Which modules get an adapter: PEFT's `target_modules`.
    public enum Targets: Sendable, Equatable {
        /// Module names matched as PEFT does: the full path, or a suffix after a dot ("q_proj").
        case names([String])
        /// A regular expression the whole module path must match (PEFT's string form).
        case regex(String)
        /// Every linear projection of the blocks (PEFT's "all-linear"; never the LM head).
        case allLinear
    }

    /// The rank r: rows of A, columns of B. Larger adapts more and costs more.
    public var r: Int
    /// The numerator of the scaling (α/r, or α/√r with rsLoRA); keeps the update's size when r changes.
    public var loraAlpha: Double
    /// rsLoRA's scaling α/√r, which keeps large ranks from learning slower.
    public var useRslora: Bool
    /// The modules adapted.
    public var targetModules: Targets
    /// Modules never adapted even when targeted (PEFT's `exclude_modules`, names or a regex).
    public var excludeModules: Targets?
    /// Dropout on the adapter's input during training (inference ignores it). Hilo trains without
    /// dropout: a continued adapter's value is reset to 0 and a new adapter must ask for 0.
    public var loraDropout: Double
    /// True for GPT-2, whose Conv1D stores weights [in, out]; PEFT needs it to merge. A and B are the same either way.
    public var fanInFanOut: Bool
    /// Only these block indices are adapted (nil: all), PEFT's `layers_to_transform`.
    public var layersToTransform: [Int]?
    /// Per-module rank overrides, keyed by a pattern PEFT matches against the module path's end.
    public var rankPattern: [String: Int]
    /// Per-module alpha overrides, keyed the same way.
    public var alphaPattern: [String: Double]
    /// Whole modules trained and saved beside the adapter (a reward model's "score" head).
    public var modulesToSave: [String]?
    /// The base model the adapter was trained on, as PEFT records it (a folder or a hub name).
    public var baseModelNameOrPath: String?
    /// PEFT's task type: "CAUSAL_LM" for policies, "SEQ_CLS" for reward models.
    public var taskType: String?

    public init(r: Int, loraAlpha: Double? = nil, useRslora: Bool = false, targetModules: Targets,
                excludeModules: Targets? = nil, loraDropout: Double = 0, fanInFanOut: Bool = false,
                layersToTransform: [Int]? = nil, rankPattern: [String: Int] = [:], alphaPattern: [String: Double] = [:],
                modulesToSave: [String]? = nil, baseModelNameOrPath: String? = nil, taskType: String? = "CAUSAL_LM") {
        self.r = r; self.loraAlpha = loraAlpha ?? Double(r); self.useRslora = useRslora
        self.targetModules = targetModules; self.excludeModules = excludeModules; self.loraDropout = loraDropout
        self.fanInFanOut = fanInFanOut; self.layersToTransform = layersToTransform
        self.rankPattern = rankPattern; self.alphaPattern = alphaPattern; self.modulesToSave = modulesToSave
        self.baseModelNameOrPath = baseModelNameOrPath; self.taskType = taskType
    }

    /// PEFT's default targets for a family when none are given: GPT-2 c_attn, the Llama family q_proj and v_proj.
    public static func defaultTargets(for family: LoRABase.Family) -> Targets {
        switch family {
        case .gpt2: return .names(["c_attn"])
        case .llama: return .names(["q_proj", "v_proj"])
        }
    }

    /// The rank and scaling of the module at `path`, after rank_pattern and alpha_pattern.
    func rankAndScaling(path: String) -> (r: Int, scaling: Float) {
        let rank = Self.patternKey(Array(rankPattern.keys), path).flatMap { rankPattern[$0] } ?? r
        let alpha = Self.patternKey(Array(alphaPattern.keys), path).flatMap { alphaPattern[$0] } ?? loraAlpha
        let s = useRslora ? alpha / Double(rank).squareRoot() : alpha / Double(rank)
        return (rank, Float(s))
    }

    /// PEFT's get_pattern_key: the first pattern p for which the path matches `(.*\.)?(p)$`.
    static func patternKey(_ keys: [String], _ path: String) -> String? {
        keys.sorted().first { fullMatch("(.*\\.)?(\($0))", path) }
    }

    /// Whether the whole of `text` matches `pattern` (Python's re.fullmatch).
    static func fullMatch(_ pattern: String, _ text: String) -> Bool {
        guard let re = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        return re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Whether `targets` selects the module at `path` (PEFT's check_target_module_exists).
    static func matches(_ targets: Targets, path: String) -> Bool {
        switch targets {
        case .allLinear: return true
        case .regex(let p): return fullMatch(p, path)
        case .names(let names): return names.contains { path == $0 || path.hasSuffix("." + $0) }
        }
    }

    /// Throws naming the field when the numbers cannot describe an adapter.
    func validate(file: String) throws {
        func bad(_ why: String) -> EngineError { .badFile(path: file, reason: why) }
        guard r > 0 else { throw bad("r must be a positive rank, got \(r)") }
        guard loraAlpha.isFinite else { throw bad("lora_alpha must be a finite number") }
        for (k, v) in rankPattern where v <= 0 { throw bad("rank_pattern['\(k)'] must be a positive rank, got \(v)") }
        guard loraDropout >= 0 && loraDropout < 1 else { throw bad("lora_dropout must be in [0, 1), got \(loraDropout)") }
        if case .regex(let p) = targetModules, (try? NSRegularExpression(pattern: p)) == nil {
            throw bad("target_modules '\(p)' is not a regular expression Hilo can read")
        }
        if case .names(let n) = targetModules, n.isEmpty { throw bad("target_modules is empty") }
    }
}
