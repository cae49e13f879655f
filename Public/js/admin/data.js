// The import and export tab: upload a JSONL or CSV file with a progress bar and read the importer's
// report; build export download links from a format and filters, with an optional train/test split,
// after counting the rows they hold (a server error shows in the form's own words, not as CLI flags).
import * as API from '../api.js';
import { h, replace, percent, table } from '../dom.js';

export const title = 'Import & export';

export async function render() {
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
        barText.textContent = `${percent(sent / Math.max(1, total), 0)} of ${(total / 1024).toFixed(0)} KiB sent`;
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
  const count = h('p', { attrs: { id: 'exp-count', 'aria-live': 'polite' } });
  let counting = 0, timer = null;
  // Counts the rows of the download(s) as they stand; a refusal disables the links and says why.
  const recount = async () => {
    const mine = ++counting;
    const urls = testLink.hidden ? [link.href] : [link.href, testLink.href];
    count.className = 'muted';
    count.textContent = 'Counting rows…';
    const results = await Promise.all(urls.map((u) => countRows(u)));
    if (mine !== counting) return; // the form changed meanwhile
    const failed = results.find((r) => r.error);
    for (const a of [link, testLink]) a.classList.toggle('disabled', !!failed);
    if (failed) {
      count.className = 'error';
      count.textContent = `Cannot export: ${formWords(failed.error)}`;
      for (const a of [link, testLink]) a.setAttribute('aria-disabled', 'true');
      return;
    }
    for (const a of [link, testLink]) a.removeAttribute('aria-disabled');
    const [train, test] = results.map((r) => r.rows);
    count.textContent = test === undefined ? `${rowsText(train)} to download.`
      : `${rowsText(train)} in the train split, ${rowsText(test)} in the test split.`;
    if (train === 0 && (test ?? 0) === 0) count.textContent += ' Nothing matches these filters yet.';
  };
  const update = () => {
    const split = Number(fraction.value) > 0;
    const filters = {
      since: since.value ? Date.parse(`${since.value}T00:00:00Z`) : '', annotator: who.value.split(',').map((s) => s.trim()).filter(Boolean),
      minAgreement: minAgree.value, conversational: conv.checked, includeAi: ai.checked, aggregate: agg.checked,
      testFraction: split ? fraction.value : '', seed: split ? seed.value : '',
    };
    link.setAttribute('href', API.exportURL(ef.value, { ...filters, split: split ? 'train' : '' }));
    link.setAttribute('download', `hilo-${ef.value}${split ? '-train' : ''}.jsonl`);
    link.textContent = `Download ${ef.value} export${split ? ' (train split)' : ''}`;
    testLink.hidden = !split;
    testLink.setAttribute('href', API.exportURL(ef.value, { ...filters, split: 'test' }));
    testLink.setAttribute('download', `hilo-${ef.value}-test.jsonl`);
    testLink.textContent = `Download ${ef.value} export (test split)`;
    clearTimeout(timer);
    timer = setTimeout(recount, 300);
  };
  for (const a of [link, testLink]) a.addEventListener('click', (e) => { if (a.getAttribute('aria-disabled') === 'true') e.preventDefault(); });
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
    count,
    h('p', {}, link, ' ', testLink));
  update();
  return [importForm, exportBox];
}

const rowsText = (n) => `${n.toLocaleString('en')} ${n === 1 ? 'row' : 'rows'}`;

/** The rows an export URL would download ({ rows }), or the server's refusal ({ error }). */
async function countRows(url) {
  try {
    const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const text = await r.text();
    if (!r.ok) {
      let message = `HTTP ${r.status}`;
      try { message = JSON.parse(text).error?.message || message; } catch { /* not JSON */ }
      return { error: message };
    }
    return { rows: text.split('\n').filter((l) => l.trim()).length };
  } catch {
    return { error: 'the server is not answering' };
  }
}

/** The server's parameter and CLI flag names in a message, as the form labels them. */
const FORM_WORDS = [
  [/--min-agreement|min_agreement/g, 'Minimum agreement'], [/--test-fraction|test_fraction/g, 'Test fraction'],
  [/split=test needs Test fraction > 0/g, 'the test split needs a Test fraction above 0'],
  [/--conversational|\bconversational\b/g, 'Conversational'], [/--implicit-prompt|implicit_prompt/g, 'implicit prompt'],
  [/--include-ai|include_ai/g, 'Include AI labels'], [/--aggregate|\baggregate\b(?= )/g, 'Aggregate annotators'],
  [/--format (\S+)/g, 'the $1 format'], [/\bseed\b/g, 'Split seed'], [/\bsince\b/g, 'Labels since'],
  [/--annotator|\bannotator filter\b/g, 'Annotators filter'],
];
export const formWords = (message) => FORM_WORDS.reduce((m, [re, words]) => m.replace(re, words), message);

/** What an import did: counts, and the first 200 bad rows with their line and field. */
function importReport(r) {
  const facts = [['Rows read', r.rows], ['Prompts added', r.promptsAdded], ['Responses added', r.responsesAdded],
    ['Judgments added', r.judgmentsAdded], ['Unchanged (already imported)', r.unchangedRows], ['Bad rows', r.badRows]];
  return h('div', {},
    h('dl', { class: 'legend' }, facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v ?? 0 })])),
    r.errors?.length ? table(['Line', 'Field', 'Problem'], r.errors.slice(0, 200).map((e) =>
      h('tr', {}, h('td', { class: 'num', text: e.line }), h('td', { text: e.field ?? '' }), h('td', { text: e.message }))), 'Import errors') : null);
}
