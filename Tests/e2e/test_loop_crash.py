"""The training loop's crash safety end to end: `hilo serve --policy <tiny GPT-2>` on a temp database,
labels pushed through the API by annotators the admin created, a retrain triggered, `kill -9` during
the run, restart: the run is marked failed, no partial version folder is visible, the serving policy is
unchanged; then a retrain succeeds and writes policy-v2 and reward-v1."""
import http.client
import json
import os
import pathlib
import subprocess
import threading

import pytest

from eventually import eventually

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(hilo, *args):
    p = subprocess.run([hilo, *args], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, hilo_bin):
    """A 4-layer, 128-wide GPT-2 with a 300-token BPE tokenizer, written by Hilo's own CLI."""
    d = tmp_path_factory.mktemp("tiny")
    with open(d / "corpus.txt", "w") as f:
        for a in range(30):
            for b in range(10):
                f.write(f"Human: what is {a} plus {b}? Assistant: {a} plus {b} is {a + b}.\n")
    run(hilo_bin, "tokenizer", "train", "--corpus", str(d / "corpus.txt"), "--vocab-size", "300", "--out", str(d / "tok"))
    run(hilo_bin, "train", "pretrain", "--tokenizer", str(d / "tok"), "--layers", "4", "--embd", "128", "--heads", "4",
        "--positions", "64", "--data", str(d / "corpus.txt"), "--out", str(d / "base"), "--max-steps", "2", "--quiet")
    return d / "base"


class Server:
    def __init__(self, hilo_bin, db, policy):
        # policy None: the embedded starter model (and, on an empty database, the demo prompts).
        self.proc = subprocess.Popen([hilo_bin, "serve", "--port", "0", "--db", db, "--public", str(ROOT / "Public")]
                                     + ([] if policy is None else ["--policy", str(policy)]),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("listening on http://"):
                self.port = int(line.split()[2].rsplit(":", 1)[1])
                break
        else:
            raise AssertionError("server did not start:\n" + "".join(self.lines))
        # Keep draining the log (training lines) so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [self.lines.append(l) for l in self.proc.stdout], daemon=True).start()

    def call(self, method, path, body=None, token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data and r.getheader("Content-Type", "").startswith("application/json") else data)


def make_admin(hilo_bin, db):
    """An admin created with the CLI; its login token doubles as a bearer token for scripts."""
    out = run(hilo_bin, "annotators", "add", "bot", "--admin", "--db", db).stdout
    return out.strip().splitlines()[-1].split("token=")[1]


LABELS = 200


def test_kill_during_training_leaves_no_partial_version_and_a_later_retrain_succeeds(tmp_path, hilo_bin, tiny):
    db = str(tmp_path / "hilo.db")
    models = pathlib.Path(db + ".models")
    with open(tmp_path / "rows.jsonl", "w") as f:
        for i in range(240):
            a, b = i, i % 10
            f.write(json.dumps({"prompt": f"Human: what is {a} plus {b}? Assistant:",
                                "responses": [f" {a} plus {b} is {a + b}.", f" {a} plus {b} is {a + b + 1}."]}) + "\n")
    run(hilo_bin, "import", "--db", db, "--format", "responses", str(tmp_path / "rows.jsonl"))

    admin = make_admin(hilo_bin, db)
    s = Server(hilo_bin, db, tiny)
    try:
        assert any("registered" in l and "policy-v1" in l for l in s.lines), "".join(s.lines)
        assert s.call("PUT", "/api/v1/settings", {"retraining": {"automatic": False}, "responses_per_task": 2}, admin)[0] == 200
        status, out = s.call("POST", "/api/v1/annotators", {"name": "ann"}, admin)
        ann = out["login_url"].split("token=")[1]
        # 200 labels: each phase then runs 75 steps (about 3 s here), a window the kill below cannot
        # miss on a faster machine. With 60 the phases took under half a second each.
        for i in range(LABELS):
            _, t = s.call("GET", "/api/v1/leases/next", token=ann)
            task = t["lease"]
            ids = [r["id"] for r in task["responses"]]
            # The rule: the correct sum wins (the first imported response).
            good = min(ids)
            ranks = [{"response_id": good, "rank": 1}, {"response_id": [x for x in ids if x != good][0], "rank": 2}]
            status, _ = s.call("POST", "/api/v1/judgments", {"lease_id": task["id"], "kind": "pairwise", "ranks": ranks,
                                                             "idempotency_key": f"k{i}"}, ann)
            assert status == 201
        status, st = s.call("GET", "/api/v1/training/status", token=admin)
        assert status == 200 and st["new_labels"] == LABELS and st["state"] == "idle" and st["serving_policy"] == "policy-v1"

        status, out = s.call("POST", "/api/v1/training/runs", {}, admin)
        assert status == 201, out
        run_id = out["run"]["id"]
        assert s.call("POST", "/api/v1/training/runs", {}, admin)[0] == 409

        # Killed inside a training phase (step 0 is written as the phase starts; later steps only
        # every half second, so requiring step >= 1 could miss a short phase entirely).
        seen = []
        def in_training():
            _, r = s.call("GET", f"/api/v1/training/runs/{run_id}", token=admin)
            seen.append({k: r.get(k) for k in ("status", "phase", "step", "error")})
            return r["status"] == "running" and r["phase"] in ("reward", "policy")
        assert eventually(in_training, every=0.01), f"timed out; last seen: {seen[-1] if seen else None}"
    finally:
        s.proc.kill()   # SIGKILL: no chance to clean up
        s.proc.wait()

    s = Server(hilo_bin, db, tiny)
    try:
        admin_ = None
        # The bot admin's durable token still works after the restart.
        admin_ = admin
        _, r = s.call("GET", f"/api/v1/training/runs/{run_id}", token=admin_)
        assert r["status"] == "failed" and r["error"] == "the server stopped during this run", r
        assert sorted(p.name for p in models.iterdir()) == ["policy-v1"], list(models.iterdir())
        _, m = s.call("GET", "/api/v1/models", token=admin_)
        serving = [x["name"] for x in m["models"] if x["serving"]]
        assert sorted(serving) == ["policy-v1", "reference-v1"], m
        assert any("already registered" in l for l in s.lines), "".join(s.lines)

        status, out = s.call("POST", "/api/v1/training/runs", {}, admin_)
        assert status == 201, out
        second = out["run"]["id"]
        done = eventually(lambda: (lambda r: r if r["status"] in ("succeeded", "failed", "cancelled") else None)(
            s.call("GET", f"/api/v1/training/runs/{second}", token=admin_)[1]), timeout=300, every=0.5)
        assert done, "timed out waiting for the second run"
        assert done["status"] == "succeeded", done
        assert done["labels_used"] == LABELS
        names = sorted(p.name for p in models.iterdir())
        assert names == ["policy-v1", "policy-v2", "reward-v1"], names
        _, m = s.call("GET", "/api/v1/models", token=admin_)
        v2 = next(x for x in m["models"] if x["name"] == "policy-v2")
        assert v2["parent"] == "policy-v1" and v2["run_id"] == second and v2["labels_used"] == LABELS
        assert "loss" in v2["metrics"]["training"] and v2["metrics"]["promotion"]["reason"]
        assert any(x["name"] == "loss" for x in done["metrics"]) and any(l["message"].startswith("wrote reward-v1") for l in done["log"])
    finally:
        s.proc.terminate()
        s.proc.wait(timeout=30)
