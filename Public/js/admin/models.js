// The model versions tab: every version with its lineage, state and metrics (training loss, held-out
// accuracy, and the automatic promotion's verdict with the measures behind it); Promote and Roll back.
import * as API from '../api.js';
import { h, formatDate, percent, decimal, table, notYet } from '../dom.js';

export const title = 'Model versions';

export async function render(page) {
  const rows = await API.models();
  if (!rows || !rows.length) return notYet('model versions');
  const rollback = (kind) => {
    const b = h('button', { text: `Roll back ${kind}`, attrs: { type: 'button' } });
    b.addEventListener('click', async () => {
      b.disabled = true;
      try { const out = await API.rollbackModel(kind); API.notify(`${out.name} serves again.`); page.redraw(); } catch { b.disabled = false; }
    });
    return b;
  };
  const summary = (m) => {
    const t = m.metrics || {};
    const parts = [];
    if (t.training?.loss !== undefined) parts.push(`loss ${decimal(t.training.loss, 3)}`);
    if (t.eval?.['eval/accuracy'] !== undefined) parts.push(`held-out acc ${percent(t.eval['eval/accuracy'])}`);
    if (t.promotion) parts.push(`${t.promotion.promote ? 'promoted' : 'not promoted'}: ${t.promotion.reason}`);
    const e = t.promotion?.measures; // the automatic evaluation behind the verdict
    if (e?.rewardWinRate) parts.push(`reward-model win rate ${percent(e.rewardWinRate.winRate)} (${e.rewardWinRate.wins}–${e.rewardWinRate.ties}–${e.rewardWinRate.losses})`);
    if (e?.meanRewardA && e?.meanRewardB) parts.push(`mean reward ${decimal(e.meanRewardB.mean, 3)} vs ${decimal(e.meanRewardA.mean, 3)} serving`);
    if (e?.klB) parts.push(`KL to ${e.referenceModel ?? 'the reference'} ${decimal(e.klB.mean, 3)}`);
    if (t.source) parts.push(`from ${t.source}`);
    return parts.join(' · ');
  };
  const tableRows = rows.map((m) => {
    let action = null;
    if (!m.serving && !m.pruned && (m.kind === 'policy' || m.kind === 'reward')) {
      action = h('button', { text: 'Promote', attrs: { type: 'button' } });
      action.addEventListener('click', async () => {
        action.disabled = true;
        try { await API.promoteModel(m.id); API.notify(`${m.name} is serving.`); page.redraw(); } catch { action.disabled = false; }
      });
    }
    return h('tr', {},
      h('td', { text: m.name }), h('td', { text: m.kind }), h('td', { text: m.parent ?? '—' }),
      h('td', { text: m.runId ?? '—' }), h('td', { class: 'num', text: m.labelsUsed ?? 0 }),
      h('td', { text: formatDate(m.createdAt) }), h('td', { text: m.serving ? 'serving' : m.pruned ? 'pruned' : '' }),
      h('td', { text: summary(m) }), h('td', {}, action));
  });
  return [h('p', {}, rollback('policy'), ' ', rollback('reward')),
    table(['Name', 'Kind', 'Parent', 'Run', 'Pairs', 'Created', 'State', 'Metrics', ''], tableRows, 'Model versions')];
}
