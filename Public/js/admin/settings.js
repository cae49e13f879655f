// The settings tab: tasks (K, overlap, lease, undo window, criteria), retraining (every loop setting:
// threshold, interval, objective, automatic runs, promotion mode, versions kept, threads, AI labels),
// the automatic evaluation, fresh candidates, AI pre-labels and the guidelines, saved together (the
// server changes only the fields it is sent).
import * as API from '../api.js';
import { h } from '../dom.js';

export const title = 'Settings';

export async function render() {
  const s = await API.settings();
  const field = (id, label, input, hint) => h('div', {}, h('label', { attrs: { for: id }, text: label }), input, hint ? h('p', { class: 'hint', text: hint }) : null);
  const numIn = (id, v, min, max) => h('input', { attrs: { type: 'number', id, value: v, min, max, step: 1, required: true } });
  const criteria = h('textarea', { attrs: { id: 'set-criteria', rows: 4 }, text: s.criteria.join('\n') });
  const k = numIn('set-k', s.responsesPerTask, 2, 16);
  const overlap = numIn('set-overlap', s.overlap, 1, 50);
  const disagree = h('input', { attrs: { type: 'checkbox', id: 'set-disagree', checked: !!s.prioritizeDisagreement } });
  const lease = numIn('set-lease', s.leaseSeconds, 30, 86400);
  const undo = numIn('set-undo', s.undoWindowSeconds, 0, 86400);
  const minNew = numIn('set-min-new', s.retraining.minNewLabels, 1, 10000000);
  const objective = h('select', { attrs: { id: 'set-objective' } }, ['dpo', 'ipo', 'kto', 'ppo'].map((o) =>
    h('option', { attrs: { value: o, selected: o === s.retraining.objective }, text: o.toUpperCase() })));
  const automatic = h('input', { attrs: { type: 'checkbox', id: 'set-auto', checked: !!s.retraining.automatic } });
  const r = s.retraining, ev = s.evaluation;
  const interval = numIn('set-interval', r.minIntervalSeconds ?? 300, 0, 604800);
  const promotion = h('select', { attrs: { id: 'set-promotion' } },
    [['automatic', 'Automatic: serve a new policy when the evaluation says it is better'], ['manual', 'Manual: an admin promotes it']].map(([v, t]) =>
      h('option', { attrs: { value: v, selected: v === (r.promotion ?? 'automatic') }, text: t })));
  const keep = numIn('set-keep', r.keepVersions ?? 5, 1, 1000);
  const threads = numIn('set-threads', r.threads ?? 1, 1, 256);
  const includeAi = h('input', { attrs: { type: 'checkbox', id: 'set-include-ai', checked: !!r.includeAiLabels } });
  const evPrompts = numIn('set-eval-prompts', ev.prompts ?? 100, 1, 100000);
  const evSamples = numIn('set-eval-samples', ev.samplesPerPrompt ?? 16, 1, 256);
  const c = s.candidates, ai = s.rlaif;
  const candOn = h('input', { attrs: { type: 'checkbox', id: 'set-cand-on', checked: c.enabled !== false } });
  const perPrompt = numIn('set-per-prompt', c.perPrompt ?? 4, 2, 16);
  const buffer = numIn('set-buffer', c.bufferPrompts ?? 64, 1, 100000);
  const maxNew = numIn('set-max-new', c.maxNewTokens ?? 48, 1, 4096);
  const temp = h('input', { attrs: { type: 'number', id: 'set-temp', value: c.temperature ?? 1, min: 0.01, max: 10, step: 0.01, required: true } });
  const topP = h('input', { attrs: { type: 'number', id: 'set-top-p', value: c.topP ?? 0.95, min: 0.01, max: 1, step: 0.01, required: true } });
  const scoreOn = h('input', { attrs: { type: 'checkbox', id: 'set-score', checked: ai.scoreResponses !== false } });
  const showScores = h('input', { attrs: { type: 'checkbox', id: 'set-show-scores', checked: !!ai.showScoresToAnnotators } });
  const autoLabel = h('input', { attrs: { type: 'checkbox', id: 'set-auto-label', checked: !!ai.autoLabel } });
  const confidence = h('input', { attrs: { type: 'number', id: 'set-confidence', value: ai.confidenceThreshold ?? 0.9, min: 0.51, max: 0.99, step: 0.01, required: true } });
  const guidelines = h('textarea', { attrs: { id: 'set-guidelines', rows: 10 }, text: s.guidelines });
  const importsFirst = h('input', { attrs: { type: 'checkbox', id: 'set-imports-first', checked: s.importsFirst !== false } });
  const qaShare = h('input', { attrs: { type: 'number', id: 'set-qa-share', value: s.qaShare ?? 0.15, min: 0, max: 0.5, step: 0.01, required: true } });
  const publicUrl = h('input', { attrs: { type: 'url', id: 'set-public-url', value: s.server?.public_url ?? '', placeholder: 'http://127.0.0.1:8080' } });
  const save = h('button', { class: 'primary', text: 'Save settings', attrs: { type: 'submit' } });
  return h('form', { class: 'box', attrs: { 'aria-label': 'Settings' }, on: { submit: async (e) => {
    e.preventDefault();
    save.disabled = true;
    try {
      await API.saveSettings({
        criteria: criteria.value.split('\n').map((c) => c.trim()).filter(Boolean),
        responsesPerTask: Number(k.value), overlap: Number(overlap.value), prioritizeDisagreement: disagree.checked,
        leaseSeconds: Number(lease.value), undoWindowSeconds: Number(undo.value),
        retraining: { minNewLabels: Number(minNew.value), minIntervalSeconds: Number(interval.value), objective: objective.value,
          automatic: automatic.checked, promotion: promotion.value, keepVersions: Number(keep.value), threads: Number(threads.value),
          includeAiLabels: includeAi.checked },
        evaluation: { prompts: Number(evPrompts.value), samplesPerPrompt: Number(evSamples.value) },
        candidates: { enabled: candOn.checked, perPrompt: Number(perPrompt.value), bufferPrompts: Number(buffer.value),
          maxNewTokens: Number(maxNew.value), temperature: Number(temp.value), topP: Number(topP.value) },
        rlaif: { scoreResponses: scoreOn.checked, showScoresToAnnotators: showScores.checked, autoLabel: autoLabel.checked,
          confidenceThreshold: Number(confidence.value) },
        guidelines: guidelines.value,
        server: { public_url: publicUrl.value.trim() }, qaShare: Number(qaShare.value), importsFirst: importsFirst.checked,
      });
      API.notify('Settings saved.');
    } catch { /* shown */ } finally { save.disabled = false; }
  } } },
  h('h2', { text: 'Tasks' }),
  h('div', { class: 'row' },
    field('set-k', 'Responses per task (K)', k),
    field('set-overlap', 'Overlap (judgments per prompt)', overlap),
    field('set-lease', 'Lease (seconds)', lease),
    field('set-undo', 'Undo window (seconds)', undo)),
  h('p', { class: 'hint', text: 'K = 2 asks for a pairwise choice; 3 or more for a ranking with ties. Overlap is how many different annotators judge each prompt.' }),
  h('label', { class: 'check' }, disagree, 'Serve prompts whose annotators disagree first'),
  h('label', { class: 'check' }, importsFirst, 'Serve imported prompts before the demo set'),
  field('set-qa-share', 'QA share (with overlap 2 or more)', qaShare,
    'The share of tasks that go to a second label of a recently labelled prompt, so agreement shows early; first labels come that much later.'),
  field('set-criteria', 'Rating criteria (one per line, scored 1–7)', criteria),
  h('h2', { text: 'Retraining' }),
  h('div', { class: 'row' },
    field('set-min-new', 'New preference pairs before retraining', minNew),
    field('set-interval', 'Fewest seconds between automatic runs', interval),
    field('set-objective', 'Objective', objective),
    field('set-keep', 'Versions kept per kind', keep),
    field('set-threads', 'Training threads', threads)),
  h('p', { class: 'hint', text: 'A ranking of K responses gives up to K(K−1)/2 preference pairs. The retrain button ignores the interval. Older versions beyond those kept lose their folders (serving ones and rollback targets are always kept).' }),
  h('label', { class: 'check' }, automatic, 'Retrain automatically when the threshold is reached'),
  h('label', { class: 'check' }, includeAi, 'Train on AI labels as well as human ones'),
  field('set-promotion', 'Promotion of a new policy', promotion),
  h('h2', { text: 'Automatic evaluation' }),
  h('div', { class: 'row' },
    field('set-eval-prompts', 'Held-out prompts', evPrompts),
    field('set-eval-samples', 'Answers per prompt and version', evSamples)),
  h('p', { class: 'hint', text: 'After each run the new reward model judges the new and the serving policy on these prompts; more answers tell smaller gains apart but take longer.' }),
  h('h2', { text: 'Fresh candidates' }),
  h('label', { class: 'check' }, candOn, 'Generate responses with the serving policy for queued prompts'),
  h('div', { class: 'row' },
    field('set-per-prompt', 'Responses per prompt', perPrompt),
    field('set-buffer', 'Prompts kept stocked', buffer),
    field('set-max-new', 'Longest response (tokens)', maxNew),
    field('set-temp', 'Temperature', temp),
    field('set-top-p', 'Top-p', topP)),
  h('h2', { text: 'AI pre-labels' }),
  h('label', { class: 'check' }, scoreOn, 'Score queued responses with the serving reward model'),
  h('label', { class: 'check' }, showScores, 'Show reward scores to annotators (they bias judgments)'),
  h('label', { class: 'check' }, autoLabel, 'Label confident pairs automatically (AI labels, kept apart from human ones)'),
  field('set-confidence', 'Confidence needed for an AI label, σ(|score difference|)', confidence),
  h('h2', { text: 'Guidelines' }),
  field('set-guidelines', 'Guidelines shown to annotators (plain text)', guidelines),
  h('h2', { text: 'Server' }),
  field('set-public-url', 'Public URL (the start of every login link)', publicUrl,
    'Follows the address the server last listened on until you set it; set it when annotators reach Hilo through another name or a proxy.'),
  h('p', {}, save));
}
