"""Next-task's prompt pick at scale: the query before schema version 3 (counting every candidate
prompt's labels with a subquery, scanning from the oldest prompt or from an in-memory hint) against
the one on the coverage counter prompts.labels (index prompts_by_coverage), on the same database.

Usage: bench_next_task.py HILO_BIN PROMPTS...   Prints one Markdown table row per size.
For each size: `hilo import` writes the prompts (schema 3), 16 annotators with login tokens label
the oldest 90% once (overlap 1, so those are fully covered; the triggers keep prompts.labels), and
a 17th annotator asks for a task. Times are the median of repeated runs of the pick's queries.
"""
import json, os, subprocess, sqlite3, statistics, sys, tempfile, time

ELIGIBLE = """
    p.heldout = 0
    AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.prompt_id = p.id AND j.annotator_id = ?1 AND j.undone_at IS NULL
                AND j.kind <> 'feedback')
    AND NOT EXISTS (SELECT 1 FROM leases a WHERE a.prompt_id = p.id AND a.annotator_id = ?1 AND a.completed_at IS NULL AND a.expires_at > ?2)
    AND (SELECT count(*) FROM responses r WHERE r.prompt_id = p.id) >= 2
"""
OLD_LABELS = """
    (SELECT count(*) FROM judgments j JOIN annotators an ON an.id = j.annotator_id
     WHERE j.prompt_id = p.id AND j.undone_at IS NULL AND j.kind NOT IN ('skip', 'feedback') AND j.origin = 'human'
       AND an.token_hash IS NOT NULL)
"""
NO_LEASE = "NOT EXISTS (SELECT 1 FROM leases a WHERE a.prompt_id = p.id AND a.completed_at IS NULL AND a.expires_at > ?2)"
# Before: the level-0 hint is moved first (advanceHint), then the level-0 pick runs from it.
OLD_HINT = f"SELECT p.id FROM prompts p WHERE p.id >= ?1 AND {OLD_LABELS} <= ?2 ORDER BY p.id LIMIT 1"
OLD_PICK = f"SELECT p.id FROM prompts p WHERE p.id >= ?4 AND {ELIGIBLE} AND {NO_LEASE} AND {OLD_LABELS} = ?3 ORDER BY p.id LIMIT 1"
# After: unleased prompts at the level through the index, and leased ones through their leases.
NEW_FREE = f"SELECT p.id FROM prompts p WHERE p.labels = ?3 AND {ELIGIBLE} AND {NO_LEASE} ORDER BY p.id LIMIT 1"
NEW_LEASED = f"""SELECT min(p.id) FROM prompts p
    JOIN (SELECT prompt_id, count(*) AS n FROM leases WHERE completed_at IS NULL AND expires_at > ?2 GROUP BY prompt_id) l
      ON l.prompt_id = p.id
    WHERE p.labels + l.n = ?3 AND {ELIGIBLE}"""


def median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def run(bin_path, n, tmp):
    db = os.path.join(tmp, f"next-{n}.db")
    src = os.path.join(tmp, f"prompts-{n}.jsonl")
    with open(src, "w") as f:
        for i in range(n):
            f.write(json.dumps({"prompt": f"Question {i}", "responses": [f"A{i}", f"B{i}"]}) + "\n")
    subprocess.run([bin_path, "import", src, "--format", "responses", "--db", db], check=True, stdout=subprocess.DEVNULL)
    c = sqlite3.connect(db)
    c.execute("PRAGMA foreign_keys = ON")
    for a in range(17):
        c.execute("INSERT INTO annotators (name, token_hash, created_at) VALUES (?, ?, 0)", (f"bench{a}", os.urandom(32)))
    first_annotator = c.execute("SELECT min(id) FROM annotators WHERE name LIKE 'bench%'").fetchone()[0]
    me = first_annotator + 16
    labelled = n * 9 // 10
    with c:
        for p in range(1, labelled + 1):
            c.execute("INSERT INTO judgments (annotator_id, prompt_id, kind, created_at) VALUES (?, ?, 'rating', 0)",
                      (first_annotator + p % 16, p))
    assert c.execute("SELECT count(*) FROM prompts WHERE labels = 1").fetchone()[0] == labelled
    now, repeats = 10**13, 5

    def before(hint):
        def go():
            start = c.execute(OLD_HINT, (hint, 0)).fetchone()
            start = start[0] if start else n + 1
            return c.execute(OLD_PICK, (me, now, 0, start)).fetchone()[0]
        return go

    def after():
        free = c.execute(NEW_FREE, (me, now, 0)).fetchone()
        leased = c.execute(NEW_LEASED, (me, now, 0)).fetchone()[0]
        return min(x for x in (free[0] if free else None, leased) if x is not None)

    cold, a = median_ms(before(0), repeats)
    warm, b = median_ms(before(labelled + 1), repeats)
    new, d = median_ms(after, repeats)
    assert a == b == d == labelled + 1, (a, b, d)
    plan = " ".join(r[3] for r in c.execute("EXPLAIN QUERY PLAN " + NEW_FREE, (me, now, 0)))
    assert "prompts_by_coverage" in plan, plan
    c.close()
    return f"| {n:,} | {labelled:,} | {cold:.2f} ms | {warm:.3f} ms | {new:.3f} ms | {cold / new:,.0f}× |"


if __name__ == "__main__":
    bin_path, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            print(run(bin_path, n, tmp), flush=True)
