// What counts as a live label, defined once: the SQL conditions every query splices in (the table
// `judgments` is always aliased `j`). An undone judgment is kept for the record but counts nowhere;
// a skip is a judgment but not a label; thumbs-only feedback is a label that orders nothing.
// The shipped migrations and the preference_pairs view (schema.sql) spell the same rule out in their
// own, frozen text; Database+Check compares migration 3's counter against `LiveLabel.counted`.
enum LiveLabel {
    /// A judgment that stands: not undone (skips included).
    static let judgment = "j.undone_at IS NULL"
    /// A live label: a standing judgment that is not a skip (thumbs-only feedback included).
    static let any = judgment + " AND j.kind <> 'skip'"
    /// A live label that orders or rates responses: neither a skip nor thumbs-only feedback.
    static let ordering = judgment + " AND j.kind NOT IN ('skip', 'feedback')"
    /// A live ordering label by a person (what `prompts.labels` counts, when its annotator `an` can
    /// sign in: see Migration3.swift).
    static let counted = ordering + " AND j.origin = 'human'"
}
