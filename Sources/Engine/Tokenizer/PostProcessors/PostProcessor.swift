// Post-processors: what `tokenizers` adds around a text's ids when asked for special tokens
// (`add_special_tokens=True`): Llama's BOS through TemplateProcessing, RoBERTa's and BERT's
// <s>/[CLS] … </s>/[SEP]. ByteLevel's post-processor only trims offsets, so it leaves ids alone.
// Hilo encodes single texts, so only the templates' "single" part is used.

/// What surrounds a text's ids when special tokens are added, as tokenizer.json's `post_processor` describes it.
indirect enum PostProcessor: Sendable, Equatable {
    /// The ids to put before and after the text's ids.
    case template(before: [Int], after: [Int])
    /// Leaves the ids as they are (ByteLevel).
    case passThrough
    case sequence([PostProcessor])

    func apply(_ ids: [Int]) -> [Int] {
        switch self {
        case .template(let before, let after): return before + ids + after
        case .passThrough: return ids
        case .sequence(let steps): return steps.reduce(ids) { $1.apply($0) }
        }
    }
}
