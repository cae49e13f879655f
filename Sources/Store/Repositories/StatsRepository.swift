// Statistics over the labels: counts and inter-annotator agreement (see Agreement.swift).
public struct StatsRepository {
    let c: Connection
    public init(_ connection: Connection) { c = connection }

    /// Agreement over live, not both-bad pairwise and ranking judgments (human only unless
    /// `includeAI`). When an annotator judged a prompt more than once, their latest judgment counts.
    /// Streams prompt by prompt; memory grows with annotators, not labels.
    public func agreement(includeAI: Bool = false) throws -> AgreementReport {
        var report = AgreementReport()
        var total = Agreement.Coincidences()
        var deltas: [Int64: Agreement.Coincidences] = [:]
        let names = Dictionary(try AnnotatorRepository(c).all().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })

        // The current prompt's judgments: annotator -> (judgment id, response -> rank).
        var promptID: Int64 = -1
        var byAnnotator: [Int64: (judgment: Int64, ranks: [Int64: Int])] = [:]

        func finishPrompt() {
            guard promptID >= 0, byAnnotator.count >= 2 else { byAnnotator.removeAll(); return }
            var score = AgreementScore()
            let coders = byAnnotator.keys.sorted()
            let dense = Dictionary(uniqueKeysWithValues: coders.map { a -> (Int64, [Int64: Int]) in
                let ranks = byAnnotator[a]!.ranks
                let ids = Array(ranks.keys)
                return (a, Dictionary(uniqueKeysWithValues: zip(ids, Agreement.dense(ids.map { ranks[$0]! }))))
            })
            // Percent agreement over response pairs.
            let responses = Array(Set(dense.values.flatMap(\.keys))).sorted()
            for (x, lo) in responses.enumerated() {
                for hi in responses[(x + 1)...] {
                    let values: [(Int64, Int)] = coders.compactMap { a in
                        guard let r1 = dense[a]![lo], let r2 = dense[a]![hi] else { return nil }
                        return (a, r1 < r2 ? 1 : r1 > r2 ? -1 : 0)
                    }
                    guard values.count >= 2 else { continue }
                    for i in 0..<values.count {
                        for j in (i + 1)..<values.count {
                            let same = values[i].1 == values[j].1
                            score.comparisons += 1
                            if same { score.agreements += 1 }
                            for a in [values[i].0, values[j].0] {
                                report.annotators[a, default: AnnotatorAgreement(annotatorID: a, name: names[a] ?? "")].comparisons += 1
                                if same { report.annotators[a]!.agreements += 1 }
                            }
                        }
                    }
                }
            }
            // Alpha over responses as units.
            var local = Agreement.Coincidences()
            for r in responses {
                let unit = coders.compactMap { a in dense[a]![r].map { (a, $0) } }
                local.add(unit: unit.map(\.1))
                if unit.count >= 2 {
                    for (a, _) in unit {
                        deltas[a, default: Agreement.Coincidences()].add(unit: unit.filter { $0.0 != a }.map(\.1))
                        deltas[a]!.add(unit: unit.map(\.1), sign: -1)
                    }
                }
            }
            score.alpha = local.ordinalAlpha
            total.add(local)
            report.overall.comparisons += score.comparisons
            report.overall.agreements += score.agreements
            report.prompts[promptID] = score
            byAnnotator.removeAll()
        }

        let sql = """
            SELECT j.prompt_id, j.annotator_id, j.id, r.response_id, r.rank
            FROM judgments j JOIN judgment_ranks r ON r.judgment_id = j.id
            WHERE \(LiveLabel.judgment) AND j.both_bad = 0 AND j.kind IN ('pairwise', 'ranking')
            """ + (includeAI ? "" : " AND j.origin = 'human'") + " ORDER BY j.prompt_id, j.annotator_id, j.id"
        try c.prepare(sql).forEach { s in
            let p = s.int(0), a = s.int(1), j = s.int(2)
            if p != promptID { finishPrompt(); promptID = p }
            if let current = byAnnotator[a], current.judgment != j {
                if j > current.judgment { byAnnotator[a] = (j, [:]) } else { return }
            }
            byAnnotator[a, default: (j, [:])].ranks[s.int(3)] = Int(s.int(4))
        }
        finishPrompt()
        report.overall.alpha = total.ordinalAlpha
        for (a, delta) in deltas {
            var without = total
            without.add(delta)
            report.annotators[a, default: AnnotatorAgreement(annotatorID: a, name: names[a] ?? "")].alphaWithout = without.ordinalAlpha
        }
        return report
    }

    /// Row counts of the main tables and derived pairs, for `hilo db stats`.
    public func counts() throws -> [(table: String, rows: Int)] {
        var out: [(String, Int)] = []
        for table in ["annotators", "prompts", "responses", "judgments", "preference_pairs", "leases", "model_versions", "training_runs"] {
            out.append((table, Int(try c.scalar("SELECT count(*) FROM \(table)"))))
        }
        out.append(("undone judgments", Int(try c.scalar("SELECT count(*) FROM judgments WHERE undone_at IS NOT NULL"))))
        out.append(("ai judgments", Int(try c.scalar("SELECT count(*) FROM judgments WHERE origin = 'ai'"))))
        return out
    }
}
