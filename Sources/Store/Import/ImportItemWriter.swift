// Writes one parsed import row (a prompt, its responses, and an imported label) inside the
// importer's transaction, keyed by content hashes so a second import of the same row adds nothing.

/// Writes one parsed row on a connection inside the caller's transaction.
struct ItemWriter {
    let c: Connection
    let origin: String
    let source: String
    let now: Int64

    /// The 'imported' pseudo annotator's id, remembered for the batch once it exists (not when this
    /// row created it: a rolled-back row would take it along).
    private let importedID = Cache()
    final class Cache { var id: Int64? }

    func importedAnnotator() throws -> Int64 {
        if let id = importedID.id { return id }
        if let existing = try AnnotatorRepository(c).byName("imported") {
            importedID.id = existing.id
            return existing.id
        }
        return try AnnotatorRepository(c).pseudo("imported", now: now)
    }

    func write(_ item: ImportItem) throws -> (prompts: Int, responses: Int, judgments: Int) {
        let prompts = PromptRepository(c)
        var prompt = item.prompt
        if prompt.source == nil { prompt.source = source }
        let (promptID, newPrompt) = try prompts.insert(prompt, now: now)
        var added = (prompts: newPrompt ? 1 : 0, responses: 0, judgments: 0)
        var ids: [Int64] = []
        for text in item.responses {
            guard !text.isEmpty else { throw StoreError.invalid("responses: an empty response") }
            let (id, new) = try prompts.addResponse(promptID: promptID, text: text, origin: item.origin.map { "import:" + $0 } ?? origin, now: now)
            ids.append(id)
            if new { added.responses += 1 }
        }
        if let ranks = item.ranks, ids.count >= 2 {
            let pairs = zip(ids, ranks).map { ResponseRank(responseID: $0, rank: $1) }
            let key = "import:" + SHA256.hex(SHA256.hash("rank\0\(promptID)\0" + pairs.sorted { $0.responseID < $1.responseID }
                .map { "\($0.responseID)=\($0.rank)" }.joined(separator: ",")))
            var j = NewJudgment(annotatorID: try importedAnnotator(), promptID: promptID, kind: ids.count == 2 ? .pairwise : .ranking)
            j.ranks = pairs
            j.idempotencyKey = key
            if try JudgmentRepository(c).insert(j, now: now).created { added.judgments += 1 }
        }
        if let demonstration = item.demonstration {
            let key = "import:" + SHA256.hex(SHA256.hash("rewrite\0\(promptID)\0" + demonstration))
            var j = NewJudgment(annotatorID: try importedAnnotator(), promptID: promptID, kind: .rewrite)
            j.rewrite = demonstration
            j.idempotencyKey = key
            if try JudgmentRepository(c).insert(j, now: now).created { added.judgments += 1 }
        }
        return added
    }
}
