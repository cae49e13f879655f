// `hilo export`: streams datasets out of the database in the formats TRL, OpenRLHF and the
// Anthropic HH / rm-static readers expect, one JSON object per line, in constant memory.
// Preference rows come from the `preference_pairs` view (or, with agreement filters, from the
// per-pair votes below); nothing is materialised.
import Support

public enum ExportFormat: String, Sendable, CaseIterable {
    /// {"prompt","chosen","rejected"}: DPOTrainer (and RewardTrainer); --conversational for message lists.
    case trl
    /// {"chosen","rejected"}: full "\n\nHuman: …\n\nAssistant: …" transcripts (RewardTrainer, implicit prompt).
    case hh
    /// {"prompt","response","chosen","rejected"} like Dahoas/rm-static.
    case rmStatic = "rm-static"
    /// {"prompt","completion","label"}: KTOTrainer; from thumbs and from both sides of every pair.
    case kto
    /// {"prompt","completion"}: SFTTrainer; annotators' rewrites and imported demonstrations.
    case sft
    /// {"prompt"}: a prompt-only dataset (TRL's PPO, RLOO and GRPO trainers; `hilo train ppo --data`);
    /// every prompt except the held-out ones (`prompts.heldout`), in id order, labelled or not.
    case prompts
    /// One line per live judgment with annotator, ranks, ratings, thumbs, rationale and times.
    case raw
    /// One line per (prompt, response pair) with the vote counts behind it.
    case pairs
}

public struct ExportOptions: Sendable {
    public var format: ExportFormat
    /// Message lists ({"role","content"}) instead of strings (trl, kto, sft).
    public var conversational = false
    /// trl only: no "prompt" column; the prompt is repeated inside chosen and rejected.
    public var implicitPrompt = false
    /// Only labels created at or after this time (Unix ms).
    public var since: Int64? = nil
    /// Only labels by these annotators (names); empty = everyone.
    public var annotators: [String] = []
    /// Include AI (RLAIF) labels; the default is human labels only.
    public var includeAI = false
    /// One row per response pair in the majority direction instead of one per label.
    public var aggregate = false
    /// Keep only pairs whose majority share of votes (ties count as votes) is at least this.
    public var minAgreement: Double? = nil
    /// Keep only pairs with at least this many votes.
    public var minVotes = 1
    /// Fraction of prompts that go to the test output (0 = no split).
    public var testFraction = 0.0
    /// Seed of the split: the same seed and database give the same split.
    public var seed: UInt64 = 0
    public init(format: ExportFormat) { self.format = format }
}

public struct ExportReport: Sendable, Equatable {
    public var trainRows = 0
    public var testRows = 0
    public var rows: Int { trainRows + testRows }
}

public struct Exporter {
    let db: Database
    let options: ExportOptions

    public init(db: Database, options: ExportOptions) throws {
        if options.testFraction < 0 || options.testFraction >= 1 { throw StoreError.invalid("--test-fraction must be in [0, 1)") }
        if let m = options.minAgreement, !(0...1).contains(m) { throw StoreError.invalid("--min-agreement must be in [0, 1]") }
        if options.implicitPrompt && options.format != .trl { throw StoreError.invalid("--implicit-prompt applies to --format trl only") }
        if options.conversational && ![.trl, .kto, .sft, .prompts].contains(options.format) {
            throw StoreError.invalid("--conversational applies to trl, kto, sft and prompts only")
        }
        if options.format == .prompts && (options.aggregate || options.minAgreement != nil || options.minVotes > 1
                                          || !options.annotators.isEmpty || options.includeAI) {
            throw StoreError.invalid("--format prompts exports prompts, not labels: the label filters (annotators, AI labels, agreement, votes, aggregate) do not apply")
        }
        // A name that matches nobody would give an empty file that looks like "no labels yet".
        let unknown = try db.read { c in try options.annotators.filter { try AnnotatorRepository(c).byName($0) == nil } }
        if !unknown.isEmpty {
            throw StoreError.invalid("no annotator named \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")) (the annotator filter takes names as the Annotators tab lists them)")
        }
        self.db = db
        self.options = options
    }

    /// Whether a prompt (by its content hash) falls into the test split: a SplitMix64 hash of the
    /// first 8 hash bytes and the seed, compared with the fraction. Stable across runs and machines.
    public static func isTest(contentHash: [UInt8], seed: UInt64, fraction: Double) -> Bool {
        guard fraction > 0 else { return false }
        var x: UInt64 = 0
        for b in contentHash.prefix(8) { x = x << 8 | UInt64(b) }
        x ^= seed &* 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return Double(x >> 11) / Double(1 << 53) < fraction
    }

    /// Streams the export: rows of test prompts go to `test` (required when testFraction > 0).
    public func run(train: ExportOutput, test: ExportOutput? = nil) throws -> ExportReport {
        precondition(options.testFraction == 0 || test != nil, "a split needs a test output")
        var report = ExportReport()
        var w = JSONWriter()
        w.bytes.reserveCapacity(1 << 16)
        try db.read { c in
            var sink = RowSink(train: train, test: test, options: options, report: report)
            switch options.format {
            case .trl, .hh, .rmStatic, .kto, .pairs: try pairRows(c, &sink, &w)
            case .sft: try sftRows(c, &sink, &w)
            case .prompts: try promptRows(c, &sink, &w)
            case .raw: try rawRows(c, &sink, &w)
            }
            if options.format == .kto { try thumbRows(c, &sink, &w) }
            report = sink.report
        }
        return report
    }

    // MARK: filters

    /// WHERE conditions on judgments `j` and annotators `a`, and their parameters.
    /// The judgments SFT rows come from: every live judgment that carries a rewrite, whatever its
    /// kind (the annotation page stores a rewrite typed next to a ranking inside that ranking). The
    /// row pairs the rewrite with the prompt the judgment was made on.
    static let carriesRewrite = "j.rewrite IS NOT NULL AND j.rewrite <> ''"

    func labelFilter() -> (sql: String, params: [SQLValue]) {
        var sql = LiveLabel.judgment
        var params: [SQLValue] = []
        if let since = options.since { sql += " AND j.created_at >= ?"; params.append(.int(since)) }
        if !options.includeAI { sql += " AND j.origin = 'human'" }
        if !options.annotators.isEmpty {
            sql += " AND a.name IN (SELECT value FROM json_each(?))"
            params.append(.text(JSONValue.array(options.annotators.map { .string($0) }).serialized))
        }
        return (sql, params)
    }

    /// The pair source: rows (ord, pid, cid, rid, n, agree, disagree, ties); rows are written in
    /// (ord, cid, rid) order, ord being the judgment id (per-label rows) or the prompt id (aggregated).
    func pairSource() -> (sql: String, params: [SQLValue]) {
        let (filter, params) = labelFilter()
        let needVotes = options.aggregate || options.minAgreement != nil || options.minVotes > 1 || options.format == .pairs
        if !needVotes {
            return ("""
                SELECT pp.judgment_id AS ord, pp.prompt_id AS pid, pp.chosen_id AS cid, pp.rejected_id AS rid, 1 AS n, 1 AS agree, 0 AS disagree, 0 AS ties
                FROM preference_pairs pp JOIN judgments j ON j.id = pp.judgment_id JOIN annotators a ON a.id = pp.annotator_id
                WHERE \(filter)
                """, params)
        }
        // Every live ranking judgment votes on each unordered response pair (lo < hi by id):
        // +1 lo better, -1 hi better, 0 tie. agreement = majority votes / all votes (ties included).
        let votes = """
            WITH v AS (
              SELECT j.id AS jid, j.prompt_id AS pid, w.response_id AS lo, l.response_id AS hi,
                     CASE WHEN w.rank < l.rank THEN 1 WHEN w.rank > l.rank THEN -1 ELSE 0 END AS vote
              FROM judgments j JOIN annotators a ON a.id = j.annotator_id
              JOIN judgment_ranks w ON w.judgment_id = j.id
              JOIN judgment_ranks l ON l.judgment_id = j.id AND w.response_id < l.response_id
              WHERE j.both_bad = 0 AND j.kind IN ('pairwise', 'ranking') AND \(filter)
            ), agg AS (
              SELECT pid, lo, hi, count(*) AS n, sum(vote > 0) AS lw, sum(vote < 0) AS hw FROM v GROUP BY pid, lo, hi
            )
            """
        let keep = "max(agg.lw, agg.hw) >= ? * agg.n AND agg.n >= ?"
        let extra: [SQLValue] = [.double(options.minAgreement ?? 0), .int(Int64(options.minVotes))]
        if options.aggregate || options.format == .pairs {
            return (votes + """
                SELECT pid AS ord, pid, CASE WHEN lw > hw THEN lo ELSE hi END AS cid, CASE WHEN lw > hw THEN hi ELSE lo END AS rid,
                       n, max(lw, hw) AS agree, min(lw, hw) AS disagree, n - lw - hw AS ties
                FROM agg WHERE lw <> hw AND \(keep)
                """, params + extra)
        }
        return (votes + """
            SELECT v.jid AS ord, v.pid AS pid, CASE WHEN v.vote > 0 THEN v.lo ELSE v.hi END AS cid, CASE WHEN v.vote > 0 THEN v.hi ELSE v.lo END AS rid,
                   agg.n AS n, max(agg.lw, agg.hw) AS agree, min(agg.lw, agg.hw) AS disagree, agg.n - agg.lw - agg.hw AS ties
            FROM v JOIN agg ON agg.pid = v.pid AND agg.lo = v.lo AND agg.hi = v.hi
            WHERE v.vote <> 0 AND \(keep)
            """, params + extra)
    }
}

/// Routes rows to the train or test output by prompt.
struct RowSink {
    let train: ExportOutput
    let test: ExportOutput?
    let options: ExportOptions
    var report: ExportReport

    mutating func emit(_ w: inout JSONWriter, contentHash: [UInt8]) throws {
        if let test, Exporter.isTest(contentHash: contentHash, seed: options.seed, fraction: options.testFraction) {
            try test.write(&w)
            report.testRows += 1
        } else {
            try train.write(&w)
            report.trainRows += 1
        }
    }
}
