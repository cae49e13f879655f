"""The training loop's benchmark (run by bench.d/70-loop.sh) on the default path a new user gets from `make run`:
`hilo serve` on a fresh database with the embedded starter policy and the seeded demo prompts (queue + held-out).
Simulated annotators judge the candidates over the HTTP API by the demo rule (`hilo demo judge --rule correct`,
as Tests/e2e/test_loop.py does) until the retraining threshold is crossed; the threshold run trains the reward
model and the policy, writes version 2 and, with `retraining.promotion: "automatic"`, evaluates it against the
serving version on the held-out prompts and promotes it when the rule says so. Reported, once per
`evaluation.samples_per_prompt` (16, the default, and 1, to show what the evaluation costs; a fresh server each):
the time from the threshold-crossing label to each step of the run and to version 2 serving, the decision, and
judgment-submission latency with no job running and while the job (training + evaluation) runs, under the same
client load (the annotators keep labelling throughout). Prints Markdown."""
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import shutil
import tempfile
import threading
import time

HILO = os.environ.get("HILO_BIN", ".build/release/hilo")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
THRESHOLD = int(os.environ.get("LOOP_THRESHOLD", "300"))  # new human pairs, as the loop test (the starter's gain grows with them)
ANNOTATORS = 3
WARMUP = 20  # first submissions of each run left out of the "no job" latencies (connections, caches)


def run(*args, stdin=None):
    p = subprocess.run([HILO, *args], input=stdin, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f"hilo {' '.join(args)}: {p.stderr}")
    return p.stdout


class Client:
    """One keep-alive connection with a bearer token."""

    def __init__(self, port, token):
        self.conn, self.token = http.client.HTTPConnection("127.0.0.1", port, timeout=120), token

    def call(self, method, path, body=None):
        self.conn.request(method, path, body=None if body is None else json.dumps(body),
                          headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        r = self.conn.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else None


def loop_once(samples_per_prompt):
    tmp = tempfile.mkdtemp(prefix="bench-loop-")
    db = os.path.join(tmp, "hilo.db")
    proc = subprocess.Popen([HILO, "serve", "--port", "0", "--db", db, "--public", f"{ROOT}/Public"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log, exit_hung = [], [False]
    for line in proc.stdout:
        log.append(line)
        if line.startswith("listening on http://"):
            port = int(line.split()[2].rsplit(":", 1)[1])
            break
    else:
        sys.exit("server did not start:\n" + "".join(log))
    # Keep draining the server's log so it never blocks on a full pipe.
    threading.Thread(target=lambda: [log.append(l) for l in proc.stdout], daemon=True).start()
    try:
        token = lambda name, *extra: re.search(r"token=([A-Za-z0-9_\-]+)", run("annotators", "add", name, "--db", db, *extra)).group(1)
        admin = Client(port, token("bench-admin", "--admin"))
        # A long minimum interval: the labels submitted during the run must not start a second one.
        status, body = admin.call("PUT", "/api/v1/settings", {
            "retraining": {"min_new_labels": THRESHOLD, "min_interval_seconds": 3600, "automatic": True, "promotion": "automatic"},
            "evaluation": {"samples_per_prompt": samples_per_prompt}})
        assert status == 200, body
        status, st = admin.call("GET", "/api/v1/training/status")
        assert st["new_labels"] == 0 and st["serving_policy"], st
        v1 = st["serving_policy"]

        lock, stop, errors = threading.Lock(), threading.Event(), []
        pairs, crossed = [0], [None]
        submits = []  # (client wall time sent, latency ms)

        def annotate(i):
            try:
                label(i)
            except Exception as e:  # any failure stops the benchmark: a dead annotator would thin the load it measures
                errors.append(f"annotator {i}: {e!r}")

        def label(i):
            c = Client(port, token(f"sim-{i}"))
            n = 0
            while not stop.is_set():
                status, body = c.call("GET", "/api/v1/leases/next")
                if status != 200:
                    errors.append(f"next-task {status}: {body}")
                    return
                task = body.get("lease")
                if task is None:
                    time.sleep(0.2)  # the candidate generator is restocking
                    continue
                rows = "".join(json.dumps({"prompt": task["prompt"]["text"], "response": r["text"]}) + "\n" for r in task["responses"])
                verdicts = [json.loads(l) for l in run("demo", "judge", "--rule", "correct", stdin=rows).splitlines()]
                right = [r["id"] for r, v in zip(task["responses"], verdicts) if v.get("satisfies")]
                wrong = [r["id"] for r, v in zip(task["responses"], verdicts) if not v.get("satisfies")]
                if right and wrong:  # one pair per prompt, as test_loop.py labels
                    kind, ranks = "pairwise", [{"response_id": right[0], "rank": 1}, {"response_id": wrong[0], "rank": 2}]
                else:  # every response tied: a label, but no pair
                    kind, ranks = "ranking", [{"response_id": r["id"], "rank": 1} for r in task["responses"]]
                n += 1
                sent = time.time()
                t0 = time.perf_counter()
                status, body = c.call("POST", "/api/v1/judgments", {"lease_id": task["id"], "prompt_id": task["prompt"]["id"],
                                                                     "kind": kind, "ranks": ranks, "idempotency_key": f"a{i}-{n}", "time_spent_ms": 1000})
                ms = (time.perf_counter() - t0) * 1000
                done = time.time()
                if status not in (200, 201):
                    errors.append(f"submit {status}: {body}")
                    return
                with lock:
                    submits.append((sent, ms, n))
                    if kind == "pairwise":
                        pairs[0] += 1
                        if pairs[0] == THRESHOLD:
                            crossed[0] = done

        workers = [threading.Thread(target=annotate, args=(i,), daemon=True) for i in range(ANNOTATORS)]
        for w in workers:
            w.start()

        # Wait for the threshold run to finish; note (client clock) when version 2 is first seen serving.
        began, run_rec, seen_serving = time.time(), None, None
        while time.time() - began < 900 and not errors:
            _, st = admin.call("GET", "/api/v1/training/status")
            if seen_serving is None and st["serving_policy"] != v1:
                seen_serving = time.time()
            _, runs = admin.call("GET", "/api/v1/training/runs")
            if runs["runs"] and runs["runs"][0]["status"] in ("succeeded", "failed", "cancelled"):
                run_rec = runs["runs"][0]
                break
            time.sleep(0.2)
        stop.set()
        for w in workers:
            w.join(timeout=120)
        if errors or run_rec is None:
            sys.exit(f"errors {errors[:3]}, run {run_rec}\n" + "".join(log[-40:]))
        assert len(runs["runs"]) == 1 and run_rec["trigger"] == "threshold", runs
        if crossed[0] is None:
            sys.exit(f"the run started but the annotators counted {pairs[0]} of {THRESHOLD} pairs: {run_rec}")
        _, detail = admin.call("GET", f"/api/v1/training/runs/{run_rec['id']}")
        _, models = admin.call("GET", "/api/v1/models")
        _, st = admin.call("GET", "/api/v1/training/status")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            # Seen once with the starter: exit hung in OpenBLAS's exit-time thread shutdown. Reported, not hidden.
            exit_hung[0] = True
            proc.kill()
            proc.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)

    sec = lambda server_ms: server_ms / 1000  # the server's clock: ms since the epoch, the same wall clock as time.time()
    at = lambda prefix: next((sec(l["created_at"]) for l in detail["log"] if l["message"].startswith(prefix)), None)
    v2 = next((m for m in models["models"] if m["id"] == run_rec["output_model_id"]), None)
    decision = (v2 or {}).get("metrics", {}).get("promotion") or {}
    reason = decision.get("reason", "")
    prompts = re.search(r"on (\d+) held-out prompts", reason)
    m = re.search(r"Wilson lower bound of the win rate ([0-9.]+) is ([0-9.]+)", reason)
    started, finished = sec(run_rec["started_at"]), sec(run_rec["finished_at"])
    return {
        "samples": samples_per_prompt, "exit_hung": exit_hung[0], "status": run_rec["status"], "error": run_rec["error"],
        "queued": sec(run_rec["created_at"]) - crossed[0], "started": started - crossed[0],
        "written": (sec(v2["created_at"]) - crossed[0]) if v2 else None,
        "decided": ((at("promoted ") or at("kept ")) or finished) - crossed[0],
        "serving": (seen_serving - crossed[0]) if seen_serving else None, "finished": finished - crossed[0],
        "promote": decision.get("promote"), "win": m and float(m.group(1)), "wilson": m and float(m.group(2)), "reason": reason,
        "prompts": prompts and int(prompts.group(1)),
        "serving_after": st["serving_policy"], "labels_used": run_rec["labels_used"],
        "evaluate_s": ((at("promoted ") or at("kept ") or finished) - at("wrote ")) if at("wrote ") else None,
        "idle": [(s, x) for s, x, n in submits if s < sec(run_rec["created_at"]) and n > WARMUP],
        "busy": [(s, x) for s, x, n in submits if started <= s and s + x / 1000 <= finished],
    }


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main():
    load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"] * 3
    results = [loop_once(16), loop_once(1)]
    f = lambda x: "–" if x is None else f"{x:.1f} s"
    num = lambda x: "–" if x is None else f"{x:.3f}"
    print("## Training loop")
    print()
    print(f"`hilo serve` on a fresh database as `make run` starts it: the embedded starter policy, the demo prompts (100 held out),")
    print(f"{ANNOTATORS} simulated annotators labelling by the demo rule over the HTTP API (one pair per task when one answer is right")
    print(f"and one wrong); threshold {THRESHOLD} new pairs, `retraining.promotion: \"automatic\"`, default recipe (reward model, then DPO + RPO),")
    print(f"automatic evaluation on {results[0]['prompts']} held-out prompts (reward-model win rate, promoted when the 95% Wilson lower bound is above 0.5).")
    print(f"A fresh server per row. Load average before the run: {' '.join(load)}.")
    print()
    print("Seconds from the threshold-crossing label (client clock: its POST answered) to each step. Queued, started and finished:")
    print("the run's record; written: policy-v2's `created_at` (models API); decided: the run log's promoted/kept line (all server")
    print("clock, the same wall clock); serving: the client's first 0.2 s poll of /api/v1/training/status naming policy-v2.")
    print()
    print("| samples per prompt | queued | started | policy written | evaluation decided | serving | run finished | evaluation alone | promoted | win rate | Wilson lower bound |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: |")
    for r in results:
        if r["status"] != "succeeded":
            print(f"| {r['samples']} | run {r['status']}: {r['error']} |")
            continue
        print(f"| {r['samples']} | {f(r['queued'])} | {f(r['started'])} | {f(r['written'])} | {f(r['decided'])} | "
              f"{f(r['serving']) if r['serving'] else 'not promoted'} | {f(r['finished'])} | {f(r['evaluate_s'])} | "
              f"{'yes' if r['promote'] else 'no'} | {num(r['win'])} | {num(r['wilson'])} |")
    print()
    for r in results:
        print(f"- {r['samples']} per prompt: {r['labels_used']} pairs trained on; serving after the run: {r['serving_after']}; decision: {r['reason'] or '–'}")
        if r["exit_hung"]:
            print(f"- {r['samples']} per prompt: the server did not exit within 60 s of SIGTERM and was killed")
    print()
    print(f"Judgment submission latency (POST /api/v1/judgments, the {ANNOTATORS} annotators' keep-alive connections, each judging")
    print("between submissions) with no job running (before the threshold run, after each annotator's first")
    print(f"{WARMUP}) and while the run trains and evaluates; the candidate generator runs throughout:")
    print()
    print("| samples per prompt | | n | submissions/s | p50 ms | p99 ms | max ms |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        for name, rows in [("no job", r["idle"]), ("job running", r["busy"])]:
            xs = [x for _, x in rows]
            med = statistics.median(xs) if xs else float("nan")
            rate = len(rows) / (rows[-1][0] - rows[0][0]) if len(rows) > 1 and rows[-1][0] > rows[0][0] else float("nan")
            print(f"| {r['samples']} | {name} | {len(xs)} | {rate:.1f} | {med:.1f} | {pct(xs, 0.99):.1f} | {max(xs) if xs else float('nan'):.1f} |")
    print()
    for r in results:
        if r["idle"] and r["busy"]:
            p99 = lambda rows: pct([x for _, x in rows], 0.99)
            print(f"p99 ratio (job running / no job), {r['samples']} per prompt: {p99(r['busy']) / p99(r['idle']):.2f}  ")


main()
