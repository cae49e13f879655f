"""The committed starter policy (Sources/Hilo/Starter/policy, rebuilt by `make starter`): it loads in
transformers as a GPT-2 with its tokenizer, greedy generation matches `hilo generate --greedy` token for
token, it fits the 10 MB budget, and its sampled answers to held-out demo prompts are well-formed demo
answers the judge reads, right sometimes and wrong sometimes (room for preference training)."""
import json
import pathlib
import subprocess

import torch
from transformers import AutoTokenizer, GPT2LMHeadModel

ROOT = pathlib.Path(__file__).resolve().parents[2]
STARTER = ROOT / "Sources" / "Hilo" / "Starter" / "policy"


def run(hilo, *args, stdin=None):
    p = subprocess.run([hilo, *map(str, args)], input=stdin, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p


def test_the_starter_is_a_complete_hugging_face_folder_of_at_most_10_mb():
    names = {f.name for f in STARTER.iterdir()}
    assert {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json"} <= names, names
    size = sum(f.stat().st_size for f in STARTER.iterdir())
    assert size <= 10 * 1024 * 1024, f"{size} bytes"
    config = json.loads((STARTER / "config.json").read_text())
    assert config["model_type"] == "gpt2" and config["n_layer"] == 4 and config["n_embd"] == 128, config


def test_transformers_greedy_generation_matches_hilo_generate(hilo_bin, tmp_path):
    model = GPT2LMHeadModel.from_pretrained(STARTER).eval()
    tok = AutoTokenizer.from_pretrained(STARTER)
    prompts = tmp_path / "heldout.jsonl"
    run(hilo_bin, "demo", "corpus", "--kind", "prompts", "--split", "heldout", "--count", "6", "--seed", "3", "-o", prompts)
    for line in prompts.read_text().splitlines():
        prompt = json.loads(line)["prompt"]
        ours = json.loads(run(hilo_bin, "generate", "--model", STARTER, "--prompt", prompt, "--greedy",
                              "--max-new-tokens", "24", "--json").stdout)
        ids = tok(prompt, return_tensors="pt").input_ids
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=24, do_sample=False, eos_token_id=model.config.eos_token_id,
                                 pad_token_id=model.config.eos_token_id)
        theirs = out[0, ids.shape[1]:].tolist()
        assert ours["token_ids"] == theirs, (prompt, ours, tok.decode(theirs))


def test_sampled_held_out_answers_are_well_formed_and_right_only_sometimes(hilo_bin, tmp_path):
    prompts = tmp_path / "heldout.jsonl"
    run(hilo_bin, "demo", "corpus", "--kind", "prompts", "--split", "heldout", "--count", "100", "--seed", "5", "-o", prompts)
    samples = run(hilo_bin, "sample", "--model", STARTER, "--prompts", prompts, "--num-samples", "2",
                  "--temperature", "1", "--top-p", "0.95", "--seed", "1").stdout
    rows = [json.loads(line) for line in samples.splitlines()]
    assert len(rows) == 200
    verdicts = [json.loads(line) for line in run(hilo_bin, "demo", "judge", stdin=samples).stdout.splitlines()]
    assert all(v["demo"] for v in verdicts), "every held-out prompt is a demo question"
    formed = sum(v["stated"] is not None for v in verdicts) / len(verdicts)
    right = sum(v["satisfies"] for v in verdicts) / len(verdicts)
    assert formed >= 0.9, f"only {formed:.0%} of sampled answers state a number the judge reads"
    assert 0.1 <= right <= 0.8, f"sampled rule rate {right:.0%}: the starter should be right sometimes, not always"
    # Responses are single answers: no new turn leaks into them.
    assert not any("Human:" in r["response"] for r in rows)
