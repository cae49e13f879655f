// The model versions tab: every version with its state (serving, reference, candidate, rolled back,
// replaced, pruned), origin, lineage and metrics (training loss, held-out accuracy, and the automatic
// evaluation's verdict with the measures behind it); Promote and Roll back, each after a confirmation
// naming its consequence; and the promotion history (who or what changed the serving version, when, why).
import * as API from '../api.js';
import { h, formatDate, percent, decimal, table, notYet } from '../dom.js';
import { confirmStep } from './confirm.js';

export const title = 'Model versions';

/** The state column in words; `serving` is what the annotators' candidates come from. */
const STATE = {
  serving: (m) => (m.kind === 'policy' ? 'serving (writes the annotators’ candidates)' : 'serving (scores and trains)'),
  reference: () => 'reference (fixed KL anchor; not shown to annotators)',
  'former reference': () => 'former reference',
  candidate: () => 'candidate (never served)',
  'rolled back': () => 'rolled back',
  replaced: () => 'served before; replaced',
  pruned: () => 'pruned (folder deleted)',
};

export async function render(page) {
  const data = await API.modelsWithHistory();
  if (!data || !data.models.length) return notYet('model versions');
  const { models: rows, promotions } = data;
  const serving = (kind) => rows.find((m) => m.kind === kind && m.serving);
  const act = async (button, ask, run, done) => {
    const answer = await confirmStep(ask);
    if (!answer.ok) return;
    button.disabled = true;
    try { const out = await run(answer.reason); API.notify(done(out)); page.redraw(); } catch { button.disabled = false; }
  };
  const rollback = (kind) => {
    const now = serving(kind);
    const last = now && promotions.find((p) => p.modelId === now.id);
    const target = last?.previous;
    const b = h('button', { text: `Roll back ${kind}`, attrs: { type: 'button', disabled: !target } });
    b.addEventListener('click', () => act(b, {
      title: `Roll back the ${kind}?`,
      consequence: `${target} serves again in place of ${now.name}${kind === 'policy' ? '; new candidates for the annotators come from it' : ''}. ${now.name} stays listed and can be promoted again.`,
      confirmText: `Roll back to ${target}`, danger: true, askReason: true,
    }, (reason) => API.rollbackModel(kind, reason), (out) => `${out.name} serves again.`));
    return b;
  };
  const summary = (m) => {
    const t = m.metrics || {};
    const parts = [];
    if (t.training?.loss !== undefined) parts.push(`loss ${decimal(t.training.loss, 3)}`);
    if (t.eval?.['eval/accuracy'] !== undefined) parts.push(`held-out acc ${percent(t.eval['eval/accuracy'])}`);
    // The automatic evaluation's advice at training time; the State column says what happened since.
    if (t.promotion) parts.push(`automatic evaluation ${t.promotion.promote ? 'advised promoting' : 'advised keeping the serving version'}: ${t.promotion.reason}`);
    const e = t.promotion?.measures; // the automatic evaluation behind the verdict
    if (e?.rewardWinRate) parts.push(`reward-model win rate ${percent(e.rewardWinRate.winRate)} (${e.rewardWinRate.wins}–${e.rewardWinRate.ties}–${e.rewardWinRate.losses})`);
    if (e?.meanRewardA && e?.meanRewardB) parts.push(`mean reward ${decimal(e.meanRewardB.mean, 3)} vs ${decimal(e.meanRewardA.mean, 3)} serving`);
    if (e?.klB) parts.push(`KL to ${e.referenceModel ?? 'the reference'} ${decimal(e.klB.mean, 3)}`);
    return parts.join(' · ');
  };
  const tableRows = rows.map((m) => {
    let action = null;
    if (!m.serving && !m.pruned && (m.kind === 'policy' || m.kind === 'reward')) {
      const current = serving(m.kind);
      action = h('button', { text: 'Promote', attrs: { type: 'button', 'aria-label': `Promote ${m.name}` } });
      action.addEventListener('click', () => act(action, {
        title: `Promote ${m.name}?`,
        consequence: `${m.name} serves in place of ${current?.name ?? 'no version'}` +
          `${m.kind === 'policy' ? '; new candidates for the annotators come from it and the next run trains on top of it' : '; it scores candidates and is refreshed by the next run'}.` +
          `${current ? ` Roll back returns to ${current.name}.` : ''}`,
        confirmText: `Promote ${m.name}`, askReason: true,
      }, (reason) => API.promoteModel(m.id, reason), () => `${m.name} is serving.`));
    }
    const state = (STATE[m.state] ?? (() => m.state ?? ''))(m);
    return h('tr', { data: { state: m.state ?? '' } },
      h('td', { text: m.name }), h('td', { text: m.kind }), h('td', { class: 'state', text: state }),
      h('td', { text: m.origin || '—' }), h('td', { text: m.parent ?? '—' }),
      h('td', { text: m.runId ?? '—' }), h('td', { class: 'num', text: m.labelsUsed ?? 0 }),
      h('td', { text: formatDate(m.createdAt) }), h('td', { text: summary(m) || '—' }), h('td', {}, action));
  });
  const history = promotions.map((p) => h('tr', {},
    h('td', { text: formatDate(p.createdAt) }), h('td', { text: p.kind }), h('td', { text: p.model ?? `#${p.modelId}` }),
    h('td', { text: p.previous ?? '—' }), h('td', { text: p.trigger === 'admin' || p.trigger === 'rollback' ? `${p.by} (${p.trigger})` : p.by }),
    h('td', { text: p.reason || '—' })));
  return [h('p', {}, rollback('policy'), ' ', rollback('reward')),
    table(['Name', 'Kind', 'State', 'Origin', 'Parent', 'Run', 'Pairs', 'Created', 'Metrics', 'Action'], tableRows, 'Model versions'),
    h('h2', { text: 'Promotion history' }),
    history.length ? table(['When', 'Kind', 'Serves', 'In place of', 'By', 'Why'], history, 'Promotion history')
      : h('p', { class: 'muted', text: 'No version has been promoted yet.' })];
}
