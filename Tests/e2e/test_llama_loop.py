"""A Llama-family folder works where a GPT-2 folder does: a tiny random Qwen2ForCausalLM (grouped-query
attention, q/k/v biases, untied head) with a BPE tokenizer Hilo trained goes through `hilo train sft`,
`reward` and `dpo`, `hilo sample`, `generate`, `logprob` and `reward`, and transformers loads every folder
Hilo wrote with Hilo's numbers (greedy tokens, log-probs, reward scores); then `hilo serve --policy` on
the same folder registers it, serves tasks with its candidates, and a retraining run over labels pushed
through the API writes and registers a new Llama-family policy version."""
import json
import pathlib
import shutil

import pytest
import torch
from transformers import (AutoModelForCausalLM, AutoModelForSequenceClassification, PreTrainedTokenizerFast, Qwen2Config,
                          Qwen2ForCausalLM)

from eventually import eventually
from test_loop_crash import Server, make_admin
from test_train_cli import COMBOS, SUBJECTS, run, write_jsonl, write_world


@pytest.fixture(scope="module")
def work(tmp_path_factory, hilo_bin):
    d = tmp_path_factory.mktemp("llama")
    write_world(d)
    write_jsonl(d / "prompts.jsonl", [{"prompt": s} for s in SUBJECTS])
    run(hilo_bin, "tokenizer", "train", "--corpus", str(d / "corpus.txt"), "--vocab-size", "300", "--out", str(d / "tok"))
    tok = PreTrainedTokenizerFast(tokenizer_file=str(d / "tok" / "tokenizer.json"))
    eos = tok.convert_tokens_to_ids("<|endoftext|>")
    torch.manual_seed(5)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=64, tie_word_embeddings=False, bos_token_id=eos,
                      eos_token_id=eos, pad_token_id=eos)
    Qwen2ForCausalLM(cfg).save_pretrained(d / "base")
    for f in (d / "tok").iterdir():
        shutil.copy(f, d / "base" / f.name)
    return d


def test_train_sample_and_score_a_llama_family_folder_as_transformers_does(work, hilo_bin):
    d = work
    info = json.loads(run(hilo_bin, "model", "info", "--json", str(d / "base")).stdout)
    assert info["architecture"] == "Qwen2ForCausalLM" and info["kind"] == "lm"
    for stage, args in [("sft", ["--data", str(d / "sft.jsonl"), "--lr", "3e-3", "--epochs", "4"]),
                        ("reward", ["--data", str(d / "pairs.jsonl"), "--lr", "1e-3", "--epochs", "3", "--eval-fraction", "0.2"])]:
        report = json.loads(run(hilo_bin, "train", stage, "--model", str(d / "base"), "--out", str(d / stage), "--json", *args).stdout)
        assert report["completed"], report
    assert report["evaluation"]["eval/accuracy"] >= 0.9, report
    report = json.loads(run(hilo_bin, "train", "dpo", "--model", str(d / "sft"), "--out", str(d / "dpo"), "--json", "--data",
                            str(d / "pairs.jsonl"), "--lr", "1e-3", "--epochs", "2", "--freeze-layers", "1").stdout)
    assert report["completed"] and report["metrics"]["rewards/margins"] > 0, report

    tok = PreTrainedTokenizerFast(tokenizer_file=str(d / "dpo" / "tokenizer.json"))
    # The reward model: transformers' Qwen2ForSequenceClassification with Hilo's score.
    rm = AutoModelForSequenceClassification.from_pretrained(d / "reward").eval()
    assert type(rm).__name__ == "Qwen2ForSequenceClassification"
    good = json.loads(run(hilo_bin, "reward", "--model", str(d / "reward"), "--prompt", "a dog", "--response", " likes the sun!").stdout)["score"]
    bad = json.loads(run(hilo_bin, "reward", "--model", str(d / "reward"), "--prompt", "a dog", "--response", " likes the sun.").stdout)["score"]
    assert good > bad
    with torch.no_grad():
        ref = rm(torch.tensor([tok.encode("a dog") + tok.encode(" likes the sun!")])).logits[0, 0].item()
    assert abs(ref - good) < 1e-4

    # The DPO policy: log-probs and greedy generation as transformers computes them.
    policy = AutoModelForCausalLM.from_pretrained(d / "dpo").eval()
    assert type(policy).__name__ == "Qwen2ForCausalLM"
    out = json.loads(run(hilo_bin, "logprob", "--model", str(d / "dpo"), "--prompt", "the cat", "--completion", " saw the sun!").stdout)
    p, c = tok.encode("the cat"), tok.encode(" saw the sun!")
    with torch.no_grad():
        lp = torch.log_softmax(policy(torch.tensor([p + c])).logits[0].double(), -1)
    expected = [lp[len(p) - 1 + i, t].item() for i, t in enumerate(c)]
    assert max(abs(a - b) for a, b in zip(out["token_logprobs"], expected)) < 1e-4
    g = json.loads(run(hilo_bin, "generate", "--model", str(d / "dpo"), "--prompt", "the bird", "--greedy", "--max-new-tokens",
                       "10", "--json").stdout)
    ids = torch.tensor([tok.encode("the bird")])
    with torch.no_grad():
        ref = policy.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=10, do_sample=False,
                              eos_token_id=policy.config.eos_token_id, pad_token_id=policy.config.eos_token_id)[0, ids.shape[1]:]
    assert g["token_ids"] == ref.tolist()

    # hilo sample: four responses per prompt; greedy ones are the `generate` ones.
    run(hilo_bin, "sample", "--model", str(d / "dpo"), "--prompts", str(d / "prompts.jsonl"), "--output", str(d / "samples.jsonl"),
        "--num-samples", "4", "--max-new-tokens", "12", "--seed", "3")
    samples = [json.loads(l) for l in (d / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == len(SUBJECTS) * 4 and {s["prompt"] for s in samples} == set(SUBJECTS)
    greedy = json.loads(run(hilo_bin, "sample", "--model", str(d / "dpo"), "--prompts", str(d / "prompts.jsonl"), "--greedy",
                            "--max-new-tokens", "10").stdout.splitlines()[SUBJECTS.index("the bird")])
    assert greedy["response"] == tok.decode(ref.tolist(), skip_special_tokens=True)


def test_serve_policy_runs_the_loop_on_a_llama_family_folder(work, hilo_bin, tmp_path):
    d = work
    db = str(tmp_path / "hilo.db")
    # One prompt per sentence (the loop judges each prompt once per annotator).
    write_jsonl(tmp_path / "rows.jsonl", [{"prompt": p + b, "responses": ["!", "."]} for p, b in COMBOS])
    run(hilo_bin, "import", "--db", db, "--format", "responses", str(tmp_path / "rows.jsonl"))
    admin = make_admin(hilo_bin, db)
    s = Server(hilo_bin, db, d / "base")
    try:
        assert any("registered" in l and "policy-v1" in l for l in s.lines), "".join(s.lines)
        assert s.call("PUT", "/api/v1/settings", {"retraining": {"automatic": False}, "responses_per_task": 2}, admin)[0] == 200
        # The candidate generator samples the Llama policy's own responses for the coming prompts.
        def generated():
            _, st = s.call("GET", "/api/v1/candidates/status", token=admin)
            assert st.get("error") is None, st
            return st if st["generated_total"] > 0 and st["version"] == "policy-v1" else None
        assert eventually(generated, timeout=120), "".join(s.lines[-20:])
        _, out = s.call("POST", "/api/v1/annotators", {"name": "ann"}, admin)
        ann = out["login_url"].split("token=")[1]
        for i in range(60):
            _, t = s.call("GET", "/api/v1/leases/next", token=ann)
            lease = t["lease"]
            assert lease, (i, t, "".join(s.lines[-20:]))
            responses = sorted(lease["responses"], key=lambda r: not r["text"].endswith("!"))
            good, bad = responses[0]["id"], responses[1]["id"]
            status, _ = s.call("POST", "/api/v1/judgments", {"lease_id": lease["id"], "kind": "pairwise",
                                                             "ranks": [{"response_id": good, "rank": 1}, {"response_id": bad, "rank": 2}],
                                                             "idempotency_key": f"k{i}"}, ann)
            assert status == 201
        status, out = s.call("POST", "/api/v1/training/runs", {}, admin)
        assert status == 201, out
        run_id = out["run"]["id"]

        def finished():
            _, r = s.call("GET", f"/api/v1/training/runs/{run_id}", token=admin)
            return r if r["status"] in ("succeeded", "failed") else None
        r = eventually(finished, timeout=600, every=0.5)
        assert r and r["status"] == "succeeded", (r, "".join(s.lines[-30:]))
        models = pathlib.Path(db + ".models")
        for name in ("policy-v2", "reward-v2"):
            cfg = json.loads((models / name / "config.json").read_text())
            assert cfg["model_type"] == "qwen2", (name, cfg)
        assert json.loads((models / "reward-v2" / "config.json").read_text())["architectures"] == ["Qwen2ForSequenceClassification"]
    finally:
        s.proc.kill()
        s.proc.wait()
