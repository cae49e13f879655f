"""`hilo train grpo|rloo` end to end: GRPO from the starter policy with the demo judge as a reward PROGRAM
(`hilo demo judge --score --rule correct`, TRL's reward-function contract over stdin/stdout) raises the
held-out `correct` rate by a clear margin (a two-proportion z-test), and bad input stops before any
training with a message that names the problem."""
import json
import math
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
STARTER = ROOT / "Sources" / "Hilo" / "Starter" / "policy"


def run(args, check=True):
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=900)


def held_out_rate(hilo, model, prompts, tmp):
    """Share of 4 samples for each held-out prompt (temperature 1, no nucleus cut) the judge finds correct."""
    out = tmp / "samples.jsonl"
    run([hilo, "sample", "--model", str(model), "--prompts", str(prompts), "--num-samples", "4",
         "--max-new-tokens", "24", "--top-p", "1", "--seed", "5", "-o", str(out)])
    scores = run([hilo, "demo", "judge", "--score", "--rule", "correct", str(out)]).stdout.split()
    assert len(scores) == 400 and "null" not in scores, scores[:5]
    return sum(s == "1" for s in scores) / len(scores), len(scores)


@pytest.fixture(scope="module")
def demo(hilo_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grpo")
    run([hilo_bin, "demo", "corpus", "--kind", "prompts", "--count", "200", "--split", "queue", "-o", str(tmp / "queue.jsonl")])
    run([hilo_bin, "demo", "corpus", "--kind", "prompts", "--count", "100", "--split", "heldout", "-o", str(tmp / "heldout.jsonl")])
    return tmp


def test_grpo_with_the_demo_judge_as_reward_program_raises_the_held_out_correct_rate(hilo_bin, demo):
    before, n = held_out_rate(hilo_bin, STARTER, demo / "heldout.jsonl", demo)
    out = demo / "grpo"
    report = json.loads(run([hilo_bin, "train", "grpo", "--model", str(STARTER), "--data", str(demo / "queue.jsonl"),
                             "--out", str(out), "--reward-cmd", f"{hilo_bin} demo judge --score --rule correct",
                             "--batch", "4", "--num-generations", "8", "--max-new-tokens", "24", "--epochs", "4",
                             "--lr", "2e-4", "--json", "--quiet"]).stdout)
    assert report["completed"] and report["steps"] == 200
    m = report["metrics"]
    assert "rewards/hilo/mean" in m and 0 <= m["reward"] <= 1 and m["frac_reward_missing"] == 0
    after, _ = held_out_rate(hilo_bin, out, demo / "heldout.jsonl", demo)
    p = (before + after) / 2
    z = (after - before) / math.sqrt(2 * p * (1 - p) / n)
    print(f"held-out correct rate {before:.3f} -> {after:.3f} (z = {z:.2f}), {report['seconds']:.0f} s")
    assert after > before and z > 2.0, (before, after, z)


def test_rloo_runs_with_a_rule_and_reports_trls_metrics(hilo_bin, demo):
    report = json.loads(run([hilo_bin, "train", "rloo", "--model", str(STARTER), "--data", str(demo / "queue.jsonl"),
                             "--out", str(demo / "rloo"), "--reward-rule", "correct", "--batch", "2", "--max-steps", "3",
                             "--max-new-tokens", "12", "--json", "--quiet"]).stdout)
    assert report["completed"] and report["steps"] == 3
    for key in ["reward", "reward_std", "kl", "clip_ratio/region_mean", "completions/mean_length", "rewards/correct/mean"]:
        assert key in report["metrics"], key
    assert (demo / "rloo" / "model.safetensors").exists()


@pytest.mark.parametrize("extra, message", [
    (["--reward-rule", "correct", "--num-generations", "1"], "--num-generations must be at least 2"),
    ([], "grpo needs a reward"),
    (["--reward-cmd", "/nonexistent/judge --x"], "/nonexistent/judge is missing or not executable"),
    (["--reward-cmd", "printf 'abc\\n%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16"], "line 1: \"abc\" is not a number or null"),
    (["--reward-cmd", "echo 1"], "answered 1 lines for 16 samples"),
    (["--reward-rule", "correct", "--reward-weights", "1", "2"], "2 weights for 1 reward sources"),
])
def test_bad_options_and_programs_stop_with_a_clear_message(hilo_bin, demo, extra, message):
    r = run([hilo_bin, "train", "grpo", "--model", str(STARTER), "--data", str(demo / "queue.jsonl"), "--out",
             str(demo / "bad"), "--replace", "--batch", "2", "--max-steps", "1", "--max-new-tokens", "4", "--quiet"] + extra,
            check=False)
    assert r.returncode != 0 and message in r.stderr + r.stdout, r.stderr
    assert not (demo / "bad").exists()


def test_a_prompt_file_without_prompts_is_refused(hilo_bin, demo):
    empty = demo / "empty.jsonl"
    empty.write_text("\n")
    r = run([hilo_bin, "train", "grpo", "--model", str(STARTER), "--data", str(empty), "--out", str(demo / "e"),
             "--reward-rule", "correct", "--quiet"], check=False)
    assert r.returncode != 0 and "dataset is empty" in r.stderr, r.stderr
