// Schema version 3: a coverage counter on prompts, so next-task finds the least-covered prompt
// through an index instead of counting every older prompt's labels (that scan grew with the number
// of fully labelled prompts). Shipped: never edit this text; fix mistakes with a version 4. The
// comments are part of the data documentation, as in schema.sql.
extension Migrations {
    static let version3 = """
        -- prompts.labels: the judgments that count toward the prompt's overlap target. A judgment
        -- counts when it is live (undone_at IS NULL), a label (kind not 'skip' or 'feedback'), by a
        -- human (origin = 'human'), and by someone who can log in (annotators.token_hash IS NOT NULL:
        -- not 'imported', not an AI judge). Never written by the application: the triggers below keep
        -- it in step with judgments and annotators inside the same transaction as the change, so it is
        -- exact after any insert, undo, delete or token change, whichever code path makes it.
        ALTER TABLE prompts ADD COLUMN labels INTEGER NOT NULL DEFAULT 0;

        UPDATE prompts SET labels = (
            SELECT count(*) FROM judgments j JOIN annotators an ON an.id = j.annotator_id
            WHERE j.prompt_id = prompts.id AND j.undone_at IS NULL AND j.kind NOT IN ('skip', 'feedback')
              AND j.origin = 'human' AND an.token_hash IS NOT NULL);

        -- Next-task walks the prompts that can be handed out by coverage, oldest first.
        CREATE INDEX prompts_by_coverage ON prompts(labels, id) WHERE heldout = 0;

        CREATE TRIGGER judgments_count_insert AFTER INSERT ON judgments
        WHEN NEW.undone_at IS NULL AND NEW.kind NOT IN ('skip', 'feedback') AND NEW.origin = 'human'
             AND (SELECT token_hash FROM annotators WHERE id = NEW.annotator_id) IS NOT NULL
        BEGIN
            UPDATE prompts SET labels = labels + 1 WHERE id = NEW.prompt_id;
        END;

        CREATE TRIGGER judgments_count_delete AFTER DELETE ON judgments
        WHEN OLD.undone_at IS NULL AND OLD.kind NOT IN ('skip', 'feedback') AND OLD.origin = 'human'
             AND (SELECT token_hash FROM annotators WHERE id = OLD.annotator_id) IS NOT NULL
        BEGIN
            UPDATE prompts SET labels = labels - 1 WHERE id = OLD.prompt_id;
        END;

        -- Undo sets undone_at; the other columns are never changed in place today, but a change to
        -- any of them moves the count correctly all the same.
        CREATE TRIGGER judgments_count_update AFTER UPDATE OF undone_at, kind, origin, prompt_id, annotator_id ON judgments
        BEGIN
            UPDATE prompts SET labels = labels - 1 WHERE id = OLD.prompt_id
                AND OLD.undone_at IS NULL AND OLD.kind NOT IN ('skip', 'feedback') AND OLD.origin = 'human'
                AND (SELECT token_hash FROM annotators WHERE id = OLD.annotator_id) IS NOT NULL;
            UPDATE prompts SET labels = labels + 1 WHERE id = NEW.prompt_id
                AND NEW.undone_at IS NULL AND NEW.kind NOT IN ('skip', 'feedback') AND NEW.origin = 'human'
                AND (SELECT token_hash FROM annotators WHERE id = NEW.annotator_id) IS NOT NULL;
        END;

        -- An annotator who gains or loses a login token gains or loses every counted label at once.
        CREATE TRIGGER annotators_count_token AFTER UPDATE OF token_hash ON annotators
        WHEN (OLD.token_hash IS NULL) <> (NEW.token_hash IS NULL)
        BEGIN
            UPDATE prompts SET labels = labels + (CASE WHEN NEW.token_hash IS NULL THEN -1 ELSE 1 END) * (
                SELECT count(*) FROM judgments j WHERE j.prompt_id = prompts.id AND j.annotator_id = NEW.id
                  AND j.undone_at IS NULL AND j.kind NOT IN ('skip', 'feedback') AND j.origin = 'human')
            WHERE id IN (SELECT prompt_id FROM judgments WHERE annotator_id = NEW.id);
        END;
        """
}
