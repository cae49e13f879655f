// Counting statistics: live labels per annotator, per day and per origin, the database's totals,
// queue coverage, an annotator's own progress and the training loop's state. Every count of labels
// uses the one definition of a live label (LiveLabel.swift).

/// The database's totals for the admin's statistics.
public struct StatsTotals: Sendable, Equatable {
    public var prompts: Int
    public var responses: Int
    /// Live labels (not undone, not skips) of every origin.
    public var labels: Int
    public var pairs: Int
    /// Annotators who can sign in.
    public var annotators: Int
}

/// One annotator's live labels: in all, since a time, and the time spent on each (ms, ascending).
public struct AnnotatorThroughput: Sendable, Equatable {
    public var labels: Int
    public var labelsSince: Int
    public var timesMs: [Int64]
}

/// An annotator's own progress.
public struct AnnotatorProgress: Sendable, Equatable {
    /// Live ordering labels (neither skips nor thumbs-only feedback) since the start of the day.
    public var doneToday: Int
    public var doneTotal: Int
    /// Live skips.
    public var skipped: Int
}

extension StatsRepository {
    /// Live labels (not skips) per annotator id; annotators without any are absent.
    public func labelCounts() throws -> [Int64: Int] {
        var out: [Int64: Int] = [:]
        try c.prepare("SELECT j.annotator_id, count(*) FROM judgments j WHERE \(LiveLabel.any) GROUP BY j.annotator_id")
            .forEach([]) { out[$0.int(0)] = Int($0.int(1)) }
        return out
    }

    /// Live labels and skips per UTC day (days since 1970) from `since` (Unix ms) on.
    public func labelsPerDay(since: Int64) throws -> [Int64: (labels: Int, skips: Int)] {
        var out: [Int64: (labels: Int, skips: Int)] = [:]
        try c.prepare("""
            SELECT j.created_at / 86400000, sum(j.kind <> 'skip'), sum(j.kind = 'skip') FROM judgments j
            WHERE \(LiveLabel.judgment) AND j.created_at >= ? GROUP BY 1
            """).forEach([.int(since)]) { out[$0.int(0)] = (Int($0.int(1)), Int($0.int(2))) }
        return out
    }

    /// The annotator's live labels, those created after `since` (Unix ms), and their recorded times.
    public func throughput(annotatorID: Int64, since: Int64) throws -> AnnotatorThroughput {
        let live = "FROM judgments j WHERE j.annotator_id = ? AND \(LiveLabel.any)"
        return AnnotatorThroughput(
            labels: Int(try c.scalar("SELECT count(*) \(live)", [.int(annotatorID)])),
            labelsSince: Int(try c.scalar("SELECT count(*) \(live) AND j.created_at > ?", [.int(annotatorID), .int(since)])),
            timesMs: try c.prepare("SELECT j.time_spent_ms \(live) AND j.time_spent_ms IS NOT NULL ORDER BY j.time_spent_ms")
                .all([.int(annotatorID)]) { $0.int(0) })
    }

    public func totals() throws -> StatsTotals {
        StatsTotals(prompts: Int(try c.scalar("SELECT count(*) FROM prompts")),
                    responses: Int(try c.scalar("SELECT count(*) FROM responses")),
                    labels: Int(try c.scalar("SELECT count(*) FROM judgments j WHERE \(LiveLabel.any)")),
                    pairs: Int(try c.scalar("SELECT count(*) FROM preference_pairs")),
                    annotators: Int(try c.scalar("SELECT count(*) FROM annotators WHERE token_hash IS NOT NULL")))
    }

    /// Queue coverage: how many prompts have 0, 1, … `overlap` counted labels (as the task queue
    /// counts them; more than `overlap` counts as `overlap`), from one grouped query.
    public func coverage(overlap: Int) throws -> [Int] {
        var counts = [Int](repeating: 0, count: overlap + 1)
        try c.prepare("SELECT min(\(LeaseRepository.labels), ?1), count(*) FROM prompts p GROUP BY 1")
            .forEach([.int(Int64(overlap))]) { counts[Int($0.int(0))] = Int($0.int(1)) }
        return counts
    }

    /// Live labels (not skips) by origin, every origin listed.
    public func labelsByOrigin() throws -> [(origin: LabelOrigin, count: Int)] {
        try LabelOrigin.allCases.map { o in
            (origin: o, count: Int(try c.scalar("SELECT count(*) FROM judgments j WHERE \(LiveLabel.any) AND j.origin = ?", [.text(o.rawValue)])))
        }
    }

    /// The training loop's state: "running" while a run runs, else "queued" while one waits, else "idle".
    public func trainingState() throws -> String {
        try c.scalar("SELECT count(*) FROM training_runs WHERE status = 'running'") > 0 ? "running"
            : try c.scalar("SELECT count(*) FROM training_runs WHERE status = 'queued'") > 0 ? "queued" : "idle"
    }

    /// The annotator's progress; the day starts at `dayStart` (Unix ms).
    public func progress(annotatorID: Int64, dayStart: Int64) throws -> AnnotatorProgress {
        let done = "SELECT count(*) FROM judgments j WHERE j.annotator_id = ? AND \(LiveLabel.ordering)"
        return AnnotatorProgress(
            doneToday: Int(try c.scalar(done + " AND j.created_at >= ?", [.int(annotatorID), .int(dayStart)])),
            doneTotal: Int(try c.scalar(done, [.int(annotatorID)])),
            skipped: Int(try c.scalar("SELECT count(*) FROM judgments j WHERE j.annotator_id = ? AND \(LiveLabel.judgment) AND j.kind = 'skip'",
                                      [.int(annotatorID)])))
    }
}
