"""Does automatic promotion tell a better starter policy from one that is not? Offline, with the CLI.

The loop's threshold run, simulated as Tests/e2e/loop_simulation.py does it (the starter samples 4
answers per demo-queue prompt, a simulated annotator labels one pair per prompt by the rule `correct`):
the first N pairs train a reward model and a policy with the loop's recipe (RetrainingRecipe). Then on the
held-out prompts both the starter (v1) and each candidate sample S answers per prompt (same seed, as the
automatic evaluation does); every answer is scored by the reward model (`hilo reward --rows`) and judged
by the rule (`hilo demo judge`). Printed, as Markdown:

- the reward model's accuracy on held-out rule pairs (one answer right, the other wrong, same prompt),
  overall and among the pairs it is confident about;
- per candidate: the rule rates of v1 and the candidate (the truth), and the reward model's paired win
  rate of candidate vs v1 (answer i of the candidate against answer i of v1 on the same prompt) with
  the Wilson 95% lower bound, counting every comparison (ties as half) or only decisive ones (the
  reward margin above the rule's tie margin), i.e. whether the promotion rule would fire.

Candidates: `dpo` (the recipe; truly better on the starter), `same` (v1 itself: must never promote),
`flipped` (trained on reversed labels: worse, must never promote).

    .venv/bin/python Tests/Benchmarks/promotion_check.py --pairs 300 --seeds 1,2,3
    .venv/bin/python Tests/Benchmarks/promotion_check.py --reward-options "--lr 1e-3 --epochs 3 --max-steps 80"
"""
import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
from loop_simulation import Sim, run, read_jsonl, write_jsonl, STARTER  # noqa: E402

# RetrainingRecipe's defaults, as `hilo train` options.
POLICY = ["--lr", "1e-4", "--beta", "0.1", "--epochs", "3", "--batch", "8", "--rpo-alpha", "1", "--max-steps", "80", "--warmup", "2"]
REWARD = "--lr 1e-3 --epochs 3 --batch 8 --max-steps 80 --warmup 2"


def wilson_lower(wins, n, z=1.96):
    if n == 0:
        return 0.0
    p = wins / n
    d = 1 + z * z / n
    c = p + z * z / (2 * n)
    return (c - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / d


def scores(sim, reward, rows, path):
    write_jsonl(path, [{"prompt": r["prompt"], "response": r["response"]} for r in rows])
    p = run([sim.hilo, "reward", "--model", reward, "--rows", path])
    return [json.loads(l)["score"] for l in p.stdout.splitlines() if l.strip()]


def sampled(sim, model, prompts, n, seed, tag):
    out = sim.sample(model, prompts, sim.work / f"eval-{tag}.jsonl", n, seed=seed)
    return sim.judge(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hilo", default=os.environ.get("HILO_BIN", str(ROOT / ".build" / "release" / "hilo")))
    ap.add_argument("--pairs", type=int, default=300, help="labelled pairs the threshold run trains on (test_loop.py: 300)")
    ap.add_argument("--queue", type=int, default=500)
    ap.add_argument("--heldout", type=int, default=100)
    ap.add_argument("--samples", type=int, default=16, help="answers per held-out prompt and version")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--reward-options", default=REWARD)
    ap.add_argument("--margins", default="0", help="reward margins below which a comparison is a tie (0: the loop's rule)")
    ap.add_argument("--use", default="1,4,16", help="answers per prompt the verdicts use (the first S of each prompt's)")
    ap.add_argument("--candidates", default="dpo,same,flipped")
    ap.add_argument("--work")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    margins = [float(m) for m in args.margins.split(",")]
    uses = [int(u) for u in args.use.split(",") if int(u) <= args.samples]
    print(f"Reward options `{args.reward_options}`; {args.pairs} pairs; {args.heldout} held-out prompts x {args.samples} answers.\n")
    print("| seed | RM acc (held-out rule pairs) | candidate | rule v1 | rule cand | answers/prompt | margin | W-T-L | win rate (ties ½) | Wilson lo | promotes | decisive rate | Wilson lo (decisive) |")
    print("|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="hilo-promo-") as tmp:
        for seed in [int(s) for s in args.seeds.split(",")]:
            check(args, seed, pathlib.Path(args.work or tmp) / f"seed-{seed}", margins, uses)


def check(args, seed, work, margins, uses):
    work.mkdir(parents=True, exist_ok=True)
    sim = Sim(args.hilo, str(STARTER), work, 4, seed)
    sim.setup(args.queue, args.heldout)
    pairs = sim.queue_pairs[:args.pairs]
    assert len(pairs) == args.pairs, f"only {len(sim.queue_pairs)} pairs"
    data = work / "pairs.jsonl"
    write_jsonl(data, pairs)
    t = time.time()
    _, rm_report = sim.train("reward", args.reward_options.split() + ["--eval-fraction", "0"], data, work / "reward")
    rm_secs = time.time() - t
    # v1's own held-out answers, scored and judged once.
    v1 = sampled(sim, str(STARTER), sim.heldout, args.samples, 1000 + seed, "v1")
    v1_scores = scores(sim, work / "reward", [r for r, _ in v1], work / "v1-rows.jsonl")
    # RM accuracy on rule pairs: every (right, wrong) pair among v1's answers to the same prompt.
    right = total = 0
    for i in range(0, len(v1), args.samples):
        g = list(zip(v1[i:i + args.samples], v1_scores[i:i + args.samples]))
        good = [s for (r, v), s in g if v.get("satisfies")]
        bad = [s for (r, v), s in g if v.get("demo") and not v.get("satisfies")]
        for a in good:
            for b in bad:
                total += 1
                right += a > b
    acc = right / max(1, total)
    rate1 = sum(v.get("satisfies", False) for _, v in v1) / len(v1)
    cands = {}
    for name in filter(None, args.candidates.split(",")):
        if name == "same":
            cands[name] = str(STARTER)
        elif name == "dpo":
            sim.train("dpo", POLICY, data, work / "policy-dpo")
            cands[name] = work / "policy-dpo"
        elif name == "flipped":
            flipped = work / "flipped.jsonl"
            write_jsonl(flipped, [{"prompt": p["prompt"], "chosen": p["rejected"], "rejected": p["chosen"]} for p in pairs])
            sim.train("dpo", POLICY, flipped, work / "policy-flipped")
            cands[name] = work / "policy-flipped"
    for name, folder in cands.items():
        # `same` samples v1 again with another seed: two draws of one policy.
        c = sampled(sim, folder, sim.heldout, args.samples, 2000 + seed if name == "same" else 1000 + seed, name)
        c_scores = scores(sim, work / "reward", [r for r, _ in c], work / f"{name}-rows.jsonl")
        rate2 = sum(v.get("satisfies", False) for _, v in c) / len(c)
        for use, m in [(u, m) for u in uses for m in margins]:
            w = l = ties = 0
            keep = [i for i in range(len(v1_scores)) if i % args.samples < use]
            for a, b in ((v1_scores[i], c_scores[i]) for i in keep):
                if b - a > m:
                    w += 1
                elif a - b > m:
                    l += 1
                else:
                    ties += 1
            n = w + l + ties
            rate = (w + ties / 2) / n
            lo = wilson_lower(w + ties / 2, n)
            dec = w / max(1, w + l)
            dlo = wilson_lower(w, w + l)
            print(f"| {seed} | {acc:.1%} of {total} | {name} | {rate1:.1%} | {rate2:.1%} | {use} | {m:g} | {w}-{ties}-{l} | {rate:.3f} | {lo:.3f} | "
                  f"{'**yes**' if lo > 0.5 else 'no'} | {dec:.3f} | {dlo:.3f} |", flush=True)
    print(f"<!-- seed {seed}: reward training {rm_secs:.1f} s, {rm_report.get('steps')} steps -->", flush=True)


if __name__ == "__main__":
    main()
