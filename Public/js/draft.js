// The answer being written for a task, kept in sessionStorage per lease so a reload of the page
// keeps it (the pairwise choice, ratings, thumbs, rationale, rewrite) until the task is submitted
// or skipped. A ranking being edited is not kept across a reload (a reload is the way back to the
// order shown); a submitted one is, through undo. It has the wire's shape of a judgment (response ids, snake_case), so an undone
// judgment, as POST /judgments/{id}/undo returns it, is stored as the draft of its lease and comes
// back filled in, ready to correct.

const key = (leaseId) => `hilo.draft.${leaseId}`;
const PAIR = { a: [1, 2], b: [2, 1], tie: [1, 1], bad: [1, 1] };

export function load(task) {
  try { return JSON.parse(sessionStorage.getItem(key(task.leaseId)) || '{}'); } catch { return {}; }
}

function store(leaseId, answer) {
  try { sessionStorage.setItem(key(leaseId), JSON.stringify(answer)); } catch { /* storage full or off */ }
}

export function clear(task) { try { sessionStorage.removeItem(key(task.leaseId)); } catch { /* ignore */ } }

/** Keeps an undone judgment (the server's JSON) as the draft of its lease. */
export function keepUndone(judgment) {
  if (!judgment || judgment.lease_id === null || judgment.lease_id === undefined) return;
  const { ranks, both_bad, ratings, thumbs, rationale, rewrite } = judgment;
  store(judgment.lease_id, { ranks, both_bad, ratings, thumbs, rationale: rationale ?? '', rewrite: rewrite ?? '' });
}

/** Saves the form as it stands. `state` is the page's: task, choice, ranking, thumbs. */
export function save(state) {
  const t = state.task;
  if (!t) return;
  const ids = t.responses.map((r) => r.id);
  const answer = { ranks: [], both_bad: false, ratings: [], thumbs: [],
    rationale: document.getElementById('rationale').value, rewrite: document.getElementById('rewrite').value };
  if (ids.length === 2 && state.choice) {
    answer.ranks = ids.map((id, i) => ({ response_id: id, rank: PAIR[state.choice][i] }));
    answer.both_bad = state.choice === 'bad';
  }
  if (ids.length > 2) answer.both_bad = document.getElementById('all-bad').checked;
  document.querySelectorAll('.ratings select').forEach((s) => {
    if (s.value) answer.ratings.push({ response_id: ids[Number(s.dataset.pos)], criterion: s.dataset.criterion, score: Number(s.value) });
  });
  for (const [i, up] of state.thumbs) answer.thumbs.push({ response_id: ids[i], up });
  store(t.leaseId, answer);
}

/**
 * Fills the freshly drawn form of `state.task` from its draft. Sets state.choice, the ranking and
 * state.thumbs; the caller redraws the choice buttons and thumbs. Returns whether anything was restored.
 */
export function apply(state) {
  const d = load(state.task);
  const pos = new Map(state.task.responses.map((r, i) => [r.id, i]));
  document.getElementById('rationale').value = d.rationale || '';
  document.getElementById('rewrite').value = d.rewrite || '';
  document.getElementById('rewrite-box').open = !!d.rewrite;
  document.getElementById('all-bad').checked = state.task.responses.length > 2 && !!d.both_bad;
  const ranks = new Array(pos.size).fill(null);
  for (const r of d.ranks || []) if (pos.has(r.response_id)) ranks[pos.get(r.response_id)] = r.rank;
  if (ranks.every((r) => r !== null)) {
    if (pos.size === 2) state.choice = d.both_bad ? 'bad' : ranks[0] < ranks[1] ? 'a' : ranks[0] > ranks[1] ? 'b' : 'tie';
    else state.ranking?.setRanks(ranks);
  }
  for (const r of d.ratings || []) {
    const select = [...document.querySelectorAll('.ratings select')]
      .find((s) => Number(s.dataset.pos) === pos.get(r.response_id) && s.dataset.criterion === r.criterion);
    if (select) select.value = String(r.score);
  }
  for (const th of d.thumbs || []) if (pos.has(th.response_id)) state.thumbs.set(pos.get(th.response_id), th.up);
  return Object.keys(d).length > 0;
}
