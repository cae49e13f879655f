// The evaluations tab: create a blind side-by-side campaign between two versions, follow campaigns
// (redrawn every 5 s while one is being prepared), read a campaign's result, close it, and the
// Bradley–Terry leaderboard of every policy version: a version never compared is "not compared", not
// ranked, and neighbours whose intervals overlap are "not distinguishable". A is always the baseline
// and B the challenger, named in that order everywhere.
import * as API from '../api.js';
import { h, replace, percent, decimal, table, notYet } from '../dom.js';

export const title = 'Evaluations';

export async function render(page) {
  const [campaigns, board, models] = await Promise.all([API.evaluations(), API.leaderboard(), API.models().catch(() => null)]);
  const rows = campaigns || [];
  if (rows.some((c) => c.status === 'preparing')) page.every(5000);
  const out = [createCampaignForm(page, (models || []).filter((m) => (m.kind === 'policy' || m.kind === 'reference') && !m.pruned))];
  out.push(h('h2', { text: 'Campaigns' }));
  if (!campaigns) out.push(notYet('evaluations'));
  else if (!rows.length) out.push(h('p', { class: 'muted', text: 'No campaigns yet. Create one above.' }));
  else {
    out.push(table(['Campaign', 'A (baseline) vs B', 'Judged', 'Wins A / B / tie', 'Status', ''], rows.map((c) => h('tr', {},
      h('td', { text: c.name ?? c.id }), h('td', { text: `${c.modelA ?? c.modelAId ?? '?'} vs ${c.modelB ?? c.modelBId ?? '?'}` }),
      h('td', { class: 'num', text: `${c.judged ?? 0} / ${c.total ?? 0}` }),
      h('td', { text: `${c.winsA ?? 0} / ${c.winsB ?? 0} / ${c.ties ?? 0}` }),
      h('td', { text: c.error ? `${c.status}: ${c.error}` : c.status ?? '' }),
      h('td', {}, h('button', { text: 'Result', attrs: { type: 'button', 'aria-label': `Result of ${c.name}` }, on: { click: () => showResult(page, c.id) } })))), 'Evaluations'));
    out.push(h('div', { attrs: { id: 'eval-result' } }));
  }
  out.push(h('h2', { text: 'Leaderboard' }));
  const entries = board?.entries || [];
  // The reference "serves" only as the KL anchor; the annotators never see it.
  const references = new Set((models || []).filter((m) => m.kind === 'reference').map((m) => m.name));
  if (!entries.length) out.push(h('p', { class: 'muted', text: 'No versions on the board yet.' }));
  else {
    out.push(h('p', { class: 'muted', text: `Bradley–Terry over ${board.comparisons} judged comparisons; 95% bootstrap intervals (${board.resamples} resamples). Mean reward and KL from the latest campaign with that version.` }));
    out.push(table(['Rank', 'Version', 'Score', '95% interval', 'Versus the next', 'W / T / L', 'Mean reward', 'KL to reference'],
      leaderboardRows(entries).map(({ e, rank, versus }) => h('tr', { data: { compared: e.comparisons > 0 } },
        h('td', { class: 'num', text: rank }), h('td', { text: e.name + (!e.serving ? '' : references.has(e.name) ? ' (reference)' : ' (serving)') }),
        h('td', { class: 'num', text: e.comparisons ? decimal(e.score, 0) : '—' }),
        h('td', { text: e.comparisons ? `${decimal(e.lower, 0)} … ${decimal(e.upper, 0)}` : '—' }),
        h('td', { class: 'versus', text: versus }),
        h('td', { text: `${e.wins} / ${e.ties} / ${e.losses}` }), h('td', { class: 'num', text: decimal(e.meanReward?.mean, 3) }),
        h('td', { class: 'num', text: decimal(e.kl?.mean, 3) }))), 'Leaderboard'));
  }
  return out;
}

/**
 * The board's rows: compared versions by rank, then the never-compared ones ("not compared"). Each
 * compared version is set against the next one down: "not distinguishable" when their 95% intervals
 * overlap, else "above".
 */
export function leaderboardRows(entries) {
  const compared = entries.filter((e) => e.comparisons > 0).sort((x, y) => x.rank - y.rank);
  const rows = compared.map((e, i) => {
    const next = compared[i + 1];
    let versus = '—';
    if (next) versus = e.lower <= next.upper ? `not distinguishable from ${next.name}` : `above ${next.name}`;
    return { e, rank: String(i + 1), versus };
  });
  return rows.concat(entries.filter((e) => !(e.comparisons > 0)).map((e) => ({ e, rank: 'not compared', versus: 'never judged' })));
}

/** Whether two versions hold the same weights: the same version, or a reference and the policy it was registered from. */
const identical = (x, y) => x.name === y.name || (x.kind === 'reference' && x.parent === y.name) || (y.kind === 'reference' && y.parent === x.name);

/** The form that creates a campaign between two versions (A the baseline, B the challenger). */
function createCampaignForm(page, versions) {
  const pick = (id, label) => {
    const el = versions.length
      ? h('select', { attrs: { id } }, versions.map((v) => h('option', { attrs: { value: v.name }, text: `${v.name}${v.kind === 'reference' ? ' (reference)' : v.serving ? ' (serving)' : ''}` })))
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
  // Default: A the serving policy, B the newest other policy that differs from it (versions come newest first).
  const policies = versions.filter((v) => v.kind === 'policy');
  const a = policies.find((v) => v.serving) ?? policies[policies.length - 1];
  const b = a && policies.find((v) => !identical(v, a));
  if (versions.length) {
    if (a) form.querySelector('#eval-a').value = a.name;
    if (b) form.querySelector('#eval-b').value = b.name;
    else form.querySelector('#eval-b').selectedIndex = -1;   // nothing to compare with yet: no silent self-match
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { modelA: form.querySelector('#eval-a').value.trim(), modelB: form.querySelector('#eval-b').value.trim() };
    const va = versions.find((v) => v.name === body.modelA), vb = versions.find((v) => v.name === body.modelB);
    if (!body.modelA || !body.modelB) { API.notify('Choose two versions.', 'error'); return; }
    if (va && vb && identical(va, vb)) {
      API.notify(`${body.modelA} and ${body.modelB} hold the same weights; choose two different versions.`, 'error');
      return;
    }
    if (prompts.value) body.prompts = Number(prompts.value);
    if (tag.value.trim()) body.tag = tag.value.trim();
    try {
      const created = await API.createEvaluation(body);
      API.notify(`Campaign "${created.name}" created; its responses are being generated.`);
      page.redraw();
    } catch (err) { API.notify(API.describe(err), 'error'); }
  });
  return form;
}

/** Shows campaign `id`'s result in #eval-result: B's record with Wilson intervals, the sign test, the automatic measures. */
async function showResult(page, id) {
  const box = document.getElementById('eval-result');
  let d;
  try { d = await API.evaluation(id); } catch (e) { API.notify(API.describe(e), 'error'); return; }
  const c = d.campaign, r = d.result, a = d.automatic;
  const lines = [
    h('h2', { text: `${c.name}: A ${c.modelA} vs B ${c.modelB}` }),
    h('p', { class: 'muted', text: `${c.status} · ${c.judged} of ${c.total} judged (${percent(d.progress)})` }),
    h('p', { attrs: { 'data-result': 'counts' }, text: `A ${c.modelA} won ${r.losses}, B ${c.modelB} won ${r.wins}, ${r.ties} ${r.ties === 1 ? 'tie' : 'ties'}` }),
    h('p', { attrs: { 'data-result': 'win-rate' }, text: `Win rate of B ${percent(r.winRate)}, 95% Wilson interval ${percent(r.winRateLower)} – ${percent(r.winRateUpper)} (ties count half)` }),
    h('p', { text: `Among decisive judgments ${percent(r.decisiveWinRate)} (${percent(r.decisiveWinRateLower)} – ${percent(r.decisiveWinRateUpper)}); sign test p = ${Number(r.signTestPValue).toPrecision(3)}` }),
  ];
  if (a?.rewardWinRate) lines.push(h('p', { text: `Reward model ${a.rewardModel}: A wins ${a.rewardWinRate.losses}, B wins ${a.rewardWinRate.wins}, ${a.rewardWinRate.ties} ties of ${a.prompts}; mean reward A ${decimal(a.meanRewardA?.mean, 3)}, B ${decimal(a.meanRewardB?.mean, 3)}` }));
  if (a?.klA) lines.push(h('p', { text: `KL to ${a.referenceModel}: A ${decimal(a.klA.mean, 3)}, B ${decimal(a.klB?.mean, 3)} nats per response` }));
  if (c.status === 'open') {
    lines.push(h('p', {}, h('button', { text: 'Close campaign', attrs: { type: 'button' }, on: { click: async () => {
      try { await API.closeEvaluation(c.id); API.notify('Closed.'); page.redraw(); } catch (e) { API.notify(API.describe(e), 'error'); }
    } } })));
  }
  replace(box, h('section', { class: 'box', attrs: { 'aria-label': `Result of ${c.name}` } }, lines));
}
