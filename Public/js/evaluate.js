// Blind comparison tasks on the annotator page. When an evaluation campaign is open the toolbar offers
// "Blind comparison"; in that mode the page shows a prompt and two responses as Left and Right (the
// same look as a pairwise task) and 1, 2 or T records the choice at once; "N left" counts down with each
// choice, and Undo (or u) takes the last choice back while the server's undo window is open, showing
// that comparison again. After a choice no button keeps the focus, so nothing looks pre-selected on the
// next pair. The server never says which model wrote which side, and this module never asks. Text
// reaches the page only through textContent.
import * as API from './api.js';
import { h, replace, richText, isTypingTarget, promptTurns } from './dom.js';

const $ = (id) => document.getElementById(id);
const state = { active: false, comparison: null, busy: false, onExit: () => {}, last: null, left: 0 };

/** True while a blind comparison is on screen (annotate.js leaves the keyboard to us then). */
export const active = () => state.active;

/** Wires the buttons and keys; `onExit` brings the ordinary task back. */
export function init({ onExit }) {
  state.onExit = onExit;
  $('btn-blind').addEventListener('click', () => (state.active ? exit() : enter()));
  document.querySelectorAll('#blind [data-choice]').forEach((b) => b.addEventListener('click', () => choose(b.dataset.choice)));
  const undoButton = h('button', { text: 'Undo last choice', attrs: { type: 'button', id: 'blind-undo', hidden: true }, on: { click: () => undo() } });
  undoButton.append(' ', h('kbd', { text: 'u' }));
  $('blind-title').after(h('p', { class: 'muted', attrs: { id: 'blind-left', 'aria-live': 'polite' } }));
  document.querySelector('#blind .choice-buttons').append(undoButton);
  document.addEventListener('keydown', onKey);
}

/** The counter of comparisons waiting, on the toolbar button and in the blind view. */
function showLeft(n) {
  state.left = n;
  $('btn-blind').textContent = n ? `Blind comparison (${n})` : 'Blind comparison';
  $('blind-left').textContent = n ? `${n} ${n === 1 ? 'comparison' : 'comparisons'} left, this one included` : '';
}

/** Shows the toolbar button when a comparison is waiting; returns whether one is. */
export async function offer() {
  let n = 0;
  try { n = await API.blindAvailable(); } catch { /* no campaign routes or none open */ }
  $('btn-blind').hidden = !n && !state.active;
  showLeft(n);
  return n > 0;
}

/** Switches to blind comparisons (hides the ordinary task). */
export async function enter() {
  state.active = true;
  $('btn-blind').setAttribute('aria-pressed', 'true');
  await load();
}

function exit(message) {
  state.active = false;
  state.comparison = null;
  $('blind').hidden = true;
  $('btn-blind').setAttribute('aria-pressed', 'false');
  if (message) API.notify(message);
  state.onExit();
}

async function load() {
  let c;
  try { c = await API.nextComparison(); } catch (e) { API.notify(API.describe(e), 'error'); return; }
  if (!c) { $('btn-blind').hidden = true; exit('No blind comparisons are left. Thank you!'); return; }
  state.comparison = c;
  $('task').hidden = true;
  $('empty').hidden = true;
  $('blind').hidden = false;
  const turns = promptTurns(c.prompt);
  replace($('blind-prompt'), turns.map((t) => h('div', { class: 'turn' },
    h('div', { class: 'role', text: t.role === 'assistant' ? 'Assistant' : t.role === 'system' ? 'System' : 'User' }),
    h('div', { class: 'text' }, richText(t.content)))));
  replace($('blind-responses'), [['left', 'Left', '1'], ['right', 'Right', '2']].map(([side, title, key]) =>
    h('article', { class: 'response', data: { side }, attrs: { 'aria-label': `${title} response` } },
      h('header', {}, h('h3', {}, h('span', { class: 'badge', text: key }), ` ${title}`)),
      h('div', { class: 'text scroll', attrs: { tabindex: '0' } }, richText(c[side].text)))));
  try { showLeft(await API.blindAvailable()); } catch { /* the counter stays as it was */ }
  window.scrollTo(0, 0);
}

async function choose(choice) {
  if (!state.comparison || state.busy) return;
  state.busy = true;
  try {
    await API.withRetry(() => API.judgeComparison(state.comparison.id, choice));
    state.last = state.comparison.id;
    $('blind-undo').hidden = false;
    API.notify({ left: 'Left is better', right: 'Right is better', tie: 'Tie' }[choice] + ' — saved. Press u to undo.');
    // The focus leaves the button pressed, so on the next pair no answer looks chosen already.
    if (document.activeElement?.closest?.('#blind')) document.activeElement.blur();
    await load();
  } catch (e) {
    API.notify(API.describe(e), 'error');
    if (e instanceof API.ApiError && e.status === 409) await load();
  } finally {
    state.busy = false;
  }
}

/** Takes back the last choice (within the undo window) and shows that comparison again. */
async function undo() {
  if (state.last === null || state.busy) { if (state.last === null) API.notify('Nothing to undo.', 'error'); return; }
  state.busy = true;
  try {
    await API.undoComparison(state.last);
    state.last = null;
    $('blind-undo').hidden = true;
    API.notify('Your last choice was undone; choose again.');
    if (!state.active) await enter(); else await load();
  } catch (e) {
    if (e instanceof API.ApiError && e.status === 409) { state.last = null; $('blind-undo').hidden = true; }
  } finally {
    state.busy = false;
  }
}

function onKey(e) {
  if (!state.active || e.ctrlKey || e.metaKey || e.altKey) return;
  if (isTypingTarget(e.target)) return; // never while typing
  const choice = { 1: 'left', 2: 'right', t: 'tie', T: 'tie' }[e.key];
  if (choice) { e.preventDefault(); choose(choice); return; }
  if (e.key === 'u' || e.key === 'U') { e.preventDefault(); undo(); return; }
  if (e.key === 'Escape') { e.preventDefault(); exit(); }
}
