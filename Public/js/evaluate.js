// Blind comparison tasks on the annotator page. When an evaluation campaign is open the toolbar offers
// "Blind comparison"; in that mode the page shows a prompt and two responses as Left and Right (the
// same look as a pairwise task) and 1, 2 or T records the choice at once. The server never says which
// model wrote which side, and this module never asks. Text reaches the page only through textContent.
import * as API from './api.js';
import { h, replace, richText, isTypingTarget, promptTurns } from './dom.js';

const $ = (id) => document.getElementById(id);
const state = { active: false, comparison: null, busy: false, onExit: () => {} };

/** True while a blind comparison is on screen (annotate.js leaves the keyboard to us then). */
export const active = () => state.active;

/** Wires the buttons and keys; `onExit` brings the ordinary task back. */
export function init({ onExit }) {
  state.onExit = onExit;
  $('btn-blind').addEventListener('click', () => (state.active ? exit() : enter()));
  document.querySelectorAll('#blind [data-choice]').forEach((b) => b.addEventListener('click', () => choose(b.dataset.choice)));
  document.addEventListener('keydown', onKey);
}

/** Shows the toolbar button when a comparison is waiting; returns whether one is. */
export async function offer() {
  let n = 0;
  try { n = await API.blindAvailable(); } catch { /* no campaign routes or none open */ }
  $('btn-blind').hidden = !n && !state.active;
  if (n) $('btn-blind').textContent = `Blind comparison (${n})`;
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
  window.scrollTo(0, 0);
}

async function choose(choice) {
  if (!state.comparison || state.busy) return;
  state.busy = true;
  try {
    await API.withRetry(() => API.judgeComparison(state.comparison.id, choice));
    API.notify({ left: 'Left is better', right: 'Right is better', tie: 'Tie' }[choice] + ' — saved.');
    await load();
  } catch (e) {
    API.notify(API.describe(e), 'error');
    if (e instanceof API.ApiError && e.status === 409) await load();
  } finally {
    state.busy = false;
  }
}

function onKey(e) {
  if (!state.active || e.ctrlKey || e.metaKey || e.altKey) return;
  if (isTypingTarget(e.target)) return; // never while typing
  const choice = { 1: 'left', 2: 'right', t: 'tie', T: 'tie' }[e.key];
  if (choice) { e.preventDefault(); choose(choice); return; }
  if (e.key === 'Escape') { e.preventDefault(); exit(); }
}
