// The dashboard: totals, labels per day, labels per annotator, throughput and agreement per annotator,
// and queue coverage (prompts by how many labels that count toward overlap they have).
import * as API from '../api.js';
import { h, percent, decimal, table } from '../dom.js';
import { lineChart, barChart } from '../charts.js';

export const title = 'Dashboard';

export async function render() {
  const s = await API.stats(30);
  const t = s.totals;
  const cards = h('div', { class: 'cards' }, [
    ['Prompts', t.prompts], ['Responses', t.responses], ['Labels', t.labels], ['Preference pairs', t.pairs], ['Annotators', t.annotators],
    ['Agreement', percent(s.agreement.percent)], ["Krippendorff's α", decimal(s.agreement.alpha)],
  ].map(([name, value]) => h('div', { class: 'stat' }, h('div', { class: 'value', text: value }), h('div', { class: 'name', text: name }))));

  const days = s.days.map((d) => [Date.parse(`${d.day}T00:00:00Z`), d]);
  const overTime = lineChart([
    { name: 'labels', points: days.map(([x, d]) => [x, d.labels]) },
    { name: 'skips', points: days.map(([x, d]) => [x, d.skips]) },
  ], { title: 'Labels per day (last 30 days, UTC)', xFormat: (x) => new Date(x).toISOString().slice(5, 10) });

  const people = s.annotators.filter((a) => a.labels > 0);
  const through = barChart(people.map((a) => ({
    label: a.name, value: a.labels,
    note: `${a.labels} (24 h: ${a.labelsLast24h}${a.medianSecondsPerLabel != null ? `, median ${decimal(a.medianSecondsPerLabel, 1)} s` : ''})`,
  })), { title: 'Labels per annotator' });

  const agree = table(['Annotator', 'Labels', 'Last 24 h', 'Median time', 'Agreement with others', 'α without them'],
    s.annotators.map((a) => h('tr', {},
      h('td', { text: a.name }), h('td', { class: 'num', text: a.labels }), h('td', { class: 'num', text: a.labelsLast24h }),
      h('td', { class: 'num', text: a.medianSecondsPerLabel == null ? '—' : `${decimal(a.medianSecondsPerLabel, 1)} s` }),
      h('td', { class: 'num', text: percent(a.agreementPercent) }), h('td', { class: 'num', text: decimal(a.alphaWithout) }))),
    'Throughput and agreement per annotator');

  // Queue coverage: prompts by how many labels that count toward overlap they have (capped at overlap).
  const c = s.coverage;
  const share = (n) => (c.prompts ? n / c.prompts : null);
  const coverage = h('div', { class: 'box', attrs: { id: 'coverage' } },
    h('h2', { text: 'Queue coverage' }),
    h('progress', { attrs: { max: Math.max(1, c.prompts), value: c.complete, 'aria-label': 'Prompts with all the labels they want' } }),
    h('p', { class: 'coverage-complete', text: `${c.complete} of ${c.prompts} prompts complete (${percent(share(c.complete))}) at overlap ${c.overlap}; ` +
      `${s.agreement.promptsWithOverlap} prompts have labels from more than one annotator (${s.agreement.comparisons} comparisons).` }),
    h('table', {},
      h('caption', { class: 'visually-hidden', text: 'Prompts by number of labels' }),
      h('thead', {}, h('tr', {}, ['Labels', 'Prompts', 'Share'].map((x) => h('th', { text: x, attrs: { scope: 'col' } })))),
      h('tbody', {}, c.byJudgments.map((b) => h('tr', {},
        h('td', { class: 'num', text: b.judgments === c.overlap ? `${b.judgments} (complete)` : b.judgments }),
        h('td', { class: 'num', text: b.prompts }), h('td', { class: 'num', text: percent(share(b.prompts)) }))))));
  return [cards, overTime, through, h('h2', { text: 'Throughput and agreement' }), agree, coverage];
}
