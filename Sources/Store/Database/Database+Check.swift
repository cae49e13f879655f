// `hilo db check`: SQLite's own integrity and foreign-key checks plus Hilo's consistency rules,
// which the schema's constraints cannot express on their own.
extension Database {
    /// Every problem found, one line each; empty when the database is sound.
    public func check() throws -> [String] {
        try read { c in
            var problems: [String] = []
            try c.prepare("PRAGMA integrity_check").forEach { s in
                let line = s.string(0)
                if line != "ok" { problems.append("integrity: \(line)") }
            }
            try c.prepare("PRAGMA foreign_key_check").forEach { s in
                problems.append("foreign key: \(s.string(0)) row \(s.int(1)) points to a missing \(s.string(2)) row")
            }
            let version = Int(try c.scalar("PRAGMA user_version"))
            if version != Migrations.latestVersion { problems.append("schema: version \(version), this hilo expects \(Migrations.latestVersion)") }
            var rules: [(String, String)] = [
                ("pairwise judgment without exactly 2 ranked responses", """
                    SELECT j.id FROM judgments j WHERE j.kind = 'pairwise'
                    AND (SELECT count(*) FROM judgment_ranks r WHERE r.judgment_id = j.id) <> 2
                    """),
                ("ranking judgment with fewer than 2 ranked responses", """
                    SELECT j.id FROM judgments j WHERE j.kind = 'ranking'
                    AND (SELECT count(*) FROM judgment_ranks r WHERE r.judgment_id = j.id) < 2
                    """),
                ("ranks on a judgment that is not pairwise or ranking", """
                    SELECT DISTINCT j.id FROM judgments j JOIN judgment_ranks r ON r.judgment_id = j.id
                    WHERE j.kind NOT IN ('pairwise', 'ranking')
                    """),
                ("judgment ranks a response of another prompt", """
                    SELECT DISTINCT j.id FROM judgments j JOIN judgment_ranks r ON r.judgment_id = j.id
                    JOIN responses x ON x.id = r.response_id WHERE x.prompt_id <> j.prompt_id
                    """),
                ("judgment rates a response of another prompt", """
                    SELECT DISTINCT j.id FROM judgments j JOIN judgment_ratings r ON r.judgment_id = j.id
                    JOIN responses x ON x.id = r.response_id WHERE x.prompt_id <> j.prompt_id
                    """),
                ("judgment thumbs a response of another prompt", """
                    SELECT DISTINCT j.id FROM judgments j JOIN judgment_thumbs t ON t.judgment_id = j.id
                    JOIN responses x ON x.id = t.response_id WHERE x.prompt_id <> j.prompt_id
                    """),
                ("rewrite judgment without a rewrite", "SELECT id FROM judgments WHERE kind = 'rewrite' AND coalesce(rewrite, '') = ''"),
                ("judgment undone before it was made", "SELECT id FROM judgments WHERE undone_at < created_at"),
                ("training run marked running without a start time", "SELECT id FROM training_runs WHERE status = 'running' AND started_at IS NULL"),
                ("finished training run without a finish time",
                 "SELECT id FROM training_runs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at IS NULL"),
                ("succeeded training run without an output model", "SELECT id FROM training_runs WHERE status = 'succeeded' AND output_model_id IS NULL"),
                ("model version that is its own parent", "SELECT id FROM model_versions WHERE parent_id = id"),
                ("lease completed before it began", "SELECT id FROM leases WHERE completed_at < leased_at"),
                ("eval comparison of responses to another prompt", """
                    SELECT e.id FROM eval_comparisons e JOIN responses a ON a.id = e.response_a_id JOIN responses b ON b.id = e.response_b_id
                    WHERE a.prompt_id <> e.prompt_id OR b.prompt_id <> e.prompt_id
                    """),
            ]
            if version >= 3 {
                rules.append(("prompt coverage counter (prompts.labels) out of step with its labels", """
                    SELECT p.id FROM prompts p WHERE p.labels <> (SELECT count(*) FROM judgments j JOIN annotators an ON an.id = j.annotator_id
                      WHERE j.prompt_id = p.id AND \(LiveLabel.counted)
                        AND an.token_hash IS NOT NULL)
                    """))
            }
            for (rule, sql) in rules {
                let ids = try c.prepare(sql + " LIMIT 11").all([]) { $0.int(0) }
                if !ids.isEmpty {
                    problems.append("\(rule): id \(ids.prefix(10).map(String.init).joined(separator: ", "))\(ids.count > 10 ? ", …" : "")")
                }
            }
            // Content hashes: a row edited by hand no longer matches, and import idempotency breaks.
            var badPrompts: [Int64] = []
            try c.prepare("SELECT id, text, messages, content_hash FROM prompts").forEach { s in
                let messages = try s.optionalString(2).map { try Conversation.messages(from: JSONValue.parse($0), field: "messages") }
                let expected = PromptRepository.contentHash(text: s.string(1), messages: messages)
                if expected != s.blob(3), badPrompts.count < 10 { badPrompts.append(s.int(0)) }
            }
            if !badPrompts.isEmpty { problems.append("prompt content hash does not match its text: id \(badPrompts.map(String.init).joined(separator: ", "))") }
            var badResponses: [Int64] = []
            try c.prepare("SELECT id, text, content_hash FROM responses").forEach { s in
                if SHA256.hash(s.string(1)) != s.blob(2), badResponses.count < 10 { badResponses.append(s.int(0)) }
            }
            if !badResponses.isEmpty { problems.append("response content hash does not match its text: id \(badResponses.map(String.init).joined(separator: ", "))") }
            return problems
        }
    }
}
