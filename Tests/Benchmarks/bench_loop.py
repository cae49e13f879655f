"""The training loop's benchmark (run by bench.d/70-loop.sh): time from the label threshold being reached
to a new policy version (written, and serving when the automatic decision promotes it), and judgment
submission latency without and with a training job running, side by side in one run. Prints Markdown."""
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HILO = os.environ.get("HILO_BIN", ".build/release/hilo")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(*args):
    p = subprocess.run([HILO, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(p.stderr)
    return p.stdout


def main():
    tmp = tempfile.mkdtemp()
    corpus = os.path.join(tmp, "corpus.txt")
    with open(corpus, "w") as f:
        for a in range(40):
            for b in range(10):
                f.write(f"Human: what is {a} plus {b}? Assistant: {a} plus {b} is {a + b}.\n")
    run("tokenizer", "train", "--corpus", corpus, "--vocab-size", "300", "--out", f"{tmp}/tok")
    run("train", "pretrain", "--tokenizer", f"{tmp}/tok", "--layers", "4", "--embd", "128", "--heads", "4", "--positions", "64",
        "--data", corpus, "--out", f"{tmp}/base", "--max-steps", "2", "--quiet")
    db = f"{tmp}/hilo.db"
    with open(f"{tmp}/rows.jsonl", "w") as f:
        for i in range(2000):
            f.write(json.dumps({"prompt": f"Human: what is {i} plus {i % 10}? Assistant:",
                                "responses": [f" {i + i % 10}.", f" {i + i % 10 + 1}."]}) + "\n")
    run("import", "--db", db, "--format", "responses", f"{tmp}/rows.jsonl")
    admin = run("annotators", "add", "bench", "--admin", "--db", db).strip().splitlines()[-1].split("token=")[1]
    proc = subprocess.Popen([HILO, "serve", "--port", "0", "--db", db, "--policy", f"{tmp}/base", "--public", f"{ROOT}/Public"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if line.startswith("listening on http://"):
            port = int(line.split()[2].rsplit(":", 1)[1])
            break
    # Keep draining the server's log so it never blocks on a full pipe.
    import threading
    log = []
    threading.Thread(target=lambda: [log.append(l) for l in proc.stdout], daemon=True).start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(method, path, body=None, token=admin):
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        r = conn.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else None

    call("PUT", "/api/v1/settings", {"responses_per_task": 2, "retraining": {"min_new_labels": 50, "min_interval_seconds": 0, "automatic": False}})
    ann = call("POST", "/api/v1/annotators", {"name": "ann"})[1]["login_url"].split("token=")[1]
    counter = [0]

    def judge():
        _, t = call("GET", "/api/v1/tasks/next", token=ann)
        task = t["task"]
        ids = sorted(r["id"] for r in task["responses"])
        counter[0] += 1
        t0 = time.perf_counter()
        status, _ = call("POST", "/api/v1/judgments", {"lease_id": task["lease"]["id"], "kind": "pairwise", "idempotency_key": f"k{counter[0]}",
                                                        "ranks": [{"response_id": ids[0], "rank": 1}, {"response_id": ids[1], "rank": 2}]}, ann)
        assert status == 201
        return (time.perf_counter() - t0) * 1000

    idle = [judge() for _ in range(200)]
    # Threshold: turn automatic retraining on with 200 new pairs waiting; time to the new version.
    t0 = time.time()
    # A long minimum interval: the labels submitted during the run must not start a second one.
    call("PUT", "/api/v1/settings", {"retraining": {"automatic": True, "min_new_labels": 50, "min_interval_seconds": 3600}})
    busy, written, serving = [], None, None
    while time.time() - t0 < 600:
        _, st = call("GET", "/api/v1/training/status")
        if st["state"] == "running":
            if len(busy) < 600:
                busy.append(judge())
            else:
                time.sleep(0.05)
            continue
        _, runs = call("GET", "/api/v1/training/runs")
        if runs["runs"] and runs["runs"][0]["status"] in ("succeeded", "failed", "cancelled"):
            r = runs["runs"][0]
            written = (r["finished_at"] - r["created_at"]) / 1000 if r["status"] == "succeeded" else None
            serving = st["serving_policy"]
            break
        time.sleep(0.05)
    elapsed = time.time() - t0
    proc.terminate()
    proc.wait(timeout=30)

    def pct(xs, q):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")

    print("## Training loop")
    print()
    print("A 4-layer, 128-wide GPT-2 (300-token BPE) served with `hilo serve --policy`; 200 human pairs waiting when")
    print("automatic retraining is switched on (threshold 50). Default recipe (RetrainingRecipe): reward model then DPO + RPO, at most 80 steps each.")
    print()
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| threshold reached → run finished (queued to versions written, evaluated) | {written:.1f} s |" if written else "| run | failed |")
    print(f"| threshold reached → status idle again (wall, incl. 1 s poll) | {elapsed:.1f} s |")
    print(f"| serving policy after the run | {serving} |")
    print()
    print("Judgment submission latency (POST /api/v1/judgments, one client, keep-alive), without and with a job running:")
    print()
    print("| | n | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, xs in [("no job", idle), ("job running", busy)]:
        print(f"| {name} | {len(xs)} | {statistics.median(xs) if xs else float('nan'):.1f} | {pct(xs, 0.99):.1f} | {max(xs) if xs else float('nan'):.1f} |")
    if idle and busy:
        print()
        print(f"p99 ratio (job running / no job): {pct(busy, 0.99) / pct(idle, 0.99):.2f}")


main()
