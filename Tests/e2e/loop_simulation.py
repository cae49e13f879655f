"""The human-in-the-loop cycle simulated offline with the hilo command line, on the starter policy.

What the server does with annotators, done by commands: the starter samples 4 responses per demo-queue
prompt (`hilo sample`), a simulated annotator labels one pair per prompt by the rule `correct`
(`hilo demo judge`: a right answer beats a wrong one; prompts whose 4 answers are all right or all wrong
give no pair), and the first N pairs train the reward model (`hilo train reward --model starter`) and
the policy (`hilo train dpo|ipo|kto …`, from the starter against itself as the reference). Each result
is measured on held-out prompts: the rule rate of sampled outputs (temperature 1, top-p 0.95, as
settings.candidates; several samples per prompt) and the reward model's accuracy on held-out pairs.

    .venv/bin/python Tests/e2e/loop_simulation.py --hilo .build/release/hilo            # Markdown on stdout
    .venv/bin/python Tests/e2e/loop_simulation.py --pairs 200 --recipes dpo-rpo --quick

Only the Python standard library: no torch (Hilo does every step). Not a pytest module (no test_ prefix):
Tests/Benchmarks/bench.d/75-starter-loop.sh runs it for `make bench`.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
STARTER = ROOT / "Sources" / "Hilo" / "Starter" / "policy"

# DemoSeed's seeds (Sources/Hilo/Demo/DemoSeed.swift): the same queue and held-out prompts a fresh
# server is seeded with. The queue stream draws with seed 7, the held-out one with 7 + 0x5EED.
QUEUE_SEED, HELDOUT_SEED = 7, 7 + 0x5EED

# Recipes: name -> (stage, options). Common options (--model, --ref, --out, --data, --seed) are added.
def _recipe(stage, lr, beta="0.1", epochs="3", batch="8", *extra):
    return (stage, ["--lr", lr, "--beta", beta, "--epochs", epochs, "--batch", batch, *extra])


RECIPES = {
    "dpo-1e-3": _recipe("dpo", "1e-3"),
    "dpo-3e-4": _recipe("dpo", "3e-4"),
    "dpo-1e-4": _recipe("dpo", "1e-4"),
    "dpo-3e-4-b0.5": _recipe("dpo", "3e-4", "0.5"),
    "rpo-3e-4": _recipe("dpo", "3e-4", "0.1", "3", "8", "--rpo-alpha", "1"),
    "rpo-1e-4": _recipe("dpo", "1e-4", "0.1", "3", "8", "--rpo-alpha", "1"),
    "rpo-1e-3": _recipe("dpo", "1e-3", "0.1", "3", "8", "--rpo-alpha", "1"),
    "ipo-3e-4": _recipe("ipo", "3e-4"),
    "kto-3e-4": _recipe("kto", "3e-4"),
    "rpo-3e-4-freeze2": _recipe("dpo", "3e-4", "0.1", "3", "8", "--rpo-alpha", "1", "--freeze-layers", "2"),
    "rpo-1e-4-e6": _recipe("dpo", "1e-4", "0.1", "6", "8", "--rpo-alpha", "1"),
    "rpo2-1e-4": _recipe("dpo", "1e-4", "0.1", "3", "8", "--rpo-alpha", "2"),
    "rpo4-3e-4": _recipe("dpo", "3e-4", "0.1", "3", "8", "--rpo-alpha", "4"),
    "rpo-1e-4-b0.5": _recipe("dpo", "1e-4", "0.5", "3", "8", "--rpo-alpha", "1"),
    "rpo-3e-4-b0.5": _recipe("dpo", "3e-4", "0.5", "3", "8", "--rpo-alpha", "1"),
    "rpo-1e-4-b1": _recipe("dpo", "1e-4", "1", "3", "8", "--rpo-alpha", "1"),
    "rpo2-1e-4-e6": _recipe("dpo", "1e-4", "0.1", "6", "8", "--rpo-alpha", "2"),
    "rpo2-1e-4-e6-bs4": _recipe("dpo", "1e-4", "0.1", "6", "4", "--rpo-alpha", "2"),
    "rpo2-2e-4-e6": _recipe("dpo", "2e-4", "0.1", "6", "8", "--rpo-alpha", "2"),
    "ipo-rpo2-1e-4-e6": _recipe("ipo", "1e-4", "0.1", "6", "8", "--rpo-alpha", "2"),
    "sft-chosen-1e-4-e6": ("sft", ["--lr", "1e-4", "--epochs", "6", "--batch", "8"]),
    # A fixed number of steps whatever the pair count (epochs cut by --max-steps): small label sets get
    # as many updates as large ones.
    "rpo-1e-4-s75": _recipe("dpo", "1e-4", "0.1", "100", "8", "--rpo-alpha", "1", "--max-steps", "75"),
    "rpo-3e-4-s75": _recipe("dpo", "3e-4", "0.1", "100", "8", "--rpo-alpha", "1", "--max-steps", "75"),
    "sft-chosen-3e-4-s75": ("sft", ["--lr", "3e-4", "--epochs", "100", "--batch", "8", "--max-steps", "75"]),
    "sft-chosen-3e-4": ("sft", ["--lr", "3e-4", "--epochs", "3", "--batch", "8"]),
    "sft-chosen-1e-3": ("sft", ["--lr", "1e-3", "--epochs", "3", "--batch", "8"]),
}


def run(cmd, **kw):
    """Runs a command; its stderr is returned (the judge's summary, training reports)."""
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"loop_simulation: {' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p


def read_jsonl(path):
    return [json.loads(line) for line in pathlib.Path(path).read_text().splitlines() if line.strip()]


def write_jsonl(path, rows):
    pathlib.Path(path).write_text("".join(json.dumps(r) + "\n" for r in rows))


class Sim:
    def __init__(self, hilo, starter, work, per_prompt, seed):
        self.hilo, self.starter, self.work, self.k, self.seed = hilo, starter, pathlib.Path(work), per_prompt, seed

    def sample(self, model, prompts, out, per_prompt, greedy=False, seed=0):
        cmd = [self.hilo, "sample", "--model", model, "--prompts", prompts, "--num-samples", per_prompt,
               "--temperature", "1", "--top-p", "0.95", "--seed", seed, "-o", out]
        if greedy:
            cmd.append("--greedy")
        run(cmd)
        return out

    def judge(self, samples):
        """Verdicts for a samples file: [(row, verdict)] with verdict keys satisfies/demo/stated."""
        p = run([self.hilo, "demo", "judge", "--rule", "correct", samples])
        verdicts = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        return list(zip(read_jsonl(samples), verdicts))

    @staticmethod
    def rates(judged):
        """(share satisfying the rule, share the judge reads an answer from)."""
        n = len(judged)
        right = sum(1 for _, v in judged if v.get("satisfies"))
        formed = sum(1 for _, v in judged if v.get("stated") is not None)
        return right / n, formed / n

    def heldout_rate(self, model, tag, per_prompt):
        out = self.sample(model, self.heldout, self.work / f"heldout-{tag}.jsonl", per_prompt, seed=self.seed + 1)
        return self.rates(self.judge(out))

    @staticmethod
    def pairs(judged, k):
        """One pair per prompt whose k samples mix right and wrong: the first right one chosen over the
        first wrong one. Rows come k per prompt, in prompt order."""
        out = []
        for i in range(0, len(judged), k):
            group = judged[i:i + k]
            good = [r for r, v in group if v.get("satisfies")]
            bad = [r for r, v in group if v.get("demo") and not v.get("satisfies")]
            if good and bad:
                out.append({"prompt": good[0]["prompt"], "chosen": good[0]["response"], "rejected": bad[0]["response"]})
        return out

    def reward_accuracy(self, reward_model, pairs):
        right = 0
        for p in pairs:
            scores = []
            for side in ("chosen", "rejected"):
                r = run([self.hilo, "reward", "--model", reward_model, "--prompt", p["prompt"], "--response", p[side]])
                scores.append(json.loads(r.stdout)["score"])
            right += scores[0] > scores[1]
        return right / len(pairs)

    def train(self, stage, options, data, out):
        cmd = [self.hilo, "train", stage, "--model", self.starter, "--data", data, "--out", out, "--replace",
               "--seed", self.seed, "--quiet", "--json"] + options
        if stage in ("dpo", "ipo", "kto"):
            cmd += ["--ref", self.starter]
        t = time.time()
        p = run(cmd)
        report = json.loads(p.stdout.strip().splitlines()[-1])
        return time.time() - t, report

    def setup(self, queue_count, heldout_count):
        w = self.work
        self.queue = w / "queue.jsonl"
        self.heldout = w / "heldout.jsonl"
        run([self.hilo, "demo", "corpus", "--kind", "prompts", "--split", "queue", "--count", queue_count, "--seed", QUEUE_SEED, "-o", self.queue])
        run([self.hilo, "demo", "corpus", "--kind", "prompts", "--split", "heldout", "--count", heldout_count, "--seed", HELDOUT_SEED, "-o", self.heldout])
        # The annotators' view: K fresh samples of the starter per queue prompt, labelled by the rule.
        samples = self.sample(self.starter, self.queue, w / "queue-samples.jsonl", self.k, seed=self.seed)
        self.queue_pairs = self.pairs(self.judge(samples), self.k)
        # Held-out pairs, built the same way from held-out prompts, for the reward model's accuracy.
        hs = self.sample(self.starter, self.heldout, w / "heldout-pairs-samples.jsonl", self.k, seed=self.seed + 2)
        self.heldout_pairs = self.pairs(self.judge(hs), self.k)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hilo", default=os.environ.get("HILO_BIN", str(ROOT / ".build" / "release" / "hilo")))
    ap.add_argument("--starter", default=str(STARTER))
    ap.add_argument("--pairs", default="50,100,200", help="labelled pair counts, comma-separated")
    ap.add_argument("--recipes", default=",".join(RECIPES), help="policy recipes, comma-separated: " + ", ".join(RECIPES))
    ap.add_argument("--queue", type=int, default=400, help="queue prompts sampled (enough for the largest pair count)")
    ap.add_argument("--heldout", type=int, default=100, help="held-out prompts")
    ap.add_argument("--eval-samples", type=int, default=4, help="samples per held-out prompt when measuring a policy")
    ap.add_argument("--per-prompt", type=int, default=4, help="candidates per queue prompt (settings.candidates K)")
    ap.add_argument("--no-reward", action="store_true", help="skip the reward models")
    ap.add_argument("--reward-options", default="--lr 1e-3 --epochs 3 --batch 8",
                    help="hilo train reward options (the held-out pairs measure accuracy, so --eval-fraction is 0)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", help="keep intermediate files here (default: a temporary folder)")
    args = ap.parse_args()

    work = args.work or tempfile.mkdtemp(prefix="hilo-loop-sim-")
    pathlib.Path(work).mkdir(parents=True, exist_ok=True)
    sim = Sim(args.hilo, args.starter, work, args.per_prompt, args.seed)
    started = time.time()
    sim.setup(args.queue, args.heldout)
    counts = [int(n) for n in args.pairs.split(",")]
    if len(sim.queue_pairs) < max(counts):
        sys.exit(f"loop_simulation: only {len(sim.queue_pairs)} pairs from {args.queue} queue prompts; raise --queue")

    base_sampled, base_formed = sim.heldout_rate(args.starter, "starter", args.eval_samples)
    base_greedy, _ = sim.rates(sim.judge(sim.sample(args.starter, sim.heldout, pathlib.Path(work) / "heldout-greedy.jsonl", 1, greedy=True)))
    print(f"Starter on {args.heldout} held-out prompts: greedy {base_greedy:.0%} right; sampled (T=1, top-p 0.95, "
          f"{args.eval_samples} per prompt) {base_sampled:.1%} right, {base_formed:.0%} well-formed (the judge reads an answer).")
    print(f"Pairs: one per queue prompt whose {args.per_prompt} samples mix right and wrong answers "
          f"({len(sim.queue_pairs)} from {args.queue} prompts); reward accuracy on {len(sim.heldout_pairs)} held-out pairs.")
    print()
    print("| pairs | recipe | options | train s | steps | held-out sampled rate | Δ vs starter | well-formed |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    results = []
    for n in counts:
        data = pathlib.Path(work) / f"pairs-{n}.jsonl"
        write_jsonl(data, sim.queue_pairs[:n])
        kto_data = pathlib.Path(work) / f"kto-{n}.jsonl"
        write_jsonl(kto_data, [r for p in sim.queue_pairs[:n] for r in (
            {"prompt": p["prompt"], "completion": p["chosen"], "label": True},
            {"prompt": p["prompt"], "completion": p["rejected"], "label": False})])
        sft_data = pathlib.Path(work) / f"sft-{n}.jsonl"
        write_jsonl(sft_data, [{"prompt": p["prompt"], "completion": p["chosen"]} for p in sim.queue_pairs[:n]])
        for name in filter(None, args.recipes.split(",")):
            stage, options = RECIPES[name]
            out = pathlib.Path(work) / f"policy-{name}-{n}"
            secs, report = sim.train(stage, options, {"kto": kto_data, "sft": sft_data}.get(stage, data), out)
            rate, formed = sim.heldout_rate(out, f"{name}-{n}", args.eval_samples)
            results.append((n, name, rate))
            print(f"| {n} | {name} | `{' '.join(options)}` | {secs:.1f} | {report.get('steps')} | {rate:.1%} | "
                  f"{(rate - base_sampled) * 100:+.1f} | {formed:.0%} |", flush=True)
    if not args.no_reward:
        print()
        print("| pairs | reward model | train s | held-out pair accuracy |")
        print("|---:|---|---:|---:|")
        for n in counts:
            data = pathlib.Path(work) / f"pairs-{n}.jsonl"
            out = pathlib.Path(work) / f"reward-{n}"
            opts = args.reward_options.split() + ["--eval-fraction", "0"]
            secs, _ = sim.train("reward", opts, data, out)
            acc = sim.reward_accuracy(out, sim.heldout_pairs)
            print(f"| {n} | `{' '.join(opts)}` | {secs:.1f} | {acc:.1%} |", flush=True)
    print()
    print(f"Simulated in {time.time() - started:.0f} s.")


if __name__ == "__main__":
    main()
