// The annotator page: shows one task (a prompt and its K responses in the order the API gave),
// collects a preference (pairwise choice or a ranking with ties), optional per-criterion ratings,
// thumbs, a rationale and a rewrite, and submits them as one judgment with an idempotency key.
import * as API from './api.js';
import { h, replace, richText, isTypingTarget, letter } from './dom.js';
import { Ranking } from './ranking.js';
import * as Blind from './evaluate.js';

const $ = (id) => document.getElementById(id);

const state = {
  config: { criteria: ['helpfulness', 'truthfulness', 'harmlessness'], scaleMin: 1, scaleMax: 7, guidelines: '' },
  task: null,        // the task from the API (see api.js for its shape)
  shownAt: 0,        // when the task appeared, for time spent
  key: null,         // idempotency key of this task's submit: made once, reused by every retry
  skipKey: null,
  choice: null,      // pairwise: 'a' | 'b' | 'tie' | 'bad'
  ranking: null,     // Ranking for 3+ responses
  selected: null,    // response position the keyboard acts on (thumbs, ratings)
  thumbs: new Map(), // position -> true (up) | false (down)
  confirmOrder: false,
  busy: false,
  role: null,        // 'annotator' | 'admin'
};

// ---- shortcuts: one table feeds both the dispatcher and the legend -------------------------------

const pairwise = () => state.task && state.task.responses.length === 2;
const ranking = () => state.task && state.task.responses.length > 2;

const SHORTCUTS = [
  { keys: ['?'], label: 'Show or hide this list of shortcuts', run: () => toggle('legend', 'btn-help') },
  { keys: ['g'], label: 'Show or hide the guidelines', run: () => toggle('guidelines', 'btn-guidelines') },
  { keys: ['Escape'], label: 'Close the shortcuts and guidelines panels', run: () => closePanels() },
  { keys: ['a'], label: 'Pairwise: A is better', when: pairwise, run: () => choose('a') },
  { keys: ['b'], label: 'Pairwise: B is better', when: pairwise, run: () => choose('b') },
  { keys: ['t'], label: 'Pairwise: tie', when: pairwise, run: () => choose('tie') },
  { keys: ['x'], label: 'Both / all responses are bad', when: () => !!state.task, run: () => (pairwise() ? choose('bad') : toggleAllBad()) },
  { keys: ['1', '2', '3', '…'], label: 'Select response 1 = A, 2 = B, …', when: () => !!state.task, match: (k) => /^[1-9]$/.test(k), run: (k) => selectResponse(Number(k) - 1) },
  { keys: ['↑', 'k'], label: 'Ranking: move the selected response up a row', when: () => ranking() && state.selected !== null, match: (k) => k === 'ArrowUp' || k === 'k', run: () => state.ranking.move(-1) },
  { keys: ['↓', 'j'], label: 'Ranking: move the selected response down a row', when: () => ranking() && state.selected !== null, match: (k) => k === 'ArrowDown' || k === 'j', run: () => state.ranking.move(1) },
  { keys: ['='], label: 'Ranking: tie the selected response with the row above', when: () => ranking() && state.selected !== null, run: () => state.ranking.tie() },
  { keys: ['+'], label: 'Thumbs up for the selected response', when: () => state.selected !== null, run: () => setThumb(state.selected, true) },
  { keys: ['-'], label: 'Thumbs down for the selected response', when: () => state.selected !== null, run: () => setThumb(state.selected, false) },
  { keys: ['c'], label: 'Rate the selected response (focus its first rating)', when: () => !!state.task, run: () => focusRating() },
  { keys: ['r'], label: 'Write a rationale (focus the text field)', when: () => !!state.task, run: () => $('rationale').focus() },
  { keys: ['w'], label: 'Write a better response (open the rewrite field)', when: () => !!state.task, run: () => { $('rewrite-box').open = true; $('rewrite').focus(); } },
  { keys: ['Enter'], label: 'Submit', when: () => !!state.task, run: () => submit() },
  { keys: ['s'], label: 'Skip this task', when: () => !!state.task, run: () => skip() },
  { keys: ['u'], label: 'Undo your last judgment', run: () => undo() },
];

function onKey(e) {
  if (Blind.active()) return; // evaluate.js handles keys during a blind comparison
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (isTypingTarget(e.target)) return; // never while typing
  // Enter on an ordinary button or link keeps its native meaning; on a ranking chip it submits.
  if (e.key === 'Enter' && e.target.closest?.('button, a, summary, input') && !e.target.classList.contains('chip')) return;
  // Arrow keys in a focused text box scroll it (k and j still move the ranking).
  if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && e.target.closest?.('.scroll, .turn')) return;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const sc = SHORTCUTS.find((s) => (s.match ? s.match(key) : s.keys.includes(key)) && (!s.when || s.when()));
  if (!sc) return;
  e.preventDefault();
  sc.run(key);
}

function renderLegend() {
  replace($('legend-list'), SHORTCUTS.flatMap((s) => [
    h('dt', {}, ...s.keys.flatMap((k, i) => [i ? ' ' : null, h('kbd', { text: k })])),
    h('dd', { text: s.label }),
  ]));
}

function closePanels() {
  for (const [panel, button] of [['legend', 'btn-help'], ['guidelines', 'btn-guidelines']]) {
    $(panel).hidden = true;
    $(button).setAttribute('aria-expanded', 'false');
  }
}

function toggle(panelId, buttonId) {
  const panel = $(panelId);
  panel.hidden = !panel.hidden;
  $(buttonId).setAttribute('aria-expanded', String(!panel.hidden));
}

// ---- loading ---------------------------------------------------------------------------------------

async function start() {
  document.addEventListener('keydown', onKey);
  Blind.init({ onExit: () => loadTask() });
  renderLegend();
  $('btn-help').addEventListener('click', () => toggle('legend', 'btn-help'));
  $('btn-guidelines').addEventListener('click', () => toggle('guidelines', 'btn-guidelines'));
  $('btn-reload').addEventListener('click', () => loadTask());
  $('btn-skip').addEventListener('click', () => skip());
  $('btn-undo').addEventListener('click', () => undo());
  $('task').addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  $('all-bad').addEventListener('change', () => { state.confirmOrder = false; });
  for (const id of ['rationale', 'rewrite']) $(id).addEventListener('input', () => saveDraft(state.task));
  document.querySelectorAll('#pairwise [data-choice]').forEach((b) => b.addEventListener('click', () => choose(b.dataset.choice)));

  let who;
  try {
    who = await API.me();
  } catch (e) {
    if (e instanceof API.ApiError && e.status === 401) {
      showEmpty('You are not logged in', 'Open the login link your admin gave you. It signs you in on this browser.');
    } else {
      showEmpty('Hilo is not answering', API.describe(e));
    }
    return;
  }
  $('who').textContent = who.name;
  state.role = who.role;
  $('admin-link').hidden = who.role !== 'admin';
  API.logoutButton($('btn-logout'), () => {
    $('btn-logout').hidden = true;
    $('who').textContent = '';
    showEmpty('You are logged out', 'Open your login link again to continue.');
    $('btn-reload').hidden = true;
  });
  try {
    state.config = { ...state.config, ...(await API.annotatorConfig()) };
  } catch { /* defaults stay; the error is already shown */ }
  replace($('guidelines-text'), richText(state.config.guidelines || 'No guidelines have been written yet.'));
  await Promise.all([loadTask(), loadProgress()]);
}

async function loadProgress() {
  try {
    const p = await API.progress();
    $('p-today').textContent = p.today;
    $('p-total').textContent = p.total;
    $('p-left').textContent = p.remaining;
  } catch { /* shown in the status region */ }
}

async function loadTask() {
  let task;
  try {
    task = await API.nextLease();
  } catch (e) {
    showEmpty('Cannot load a task', API.describe(e));
    return;
  }
  const blind = await Blind.offer();
  if (!task && blind) { await Blind.enter(); return; } // nothing else to do: judge blind comparisons
  if (!task) {
    state.task = null;
    showEmpty('Nothing to label right now', state.role === 'admin'
      ? 'The queue is empty for you. Import prompts on the admin page (Admin, top right).'
      : 'The queue is empty for you. New tasks appear when the admin imports prompts.');
    return;
  }
  showTask(task);
}

function showEmpty(title, text) {
  state.task = null;
  $('task').hidden = true;
  $('empty').hidden = false;
  $('empty').querySelector('h1').textContent = title;
  $('empty-text').textContent = text;
}

// ---- drawing a task ------------------------------------------------------------------------------

function showTask(task) {
  Object.assign(state, {
    task, shownAt: performance.now(), key: API.newKey(), skipKey: API.newKey(), choice: null,
    selected: null, thumbs: new Map(), confirmOrder: false,
  });
  $('empty').hidden = true;
  $('task').hidden = false;
  const draft = loadDraft(task);
  $('rationale').value = draft.rationale || '';
  $('rewrite').value = draft.rewrite || '';
  $('rewrite-box').open = !!draft.rewrite;
  $('all-bad').checked = false;

  const turns = task.prompt.messages?.length ? task.prompt.messages : [{ role: 'user', content: task.prompt.text }];
  replace($('prompt'), turns.map((t, k) => h('div', { class: `turn role-${safeRole(t.role)}`, attrs: { tabindex: '0', 'aria-label': `Prompt turn ${k + 1}: ${roleName(t.role)}` } },
    h('div', { class: 'role', text: roleName(t.role) }),
    h('div', { class: 'text' }, richText(t.content)))));

  if (task.criteria?.length) state.config.criteria = task.criteria;
  const n = task.responses.length;
  const box = $('responses');
  box.className = 'responses ' + (n === 2 ? 'side-by-side' : 'stacked');
  replace(box, task.responses.map((r, i) => responseCard(r, i)));

  $('task').classList.toggle('with-side', n > 2);
  $('pairwise').hidden = n !== 2;
  $('ranking').hidden = n === 2;
  updateChoice();
  state.ranking = null;
  if (n > 2) {
    const snippets = task.responses.map((r) => r.text.replace(/\s+/g, ' ').trim().slice(0, 48));
    state.ranking = new Ranking($('tiers'), snippets, (what) => { state.confirmOrder = false; selectResponse(state.ranking.selected, false); API.notify(what); });
    state.ranking.onSelect = (i) => selectResponse(i, false);
  }
  $('btn-submit').disabled = false;
  window.scrollTo(0, 0);
}

const safeRole = (r) => (['system', 'user', 'assistant'].includes(r) ? r : 'other');
const roleName = (r) => ({ system: 'System', user: 'User', assistant: 'Assistant' }[r] || String(r));

function responseCard(r, i) {
  const L = letter(i);
  const ratings = state.config.criteria.map((c) => {
    const id = `rate-${i}-${c.replace(/[^a-z0-9_-]/gi, '_')}`;
    return h('div', { class: 'rating' },
      h('label', { attrs: { for: id }, text: c }),
      h('select', { attrs: { id, 'aria-label': `${c} of response ${L}` }, data: { pos: i, criterion: c } },
        h('option', { attrs: { value: '' }, text: '–' }),
        ...range(state.config.scaleMin, state.config.scaleMax).map((v) => h('option', { attrs: { value: v }, text: v }))));
  });
  return h('article', { class: 'response', data: { pos: i, responseId: r.id }, attrs: { 'aria-labelledby': `resp-title-${i}` } },
    h('header', {},
      h('h3', { attrs: { id: `resp-title-${i}` } }, h('span', { class: 'badge', text: L }), ` Response ${L}`),
      h('div', { class: 'thumbs', attrs: { role: 'group', 'aria-label': `Thumbs for response ${L}` } },
        h('button', { class: 'thumb up', text: '▲ good', attrs: { type: 'button', 'aria-pressed': 'false', 'aria-label': `Thumbs up for response ${L}` }, on: { click: () => setThumb(i, true) } }),
        h('button', { class: 'thumb down', text: '▼ bad', attrs: { type: 'button', 'aria-pressed': 'false', 'aria-label': `Thumbs down for response ${L}` }, on: { click: () => setThumb(i, false) } }))),
    h('div', { class: 'text scroll', attrs: { tabindex: '0', 'aria-label': `Text of response ${L}` } }, richText(r.text)),
    h('fieldset', { class: 'ratings' }, h('legend', { text: `Ratings for ${L} (optional)` }), ...ratings));
}

const range = (a, b) => Array.from({ length: b - a + 1 }, (_, k) => a + k);

// ---- editing -------------------------------------------------------------------------------------

function choose(c) {
  state.choice = state.choice === c ? null : c;
  updateChoice();
  if (state.choice) API.notify({ a: 'A is better', b: 'B is better', tie: 'Tie', bad: 'Both bad' }[c] + ' — press Enter to submit.');
}

function updateChoice() {
  document.querySelectorAll('#pairwise [data-choice]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.choice === state.choice)));
}

function toggleAllBad() {
  const box = $('all-bad');
  box.checked = !box.checked;
  API.notify(box.checked ? 'Marked: all responses are bad' : 'Unmarked: all responses are bad');
}

function selectResponse(i, focusChip = true) {
  if (!state.task || i === null || i < 0 || i >= state.task.responses.length) return;
  state.selected = i;
  document.querySelectorAll('.response').forEach((el) => el.classList.toggle('selected', Number(el.dataset.pos) === i));
  if (state.ranking && focusChip && state.ranking.selected !== i) state.ranking.select(i);
}

function setThumb(i, up) {
  if (state.thumbs.get(i) === up) state.thumbs.delete(i); else state.thumbs.set(i, up);
  const card = document.querySelector(`.response[data-pos="${i}"]`);
  card.querySelector('.thumb.up').setAttribute('aria-pressed', String(state.thumbs.get(i) === true));
  card.querySelector('.thumb.down').setAttribute('aria-pressed', String(state.thumbs.get(i) === false));
  const now = state.thumbs.get(i);
  API.notify(`Response ${letter(i)}: ${now === undefined ? 'no thumb' : now ? 'thumbs up' : 'thumbs down'}`);
}

function focusRating() {
  const i = state.selected ?? 0;
  document.querySelector(`.response[data-pos="${i}"] select`)?.focus();
}

// ---- drafts: typed text survives a reload of the page until the task is submitted or skipped ----

const draftKey = (task) => `hilo.draft.${task.leaseId}`;
function loadDraft(task) {
  try { return JSON.parse(sessionStorage.getItem(draftKey(task)) || '{}'); } catch { return {}; }
}
function saveDraft(task) {
  if (!task) return;
  try { sessionStorage.setItem(draftKey(task), JSON.stringify({ rationale: $('rationale').value, rewrite: $('rewrite').value })); } catch { /* storage full or off */ }
}
function clearDraft(task) { try { sessionStorage.removeItem(draftKey(task)); } catch { /* ignore */ } }

// ---- submitting ------------------------------------------------------------------------------------

/** The judgment as the form stands, or a string saying what is missing. */
function collect() {
  const t = state.task;
  const ids = t.responses.map((r) => r.id);
  const j = { leaseId: t.leaseId, promptId: t.promptId, ranks: [], bothBad: false, ratings: [], thumbs: [] };
  if (ids.length === 2 && state.choice) {
    const ranks = { a: [1, 2], b: [2, 1], tie: [1, 1], bad: [1, 1] }[state.choice];
    j.ranks = ids.map((id, i) => ({ responseId: id, rank: ranks[i] }));
    j.bothBad = state.choice === 'bad';
  }
  if (ids.length > 2) {
    // What is on the screen is what is saved: a ranking is always shown, so it is always submitted.
    // Left as shown, it is confirmed first (extras such as a thumb or a rationale do not stand in for
    // it), then stored as shown, with the extras in the same judgment.
    j.bothBad = $('all-bad').checked;
    if (!(state.ranking.touched || state.confirmOrder || j.bothBad)) {
      state.confirmOrder = true;
      return 'You have not changed the order. Move a response (number, then ↑ ↓), or press Enter again to keep the order shown.';
    }
    j.ranks = state.ranking.ranks().map((rank, i) => ({ responseId: ids[i], rank }));
  }
  document.querySelectorAll('.ratings select').forEach((s) => {
    if (s.value) j.ratings.push({ responseId: ids[Number(s.dataset.pos)], criterion: s.dataset.criterion, score: Number(s.value) });
  });
  for (const [i, up] of state.thumbs) j.thumbs.push({ responseId: ids[i], up });
  const rationale = $('rationale').value.trim();
  const rewrite = $('rewrite').value.trim();
  if (rationale) j.rationale = $('rationale').value;
  if (rewrite) j.rewrite = $('rewrite').value;
  j.kind = j.ranks.length ? (ids.length === 2 ? 'pairwise' : 'ranking')
    : j.ratings.length ? 'rating' : j.rewrite ? 'rewrite' : (j.thumbs.length || j.rationale) ? 'feedback' : null;
  if (!j.kind) return 'Choose which response is better (or rate them, give a thumb, or write a rationale) before submitting.';
  j.timeSpentMs = Math.max(0, Math.round(performance.now() - state.shownAt));
  return j;
}

async function submit() {
  if (!state.task || state.busy) return;
  const j = collect();
  if (typeof j === 'string') { API.notify(j, 'error'); return; }
  const button = $('btn-submit');
  state.busy = true;
  button.disabled = true;
  API.notify('Saving…', 'busy');
  try {
    await API.withRetry(() => API.submitJudgment(j, state.key), (n, e) =>
      API.notify(`${API.describe(e)} Your answer is kept and is sent again until it is saved (attempt ${n + 1})…`, 'error'));
    clearDraft(state.task);
    API.notify('Saved. Press u to undo.');
    await Promise.all([loadTask(), loadProgress()]);
  } catch (e) {
    API.notify(`Not saved: ${API.describe(e)}`, 'error');
    if (e instanceof API.ApiError && e.status === 409) await loadTask(); // the lease is gone
  } finally {
    state.busy = false;
    button.disabled = false;
  }
}

async function skip() {
  if (!state.task || state.busy) return;
  state.busy = true;
  try {
    await API.withRetry(() => API.skipLease(state.task, state.skipKey), (n, e) => API.notify(`${API.describe(e)} Retrying the skip…`, 'error'));
    clearDraft(state.task);
    API.notify('Skipped.');
    await Promise.all([loadTask(), loadProgress()]);
  } catch (e) {
    API.notify(`Not skipped: ${API.describe(e)}`, 'error');
  } finally {
    state.busy = false;
  }
}

/** Undoes this annotator's newest live judgment (skips are not judgments), within the server's window. */
async function undo() {
  if (state.busy) return;
  state.busy = true;
  try {
    const id = await API.lastJudgmentId();
    if (id === null) { API.notify('Nothing to undo.', 'error'); return; }
    await API.undoJudgment(id);
    API.notify('Your last judgment was undone; it is back in your queue.');
    await Promise.all([loadTask(), loadProgress()]);
  } catch (e) {
    API.notify(`Nothing undone: ${API.describe(e)}`, 'error');
  } finally {
    state.busy = false;
  }
}

start();
