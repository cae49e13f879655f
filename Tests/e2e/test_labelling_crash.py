"""Crash safety of labelling (issue 7): several simulated annotators submit judgments over HTTP while
`hilo serve` is killed with SIGKILL at random moments, five times over. Every judgment the server
acknowledged (2xx) must be in the database afterwards, live, and `hilo db check` must pass."""
import http.client
import json
import os
import pathlib
import random
import re
import signal
import sqlite3
import subprocess
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
ANNOTATORS = 4
ROUNDS = 5


def start(hilo_bin, db):
    proc = subprocess.Popen([hilo_bin, "serve", "--no-demo", "--port", "0", "--db", str(db), "--public", str(ROOT / "Public")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("listening on http://"):
            # Keep draining the log so the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, int(line.split()[2].rsplit(":", 1)[1])
    raise AssertionError("server did not start:\n" + "".join(lines))


def request(port, method, path, token, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    payload = r.read()
    conn.close()
    return r.status, payload


def annotate(port, name, token, acked, stop, counter):
    """Label until the server dies: next task, then a pairwise judgment with a fresh key."""
    while not stop.is_set():
        try:
            status, body = request(port, "GET", "/api/v1/leases/next", token)
            if status != 200:
                continue
            task = json.loads(body)["lease"]
            if task is None:
                return
            ids = [r["id"] for r in task["responses"]]
            key = f"{name}-{next(counter)}"
            judgment = {"lease_id": task["id"], "kind": "pairwise", "idempotency_key": key,
                        "ranks": [{"response_id": ids[0], "rank": 1}, {"response_id": ids[1], "rank": 2}]}
            status, body = request(port, "POST", "/api/v1/judgments", token, judgment)
            if 200 <= status < 300:
                acked.append((name, key, json.loads(body)["judgment"]["id"]))
        except (OSError, http.client.HTTPException, ValueError):
            return  # the server is gone (connection refused or reset mid-reply)


def test_every_acknowledged_judgment_survives_repeated_kill_9(hilo_bin, tmp_path):
    db = tmp_path / "hilo.db"
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"Question {i}?", "responses": [f"yes {i}", f"no {i}", f"maybe {i}"]}) + "\n"
                               for i in range(2000)))
    subprocess.run([hilo_bin, "import", str(prompts), "--format", "responses", "--db", str(db)], check=True, capture_output=True)
    tokens = {}
    for i in range(ANNOTATORS):
        out = subprocess.run([hilo_bin, "annotators", "add", f"ann{i}", "--db", str(db)], check=True, capture_output=True, text=True).stdout
        tokens[f"ann{i}"] = re.search(r"token=([0-9a-f]{64})", out).group(1)

    rng = random.Random(7)
    acked = []
    counters = {name: iter(range(10**9)) for name in tokens}
    for _ in range(ROUNDS):
        proc, port = start(hilo_bin, db)
        stop = threading.Event()
        workers = [threading.Thread(target=annotate, args=(port, name, token, acked, stop, counters[name]))
                   for name, token in tokens.items()]
        for w in workers:
            w.start()
        time.sleep(rng.uniform(0.5, 2.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for w in workers:
            w.join(timeout=10)

    assert len(acked) >= 50, f"only {len(acked)} judgments were acknowledged: the test did not exercise labelling"
    check = subprocess.run([hilo_bin, "db", "check", "--db", str(db)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    con = sqlite3.connect(str(db))
    stored = {(name, key): (jid, undone) for name, key, jid, undone in con.execute(
        "SELECT a.name, j.idempotency_key, j.id, j.undone_at FROM judgments j JOIN annotators a ON a.id = j.annotator_id")}
    con.close()
    missing = [(n, k) for n, k, _ in acked if (n, k) not in stored]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged judgments are gone, e.g. {missing[:3]}"
    for name, key, jid in acked:
        assert stored[(name, key)] == (jid, None), (name, key)
