// Every call to Hilo's JSON API goes through this module: one api() wrapper that sends JSON,
// checks response.ok, turns {"error":{"message":…}} into an ApiError and reports failures in plain
// words in the page's aria-live region. If a route changes, only this file changes.

const BASE = '/api/v1';

/** An HTTP error from the server: `status` is the code, `message` the server's own words. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The request never got an answer (server down, connection dropped). Safe to retry when keyed. */
export class NetworkError extends Error {}

// ---- the status region ----------------------------------------------------------------------

let statusTimer = null;

/** Shows `message` in the page's aria-live region (#status); kind: info | error | busy. */
export function notify(message, kind = 'info') {
  const el = document.getElementById('status');
  if (!el) return;
  clearTimeout(statusTimer);
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = !message;
  if (message && kind === 'info') statusTimer = setTimeout(() => { el.hidden = true; el.textContent = ''; }, 4000);
}

/** Plain words for an error, for people rather than programmers. */
export function describe(err) {
  if (err instanceof NetworkError) return 'Cannot reach the server. Check your connection.';
  if (err instanceof ApiError) {
    if (err.status === 401) return 'You are not logged in. Open your login link again.';
    if (err.status === 403) return 'You do not have permission to do that.';
    if (err.status === 413) return 'That is too large for the server to accept.';
    if (err.status === 429) return 'Too many requests; wait a moment and try again.';
    return err.message || `The server answered with an error (${err.status}).`;
  }
  return String(err?.message || err);
}

// ---- the wrapper ------------------------------------------------------------------------------

/**
 * Calls `method path` under /api/v1. `body` is sent as JSON; `key` becomes the Idempotency-Key
 * header. Returns the parsed JSON (null for an empty body). Throws ApiError or NetworkError.
 */
export async function api(method, path, { body, key, quiet = false, timeoutMs = 30000 } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (key) headers['Idempotency-Key'] = key;
  // A server that accepted the connection but never answers must not hang the page forever.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let res, text;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: abort.signal,
    });
    text = await res.text();
  } catch (e) {
    const err = new NetworkError(e.name === 'AbortError' ? 'the server did not answer in time' : e.message);
    if (!quiet) notify(describe(err), 'error');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data?.error?.message || res.statusText || `HTTP ${res.status}`);
    if (!quiet) notify(describe(err), 'error');
    throw err;
  }
  return data;
}

/** Worth retrying with the same idempotency key: no answer, or a server saying "not now". */
export const isTransient = (e) => e instanceof NetworkError || (e instanceof ApiError && [502, 503, 504].includes(e.status));

/**
 * Runs `call` until it gets a definite answer, retrying transient failures with backoff (at most
 * 3 s apart). Only for requests carrying an idempotency key, so a retry can never count twice.
 * `onRetry(attempt, error)` is told about each retry.
 */
export async function withRetry(call, onRetry = () => {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!isTransient(e)) throw e;
      onRetry(attempt, e);
      await new Promise((r) => setTimeout(r, Math.min(400 * 2 ** (attempt - 1), 3000)));
    }
  }
}

export const newKey = () =>
  (crypto.randomUUID ? crypto.randomUUID() : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(''));

// ---- annotator routes ---------------------------------------------------------------------------

export const me = () => api('GET', '/me', { quiet: true });
export const logout = () => api('POST', '/logout', { body: {} });

/** Wires a "Log out" button: ends the session on the server, then shows `onDone`'s page. */
export function logoutButton(button, onDone) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await logout();
      onDone();
    } catch { /* shown in the status region */ }
  });
}

/** The next lease (a prompt and its shown responses, held for this annotator), or null when nothing is left. */
export async function nextLease() {
  const data = await api('GET', '/leases/next');
  const t = data?.lease;
  if (!t) return null;
  return {
    leaseId: t.id,
    expiresAt: t.expires_at,
    promptId: t.prompt.id,
    prompt: { text: t.prompt.text, messages: t.prompt.messages || null },
    responses: t.responses.map((r) => ({ id: r.id, label: r.label, text: r.text })),
    criteria: t.criteria || null,
  };
}

/** Submits one judgment (shape built by annotate.js); `key` is the idempotency key. */
export async function submitJudgment(j, key) {
  const body = {
    lease_id: j.leaseId,
    prompt_id: j.promptId,
    kind: j.kind,
    ranks: j.ranks.map((r) => ({ response_id: r.responseId, rank: r.rank })),
    both_bad: j.bothBad,
    ratings: j.ratings.map((r) => ({ response_id: r.responseId, criterion: r.criterion, score: r.score })),
    thumbs: j.thumbs.map((t) => ({ response_id: t.responseId, up: t.up })),
    rationale: j.rationale,
    rewrite: j.rewrite,
    time_spent_ms: j.timeSpentMs,
    idempotency_key: key,
  };
  const out = await api('POST', '/judgments', { body, key, quiet: true });
  return { id: out.judgment.id, undoUntil: out.undo_until };
}

export const skipLease = (lease, key) =>
  api('POST', `/leases/${encodeURIComponent(lease.leaseId)}/skip`, { body: { idempotency_key: key }, key, quiet: true });

export const undoJudgment = (id) => api('POST', `/judgments/${encodeURIComponent(id)}/undo`, { body: {}, quiet: true });

/** The id of this annotator's newest judgment that is not undone and not a skip, or null. */
export async function lastJudgmentId() {
  const data = await api('GET', '/me/judgments?limit=50', { quiet: true });
  const j = (data?.judgments || []).find((x) => x.undone_at === null || x.undone_at === undefined ? x.kind !== 'skip' : false);
  return j ? j.id : null;
}

export async function progress() {
  const p = await api('GET', '/me/progress', { quiet: true });
  return { today: p.done_today, total: p.done_total, skipped: p.skipped, remaining: p.left };
}

/** What the annotator page needs from the settings: criteria and guidelines. */
export async function annotatorConfig() {
  const s = await api('GET', '/guidelines', { quiet: true });
  return { guidelines: s.guidelines ?? '', criteria: s.criteria ?? undefined };
}

// ---- admin routes -------------------------------------------------------------------------------
// Each maps the wire's snake_case to the page's camelCase: flat records key by key with camel(),
// nested ones field by field. Metric names used as keys (TRL's `eval/accuracy`) are data, not
// fields, and stay as they are.

const many = (xs, f) => (xs || []).map(f);
/** A flat record with its snake_case keys in camelCase (`labels_last24h` → `labelsLast24h`); null stays null. */
const camel = (o) => o && Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()), v]));
/** The reverse, for request bodies. */
const snake = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));

/** The dashboard's statistics over the last `days` days. */
export async function stats(days = 30) {
  const s = await api('GET', `/stats?days=${days}`);
  return {
    totals: s.totals, agreement: camel(s.agreement), days: many(s.days, camel), annotators: many(s.annotators, camel),
    coverage: { ...camel(s.coverage), byJudgments: many(s.coverage.by_judgments, camel) },
  };
}

export const annotators = async () => many((await api('GET', '/annotators')).annotators, camel);
/** Creates an annotator; returns { annotator, loginUrl } (the link is shown once). */
export async function createAnnotator(name, role) {
  const out = await api('POST', '/annotators', { body: { name, role } });
  return { annotator: camel(out.annotator), loginUrl: out.login_url };
}
export const setAnnotatorDisabled = (id, disabled) => api('POST', `/annotators/${encodeURIComponent(id)}/${disabled ? 'disable' : 'enable'}`, { body: {} });
export async function renewLoginLink(id) {
  const out = await api('POST', `/annotators/${encodeURIComponent(id)}/login-link`, { body: {} });
  return { annotator: camel(out.annotator), loginUrl: out.login_url };
}

/** The settings: top-level fields and the retraining, candidates and rlaif sections (a missing one reads as {}). */
export async function settings() {
  const s = await api('GET', '/settings');
  return { ...camel(s), retraining: camel(s.retraining || {}), candidates: camel(s.candidates || {}), rlaif: camel(s.rlaif || {}) };
}
/** Saves what the page gives, in settings()'s names (the server changes only the fields given). */
export const saveSettings = ({ retraining, candidates, rlaif, ...top }) =>
  api('PUT', '/settings', { body: { ...snake(top), retraining: snake(retraining), candidates: snake(candidates), rlaif: snake(rlaif) } });

export const IMPORT_FORMATS = ['prompts', 'responses', 'trl', 'hh', 'sft'];
export const EXPORT_FORMATS = ['trl', 'hh', 'rm-static', 'kto', 'sft', 'raw'];

/**
 * Uploads an import file with XMLHttpRequest (fetch cannot report upload progress).
 * onProgress(sentBytes, totalBytes). Resolves with the import report { rows, promptsAdded, …, errors,
 * failed }; rejects with ApiError or NetworkError like api(). A 422 report (a --strict stop) has `failed: true`.
 */
export function uploadImport(file, { format, type, strict }, onProgress = () => {}) {
  const q = new URLSearchParams({ format, type });
  if (strict) q.set('strict', 'true');
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${BASE}/import?${q}`);
    xhr.setRequestHeader('Content-Type', type === 'csv' ? 'text/csv' : 'application/x-ndjson');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.upload.addEventListener('load', () => onProgress(file.size, file.size));
    xhr.addEventListener('error', () => { const err = new NetworkError('upload failed'); notify(describe(err), 'error'); reject(err); });
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) return resolve({ ...camel(data || {}), failed: false });
      if (xhr.status === 422 && data && data.rows !== undefined) return resolve({ ...camel(data), failed: true });
      const err = new ApiError(xhr.status, data?.error?.message || `HTTP ${xhr.status}`);
      notify(describe(err), 'error');
      reject(err);
    });
    xhr.send(file);
  });
}

/**
 * The URL that downloads an export; `filters` in the page's names (minAgreement, includeAi,
 * testFraction, …). Empty, false or missing filters are left out; a list repeats its parameter.
 */
export function exportURL(format, filters = {}) {
  const q = new URLSearchParams({ format });
  for (const [k, v] of Object.entries(snake(filters))) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    for (const item of Array.isArray(v) ? v : [v]) q.append(k, item === true ? 'true' : String(item));
  }
  return `${BASE}/export?${q}`;
}

/**
 * Routes of the training loop (training runs, model versions, evaluations). Resolves null when the
 * server does not have the route (404), so the page can show an empty state.
 */
export async function optional(path) {
  try {
    return await api('GET', path, { quiet: true });
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    notify(describe(e), 'error');
    throw e;
  }
}

/** Training runs, newest first, or null without the route. */
export const trainingRuns = async () => { const d = await optional('/training/runs'); return d && many(d.runs, camel); };
/** A run's metrics ({ name, step, value }) and log ({ level, message }), or null. */
export async function trainingRun(id) {
  const d = await optional(`/training/runs/${encodeURIComponent(id)}`);
  return d && { metrics: many(d.metrics, camel), log: many(d.log, camel) };
}
export const trainingStatus = async () => camel(await optional('/training/status'));
export const candidateStatus = async () => camel(await optional('/candidates/status'));

/** The automatic measures between A and B: the reward model's verdicts (a side-by-side result from
 * B's viewpoint), mean rewards and KL to the reference. */
const measures = (m) => m && { ...camel(m), rewardWinRate: camel(m.reward_win_rate) };
const model = (m) => {
  const t = m.metrics || {};
  return { ...camel(m), metrics: { ...t, promotion: t.promotion && { ...t.promotion, measures: measures(t.promotion.measures) } } };
};
/** Model versions with their lineage and metrics, or null without the route. */
export const models = async () => { const d = await optional('/models'); return d && many(d.models, model); };
export const retrain = () => api('POST', '/training/runs', { body: {} });
export const cancelRun = (id) => api('POST', `/training/runs/${encodeURIComponent(id)}/cancel`, { body: {} });
export const promoteModel = (id) => api('POST', `/models/${encodeURIComponent(id)}/promote`, { body: {} });
/** Serves the version that served before the current one of `kind`; returns that version. */
export const rollbackModel = async (kind) => model((await api('POST', '/models/rollback', { body: { kind } })).model);
/** Server-Sent Events of a run (progress, metric, log, done); the caller closes it. */
export const runEvents = (id) => new EventSource(`${BASE}/training/runs/${encodeURIComponent(id)}/events`);

/** Evaluation campaigns, or null without the route. */
export const evaluations = async () => { const d = await optional('/evaluations'); return d && many(d.campaigns, camel); };
/** One campaign with its human result (B's viewpoint), automatic measures and progress (0–1). */
export async function evaluation(id) {
  const d = await api('GET', `/evaluations/${encodeURIComponent(id)}`);
  return { campaign: camel(d.campaign), result: camel(d.result), automatic: measures(d.automatic), progress: d.progress };
}
/** Creates a campaign { modelA, modelB, prompts?, tag? } (version names); returns it. */
export const createEvaluation = async (body) => camel((await api('POST', '/evaluations', { body: snake(body) })).campaign);
export const closeEvaluation = (id) => api('POST', `/evaluations/${encodeURIComponent(id)}/close`, { body: {} });
/** Every policy version by Bradley–Terry, or null without the route. */
export async function leaderboard() {
  const b = await optional('/leaderboard');
  return b && { ...camel(b), entries: many(b.entries, camel) };
}

// ---- blind evaluation ---------------------------------------------------------------------------

/** The next blind comparison { id, prompt, left, right, leaseExpiresAt } or null. */
export async function nextComparison() {
  return camel((await api('GET', '/evaluations/next', { quiet: true }))?.comparison ?? null);
}
/** How many blind comparisons are waiting for you (leases nothing). */
export async function blindAvailable() {
  const out = await api('GET', '/evaluations/next?peek=1', { quiet: true });
  return out?.available ?? 0;
}
/** choice: 'left' | 'right' | 'tie' (as displayed; the server maps it to the versions). */
export const judgeComparison = (id, choice) => api('POST', `/evaluations/comparisons/${encodeURIComponent(id)}`, { body: { choice } });
