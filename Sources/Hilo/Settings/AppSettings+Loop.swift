// The training loop's sections of the settings: retraining, on-policy candidates, AI pre-labels and
// evaluation. Each is a plain Codable struct whose defaults are the values below; stored settings are
// laid over the defaults when read (AppSettings.load), so a field added later simply starts at its
// default. Each section's `validate` names the first field that breaks a rule.
import Foundation

extension AppSettings {
    public static let objectives = ["dpo", "ipo", "kto", "ppo"]

    public struct Retraining: Codable, Sendable, Equatable {
        /// Retrain once this many new human preference pairs have arrived since the last run (the
        /// issue's default, 50: small enough that a new install sees version 2 within minutes).
        public var minNewLabels: Int = 50
        /// Fewest seconds between the starts of two threshold-triggered runs, so a busy team does not
        /// keep the machine training all day; the admin's retrain button ignores it.
        public var minIntervalSeconds: Int = 300
        /// dpo, ipo, kto or ppo (ppo trains against the refreshed reward model).
        public var objective: String = "dpo"
        /// Whether reaching the threshold queues a run by itself (off: only the retrain button does).
        public var automatic: Bool = true
        /// "automatic": a new policy serves at once when it beats the serving one on the automatic
        /// evaluation (reward-model win rate on held-out prompts, judged by `evaluation.promotion`);
        /// "manual": an admin promotes it.
        public var promotion: String = "automatic"
        /// Keep the folders of this many newest versions of each kind (serving ones are always kept);
        /// older ones are pruned, their rows kept for lineage.
        public var keepVersions: Int = 5
        /// Threads a run may use (BLAS and the engine's loops). Fewer than the machine's cores leaves
        /// room for annotation; training also runs at a lower priority.
        public var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
        /// Train on AI labels (RLAIF) as well as human ones. Off by default: they are kept apart.
        /// (Spelled "Ai", not "AI", so the snake_case key include_ai_labels decodes back to it.)
        public var includeAiLabels: Bool = false

        public init() {}

        func validate(_ fail: (String) -> SettingsError) throws(SettingsError) {
            guard (1...10_000_000).contains(minNewLabels) else { throw fail("retraining.min_new_labels must be between 1 and 10000000") }
            guard (0...604_800).contains(minIntervalSeconds) else { throw fail("retraining.min_interval_seconds must be between 0 and 604800") }
            guard AppSettings.objectives.contains(objective) else {
                throw fail("retraining.objective must be one of \(AppSettings.objectives.joined(separator: ", "))")
            }
            guard ["automatic", "manual"].contains(promotion) else { throw fail("retraining.promotion must be automatic or manual") }
            guard (1...1000).contains(keepVersions) else { throw fail("retraining.keep_versions must be between 1 and 1000") }
            guard (1...256).contains(threads) else { throw fail("retraining.threads must be between 1 and 256") }
        }
    }

    public struct Candidates: Codable, Sendable, Equatable {
        /// Generate responses with the serving policy for queued prompts in the background.
        public var enabled: Bool = true
        /// Responses generated per prompt (K); the task shows up to responses_per_task of them.
        public var perPrompt: Int = 4
        /// How many unlabelled prompts to keep stocked with the serving version's responses ahead of
        /// the annotators (more costs generation time after each promotion).
        public var bufferPrompts: Int = 64
        /// Sampling: temperature 1 and nucleus 0.95 give varied candidates, so pairs differ.
        public var temperature: Double = 1.0
        public var topP: Double = 0.95
        /// Longest response in tokens.
        public var maxNewTokens: Int = 48
        /// Seconds between the generator's checks when nothing wakes it (a promotion or a submit that
        /// takes a prompt out of the buffer wakes it at once).
        public var pollSeconds: Int = 30

        public init() {}

        func validate(_ fail: (String) -> SettingsError) throws(SettingsError) {
            guard (2...16).contains(perPrompt) else { throw fail("candidates.per_prompt must be between 2 and 16") }
            guard (1...100_000).contains(bufferPrompts) else { throw fail("candidates.buffer_prompts must be between 1 and 100000") }
            guard temperature > 0, temperature <= 10 else { throw fail("candidates.temperature must be > 0 and at most 10") }
            guard topP > 0, topP <= 1 else { throw fail("candidates.top_p must be > 0 and at most 1") }
            guard (1...4096).contains(maxNewTokens) else { throw fail("candidates.max_new_tokens must be between 1 and 4096") }
            guard (1...86_400).contains(pollSeconds) else { throw fail("candidates.poll_seconds must be between 1 and 86400") }
        }
    }

    public struct RLAIF: Codable, Sendable, Equatable {
        /// Score the responses of queued prompts with the serving reward model in the background, so
        /// admins see scores and confidences (and auto-labelling has something to work with).
        public var scoreResponses: Bool = true
        /// Show the reward model's scores to annotators. Off: seeing them biases judgments.
        public var showScoresToAnnotators: Bool = false
        /// Label pairs automatically (origin 'ai') when the reward model's confidence
        /// sigma(|score difference|) reaches `confidenceThreshold`.
        public var autoLabel: Bool = false
        /// Confidence needed for an AI label; 0.5 would label every pair, 1 none.
        public var confidenceThreshold: Double = 0.9

        public init() {}

        func validate(_ fail: (String) -> SettingsError) throws(SettingsError) {
            guard confidenceThreshold > 0.5, confidenceThreshold < 1 else { throw fail("rlaif.confidence_threshold must be above 0.5 and below 1") }
        }
    }

    public struct Evaluation: Codable, Sendable, Equatable {
        /// Held-out prompts a campaign (and the automatic evaluation) uses by default.
        public var prompts: Int = 100
        /// When a new version counts as better than the serving one (used by automatic promotion).
        public var promotion = PromotionRule()
        /// Answers each version samples per held-out prompt in the automatic evaluation; answer k of
        /// the new version is compared with answer k of the serving one. 16: on the starter a run's
        /// real gain shows as a reward win rate of ~0.55, which 100 comparisons cannot tell from 0.5
        /// (Wilson ±0.1) and 1,600 can (±0.025); the starter samples them in well under a minute.
        public var samplesPerPrompt: Int = 16

        public init() {}

        func validate(_ fail: (String) -> SettingsError) throws(SettingsError) {
            guard (1...100_000).contains(prompts) else { throw fail("evaluation.prompts must be between 1 and 100000") }
            guard (1...256).contains(samplesPerPrompt) else { throw fail("evaluation.samples_per_prompt must be between 1 and 256") }
            do { try promotion.validate() } catch { throw fail("evaluation.promotion: \(error)") }
        }
    }
}
