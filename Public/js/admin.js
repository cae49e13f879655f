// The admin page: dashboard, annotators, import and export, settings, and the training loop's
// pages (runs, models, evaluations). One view at a time, chosen by the URL's #hash. Annotator
// sessions get a plain "admins only" message (and the API answers them 403 anyway).
import * as API from './api.js';
import { h, replace, formatDate } from './dom.js';
import { lineChart, barChart } from './charts.js';

const $ = (id) => document.getElementById(id);
const view = () => $('view');
let poll = null;

const VIEWS = {
  dashboard: { title: 'Dashboard', render: dashboard },
  annotators: { title: 'Annotators', render: annotators },
  data: { title: 'Import & export', render: data },
  settings: { title: 'Settings', render: settings },
  training: { title: 'Training runs', render: training },
  models: { title: 'Model versions', render: models },
  evaluations: { title: 'Evaluations', render: evaluations },
};

async function start() {
  let who;
  try {
    who = await API.me();
  } catch (e) {
    if (e instanceof API.ApiError && e.status === 401) {
      deny('You are not logged in. Open your admin login link (the server printed one on first start).');
    } else {
      deny(API.describe(e), 'Hilo is not answering');
    }
    return;
  }
  $('who').textContent = who.name;
  API.logoutButton($('btn-logout'), () => { location.href = '/'; });
  if (who.role !== 'admin') { deny(); return; }
  $('tabs').hidden = false;
  window.addEventListener('hashchange', () => route());
  route();
}

function deny(text, title = 'Admins only') {
  $('denied').hidden = false;
  $('denied').querySelector('h1').textContent = title;
  if (text) $('denied-text').textContent = text;
  $('tabs').hidden = true;
  replace(view());
}

/** Draws the view named by the URL's hash; `refresh` redraws it in place (live progress). */
async function route(refresh = false) {
  clearInterval(poll);
  const name = (location.hash || '#dashboard').slice(1);
  const v = VIEWS[name] || VIEWS.dashboard;
  document.querySelectorAll('#tabs a').forEach((a) => {
    if (a.getAttribute('href') === `#${name in VIEWS ? name : 'dashboard'}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  document.title = `Hilo · ${v.title}`;
  if (refresh !== true) replace(view(), h('h1', { text: v.title }), h('p', { class: 'muted', text: 'Loading…' }));
  try {
    const nodes = await v.render();
    replace(view(), h('h1', { text: v.title }), nodes);
  } catch (e) {
    if (e instanceof API.ApiError && e.status === 403) { deny(); return; }
    replace(view(), h('h1', { text: v.title }), h('p', { class: 'muted', text: `Could not load this page: ${API.describe(e)}` }));
  }
}

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);
const num = (v, d = 2) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));

function table(headers, rows, caption) {
  return h('div', { class: 'box' }, h('table', {},
    caption ? h('caption', { class: 'visually-hidden', text: caption }) : null,
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { text: t, attrs: { scope: 'col' } })))),
    h('tbody', {}, rows)));
}

// ---- dashboard ---------------------------------------------------------------------------------

async function dashboard() {
  const s = await API.stats(30);
  const t = s.totals;
  const cards = h('div', { class: 'cards' }, [
    ['Prompts', t.prompts], ['Responses', t.responses], ['Labels', t.labels], ['Preference pairs', t.pairs], ['Annotators', t.annotators],
    ['Agreement', pct(s.agreement.percent)], ["Krippendorff's α", num(s.agreement.alpha)],
  ].map(([name, value]) => h('div', { class: 'stat' }, h('div', { class: 'value', text: value }), h('div', { class: 'name', text: name }))));

  const days = s.days.map((d) => [Date.parse(`${d.day}T00:00:00Z`), d]);
  const overTime = lineChart([
    { name: 'labels', points: days.map(([x, d]) => [x, d.labels]) },
    { name: 'skips', points: days.map(([x, d]) => [x, d.skips]) },
  ], { title: 'Labels per day (last 30 days, UTC)', xFormat: (x) => new Date(x).toISOString().slice(5, 10) });

  const people = s.annotators.filter((a) => a.labels > 0);
  const through = barChart(people.map((a) => ({
    label: a.name, value: a.labels,
    note: `${a.labels} (24 h: ${a.labels_last24h}${a.median_seconds_per_label != null ? `, median ${num(a.median_seconds_per_label, 1)} s` : ''})`,
  })), { title: 'Labels per annotator' });

  const agree = table(['Annotator', 'Labels', 'Last 24 h', 'Median time', 'Agreement with others', 'α without them'],
    s.annotators.map((a) => h('tr', {},
      h('td', { text: a.name }), h('td', { class: 'num', text: a.labels }), h('td', { class: 'num', text: a.labels_last24h }),
      h('td', { class: 'num', text: a.median_seconds_per_label == null ? '—' : `${num(a.median_seconds_per_label, 1)} s` }),
      h('td', { class: 'num', text: pct(a.agreement_percent) }), h('td', { class: 'num', text: num(a.alpha_without) }))),
    'Throughput and agreement per annotator');

  // Queue coverage: prompts by how many labels that count toward overlap they have (capped at overlap).
  const c = s.coverage;
  const share = (n) => (c.prompts ? n / c.prompts : null);
  const coverage = h('div', { class: 'box', attrs: { id: 'coverage' } },
    h('h2', { text: 'Queue coverage' }),
    h('progress', { attrs: { max: Math.max(1, c.prompts), value: c.complete, 'aria-label': 'Prompts with all the labels they want' } }),
    h('p', { class: 'coverage-complete', text: `${c.complete} of ${c.prompts} prompts complete (${pct(share(c.complete))}) at overlap ${c.overlap}; ` +
      `${s.agreement.prompts_with_overlap} prompts have labels from more than one annotator (${s.agreement.comparisons} comparisons).` }),
    h('table', {},
      h('caption', { class: 'visually-hidden', text: 'Prompts by number of labels' }),
      h('thead', {}, h('tr', {}, ['Labels', 'Prompts', 'Share'].map((x) => h('th', { text: x, attrs: { scope: 'col' } })))),
      h('tbody', {}, c.by_judgments.map((b) => h('tr', {},
        h('td', { class: 'num', text: b.judgments === c.overlap ? `${b.judgments} (complete)` : b.judgments }),
        h('td', { class: 'num', text: b.prompts }), h('td', { class: 'num', text: pct(share(b.prompts)) }))))));
  return [cards, overTime, through, h('h2', { text: 'Throughput and agreement' }), agree, coverage];
}

// ---- annotators ----------------------------------------------------------------------------------

async function annotators() {
  const holder = h('div', {});
  const linkBox = h('div', { attrs: { 'aria-live': 'polite' } });
  const showLink = (name, url) => replace(linkBox, h('div', { class: 'box' },
    h('p', {}, h('strong', { text: `Login link for ${name}` }), ' — shown once; copy it now and send it privately.'),
    h('p', { class: 'link-once', text: url, attrs: { id: 'login-link' } }),
    h('button', { text: 'Copy link', attrs: { type: 'button' }, on: { click: () => navigator.clipboard?.writeText(url).then(() => API.notify('Copied.')) } })));

  const name = h('input', { attrs: { type: 'text', id: 'new-name', required: true, maxlength: 100, autocomplete: 'off' } });
  const role = h('select', { attrs: { id: 'new-role' } }, h('option', { attrs: { value: 'annotator' }, text: 'annotator' }), h('option', { attrs: { value: 'admin' }, text: 'admin' }));
  const form = h('form', { class: 'box row', attrs: { 'aria-label': 'Add an annotator' }, on: { submit: async (e) => {
    e.preventDefault();
    if (!name.value.trim()) { API.notify('Enter a name.', 'error'); return; }
    try {
      const out = await API.createAnnotator(name.value.trim(), role.value);
      name.value = '';
      showLink(out.annotator.name, out.loginUrl);
      await refresh();
    } catch { /* shown */ }
  } } },
  h('div', {}, h('label', { attrs: { for: 'new-name' }, text: 'Name' }), name),
  h('div', {}, h('label', { attrs: { for: 'new-role' }, text: 'Role' }), role),
  h('div', {}, h('button', { class: 'primary', text: 'Add annotator', attrs: { type: 'submit' } })));

  const refresh = async () => {
    const list = await API.annotators();
    replace(holder, table(['Name', 'Role', 'Labels', 'Status', 'Created', 'Actions'], list.map(row), 'Annotators'));
  };
  const row = (a) => h('tr', {},
    h('td', { text: a.name }), h('td', { text: a.role }), h('td', { class: 'num', text: a.labels }),
    h('td', { text: a.disabled ? 'disabled' : a.can_log_in ? 'active' : 'no login (imported/AI)' }),
    h('td', { text: formatDate(a.created_at) }),
    h('td', {}, a.can_log_in ? [
      h('button', { class: a.disabled ? '' : 'danger', text: a.disabled ? 'Enable' : 'Disable',
        attrs: { type: 'button', 'aria-label': `${a.disabled ? 'Enable' : 'Disable'} ${a.name}` },
        on: { click: async () => { try { await API.setAnnotatorDisabled(a.id, !a.disabled); await refresh(); } catch { /* shown */ } } } }),
      ' ',
      h('button', { text: 'New login link', attrs: { type: 'button', 'aria-label': `New login link for ${a.name}` },
        on: { click: async () => { try { const out = await API.renewLoginLink(a.id); showLink(a.name, out.loginUrl); } catch { /* shown */ } } } }),
    ] : null));
  await refresh();
  return [form, linkBox, holder];
}

// ---- import and export ---------------------------------------------------------------------------

async function data() {
  const file = h('input', { attrs: { type: 'file', id: 'imp-file', accept: '.jsonl,.json,.csv,.ndjson,.txt' } });
  const format = h('select', { attrs: { id: 'imp-format' } }, API.IMPORT_FORMATS.map((f) => h('option', { attrs: { value: f }, text: f })));
  const strict = h('input', { attrs: { type: 'checkbox', id: 'imp-strict' } });
  const bar = h('progress', { attrs: { max: 1, value: 0, 'aria-label': 'Upload progress' } });
  const barText = h('span', { class: 'muted' });
  const result = h('div', { attrs: { id: 'imp-result' } });
  const go = h('button', { class: 'primary', text: 'Import', attrs: { type: 'submit' } });
  const importForm = h('form', { class: 'box', attrs: { 'aria-labelledby': 'imp-title' }, on: { submit: async (e) => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) { API.notify('Choose a file first.', 'error'); return; }
    const type = /\.csv$/i.test(f.name) ? 'csv' : 'jsonl';
    go.disabled = true;
    replace(result);
    try {
      const r = await API.uploadImport(f, { format: format.value, type, strict: strict.checked }, (sent, total) => {
        bar.max = Math.max(1, total); bar.value = sent;
        barText.textContent = `${Math.round((100 * sent) / Math.max(1, total))} % of ${(total / 1024).toFixed(0)} KiB sent`;
      });
      barText.textContent = 'Upload complete.';
      replace(result, importReport(r));
      API.notify(r.failed ? 'Import stopped; nothing was written.' : 'Import finished.', r.failed ? 'error' : 'info');
    } catch { barText.textContent = 'Upload failed.'; } finally { go.disabled = false; }
  } } },
  h('h2', { attrs: { id: 'imp-title' }, text: 'Import' }),
  h('div', { class: 'row' },
    h('div', {}, h('label', { attrs: { for: 'imp-file' }, text: 'File (JSONL or CSV)' }), file),
    h('div', {}, h('label', { attrs: { for: 'imp-format' }, text: 'Format' }), format),
    h('div', {}, h('label', { class: 'check' }, strict, 'Stop at the first bad line (nothing written)')),
    h('div', {}, go)),
  h('div', {}, bar, barText), result);

  const ef = h('select', { attrs: { id: 'exp-format' } }, API.EXPORT_FORMATS.map((f) => h('option', { attrs: { value: f }, text: f })));
  const since = h('input', { attrs: { type: 'date', id: 'exp-since' } });
  const who = h('input', { attrs: { type: 'text', id: 'exp-annotator', placeholder: 'all', autocomplete: 'off' } });
  const minAgree = h('input', { attrs: { type: 'number', id: 'exp-agree', min: 0, max: 1, step: 0.05, placeholder: 'any' } });
  const conv = h('input', { attrs: { type: 'checkbox', id: 'exp-conv' } });
  const ai = h('input', { attrs: { type: 'checkbox', id: 'exp-ai' } });
  const agg = h('input', { attrs: { type: 'checkbox', id: 'exp-agg' } });
  const fraction = h('input', { attrs: { type: 'number', id: 'exp-fraction', min: 0, max: 0.99, step: 0.05, value: 0 } });
  const seed = h('input', { attrs: { type: 'number', id: 'exp-seed', min: 0, step: 1, value: 0 } });
  const link = h('a', { attrs: { id: 'exp-link', download: '' } });
  const testLink = h('a', { attrs: { id: 'exp-test-link', download: '' } });
  const update = () => {
    const split = Number(fraction.value) > 0;
    const filters = {
      since: since.value ? Date.parse(`${since.value}T00:00:00Z`) : '', annotator: who.value.split(',').map((s) => s.trim()).filter(Boolean),
      min_agreement: minAgree.value, conversational: conv.checked, include_ai: ai.checked, aggregate: agg.checked,
      test_fraction: split ? fraction.value : '', seed: split ? seed.value : '',
    };
    link.setAttribute('href', API.exportURL(ef.value, { ...filters, split: split ? 'train' : '' }));
    link.setAttribute('download', `hilo-${ef.value}${split ? '-train' : ''}.jsonl`);
    link.textContent = `Download ${ef.value} export${split ? ' (train split)' : ''}`;
    testLink.hidden = !split;
    testLink.setAttribute('href', API.exportURL(ef.value, { ...filters, split: 'test' }));
    testLink.setAttribute('download', `hilo-${ef.value}-test.jsonl`);
    testLink.textContent = `Download ${ef.value} export (test split)`;
  };
  const exportBox = h('form', { class: 'box', attrs: { 'aria-labelledby': 'exp-title' }, on: { input: update, change: update, submit: (e) => e.preventDefault() } },
    h('h2', { attrs: { id: 'exp-title' }, text: 'Export' }),
    h('div', { class: 'row' },
      h('div', {}, h('label', { attrs: { for: 'exp-format' }, text: 'Format' }), ef),
      h('div', {}, h('label', { attrs: { for: 'exp-since' }, text: 'Labels since' }), since),
      h('div', {}, h('label', { attrs: { for: 'exp-annotator' }, text: 'Annotators (names, comma separated)' }), who),
      h('div', {}, h('label', { attrs: { for: 'exp-agree' }, text: 'Minimum agreement (0–1)' }), minAgree),
      h('div', {}, h('label', { attrs: { for: 'exp-fraction' }, text: 'Test fraction (by prompt)' }), fraction),
      h('div', {}, h('label', { attrs: { for: 'exp-seed' }, text: 'Split seed' }), seed)),
    h('label', { class: 'check' }, conv, 'Conversational (lists of role/content messages; trl)'),
    h('label', { class: 'check' }, ai, 'Include AI labels'),
    h('label', { class: 'check' }, agg, 'Aggregate annotators per prompt'),
    h('p', {}, link, ' ', testLink));
  update();
  return [importForm, exportBox];
}

function importReport(r) {
  const facts = [['Rows read', r.rows], ['Prompts added', r.prompts_added], ['Responses added', r.responses_added],
    ['Judgments added', r.judgments_added], ['Unchanged (already imported)', r.unchanged_rows], ['Bad rows', r.bad_rows]];
  return h('div', {},
    h('dl', { class: 'legend' }, facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v ?? 0 })])),
    r.errors?.length ? table(['Line', 'Field', 'Problem'], r.errors.slice(0, 200).map((e) =>
      h('tr', {}, h('td', { class: 'num', text: e.line }), h('td', { text: e.field ?? '' }), h('td', { text: e.message }))), 'Import errors') : null);
}

// ---- settings ------------------------------------------------------------------------------------

async function settings() {
  const s = await API.settings();
  const field = (id, label, input, hint) => h('div', {}, h('label', { attrs: { for: id }, text: label }), input, hint ? h('p', { class: 'hint', text: hint }) : null);
  const numIn = (id, v, min, max) => h('input', { attrs: { type: 'number', id, value: v, min, max, step: 1, required: true } });
  const criteria = h('textarea', { attrs: { id: 'set-criteria', rows: 4 }, text: s.criteria.join('\n') });
  const k = numIn('set-k', s.responses_per_task, 2, 16);
  const overlap = numIn('set-overlap', s.overlap, 1, 50);
  const disagree = h('input', { attrs: { type: 'checkbox', id: 'set-disagree', checked: !!s.prioritize_disagreement } });
  const lease = numIn('set-lease', s.lease_seconds, 30, 86400);
  const undo = numIn('set-undo', s.undo_window_seconds, 0, 86400);
  const minNew = numIn('set-min-new', s.retraining.min_new_labels, 1, 10000000);
  const objective = h('select', { attrs: { id: 'set-objective' } }, ['dpo', 'ipo', 'kto', 'ppo'].map((o) =>
    h('option', { attrs: { value: o, selected: o === s.retraining.objective }, text: o.toUpperCase() })));
  const automatic = h('input', { attrs: { type: 'checkbox', id: 'set-auto', checked: !!s.retraining.automatic } });
  const c = s.candidates || {}, ai = s.rlaif || {};
  const candOn = h('input', { attrs: { type: 'checkbox', id: 'set-cand-on', checked: c.enabled !== false } });
  const perPrompt = numIn('set-per-prompt', c.per_prompt ?? 4, 2, 16);
  const buffer = numIn('set-buffer', c.buffer_prompts ?? 64, 1, 100000);
  const maxNew = numIn('set-max-new', c.max_new_tokens ?? 48, 1, 4096);
  const temp = h('input', { attrs: { type: 'number', id: 'set-temp', value: c.temperature ?? 1, min: 0.01, max: 10, step: 0.01, required: true } });
  const topP = h('input', { attrs: { type: 'number', id: 'set-top-p', value: c.top_p ?? 0.95, min: 0.01, max: 1, step: 0.01, required: true } });
  const scoreOn = h('input', { attrs: { type: 'checkbox', id: 'set-score', checked: ai.score_responses !== false } });
  const showScores = h('input', { attrs: { type: 'checkbox', id: 'set-show-scores', checked: !!ai.show_scores_to_annotators } });
  const autoLabel = h('input', { attrs: { type: 'checkbox', id: 'set-auto-label', checked: !!ai.auto_label } });
  const confidence = h('input', { attrs: { type: 'number', id: 'set-confidence', value: ai.confidence_threshold ?? 0.9, min: 0.51, max: 0.99, step: 0.01, required: true } });
  const guidelines = h('textarea', { attrs: { id: 'set-guidelines', rows: 10 }, text: s.guidelines });
  const save = h('button', { class: 'primary', text: 'Save settings', attrs: { type: 'submit' } });
  return h('form', { class: 'box', attrs: { 'aria-label': 'Settings' }, on: { submit: async (e) => {
    e.preventDefault();
    save.disabled = true;
    try {
      await API.saveSettings({
        criteria: criteria.value.split('\n').map((c) => c.trim()).filter(Boolean),
        responses_per_task: Number(k.value), overlap: Number(overlap.value), prioritize_disagreement: disagree.checked,
        lease_seconds: Number(lease.value), undo_window_seconds: Number(undo.value),
        retraining: { min_new_labels: Number(minNew.value), objective: objective.value, automatic: automatic.checked },
        candidates: { enabled: candOn.checked, per_prompt: Number(perPrompt.value), buffer_prompts: Number(buffer.value),
          max_new_tokens: Number(maxNew.value), temperature: Number(temp.value), top_p: Number(topP.value) },
        rlaif: { score_responses: scoreOn.checked, show_scores_to_annotators: showScores.checked, auto_label: autoLabel.checked,
          confidence_threshold: Number(confidence.value) },
        guidelines: guidelines.value,
      });
      API.notify('Settings saved.');
    } catch { /* shown */ } finally { save.disabled = false; }
  } } },
  h('h2', { text: 'Tasks' }),
  h('div', { class: 'row' },
    field('set-k', 'Responses per task (K)', k),
    field('set-overlap', 'Overlap (judgments per prompt)', overlap),
    field('set-lease', 'Lease (seconds)', lease),
    field('set-undo', 'Undo window (seconds)', undo)),
  h('p', { class: 'hint', text: 'K = 2 asks for a pairwise choice; 3 or more for a ranking with ties. Overlap is how many different annotators judge each prompt.' }),
  h('label', { class: 'check' }, disagree, 'Serve prompts whose annotators disagree first'),
  field('set-criteria', 'Rating criteria (one per line, scored 1–7)', criteria),
  h('h2', { text: 'Retraining' }),
  h('div', { class: 'row' },
    field('set-min-new', 'New labels before retraining', minNew),
    field('set-objective', 'Objective', objective)),
  h('label', { class: 'check' }, automatic, 'Retrain automatically when the threshold is reached'),
  h('h2', { text: 'Fresh candidates' }),
  h('label', { class: 'check' }, candOn, 'Generate responses with the serving policy for queued prompts'),
  h('div', { class: 'row' },
    field('set-per-prompt', 'Responses per prompt', perPrompt),
    field('set-buffer', 'Prompts kept stocked', buffer),
    field('set-max-new', 'Longest response (tokens)', maxNew),
    field('set-temp', 'Temperature', temp),
    field('set-top-p', 'Top-p', topP)),
  h('h2', { text: 'AI pre-labels' }),
  h('label', { class: 'check' }, scoreOn, 'Score queued responses with the serving reward model'),
  h('label', { class: 'check' }, showScores, 'Show reward scores to annotators (they bias judgments)'),
  h('label', { class: 'check' }, autoLabel, 'Label confident pairs automatically (AI labels, kept apart from human ones)'),
  field('set-confidence', 'Confidence needed for an AI label, σ(|score difference|)', confidence),
  h('h2', { text: 'Guidelines' }),
  field('set-guidelines', 'Guidelines shown to annotators (plain text)', guidelines),
  h('p', {}, save));
}

// ---- the training loop's pages -----------------------------------------------------------------

const notYet = (what) => h('div', { class: 'box empty' }, h('p', { text: `No ${what} yet.` }),
  h('p', { class: 'muted', text: 'This server does not offer these routes yet, or nothing has been recorded. They appear here as soon as the training loop provides them.' }));

const list = (data, key) => (Array.isArray(data) ? data : data?.[key] || []);

let events = null;
const closeEvents = () => { if (events) { events.close(); events = null; } };
window.addEventListener('hashchange', closeEvents);

async function training() {
  closeEvents();
  const [data, status, candidates] = await Promise.all([API.trainingRuns(), API.trainingStatus(), API.candidateStatus()]);
  const runs = list(data, 'runs');
  const out = [];
  if (status) {
    const retrain = h('button', { class: 'primary', text: 'Retrain now', attrs: { type: 'button', disabled: status.state !== 'idle' || !status.serving_policy } });
    retrain.addEventListener('click', async () => {
      retrain.disabled = true;
      try { await API.retrain(); API.notify('Retraining queued.'); route(true); } catch { retrain.disabled = false; }
    });
    out.push(h('section', { class: 'box', attrs: { 'aria-label': 'Training status' } },
      h('p', { text: `State: ${status.state}${status.phase ? ` (${status.phase} ${status.step}/${status.total_steps})` : ''} · serving ${status.serving_policy ?? 'no policy'}` +
        `${status.serving_reward ? ` · reward ${status.serving_reward}` : ''}` }),
      h('p', { class: 'muted', text: `${status.new_labels} new preference pairs of ${status.threshold} needed · ${status.automatic ? 'automatic' : 'manual'} retraining · ` +
        `${status.objective.toUpperCase()} · ${status.promotion} promotion${status.next_threshold_run_at ? ` · next automatic run after ${formatDate(status.next_threshold_run_at)}` : ''}` }),
      status.serving_policy ? null : h('p', { class: 'muted', text: 'Start hilo serve with --policy DIR to train.' }),
      h('p', {}, retrain)));
  }
  if (candidates) out.push(candidateBox(candidates));
  if (!data || !runs.length) return out.length ? [...out, notYet('training runs')] : notYet('training runs');
  const live = runs.find((r) => r.status === 'running' || r.status === 'queued');
  if (live) {
    // Live progress: the run's event stream redraws the page; polling is the fallback.
    if (window.EventSource) {
      events = API.runEvents(live.id);
      let pending = null;
      const redraw = () => { clearTimeout(pending); pending = setTimeout(() => { if (location.hash === '#training') route(true); }, 700); };
      ['progress', 'log', 'done'].forEach((e) => events.addEventListener(e, redraw));
      events.addEventListener('done', closeEvents);
      events.onerror = () => { closeEvents(); poll = setInterval(() => { if (location.hash === '#training') route(true); }, 5000); };
    } else {
      poll = setInterval(() => { if (location.hash === '#training') route(true); }, 5000);
    }
  }
  for (const run of runs.slice(0, 20)) {
    const detail = await API.trainingRun(run.id);
    const active = run.status === 'running' || run.status === 'queued';
    const cancel = active ? h('button', { text: 'Cancel', attrs: { type: 'button' } }) : null;
    cancel?.addEventListener('click', async () => {
      cancel.disabled = true;
      try { await API.cancelRun(run.id); API.notify(`Run ${run.id}: cancelling.`); route(true); } catch { cancel.disabled = false; }
    });
    const total = run.total_steps || 0;
    const box = h('section', { class: 'box', attrs: { 'aria-label': `Run ${run.id}` } },
      h('h2', { text: `Run ${run.id} · ${run.kind} · ${run.status}${run.phase && active ? ` · ${run.phase}` : ''}` }),
      h('p', { class: 'muted', text: `${run.trigger === 'threshold' ? 'threshold reached' : 'retrain requested'} · created ${formatDate(run.created_at)}` +
        `${run.labels_used ? ` · ${run.labels_used} pairs` : ''}${run.error ? ` · error: ${run.error}` : ''}` }),
      active && total ? h('progress', { attrs: { max: total, value: run.step ?? 0, 'aria-label': `Progress of run ${run.id}` } }) : null,
      active && total ? h('p', { class: 'muted', text: `${run.phase}: step ${run.step ?? 0} of ${total}` }) : null,
      cancel ? h('p', {}, cancel) : null);
    const charts = h('div', { class: 'charts' });
    box.append(charts);
    const byName = new Map();
    for (const m of detail?.metrics || []) {
      if (!byName.has(m.name)) byName.set(m.name, []);
      byName.get(m.name).push([m.step, m.value]);
    }
    for (const group of [['rm/loss', 'loss'], ['rm/accuracy', 'rewards/accuracies'], ['rewards/margins', 'rm/margin'], ['objective/kl', 'kl']]) {
      const series = group.filter((n) => byName.has(n)).map((n) => ({ name: n, points: byName.get(n) }));
      if (series.length) charts.append(lineChart(series, { title: `${group.join(', ')} by step`, height: 200 }));
    }
    const log = (detail?.log || []).slice(-12);
    if (log.length) box.append(h('pre', { class: 'log', text: log.map((l) => `${l.level === 'info' ? '' : `${l.level}: `}${l.message}`).join('\n') }));
    out.push(box);
  }
  return out;
}

/** The candidate worker: which version answers the queue, how far ahead it is, and why it idles. */
function candidateBox(c) {
  const lines = [];
  if (!c.running) {
    lines.push(h('p', { text: 'Candidates: no generator runs (hilo serve starts one when a policy serves).' }));
  } else if (!c.enabled) {
    lines.push(h('p', { text: 'Candidates: generation is off (Settings → candidates).' }));
  } else if (!c.version) {
    lines.push(h('p', { text: 'Candidates: no policy serves, so nothing is generated (start hilo serve with --policy DIR).' }));
  } else {
    const speed = c.tokens_per_second ? ` · ${Math.round(c.tokens_per_second)} tokens/s` : '';
    lines.push(h('p', { text: `Candidates: ${c.version} answers ${c.stocked_prompts} of ${c.buffer_prompts} buffered prompts · ` +
      `${c.generated_total} responses written${speed}` }));
    lines.push(h('p', { class: 'muted', text: `${c.unlabelled_prompts} unlabelled prompts` +
      `${c.exhausted_prompts ? ` · ${c.exhausted_prompts} left alone (fewer than 2 distinct answers)` : ''}` +
      `${c.reward_version ? ` · ${c.scored_total} scored by ${c.reward_version}, ${c.ai_labels_total} AI labels` : ''}` }));
    if (c.unlabelled_prompts === 0) {
      lines.push(h('p', { class: 'notice', text: 'Every prompt has a label, so the serving policy has nothing new to answer. Import prompts (Import & export) for fresh candidates.' }));
    }
  }
  if (c.error) lines.push(h('p', { class: 'error', text: `Last pass failed: ${c.error}` }));
  return h('section', { class: 'box', attrs: { 'aria-label': 'Candidate generation' } }, lines);
}

async function models() {
  const data = await API.models();
  const rows = list(data, 'models');
  if (!data || !rows.length) return notYet('model versions');
  const rollback = (kind) => {
    const b = h('button', { text: `Roll back ${kind}`, attrs: { type: 'button' } });
    b.addEventListener('click', async () => {
      b.disabled = true;
      try { const out = await API.rollbackModel(kind); API.notify(`${out.model.name} serves again.`); route(true); } catch { b.disabled = false; }
    });
    return b;
  };
  const summary = (m) => {
    const t = m.metrics || {};
    const parts = [];
    if (t.training?.loss !== undefined) parts.push(`loss ${num(t.training.loss, 3)}`);
    if (t.eval?.['eval/accuracy'] !== undefined) parts.push(`held-out acc ${pct(t.eval['eval/accuracy'])}`);
    if (t.promotion) parts.push(`${t.promotion.promote ? 'promoted' : 'not promoted'}: ${t.promotion.reason}`);
    const e = t.promotion?.measures; // the automatic evaluation behind the verdict
    if (e?.reward_win_rate) parts.push(`reward-model win rate ${pct(e.reward_win_rate.win_rate)} (${e.reward_win_rate.wins}–${e.reward_win_rate.ties}–${e.reward_win_rate.losses})`);
    if (e?.mean_reward_a && e?.mean_reward_b) parts.push(`mean reward ${num(e.mean_reward_b.mean, 3)} vs ${num(e.mean_reward_a.mean, 3)} serving`);
    if (e?.kl_b) parts.push(`KL to ${e.reference_model ?? 'the reference'} ${num(e.kl_b.mean, 3)}`);
    if (t.source) parts.push(`from ${t.source}`);
    return parts.join(' · ');
  };
  const tableRows = rows.map((m) => {
    let action = null;
    if (!m.serving && !m.pruned && (m.kind === 'policy' || m.kind === 'reward')) {
      action = h('button', { text: 'Promote', attrs: { type: 'button' } });
      action.addEventListener('click', async () => {
        action.disabled = true;
        try { await API.promoteModel(m.id); API.notify(`${m.name} is serving.`); route(true); } catch { action.disabled = false; }
      });
    }
    return h('tr', {},
      h('td', { text: m.name }), h('td', { text: m.kind }), h('td', { text: m.parent ?? '—' }),
      h('td', { text: m.run_id ?? '—' }), h('td', { class: 'num', text: m.labels_used ?? 0 }),
      h('td', { text: formatDate(m.created_at) }), h('td', { text: m.serving ? 'serving' : m.pruned ? 'pruned' : '' }),
      h('td', { text: summary(m) }), h('td', {}, action));
  });
  return [h('p', {}, rollback('policy'), ' ', rollback('reward')),
    table(['Name', 'Kind', 'Parent', 'Run', 'Pairs', 'Created', 'State', 'Metrics', ''], tableRows, 'Model versions')];
}

async function evaluations() {
  const [data, board, models] = await Promise.all([API.evaluations(), API.leaderboard(), API.models().catch(() => null)]);
  const rows = list(data, 'campaigns');
  if (rows.some((c) => c.status === 'preparing')) poll = setInterval(() => { if (location.hash === '#evaluations') route(true); }, 5000);
  const out = [createCampaignForm(list(models, 'models').filter((m) => m.kind === 'policy' || m.kind === 'reference'))];
  out.push(h('h2', { text: 'Campaigns' }));
  if (!data) out.push(notYet('evaluations'));
  else if (!rows.length) out.push(h('p', { class: 'muted', text: 'No campaigns yet. Create one above.' }));
  else {
    out.push(table(['Campaign', 'A (baseline) vs B', 'Judged', 'Wins A / B / tie', 'Status', ''], rows.map((c) => h('tr', {},
      h('td', { text: c.name ?? c.id }), h('td', { text: `${c.model_a ?? c.model_a_id ?? '?'} vs ${c.model_b ?? c.model_b_id ?? '?'}` }),
      h('td', { class: 'num', text: `${c.judged ?? 0} / ${c.total ?? c.comparisons ?? 0}` }),
      h('td', { text: `${c.wins_a ?? 0} / ${c.wins_b ?? 0} / ${c.ties ?? 0}` }),
      h('td', { text: c.error ? `${c.status}: ${c.error}` : c.status ?? '' }),
      h('td', {}, h('button', { text: 'Result', attrs: { type: 'button', 'aria-label': `Result of ${c.name}` }, on: { click: () => showResult(c.id) } })))), 'Evaluations'));
    out.push(h('div', { attrs: { id: 'eval-result' } }));
  }
  out.push(h('h2', { text: 'Leaderboard' }));
  const entries = list(board, 'entries');
  if (!entries.length) out.push(h('p', { class: 'muted', text: 'No versions on the board yet.' }));
  else {
    out.push(h('p', { class: 'muted', text: `Bradley–Terry over ${board.comparisons} judged comparisons; 95% bootstrap intervals (${board.resamples} resamples). Mean reward and KL from the latest campaign with that version.` }));
    const num = (x, d = 0) => (x === null || x === undefined ? '—' : Number(x).toFixed(d));
    out.push(table(['Rank', 'Version', 'Score', '95% interval', 'W / T / L', 'Mean reward', 'KL to reference'], entries.map((e) => h('tr', {},
      h('td', { class: 'num', text: e.rank }), h('td', { text: e.name + (e.serving ? ' (serving)' : '') }),
      h('td', { class: 'num', text: num(e.score) }), h('td', { text: `${num(e.lower)} … ${num(e.upper)}` }),
      h('td', { text: `${e.wins} / ${e.ties} / ${e.losses}` }), h('td', { class: 'num', text: num(e.mean_reward?.mean, 3) }),
      h('td', { class: 'num', text: num(e.kl?.mean, 3) }))), 'Leaderboard'));
  }
  return out;
}

function createCampaignForm(versions) {
  const pick = (id, label) => {
    const el = versions.length
      ? h('select', { attrs: { id } }, versions.map((v) => h('option', { attrs: { value: v.name }, text: `${v.name}${v.serving ? ' (serving)' : ''}` })))
      : h('input', { attrs: { id, type: 'text', placeholder: 'policy-v1', required: true } });
    return h('div', { class: 'field' }, h('label', { attrs: { for: id }, text: label }), el);
  };
  const prompts = h('input', { attrs: { id: 'eval-prompts', type: 'number', min: 1, placeholder: 'default (held-out)' } });
  const tag = h('input', { attrs: { id: 'eval-tag', type: 'text', placeholder: 'held-out prompts' } });
  const form = h('form', { class: 'box', attrs: { 'aria-label': 'New evaluation campaign' } },
    h('h2', { text: 'New blind evaluation' }),
    h('div', { class: 'row' }, pick('eval-a', 'A: baseline version'), pick('eval-b', 'B: challenger version')),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { attrs: { for: 'eval-prompts' }, text: 'Prompts (at most)' }), prompts),
      h('div', { class: 'field' }, h('label', { attrs: { for: 'eval-tag' }, text: 'Prompt tag (optional)' }), tag)),
    h('p', {}, h('button', { class: 'primary', text: 'Create campaign', attrs: { type: 'submit', id: 'eval-create' } })));
  if (versions.length > 1) form.querySelector('#eval-b').selectedIndex = versions.length - 1;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { model_a: $('eval-a').value.trim(), model_b: $('eval-b').value.trim() };
    if (prompts.value) body.prompts = Number(prompts.value);
    if (tag.value.trim()) body.tag = tag.value.trim();
    try {
      const out = await API.createEvaluation(body);
      API.notify(`Campaign "${out.campaign.name}" created; its responses are being generated.`);
      route(true);
    } catch (err) { API.notify(API.describe(err), 'error'); }
  });
  return form;
}

async function showResult(id) {
  const box = $('eval-result');
  let d;
  try { d = await API.evaluation(id); } catch (e) { API.notify(API.describe(e), 'error'); return; }
  const c = d.campaign, r = d.result, a = d.automatic;
  const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
  const lines = [
    h('h2', { text: `${c.name}: ${c.model_b} (B) vs ${c.model_a} (A)` }),
    h('p', { class: 'muted', text: `${c.status} · ${c.judged} of ${c.total} judged (${pct(d.progress)})` }),
    h('p', { attrs: { 'data-result': 'counts' }, text: `B: ${r.wins} wins, ${r.ties} ties, ${r.losses} losses` }),
    h('p', { attrs: { 'data-result': 'win-rate' }, text: `Win rate of B ${pct(r.win_rate)}, 95% Wilson interval ${pct(r.win_rate_lower)} – ${pct(r.win_rate_upper)} (ties count half)` }),
    h('p', { text: `Among decisive judgments ${pct(r.decisive_win_rate)} (${pct(r.decisive_win_rate_lower)} – ${pct(r.decisive_win_rate_upper)}); sign test p = ${Number(r.sign_test_p_value).toPrecision(3)}` }),
  ];
  if (a?.reward_win_rate) lines.push(h('p', { text: `Reward model ${a.reward_model}: B wins ${a.reward_win_rate.wins}, ties ${a.reward_win_rate.ties}, loses ${a.reward_win_rate.losses} of ${a.prompts}; mean reward A ${a.mean_reward_a?.mean?.toFixed(3)}, B ${a.mean_reward_b?.mean?.toFixed(3)}` }));
  if (a?.kl_a) lines.push(h('p', { text: `KL to ${a.reference_model}: A ${a.kl_a.mean.toFixed(3)}, B ${a.kl_b?.mean?.toFixed(3)} nats per response` }));
  if (c.status === 'open') {
    lines.push(h('p', {}, h('button', { text: 'Close campaign', attrs: { type: 'button' }, on: { click: async () => {
      try { await API.closeEvaluation(c.id); API.notify('Closed.'); route(true); } catch (e) { API.notify(API.describe(e), 'error'); }
    } } })));
  }
  replace(box, h('section', { class: 'box', attrs: { 'aria-label': `Result of ${c.name}` } }, lines));
}

start();
