"""End-to-end: `hilo train` on JSONL files from a from-scratch pretrain through SFT, reward, DPO, IPO,
KTO and PPO; the folders it writes load in transformers and give Hilo's log-probs and scores; Ctrl-C
writes a checkpoint that --resume continues; bad configs fail with a clear message before training."""
import json
import math
import os
import re
import signal
import subprocess
import threading
import time

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer, PreTrainedTokenizerFast

from eventually import eventually

SUBJECTS = ["the cat", "a dog", "my friend", "the bird", "our teacher", "a child"]
VERBS = ["saw", "likes", "found", "wants"]
OBJECTS = ["the ball", "a tree", "the sun", "some food", "the river"]
COMBOS = [(s, f" {v} {o}") for s in SUBJECTS for v in VERBS for o in OBJECTS]


def run(hilo, *args, check=True):
    p = subprocess.run([hilo, *args], capture_output=True, text=True, timeout=600)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def write_world(d):
    """The rule's corpus (every combination, "!" and "." alternating) and its SFT and pair datasets in `d`."""
    with open(d / "corpus.txt", "w") as f:
        for i in range(3):
            for j, (p, b) in enumerate(COMBOS):
                f.write(p + b + ("!" if (i + j) % 2 else ".") + "\n")
    write_jsonl(d / "sft.jsonl", [{"prompt": p, "completion": b + "!"} for p, b in COMBOS])
    write_jsonl(d / "pairs.jsonl", [{"prompt": p, "chosen": b + "!", "rejected": b + "."} for p, b in COMBOS])


@pytest.fixture(scope="module")
def work(tmp_path_factory, hilo_bin):
    d = tmp_path_factory.mktemp("train")
    write_world(d)
    write_jsonl(d / "kto.jsonl", [{"prompt": p, "completion": b + ("!" if i % 2 == 0 else "."), "label": i % 2 == 0}
                                  for i, (p, b) in enumerate(COMBOS)])
    write_jsonl(d / "prompts.jsonl", [{"prompt": s} for s in SUBJECTS])
    run(hilo_bin, "tokenizer", "train", "--corpus", str(d / "corpus.txt"), "--vocab-size", "300", "--out", str(d / "tok"))
    r = run(hilo_bin, "train", "pretrain", "--tokenizer", str(d / "tok"), "--layers", "2", "--embd", "64", "--heads", "4",
            "--positions", "48", "--data", str(d / "corpus.txt"), "--out", str(d / "base"), "--lr", "3e-3", "--epochs", "15",
            "--warmup", "10", "--json")
    report = json.loads(r.stdout)
    assert report["completed"] and report["metrics"]["loss"] < 1.0, report
    return d


def test_every_stage_writes_a_model_folder_transformers_loads(work, hilo_bin):
    d = work
    stages = [
        ("sft", ["--data", str(d / "sft.jsonl"), "--lr", "1e-3"]),
        ("dpo", ["--data", str(d / "pairs.jsonl"), "--lr", "1e-3", "--epochs", "2", "--rpo-alpha", "1"]),
        ("ipo", ["--data", str(d / "pairs.jsonl"), "--lr", "1e-3", "--beta", "0.5"]),
        ("kto", ["--data", str(d / "kto.jsonl"), "--lr", "1e-3"]),
        ("reward", ["--data", str(d / "pairs.jsonl"), "--lr", "1e-3", "--epochs", "3", "--eval-fraction", "0.2"]),
    ]
    for stage, args in stages:
        r = run(hilo_bin, "train", stage, "--model", str(d / "base"), "--out", str(d / stage), "--json", *args)
        report = json.loads(r.stdout)
        assert report["completed"] and report["output"] == str(d / stage)
        assert math.isfinite(report["metrics"]["loss"]) and report["tokensPerSecond"] > 0
        assert "ETA" in r.stderr  # the progress bar
    assert json.loads(run(hilo_bin, "train", "reward", "--model", str(d / "base"), "--out", str(d / "rm2"), "--data",
                          str(d / "pairs.jsonl"), "--lr", "1e-3", "--epochs", "3", "--eval-fraction", "0.2", "--json").stdout
                      )["evaluation"]["eval/accuracy"] >= 0.9
    r = run(hilo_bin, "train", "ppo", "--model", str(d / "base"), "--reward-model", str(d / "reward"), "--data", str(d / "prompts.jsonl"),
            "--out", str(d / "ppo"), "--lr", "5e-4", "--epochs", "5", "--batch", "6", "--max-new-tokens", "24", "--json")
    report = json.loads(r.stdout)
    assert report["completed"] and math.isfinite(report["metrics"]["objective/kl"])
    for name in ["sft", "dpo", "ipo", "kto", "ppo"]:
        AutoModelForCausalLM.from_pretrained(d / name)


def test_logprob_matches_transformers_with_separate_tokenization(work, hilo_bin):
    d = work
    out = json.loads(run(hilo_bin, "logprob", "--model", str(d / "sft"), "--prompt", "the cat", "--completion", " saw the sun!").stdout)
    tok = PreTrainedTokenizerFast(tokenizer_file=str(d / "sft" / "tokenizer.json"))
    p, c = tok.encode("the cat"), tok.encode(" saw the sun!")
    assert out["completion_token_ids"] == c
    model = AutoModelForCausalLM.from_pretrained(d / "sft").eval()
    with torch.no_grad():
        logits = model(torch.tensor([p + c])).logits[0]
    lp = torch.log_softmax(logits.double(), -1)
    expected = [lp[len(p) - 1 + i, t].item() for i, t in enumerate(c)]
    assert max(abs(a - b) for a, b in zip(out["token_logprobs"], expected)) < 1e-4
    assert abs(out["logprob_sum"] - sum(expected)) < 1e-3


def test_reward_scores_match_transformers_and_prefer_the_chosen_property(work, hilo_bin):
    d = work
    good = json.loads(run(hilo_bin, "reward", "--model", str(d / "reward"), "--prompt", "a dog", "--response", " likes the sun!").stdout)["score"]
    bad = json.loads(run(hilo_bin, "reward", "--model", str(d / "reward"), "--prompt", "a dog", "--response", " likes the sun.").stdout)["score"]
    assert good > bad
    tok = PreTrainedTokenizerFast(tokenizer_file=str(d / "reward" / "tokenizer.json"))
    rm = AutoModelForSequenceClassification.from_pretrained(d / "reward").eval()
    with torch.no_grad():
        ref = rm(torch.tensor([tok.encode("a dog") + tok.encode(" likes the sun!")])).logits[0, 0].item()
    assert abs(ref - good) < 1e-4
    # --rows: a file scored in one batch (padded to the longest row) gives each row's own score.
    rows = d / "reward-rows.jsonl"
    write_jsonl(rows, [{"prompt": "a dog", "response": " likes the sun!"}, {"prompt": "a dog", "response": " likes the sun."},
                       {"prompt": "a dog", "response": " likes the sun! A dog likes the sun!"}])
    batch = [json.loads(l)["score"] for l in run(hilo_bin, "reward", "--model", str(d / "reward"), "--rows", str(rows)).stdout.splitlines()]
    assert len(batch) == 3 and abs(batch[0] - good) < 1e-5 and abs(batch[1] - bad) < 1e-5
    rows.write_text('{"prompt": "a dog"}\n')
    r = run(hilo_bin, "reward", "--model", str(d / "reward"), "--rows", str(rows), check=False)
    assert r.returncode != 0 and "line 1 is not an object with string \"prompt\" and \"response\"" in r.stderr
    r = run(hilo_bin, "reward", "--model", str(d / "reward"), "--rows", str(rows), "--prompt", "a dog", check=False)
    assert r.returncode != 0 and "leave out --prompt and --response" in r.stderr


def test_generate_is_deterministic_for_a_seed_and_greedy_matches_transformers(work, hilo_bin):
    d = work
    a = json.loads(run(hilo_bin, "generate", "--model", str(d / "sft"), "--prompt", "the bird", "--seed", "5", "--json").stdout)
    b = json.loads(run(hilo_bin, "generate", "--model", str(d / "sft"), "--prompt", "the bird", "--seed", "5", "--json").stdout)
    assert a == b and a["token_ids"]
    g = json.loads(run(hilo_bin, "generate", "--model", str(d / "sft"), "--prompt", "the bird", "--greedy", "--max-new-tokens", "10",
                       "--json").stdout)
    tok = PreTrainedTokenizerFast(tokenizer_file=str(d / "sft" / "tokenizer.json"))
    model = AutoModelForCausalLM.from_pretrained(d / "sft").eval()
    ids = torch.tensor([tok.encode("the bird")])
    with torch.no_grad():
        ref = model.generate(ids, max_new_tokens=10, do_sample=False, eos_token_id=model.config.eos_token_id,
                             pad_token_id=model.config.eos_token_id)[0, ids.shape[1]:].tolist()
    assert g["token_ids"] == ref
    stop = json.loads(run(hilo_bin, "generate", "--model", str(d / "sft"), "--prompt", "the bird", "--greedy", "--stop", " the",
                          "--json").stdout)
    assert stop["finish_reason"] == "stop_hook" and stop["text"].endswith(" the")


class Training:
    """`hilo train` started in the background; its stderr (the progress bar) is collected as it comes."""
    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err = []
        self.reader = threading.Thread(target=lambda: self.err.extend(iter(lambda: self.proc.stderr.read(1), "")), daemon=True)
        self.reader.start()

    def until_a_step(self):
        """Waits until the progress bar shows at least one finished step."""
        assert eventually(lambda: re.search(r" [1-9][0-9]*/[0-9]+ ETA", "".join(self.err))), "".join(self.err)

    def finish(self, timeout):
        """Waits for the exit; returns (stdout, stderr)."""
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout=timeout)
        return self.proc.stdout.read(), "".join(self.err)


def test_ctrl_c_writes_a_checkpoint_and_resume_finishes(work, hilo_bin):
    d = work
    out = d / "long_sft"
    args = [hilo_bin, "train", "sft", "--model", str(d / "base"), "--data", str(d / "sft.jsonl"), "--out", str(out),
            "--lr", "1e-4", "--epochs", "400", "--batch", "4", "--json"]
    t = Training(args)
    t.until_a_step()
    t.proc.send_signal(signal.SIGINT)
    stdout, stderr = t.finish(timeout=120)
    assert t.proc.returncode == 130, stderr
    report = json.loads(stdout)
    assert not report["completed"] and 0 < report["steps"] < report["totalSteps"]
    state = json.load(open(str(out) + ".checkpoint/state.json"))
    assert state["step"] == report["steps"] and state["stage"] == "sft"
    assert not out.exists()
    r = run(hilo_bin, *args[1:], "--max-steps", str(report["steps"] + 5), "--resume")
    final = json.loads(r.stdout)
    assert final["completed"] and final["steps"] == report["steps"] + 5
    assert out.exists() and not os.path.exists(str(out) + ".checkpoint")


def test_a_second_ctrl_c_quits_at_once_and_leaves_no_model(work, hilo_bin):
    d = work
    out = d / "quit_sft"
    t = Training([hilo_bin, "train", "sft", "--model", str(d / "base"), "--data", str(d / "sft.jsonl"), "--out", str(out),
                  "--lr", "1e-4", "--epochs", "400", "--batch", "4", "--json"])
    t.until_a_step()
    t.proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    t.proc.send_signal(signal.SIGINT)
    # A training thread inside a BLAS call must not keep the process from quitting.
    _, stderr = t.finish(timeout=20)
    assert t.proc.returncode == 130, stderr
    assert "Ctrl-C again to quit now" in stderr
    assert not out.exists()


@pytest.mark.parametrize("args,message", [
    (["dpo", "--beta", "0"], "--beta must be > 0"),
    (["dpo", "--ref", "REF"], "another architecture"),
    (["dpo", "--data", "EMPTY"], "dataset is empty"),
    (["sft", "--model", "OTHER_TOKENIZER"], "the tokenizer does not fit"),
])
def test_bad_configs_fail_before_training(work, hilo_bin, tmp_path, args, message):
    d = work
    (tmp_path / "empty.jsonl").write_text("")
    # A reference of another shape (3 blocks instead of 2).
    if not (d / "ref3").exists():
        run(hilo_bin, "train", "pretrain", "--tokenizer", str(d / "tok"), "--layers", "3", "--embd", "64", "--heads", "4",
            "--positions", "48", "--data", str(d / "corpus.txt"), "--out", str(d / "ref3"), "--max-steps", "1")
    stage, *rest = args
    model = str(d / "base")
    repl = {"REF": str(d / "ref3"), "EMPTY": str(tmp_path / "empty.jsonl")}
    rest = [repl.get(a, a) for a in rest]
    if "OTHER_TOKENIZER" in rest:
        # base's tokenizer (300 ids) on a copy of the model config shrunk to 100 rows is a mismatch; build it by hand.
        import shutil
        from safetensors.torch import load_file, save_file
        bad = tmp_path / "bad"
        shutil.copytree(d / "base", bad)
        cfg = json.load(open(bad / "config.json"))
        cfg["vocab_size"] = 100
        json.dump(cfg, open(bad / "config.json", "w"))
        w = load_file(bad / "model.safetensors")
        w["transformer.wte.weight"] = w["transformer.wte.weight"][:100].clone()
        save_file(w, bad / "model.safetensors", metadata={"format": "pt"})
        rest = [str(bad) if a == "OTHER_TOKENIZER" else a for a in rest]
    data = {"dpo": "pairs.jsonl", "sft": "sft.jsonl"}[stage]
    cmd = ["train", stage, "--out", str(tmp_path / "out"), "--json"]
    if "--model" not in rest:
        cmd += ["--model", model]
    if "--data" not in rest:
        cmd += ["--data", str(d / data)]
    p = run(hilo_bin, *cmd, *rest, check=False)
    assert p.returncode != 0 and message in p.stderr, p.stderr
    assert not (tmp_path / "out").exists()


def test_training_from_the_database_equals_training_from_its_export(work, hilo_bin, tmp_path):
    d = work
    db = str(tmp_path / "hilo.db")
    run(hilo_bin, "import", str(d / "pairs.jsonl"), "--format", "trl", "--db", db)
    run(hilo_bin, "export", "--format", "trl", "--db", db, "-o", str(tmp_path / "exp.jsonl"))
    common = ["--model", str(d / "base"), "--lr", "1e-3", "--seed", "1", "--json"]
    a = json.loads(run(hilo_bin, "train", "dpo", "--db", db, "--out", str(tmp_path / "from_db"), *common).stdout)
    b = json.loads(run(hilo_bin, "train", "dpo", "--data", str(tmp_path / "exp.jsonl"), "--out", str(tmp_path / "from_file"), *common).stdout)
    assert a["steps"] == b["steps"] == 15 and a["metrics"]["loss"] == b["metrics"]["loss"]
    assert (tmp_path / "from_db" / "model.safetensors").read_bytes() == (tmp_path / "from_file" / "model.safetensors").read_bytes()


def test_ppo_trains_on_the_database_prompts_and_their_prompts_export_alike(work, hilo_bin, tmp_path):
    import sqlite3
    d = work
    db = str(tmp_path / "hilo.db")
    run(hilo_bin, "import", str(d / "prompts.jsonl"), "--format", "prompts", "--db", db)
    with sqlite3.connect(db) as c:
        c.execute("UPDATE prompts SET heldout = 1 WHERE text = 'a child'")
    exported = tmp_path / "prompts.jsonl"
    run(hilo_bin, "export", "--format", "prompts", "--db", db, "-o", str(exported))
    assert [json.loads(l) for l in exported.read_text().splitlines()] == [{"prompt": s} for s in SUBJECTS if s != "a child"]
    common = ["--model", str(d / "base"), "--reward-model", str(d / "reward"), "--lr", "5e-4", "--batch", "5",
              "--max-new-tokens", "8", "--ppo-epochs", "1", "--seed", "3", "--json", "--quiet"]
    a = json.loads(run(hilo_bin, "train", "ppo", "--db", db, "--out", str(tmp_path / "from_db"), *common).stdout)
    b = json.loads(run(hilo_bin, "train", "ppo", "--data", str(exported), "--out", str(tmp_path / "from_file"), *common).stdout)
    assert a["completed"] and a["steps"] == b["steps"] == 1
    assert (tmp_path / "from_db" / "model.safetensors").read_bytes() == (tmp_path / "from_file" / "model.safetensors").read_bytes()


def test_dpo_warns_when_the_chosen_likelihood_falls_and_rpo_keeps_it(work, hilo_bin, tmp_path):
    # The tiny 300-token BPE model at lr 1e-3: plain DPO pushes the chosen log-prob down with the rejected one.
    d = work
    common = ["--model", str(d / "base"), "--data", str(d / "pairs.jsonl"), "--lr", "1e-3", "--epochs", "2", "--json"]
    plain = run(hilo_bin, "train", "dpo", "--out", str(tmp_path / "plain"), *common)
    report = json.loads(plain.stdout)
    assert report["metrics"]["rewards/chosen"] < 0 < report["metrics"]["rewards/margins"]
    assert len(report["warnings"]) == 1 and "--rpo-alpha" in report["warnings"][0]
    assert "warning: " in plain.stderr and "nats per token below the reference" in plain.stderr
    rpo = json.loads(run(hilo_bin, "train", "dpo", "--out", str(tmp_path / "rpo"), *common, "--rpo-alpha", "1").stdout)
    assert rpo["warnings"] == [] and rpo["metrics"]["rewards/chosen"] > 0 and rpo["metrics"]["rewards/accuracies"] == 1
