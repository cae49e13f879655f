// The evaluations tab: create a blind side-by-side campaign between two versions, follow campaigns
// (redrawn every 5 s while one is being prepared), read a campaign's result, close it, and the
// Bradley–Terry leaderboard of every policy version.
import * as API from '../api.js';
import { h, replace, percent, decimal, table, notYet } from '../dom.js';

export const title = 'Evaluations';

export async function render(page) {
  const [campaigns, board, models] = await Promise.all([API.evaluations(), API.leaderboard(), API.models().catch(() => null)]);
  const rows = campaigns || [];
  if (rows.some((c) => c.status === 'preparing')) page.every(5000);
  const out = [createCampaignForm(page, (models || []).filter((m) => m.kind === 'policy' || m.kind === 'reference'))];
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
  if (!entries.length) out.push(h('p', { class: 'muted', text: 'No versions on the board yet.' }));
  else {
    out.push(h('p', { class: 'muted', text: `Bradley–Terry over ${board.comparisons} judged comparisons; 95% bootstrap intervals (${board.resamples} resamples). Mean reward and KL from the latest campaign with that version.` }));
    out.push(table(['Rank', 'Version', 'Score', '95% interval', 'W / T / L', 'Mean reward', 'KL to reference'], entries.map((e) => h('tr', {},
      h('td', { class: 'num', text: e.rank }), h('td', { text: e.name + (e.serving ? ' (serving)' : '') }),
      h('td', { class: 'num', text: decimal(e.score, 0) }), h('td', { text: `${decimal(e.lower, 0)} … ${decimal(e.upper, 0)}` }),
      h('td', { text: `${e.wins} / ${e.ties} / ${e.losses}` }), h('td', { class: 'num', text: decimal(e.meanReward?.mean, 3) }),
      h('td', { class: 'num', text: decimal(e.kl?.mean, 3) }))), 'Leaderboard'));
  }
  return out;
}

/** The form that creates a campaign between two versions (A the baseline, B the challenger). */
function createCampaignForm(page, versions) {
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
    const body = { modelA: form.querySelector('#eval-a').value.trim(), modelB: form.querySelector('#eval-b').value.trim() };
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
    h('h2', { text: `${c.name}: ${c.modelB} (B) vs ${c.modelA} (A)` }),
    h('p', { class: 'muted', text: `${c.status} · ${c.judged} of ${c.total} judged (${percent(d.progress)})` }),
    h('p', { attrs: { 'data-result': 'counts' }, text: `B: ${r.wins} wins, ${r.ties} ties, ${r.losses} losses` }),
    h('p', { attrs: { 'data-result': 'win-rate' }, text: `Win rate of B ${percent(r.winRate)}, 95% Wilson interval ${percent(r.winRateLower)} – ${percent(r.winRateUpper)} (ties count half)` }),
    h('p', { text: `Among decisive judgments ${percent(r.decisiveWinRate)} (${percent(r.decisiveWinRateLower)} – ${percent(r.decisiveWinRateUpper)}); sign test p = ${Number(r.signTestPValue).toPrecision(3)}` }),
  ];
  if (a?.rewardWinRate) lines.push(h('p', { text: `Reward model ${a.rewardModel}: B wins ${a.rewardWinRate.wins}, ties ${a.rewardWinRate.ties}, loses ${a.rewardWinRate.losses} of ${a.prompts}; mean reward A ${a.meanRewardA?.mean?.toFixed(3)}, B ${a.meanRewardB?.mean?.toFixed(3)}` }));
  if (a?.klA) lines.push(h('p', { text: `KL to ${a.referenceModel}: A ${a.klA.mean.toFixed(3)}, B ${a.klB?.mean?.toFixed(3)} nats per response` }));
  if (c.status === 'open') {
    lines.push(h('p', {}, h('button', { text: 'Close campaign', attrs: { type: 'button' }, on: { click: async () => {
      try { await API.closeEvaluation(c.id); API.notify('Closed.'); page.redraw(); } catch (e) { API.notify(API.describe(e), 'error'); }
    } } })));
  }
  replace(box, h('section', { class: 'box', attrs: { 'aria-label': `Result of ${c.name}` } }, lines));
}
