// The training runs tab: the loop's state with Retrain now, the candidate worker's status, and the
// newest runs with progress, Cancel, metric charts and the last log lines. A running run's event
// stream redraws the page as it goes; polling every 5 s is the fallback.
import * as API from '../api.js';
import { h, formatDate, notYet } from '../dom.js';
import { lineChart } from '../charts.js';

export const title = 'Training runs';

export async function render(page) {
  const [runs, status, candidates] = await Promise.all([API.trainingRuns(), API.trainingStatus(), API.candidateStatus()]);
  const out = [];
  if (status) {
    const retrain = h('button', { class: 'primary', text: 'Retrain now', attrs: { type: 'button', disabled: status.state !== 'idle' || !status.servingPolicy } });
    retrain.addEventListener('click', async () => {
      retrain.disabled = true;
      try { await API.retrain(); API.notify('Retraining queued.'); page.redraw(); } catch { retrain.disabled = false; }
    });
    out.push(h('section', { class: 'box', attrs: { 'aria-label': 'Training status' } },
      h('p', { text: `State: ${status.state}${status.phase ? ` (${status.phase} ${status.step}/${status.totalSteps})` : ''} · serving ${status.servingPolicy ?? 'no policy'}` +
        `${status.servingReward ? ` · reward ${status.servingReward}` : ''}` }),
      h('p', { class: 'muted', text: `${status.newLabels} new preference pairs of ${status.threshold} needed · ${status.automatic ? 'automatic' : 'manual'} retraining · ` +
        `${status.objective.toUpperCase()} · ${status.promotion} promotion${status.nextThresholdRunAt ? ` · next automatic run after ${formatDate(status.nextThresholdRunAt)}` : ''}` }),
      status.servingPolicy ? null : h('p', { class: 'muted', text: 'Start hilo serve with --policy DIR to train.' }),
      h('p', {}, retrain)));
  }
  if (candidates) out.push(candidateBox(candidates));
  if (!runs || !runs.length) return out.length ? [...out, notYet('training runs')] : notYet('training runs');
  const live = runs.find((r) => r.status === 'running' || r.status === 'queued');
  if (live) {
    // Live progress: the run's event stream redraws the page; polling is the fallback.
    if (window.EventSource) {
      const events = API.runEvents(live.id);
      let pending = null;
      const redraw = () => { clearTimeout(pending); pending = setTimeout(page.redraw, 700); };
      ['progress', 'log', 'done'].forEach((e) => events.addEventListener(e, redraw));
      events.addEventListener('done', () => events.close());
      events.onerror = () => { events.close(); page.every(5000); };
      page.onLeave(() => { events.close(); clearTimeout(pending); });
    } else {
      page.every(5000);
    }
  }
  for (const run of runs.slice(0, 20)) {
    const detail = await API.trainingRun(run.id);
    const active = run.status === 'running' || run.status === 'queued';
    const cancel = active ? h('button', { text: 'Cancel', attrs: { type: 'button' } }) : null;
    cancel?.addEventListener('click', async () => {
      cancel.disabled = true;
      try { await API.cancelRun(run.id); API.notify(`Run ${run.id}: cancelling.`); page.redraw(); } catch { cancel.disabled = false; }
    });
    const total = run.totalSteps || 0;
    const box = h('section', { class: 'box', attrs: { 'aria-label': `Run ${run.id}` } },
      h('h2', { text: `Run ${run.id} · ${run.kind} · ${run.status}${run.phase && active ? ` · ${run.phase}` : ''}` }),
      h('p', { class: 'muted', text: `${run.trigger === 'threshold' ? 'threshold reached' : 'retrain requested'} · created ${formatDate(run.createdAt)}` +
        `${run.labelsUsed ? ` · ${run.labelsUsed} pairs` : ''}${run.error ? ` · error: ${run.error}` : ''}` }),
      active && total ? h('progress', { attrs: { max: total, value: run.step ?? 0, 'aria-label': `Progress of run ${run.id}` } }) : null,
      active && total ? h('p', { class: 'muted', text: `${run.phase}: step ${run.step ?? 0} of ${total}` }) : null,
      cancel ? h('p', {}, cancel) : null);
    const charts = h('div', { class: 'charts' });
    box.append(charts);
    const byName = new Map();
    for (const m of detail?.metrics || []) {
      if (!byName.has(m.name)) byName.set(m.name, []);
      byName.get(m.name).push([m.step, m.value]);
    }
    for (const group of [['rm/loss', 'loss'], ['rm/accuracy', 'rewards/accuracies'], ['rewards/margins', 'rm/margin'], ['objective/kl', 'kl']]) {
      const series = group.filter((n) => byName.has(n)).map((n) => ({ name: n, points: byName.get(n) }));
      if (series.length) charts.append(lineChart(series, { title: `${group.join(', ')} by step`, height: 200 }));
    }
    const log = (detail?.log || []).slice(-12);
    if (log.length) box.append(h('pre', { class: 'log', text: log.map((l) => `${l.level === 'info' ? '' : `${l.level}: `}${l.message}`).join('\n') }));
    out.push(box);
  }
  return out;
}

/** The candidate worker: which version answers the queue, how far ahead it is, and why it idles. */
function candidateBox(c) {
  const lines = [];
  if (!c.running) {
    lines.push(h('p', { text: 'Candidates: no generator runs (hilo serve starts one when a policy serves).' }));
  } else if (!c.enabled) {
    lines.push(h('p', { text: 'Candidates: generation is off (Settings → candidates).' }));
  } else if (!c.version) {
    lines.push(h('p', { text: 'Candidates: no policy serves, so nothing is generated (start hilo serve with --policy DIR).' }));
  } else {
    const speed = c.tokensPerSecond ? ` · ${Math.round(c.tokensPerSecond)} tokens/s` : '';
    lines.push(h('p', { text: `Candidates: ${c.version} answers ${c.stockedPrompts} of ${c.bufferPrompts} buffered prompts · ` +
      `${c.generatedTotal} responses written${speed}` }));
    lines.push(h('p', { class: 'muted', text: `${c.unlabelledPrompts} unlabelled prompts` +
      `${c.exhaustedPrompts ? ` · ${c.exhaustedPrompts} left alone (fewer than 2 distinct answers)` : ''}` +
      `${c.rewardVersion ? ` · ${c.scoredTotal} scored by ${c.rewardVersion}, ${c.aiLabelsTotal} AI labels` : ''}` }));
    if (c.unlabelledPrompts === 0) {
      lines.push(h('p', { class: 'notice', text: 'Every prompt has a label, so the serving policy has nothing new to answer. Import prompts (Import & export) for fresh candidates.' }));
    }
  }
  if (c.error) lines.push(h('p', { class: 'error', text: `Last pass failed: ${c.error}` }));
  return h('section', { class: 'box', attrs: { 'aria-label': 'Candidate generation' } }, lines);
}
