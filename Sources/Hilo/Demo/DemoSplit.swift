// The demo domain's fixed partition of question texts into training rows, the demo queue and
// held-out evaluation prompts.
/// Which question texts a corpus draws from. A question's text (normalized: lowercase, single
/// spaces) is hashed; one text in eight is kept for evaluation, one in eight for the demo queue, the
/// rest for training. The three sets share facts ("What is 7 + 5?" may be trained on while "Compute
/// 7 plus 5." is evaluated), never a question text, so a gain on held-out prompts is a gain on
/// unseen prompts, not on memorised ones.
public enum DemoSplit: String, Sendable, Codable, CaseIterable {
    /// Six texts in eight: pretraining, SFT, preference and KTO rows.
    case train
    /// One in eight: the seeded demo queue annotators rank (its labels train version 2).
    case queue
    /// One in eight: evaluation prompts, in no training row and not in the queue.
    case heldout
    /// Every text.
    case all

    /// The set a question text belongs to.
    public static func of(_ questionText: String) -> DemoSplit {
        switch DemoProblem.stableHash(DemoTemplate.normalize(questionText)) % 8 {
        case 0: return .heldout
        case 1: return .queue
        default: return .train
        }
    }

    public func contains(_ questionText: String) -> Bool {
        self == .all || Self.of(questionText) == self
    }
}
