-- Hilo's data model, version 1. This file is the data documentation.
--
-- How it is applied: Store's `Database` runs it on a fresh file inside one transaction and sets
-- PRAGMA user_version = 1. Later changes are NOT made here: they are appended to the ordered list
-- `Migrations.steps` in Sources/Store/Schema/Migrations.swift (version 2, 3, …), each run once in its own
-- transaction. A migration that has shipped is never edited; fix mistakes with a new one. This file
-- stays exactly what version 1 was, so an old database and a new one end up identical.
--
-- Later versions, each documented in its own file:
--   2  Sources/Store/Schema/Migration2.swift: held-out prompts, model lineage and promotions, training
--      progress and logs, reward-model scores of responses, evaluation preparation and leases.
--   3  Sources/Store/Schema/Migration3.swift: prompts.labels, the coverage counter next-task reads, kept
--      exact by triggers.
--   4  Sources/Store/Schema/Migration4.swift: drops judgments_by_annotator (lookups by annotator use the
--      UNIQUE (annotator_id, idempotency_key) index), so a label writes fewer pages.
--   5  Sources/Store/Schema/Migration5.swift: assignments is renamed leases and
--      judgments.assignment_id lease_id (one name for what next-lease hands out).
--
-- Conventions:
--   * ids are INTEGER PRIMARY KEY (the rowid): stable, never reused after a delete (AUTOINCREMENT
--     where an id leaves the machine, e.g. in an export or a URL).
--   * times are INTEGER Unix milliseconds (UTC), named *_at.
--   * JSON columns hold JSON text (checked with json_valid) and are named for what they hold.
--   * secrets are never stored: tokens are kept as their SHA-256 (32-byte BLOB), *_hash.
--   * content hashes are SHA-256 BLOBs of a canonical form (see each table); they make import
--     idempotent: re-importing a file inserts nothing.
--   * foreign keys are enforced (PRAGMA foreign_keys = ON on every connection).

-- People (and programs) who label. `role` decides what the API lets them do. The pseudo annotators
-- 'imported' (labels that came in with `hilo import`) and AI judges (RLAIF) have no token.
CREATE TABLE annotators (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    role        TEXT    NOT NULL DEFAULT 'annotator' CHECK (role IN ('annotator', 'admin')),
    token_hash  BLOB    UNIQUE CHECK (token_hash IS NULL OR length(token_hash) = 32),
    created_at  INTEGER NOT NULL,
    disabled    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);

-- Browser logins: the cookie holds a random token, this table its hash. Expired rows are ignored
-- by lookups and deleted by `SessionRepository.deleteExpired`.
CREATE TABLE sessions (
    token_hash    BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    annotator_id  INTEGER NOT NULL REFERENCES annotators(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_annotator ON sessions(annotator_id);

-- What annotators see first. Either plain text (messages IS NULL) or a conversation: `messages` is
-- a JSON array of {"role": "system"|"user"|"assistant", "content": text} ending with a user turn,
-- and `text` is then its Anthropic-HH rendering ("\n\nHuman: …\n\nAssistant: …\n\nHuman: …") so
-- string-form exports and search have one text. content_hash = SHA-256 of "text\0" + text for plain
-- prompts, of "messages\0" + the canonical messages JSON for conversations.
CREATE TABLE prompts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    text          TEXT    NOT NULL,
    messages      TEXT    CHECK (messages IS NULL OR json_valid(messages)),
    source        TEXT,                       -- where it came from, e.g. the import file name
    tags          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),      -- JSON array of strings
    metadata      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),  -- JSON object, free form
    content_hash  BLOB    NOT NULL UNIQUE CHECK (length(content_hash) = 32),
    created_at    INTEGER NOT NULL
);

-- Candidate answers to a prompt. `origin` says who wrote it: 'import:<file name>' for imported
-- text, 'model:<model version name>' for generated text (then model_version_id is set too).
-- One text per prompt: content_hash = SHA-256 of the text, unique per prompt.
CREATE TABLE responses (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    prompt_id         INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    text              TEXT    NOT NULL,
    origin            TEXT    NOT NULL,
    model_version_id  INTEGER REFERENCES model_versions(id),
    sampling          TEXT    CHECK (sampling IS NULL OR json_valid(sampling)),  -- {"temperature":…,"top_p":…,"seed":…}
    content_hash      BLOB    NOT NULL CHECK (length(content_hash) = 32),
    created_at        INTEGER NOT NULL,
    UNIQUE (prompt_id, content_hash)
);

-- One act of labelling by one annotator on one prompt.
--   kind      pairwise  two responses ranked (judgment_ranks, ranks 1 and 2, or 1 and 1 for a tie)
--             ranking   K >= 2 responses ranked, 1 = best, equal ranks are ties
--             rating    per-response, per-criterion scores (judgment_ratings)
--             feedback  thumbs up/down on responses (judgment_thumbs) and/or a rationale
--             rewrite   an annotator-written better response (`rewrite`); imported SFT
--                       demonstrations are rewrites by 'imported'
--             skip      the annotator passed on the prompt; no label
--   origin    'human' or 'ai' (RLAIF judges). Exports are human-only unless asked otherwise.
--   both_bad  every shown response is unacceptable: no preference pair, kept in raw export.
--   undone_at set when the annotator undid it: excluded from pairs, statistics and exports
--             (except raw, which shows it), never deleted.
--   idempotency_key  the client's key for the submit; a retried submit with the same key returns
--             the first judgment instead of counting twice. Imports use 'import:<content hash>'.
CREATE TABLE judgments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    annotator_id     INTEGER NOT NULL REFERENCES annotators(id),
    prompt_id        INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('pairwise', 'ranking', 'rating', 'feedback', 'rewrite', 'skip')),
    origin           TEXT    NOT NULL DEFAULT 'human' CHECK (origin IN ('human', 'ai')),
    both_bad         INTEGER NOT NULL DEFAULT 0 CHECK (both_bad IN (0, 1)),
    rationale        TEXT,
    rewrite          TEXT,
    time_spent_ms    INTEGER CHECK (time_spent_ms IS NULL OR time_spent_ms >= 0),
    assignment_id    INTEGER REFERENCES assignments(id),
    idempotency_key  TEXT,
    created_at       INTEGER NOT NULL,
    undone_at        INTEGER,
    UNIQUE (annotator_id, idempotency_key)
);
CREATE INDEX judgments_by_prompt ON judgments(prompt_id, annotator_id);
CREATE INDEX judgments_by_annotator ON judgments(annotator_id, created_at);  -- dropped in version 4
CREATE INDEX judgments_by_created ON judgments(created_at);

-- The order a judgment put responses in: 1 = best; equal ranks are ties.
CREATE TABLE judgment_ranks (
    judgment_id  INTEGER NOT NULL REFERENCES judgments(id) ON DELETE CASCADE,
    response_id  INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    rank         INTEGER NOT NULL CHECK (rank >= 1),
    PRIMARY KEY (judgment_id, response_id)
) WITHOUT ROWID;
CREATE INDEX judgment_ranks_by_response ON judgment_ranks(response_id);

-- Likert scores, 1 (worst) to 7 (best), per response and criterion ('helpfulness', 'harmlessness', …).
CREATE TABLE judgment_ratings (
    judgment_id  INTEGER NOT NULL REFERENCES judgments(id) ON DELETE CASCADE,
    response_id  INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    criterion    TEXT    NOT NULL,
    score        INTEGER NOT NULL CHECK (score BETWEEN 1 AND 7),
    PRIMARY KEY (judgment_id, response_id, criterion)
) WITHOUT ROWID;

-- Thumbs: +1 up, -1 down, per response. Feed the KTO export.
CREATE TABLE judgment_thumbs (
    judgment_id  INTEGER NOT NULL REFERENCES judgments(id) ON DELETE CASCADE,
    response_id  INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    thumb        INTEGER NOT NULL CHECK (thumb IN (-1, 1)),
    PRIMARY KEY (judgment_id, response_id)
) WITHOUT ROWID;

-- Preference pairs, derived and never stored: every strictly ordered pair of a live (not undone),
-- not both-bad pairwise or ranking judgment (InstructGPT: K ranked responses give up to K(K-1)/2
-- pairs; ties give none between the tied responses, so an all-tie judgment gives no pair).
CREATE VIEW preference_pairs AS
SELECT j.id AS judgment_id, j.annotator_id, j.prompt_id, j.origin, j.created_at,
       w.response_id AS chosen_id, l.response_id AS rejected_id
FROM judgments j
JOIN judgment_ranks w ON w.judgment_id = j.id
JOIN judgment_ranks l ON l.judgment_id = j.id AND w.rank < l.rank
WHERE j.undone_at IS NULL AND j.both_bad = 0 AND j.kind IN ('pairwise', 'ranking');

-- Who is working on what (renamed `leases` in version 5): next-task hands out a prompt with a lease; a lease that expires without
-- a judgment returns the prompt to the pool. completed_at is set when the judgment (or skip) lands.
CREATE TABLE assignments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    prompt_id     INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    annotator_id  INTEGER NOT NULL REFERENCES annotators(id),
    leased_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    completed_at  INTEGER
);
CREATE INDEX assignments_open ON assignments(prompt_id, expires_at) WHERE completed_at IS NULL;
CREATE INDEX assignments_by_annotator ON assignments(annotator_id, completed_at);

-- Checkpoints the engine wrote. kind: policy (writes responses), reward (scores them), reference
-- (the frozen policy for DPO/KL), value (PPO's critic). At most one serving model per kind.
CREATE TABLE model_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('policy', 'reward', 'reference', 'value')),
    parent_id   INTEGER REFERENCES model_versions(id),
    path        TEXT    NOT NULL,                  -- the checkpoint folder (safetensors + config)
    created_at  INTEGER NOT NULL,
    metrics     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
    serving     INTEGER NOT NULL DEFAULT 0 CHECK (serving IN (0, 1))
);
CREATE UNIQUE INDEX model_versions_one_serving ON model_versions(kind) WHERE serving = 1;

-- Retraining jobs. labels_used counts the labels the run trained on and label_watermark is the
-- largest judgment id it saw, so the scheduler knows how many new labels have arrived since.
CREATE TABLE training_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL CHECK (kind IN ('sft', 'reward', 'dpo', 'ipo', 'kto', 'ppo')),
    status           TEXT    NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    config           TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    base_model_id    INTEGER REFERENCES model_versions(id),
    output_model_id  INTEGER REFERENCES model_versions(id),
    labels_used      INTEGER NOT NULL DEFAULT 0,
    label_watermark  INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER
);
CREATE INDEX training_runs_by_status ON training_runs(status, created_at);

-- Metrics over time for a run: one row per (step, name), e.g. (120, 'loss', 0.61).
CREATE TABLE training_metrics (
    run_id     INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
    step       INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    value      REAL    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, step, name)
) WITHOUT ROWID;

-- Blind side-by-side evaluations of two model versions.
CREATE TABLE eval_campaigns (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    model_a_id  INTEGER NOT NULL REFERENCES model_versions(id),
    model_b_id  INTEGER NOT NULL REFERENCES model_versions(id),
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    config      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    created_at  INTEGER NOT NULL,
    CHECK (model_a_id <> model_b_id)
);

-- One blind comparison: response_a from model A, response_b from model B; `swapped` = shown as B
-- then A (randomised so position does not leak the model). winner is NULL until judged.
CREATE TABLE eval_comparisons (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id    INTEGER NOT NULL REFERENCES eval_campaigns(id) ON DELETE CASCADE,
    prompt_id      INTEGER NOT NULL REFERENCES prompts(id),
    response_a_id  INTEGER NOT NULL REFERENCES responses(id),
    response_b_id  INTEGER NOT NULL REFERENCES responses(id),
    swapped        INTEGER NOT NULL DEFAULT 0 CHECK (swapped IN (0, 1)),
    annotator_id   INTEGER REFERENCES annotators(id),
    winner         TEXT    CHECK (winner IS NULL OR winner IN ('a', 'b', 'tie')),
    created_at     INTEGER NOT NULL,
    judged_at      INTEGER
);
CREATE INDEX eval_comparisons_by_campaign ON eval_comparisons(campaign_id, winner);

-- Server settings edited by admins: key -> JSON value.
CREATE TABLE settings (
    key         TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL CHECK (json_valid(value)),
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Replies to non-judgment POSTs (skip, thumbs, settings …) by idempotency key, so a retried
-- request replays the first reply instead of acting twice. Old rows may be pruned.
CREATE TABLE idempotency (
    annotator_id  INTEGER NOT NULL REFERENCES annotators(id) ON DELETE CASCADE,
    key           TEXT    NOT NULL,
    response      TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (annotator_id, key)
) WITHOUT ROWID;
