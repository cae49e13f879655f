"""Graceful shutdown during a training run, end to end: `hilo serve` (the embedded starter policy, so the
candidate generator samples while the run trains) on a database of imported prompts, labels pushed
through the API, a retrain started, SIGTERM while it trains. The process must exit 0 within seconds
(it used to hang for ever in OpenBLAS's exit handler, or crash, when a background worker was still in
a BLAS call), the run is marked cancelled, no partial version folder is left and `hilo db check`
passes. The hang was intermittent, so the cycle runs several times on the same database."""
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import threading
import time

from eventually import eventually
from test_loop_crash import Server, make_admin, run

ROOT = pathlib.Path(__file__).resolve().parents[2]
CYCLES = 4
EXIT_SECONDS = 20  # generous for a busy 2-core machine; a hang never ends


def label(s, token, prefix, count=None, stop=None):
    """Judges tasks through the API (the first imported response wins): `count` of them, or until `stop`
    is set. Every submit wakes the candidate generator, which restocks the prompt it took away."""
    i = 0
    while (count is None or i < count) and not (stop and stop.is_set()):
        try:
            _, t = s.call("GET", "/api/v1/leases/next", token=token)
            ids = sorted(r["id"] for r in t["lease"]["responses"])
            ranks = [{"response_id": ids[0], "rank": 1}, {"response_id": ids[1], "rank": 2}]
            status, _ = s.call("POST", "/api/v1/judgments", {"lease_id": t["lease"]["id"], "kind": "pairwise",
                                                             "ranks": ranks, "idempotency_key": f"{prefix}-{i}"}, token)
        except (OSError, TypeError, KeyError):
            if stop is None:
                raise
            return  # the server is going away
        assert status == 201 or stop is not None
        i += 1


def test_sigterm_during_training_exits_zero_marks_the_run_cancelled_and_leaves_no_partial_version(tmp_path, hilo_bin):
    db = str(tmp_path / "hilo.db")
    models = pathlib.Path(db + ".models")
    with open(tmp_path / "rows.jsonl", "w") as f:
        for i in range(2000):
            a, b = i % 97, i % 10
            f.write(json.dumps({"prompt": f"Human: what is {a} plus {b}? Assistant:",
                                "responses": [f" {a} plus {b} is {a + b}.", f" {a} plus {b} is {a + b + 1}."]}) + "\n")
    run(hilo_bin, "import", "--db", db, "--format", "responses", str(tmp_path / "rows.jsonl"))
    admin = make_admin(hilo_bin, db)

    ann, stop = None, threading.Event()
    for cycle in range(CYCLES):
        s = Server(hilo_bin, db, None)
        try:
            if cycle == 0:
                assert any("registered the embedded starter model as policy-v1" in l for l in s.lines), "".join(s.lines)
                assert s.call("PUT", "/api/v1/settings", {"retraining": {"automatic": False}, "responses_per_task": 2}, admin)[0] == 200
                _, out = s.call("POST", "/api/v1/annotators", {"name": "ann"}, admin)
                ann = out["login_url"].split("token=")[1]
                # 200 pairs: each phase runs 75 steps (a few seconds), so SIGTERM half a second after the
                # first recorded step lands inside training even on a machine several times faster.
                label(s, ann, "first", count=200)
            # Labelling goes on during the run, so the generator is busy sampling when SIGTERM comes.
            stop = threading.Event()
            labeller = threading.Thread(target=label, args=(s, ann, f"c{cycle}"), kwargs={"stop": stop}, daemon=True)
            labeller.start()
            status, out = s.call("POST", "/api/v1/training/runs", {}, admin)
            assert status == 201, out
            run_id = out["run"]["id"]

            def training():
                _, r = s.call("GET", f"/api/v1/training/runs/{run_id}", token=admin)
                return r["status"] == "running" and r["step"] >= 1
            assert eventually(training, timeout=300, every=0.05), "the run never reached step 1"
            time.sleep(0.5)
            s.proc.send_signal(signal.SIGTERM)
            started = time.time()
            try:
                code = s.proc.wait(timeout=EXIT_SECONDS)
            except subprocess.TimeoutExpired:
                s.proc.kill()
                raise AssertionError(f"cycle {cycle}: no exit {EXIT_SECONDS} s after SIGTERM:\n" + "".join(s.lines[-20:]))
            eventually(lambda: "".join(s.lines).rstrip().endswith("stopped"))   # the log reader drains the last lines
            log = "".join(s.lines)
            assert code == 0, f"cycle {cycle}: exit code {code} after {time.time() - started:.1f} s:\n{log[-3000:]}"
            assert f"training: run {run_id}: cancelled; no version was written" in log, log[-3000:]
            assert log.rstrip().endswith("stopped"), log[-3000:]
        finally:
            stop.set()
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()

        con = sqlite3.connect(db)
        row = con.execute("SELECT status, error FROM training_runs WHERE id = ?", (run_id,)).fetchone()
        versions = con.execute("SELECT name FROM model_versions WHERE kind IN ('policy', 'reward') ORDER BY name").fetchall()
        con.close()
        assert row == ("cancelled", "cancelled"), row
        assert versions == [("policy-v1",)], versions
        assert sorted(p.name for p in models.iterdir()) == ["policy-v1"], list(models.iterdir())
        check = subprocess.run([hilo_bin, "db", "check", "--db", db], capture_output=True, text=True, timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr
