// The training runs tab: the loop's state with Retrain now, the candidate worker's status, and the
// newest runs, each headed by its outcome (promoted, kept serving with the reason, ready for a manual
// promotion, cancelled, failed with the error), with progress and Cancel while it runs, and metric
// charts and the last log lines (folded away for finished runs, so the page stays short). A running
// run's event stream redraws the page as it goes; polling every 5 s is the fallback.
import * as API from '../api.js';
import { h, formatDate, notYet } from '../dom.js';
import { lineChart } from '../charts.js';

export const title = 'Training runs';

/** How many runs the page shows (newest first). */
const SHOWN_RUNS = 10;

/** The run's outcome in a few words for its header, and the one-line reason or error under it. */
export function outcome(run, log) {
  const lines = (log || []).map((l) => l.message);
  const find = (re) => lines.map((m) => m.match(re)).find(Boolean);
  if (run.status === 'queued' || run.status === 'running') return { text: run.status, detail: null };
  if (run.status === 'cancelled') return { text: 'cancelled', detail: 'no version was written' };
  if (run.status === 'failed') return { text: 'failed', detail: run.error || 'no error was recorded' };
  const promoted = find(/^promoted (\S+): (.*)$/);
  if (promoted) return { text: `promoted ${promoted[1]}`, detail: promoted[2] };
  const kept = find(/^kept (\S+) serving: (.*)$/);
  if (kept) return { text: `kept ${kept[1]} serving`, detail: kept[2] };
  const manual = find(/^(\S+) is ready; promotion is manual/);
  if (manual) return { text: `${manual[1]} ready for manual promotion`, detail: 'promote it on the Models tab' };
  const failedEval = find(/^automatic evaluation failed, (\S+) keeps serving: (.*)$/);
  if (failedEval) return { text: `kept ${failedEval[1]} serving`, detail: `the automatic evaluation failed: ${failedEval[2]}` };
  return { text: run.status, detail: null };
}

/** What the progress bar counts in this phase. */
function stepText(run) {
  const total = run.totalSteps || 0, step = run.step ?? 0;
  if (run.phase === 'evaluate') {
    return total ? `evaluating: ${step} of ${total} answers sampled (held-out prompts × samples, both versions)` : 'evaluating: loading the models';
  }
  if (run.phase === 'save') return 'saving the new versions';
  return total ? `${run.phase}: step ${step} of ${total}` : `${run.phase}: preparing`;
}

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
      h('p', { class: 'muted', text: `${status.newLabels} new ${status.newLabels === 1 ? 'preference pair' : 'preference pairs'} of ${status.threshold} needed · ${status.automatic ? 'automatic' : 'manual'} retraining · ` +
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
  const shown = runs.slice(0, SHOWN_RUNS);
  const details = await Promise.all(shown.map((run) => API.trainingRun(run.id)));
  for (const [i, run] of shown.entries()) {
    const detail = details[i];
    const active = run.status === 'running' || run.status === 'queued';
    const cancel = active ? h('button', { text: 'Cancel', attrs: { type: 'button' } }) : null;
    cancel?.addEventListener('click', async () => {
      cancel.disabled = true;
      try { await API.cancelRun(run.id); API.notify(`Run ${run.id}: cancelling.`); page.redraw(); } catch { cancel.disabled = false; }
    });
    const total = run.totalSteps || 0;
    const result = outcome(run, detail?.log);
    const box = h('section', { class: `box run run-${run.status}`, attrs: { 'aria-label': `Run ${run.id}` } },
      h('h2', {}, `Run ${run.id} · ${run.kind} · `, h('span', { class: 'outcome', text: result.text })),
      result.detail ? h('p', { class: run.status === 'failed' ? 'error outcome-detail' : 'outcome-detail', text: result.detail }) : null,
      h('p', { class: 'muted', text: `${run.trigger === 'threshold' ? 'threshold reached' : 'retrain requested'} · created ${formatDate(run.createdAt)}` +
        `${run.labelsUsed ? ` · ${run.labelsUsed} ${run.labelsUsed === 1 ? 'pair' : 'pairs'}` : ''}` }),
      active && run.phase ? h('progress', { attrs: { max: total || 1, value: total ? run.step ?? 0 : null, 'aria-label': `Progress of run ${run.id}` } }) : null,
      active && run.phase ? h('p', { class: 'muted progress-text', text: stepText(run) }) : null,
      cancel ? h('p', {}, cancel) : null);
    const charts = h('div', { class: 'charts' });
    // A finished run's charts and log fold away; the running one and the newest stay open.
    const more = h('details', { class: 'run-more', attrs: { open: active || i === 0 } },
      h('summary', { text: 'Charts and log' }), charts);
    box.append(more);
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
    if (log.length) more.append(h('pre', { class: 'log', text: log.map((l) => `${l.level === 'info' ? '' : `${l.level}: `}${l.message}`).join('\n') }));
    out.push(box);
  }
  if (runs.length > SHOWN_RUNS) out.push(h('p', { class: 'muted', text: `Only the newest ${SHOWN_RUNS} runs are shown; GET /api/v1/training/runs lists older ones.` }));
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
