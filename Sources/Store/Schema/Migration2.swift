// Schema version 2: the training loop. What retraining, model versions, on-policy candidates, AI
// pre-labels and blind evaluations need on top of version 1 (schema.sql). Shipped: never edit this
// text; fix mistakes with a version 3. The comments are part of the data documentation, as in
// schema.sql.
extension Migrations {
    static let version2 = """
        -- Held-out prompts are for evaluation only: never handed to annotators by next-task, never
        -- given candidates by the background generator, never trained on. The demo seeds 100 of them.
        ALTER TABLE prompts ADD COLUMN heldout INTEGER NOT NULL DEFAULT 0 CHECK (heldout IN (0, 1));

        -- Lineage of a version beyond parent_id: the run that wrote it (NULL for a starter or a folder
        -- given with --policy), how many labels that run trained on; pruned_at is set when pruning
        -- deleted its folder (the row stays, so lineage and evaluations keep their names).
        ALTER TABLE model_versions ADD COLUMN run_id INTEGER REFERENCES training_runs(id);
        ALTER TABLE model_versions ADD COLUMN labels_used INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE model_versions ADD COLUMN pruned_at INTEGER;

        -- Every change of the serving version of a kind, newest last: promotions by an admin, by the
        -- automatic rule, and rollbacks (a rollback promotes the version that served before). `reason`
        -- is the sentence shown on the admin page (e.g. the promotion rule's verdict with its numbers).
        CREATE TABLE model_promotions (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            model_id      INTEGER NOT NULL REFERENCES model_versions(id),
            kind          TEXT    NOT NULL CHECK (kind IN ('policy', 'reward', 'reference', 'value')),
            previous_id   INTEGER REFERENCES model_versions(id),
            trigger       TEXT    NOT NULL CHECK (trigger IN ('admin', 'automatic', 'rollback', 'bootstrap')),
            annotator_id  INTEGER REFERENCES annotators(id),   -- the admin, for 'admin' and 'rollback'
            reason        TEXT    NOT NULL DEFAULT '',
            created_at    INTEGER NOT NULL
        );
        CREATE INDEX model_promotions_by_kind ON model_promotions(kind, id);

        -- Why a run was queued and how far it has got. trigger: 'threshold' (enough new human labels),
        -- 'admin' (the retrain button or API). phase: what it is doing now ('reward', 'policy',
        -- 'evaluate', 'save'); step/total_steps: the phase's optimizer steps, for the progress bar.
        ALTER TABLE training_runs ADD COLUMN trigger TEXT NOT NULL DEFAULT 'admin' CHECK (trigger IN ('threshold', 'admin'));
        ALTER TABLE training_runs ADD COLUMN requested_by INTEGER REFERENCES annotators(id);
        ALTER TABLE training_runs ADD COLUMN phase TEXT;
        ALTER TABLE training_runs ADD COLUMN step INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE training_runs ADD COLUMN total_steps INTEGER NOT NULL DEFAULT 0;

        -- A run's log, one line per row in order (seq counts from 1 per run), streamed to the admin page.
        CREATE TABLE training_log (
            run_id      INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
            seq         INTEGER NOT NULL,
            level       TEXT    NOT NULL DEFAULT 'info' CHECK (level IN ('info', 'warning', 'error')),
            message     TEXT    NOT NULL,
            created_at  INTEGER NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;

        -- A reward model's score of a response (RLAIF pre-labels and the admin's view). The confidence of
        -- a pair under a reward model is sigma(|score_a - score_b|). Annotators never see these unless the
        -- setting `rlaif.show_scores_to_annotators` is on.
        CREATE TABLE response_scores (
            response_id  INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
            model_id     INTEGER NOT NULL REFERENCES model_versions(id),
            score        REAL    NOT NULL,
            created_at   INTEGER NOT NULL,
            PRIMARY KEY (response_id, model_id)
        ) WITHOUT ROWID;
        CREATE INDEX response_scores_by_model ON response_scores(model_id);

        -- Evaluation campaigns: prepared_at is set once both versions' outputs exist and the comparisons
        -- are created (until then the campaign is 'preparing' to the API); error says why preparing
        -- failed; metrics holds the automatic measures (reward-model win rate, mean rewards, KL to the
        -- reference) as a JSON object.
        ALTER TABLE eval_campaigns ADD COLUMN prepared_at INTEGER;
        ALTER TABLE eval_campaigns ADD COLUMN error TEXT;
        ALTER TABLE eval_campaigns ADD COLUMN metrics TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics));

        -- A comparison handed to an annotator is leased to them until lease_expires_at, so two people
        -- are not shown the same one at once; an expired lease returns it to the pool.
        ALTER TABLE eval_comparisons ADD COLUMN leased_by INTEGER REFERENCES annotators(id);
        ALTER TABLE eval_comparisons ADD COLUMN lease_expires_at INTEGER;
        CREATE INDEX eval_comparisons_open ON eval_comparisons(campaign_id, lease_expires_at) WHERE winner IS NULL;
        """
}
