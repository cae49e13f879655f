// Small DOM helpers shared by both pages. Untrusted text (prompts, responses, names, server
// messages) only ever reaches the page through textContent or attribute values set with
// setAttribute; nothing here parses HTML, so nothing here can run a script.

/**
 * Creates an element. `props` may hold: class (string), text (set as textContent), attrs
 * (setAttribute for each), on (event listeners), and dataset entries under data.
 * Children are nodes or strings (strings become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined && props.text !== null) el.textContent = String(props.text);
  for (const [k, v] of Object.entries(props.attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const [k, v] of Object.entries(props.data || {})) el.dataset[k] = String(v);
  for (const [k, fn] of Object.entries(props.on || {})) el.addEventListener(k, fn);
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** An SVG element (charts are built from these, never from markup strings). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

/** Removes every child of `el` and appends `children`. */
export function replace(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/**
 * Renders model or prompt text: whitespace kept (the CSS class uses white-space: pre-wrap) and
 * fenced ``` blocks shown as monospace code. Returns a fragment of text-only nodes.
 */
export function richText(text) {
  const frag = document.createDocumentFragment();
  const lines = String(text ?? '').split('\n');
  let prose = [];
  let code = null; // { lang, lines } while inside a fence
  const flushProse = () => {
    if (prose.length) frag.append(h('div', { class: 'prose', text: prose.join('\n') }));
    prose = [];
  };
  for (const line of lines) {
    const fence = /^\s*```(.*)$/.exec(line);
    if (fence && !code) {
      flushProse();
      code = { lang: fence[1].trim(), lines: [] };
    } else if (fence && code && fence[1].trim() === '') {
      frag.append(codeBlock(code));
      code = null;
    } else if (code) {
      code.lines.push(line);
    } else {
      prose.push(line);
    }
  }
  if (code) frag.append(codeBlock(code)); // an unclosed fence still shows as code
  flushProse();
  return frag;
}

function codeBlock({ lang, lines }) {
  const pre = h('pre', { class: 'code' }, h('code', { text: lines.join('\n') }));
  if (lang) pre.setAttribute('aria-label', `${lang} code`);
  return pre;
}

/** True when keyboard input belongs to a text field (shortcuts must not fire then). */
export function isTypingTarget(el) {
  if (!el || el === document.body) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (el.getAttribute('type') || 'text').toLowerCase();
    return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file'].includes(type);
  }
  return false;
}

export const letter = (i) => String.fromCharCode(65 + i);

export function formatDate(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '—' : d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/**
 * A boxed table: `headers` are column titles, `rows` are <tr> elements. Each cell carries its column's
 * title (data-label), so on a narrow screen the admin stylesheet shows every row as a card.
 */
export function table(headers, rows, caption) {
  for (const tr of rows) [...tr.children].forEach((td, i) => { if (headers[i]) td.dataset.label = headers[i]; });
  return h('div', { class: 'box' }, h('table', {},
    caption ? h('caption', { class: 'visually-hidden', text: caption }) : null,
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { text: t, attrs: { scope: 'col' } })))),
    h('tbody', {}, rows)));
}

/** An admin view's empty state: "No training runs yet.", with the reason it may be empty. */
export const notYet = (what) => h('div', { class: 'box empty' }, h('p', { text: `No ${what} yet.` }),
  h('p', { class: 'muted', text: 'This server does not offer these routes yet, or nothing has been recorded. They appear here as soon as the training loop provides them.' }));

// One formatter per kind of number; a missing value shows as a dash.

/** A fraction (0.857) as a percentage with `digits` decimals: "85.7 %". */
export const percent = (v, digits = 1) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(digits)} %`);

/** A number with `digits` decimals: "0.42". */
export const decimal = (v, digits = 2) => {
  if (v === null || v === undefined) return '—';
  const text = Number(v).toFixed(digits);
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;   // a zero is "0", never "-0"
};

/**
 * The turns of a prompt: its messages when it has them; a prompt in the Anthropic HH form
 * ("\n\nHuman: … \n\nAssistant: …", ending with an empty "Assistant:") as the conversation it is,
 * markers removed; any other text as one user turn. Plain data: the caller renders it as text.
 */
export function promptTurns(prompt) {
  if (prompt.messages?.length) return prompt.messages;
  const text = String(prompt.text ?? '');
  if (!/^\s*Human:/.test(text)) return [{ role: 'user', content: text }];
  const marks = [...text.matchAll(/(?:^\s*|\n\n)(Human|Assistant):[ \t]?/g)];
  const turns = marks.map((m, k) => ({
    role: m[1] === 'Human' ? 'user' : 'assistant',
    content: text.slice(m.index + m[0].length, k + 1 < marks.length ? marks[k + 1].index : text.length).trim(),
  }));
  while (turns.length > 1 && turns[turns.length - 1].role === 'assistant' && !turns[turns.length - 1].content) turns.pop();
  return turns;
}
