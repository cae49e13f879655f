"""Hilo's exports train in real TRL as they are. A database with labels of every kind (a 3-way ranking,
pairs on plain, HH and conversation prompts, an HH pair, SFT demonstrations as strings and messages)
is exported in every training format, and each export trains 2 steps with the TRL trainer that reads
that format (DPOTrainer, RewardTrainer, KTOTrainer, SFTTrainer, GRPOTrainer) on the starter policy,
with no column renaming and the lengths TRL reads from its tokenizer_config.json: the loss is finite and the weights change. Each trained
folder, as TRL saves it, then loads back into Hilo: a policy's greedy tokens (`hilo generate`) and
log-probabilities (`hilo logprob`) equal transformers' on the same folder, a reward model's score
(`hilo reward`) equals transformers' score, and `hilo models add` registers it as a candidate."""
import json
import logging
import math
import pathlib
import subprocess

import pytest

import datasets
import torch
import trl
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]

RANKED = [
    {"prompt": "What is 2+2?", "responses": ["4", "5", "It is four."], "ranks": [1, 3, 2]},
    {"prompt": "\n\nHuman: What is 3+3?\n\nAssistant:", "responses": [" 6.", " 7."], "ranks": [1, 2]},
    {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi"}],
     "responses": ["hi", "Hello there, friend!"], "ranks": [2, 1]},
] + [{"prompt": f"Question {k}?", "responses": [f"good {k}", f"bad {k}"], "ranks": [1, 2]} for k in range(5)]
HH = {"chosen": "\n\nHuman: Tell me a joke.\n\nAssistant: Why did the chicken cross the road?",
      "rejected": "\n\nHuman: Tell me a joke.\n\nAssistant: No."}
SFT = [{"prompt": "Say hi", "completion": "Hi!"},
       {"messages": [{"role": "user", "content": "Count to 3"}, {"role": "assistant", "content": "1 2 3"}]},
       {"prompt": "\n\nHuman: 1+1?\n\nAssistant:", "completion": " 2."}]

# (export arguments, trainer, rows the export has)
# Pairs: 3 from the 3-way ranking, 1 each from the HH, conversation and HH-import prompts, 5 simple ones.
# KTO: both sides of each pair. Prompts: the 8 ranked, the HH import's and the 3 SFT ones.
CASES = {
    "trl": (["--format", "trl"], "dpo", 11),
    "trl-conversational": (["--format", "trl", "--conversational"], "dpo", 11),
    "trl-implicit": (["--format", "trl", "--implicit-prompt"], "reward", 11),
    "trl-implicit-conversational": (["--format", "trl", "--implicit-prompt", "--conversational"], "reward", 11),
    "hh": (["--format", "hh"], "reward", 11),
    "rm-static": (["--format", "rm-static"], "reward", 11),
    "kto": (["--format", "kto"], "kto", 22),
    "kto-conversational": (["--format", "kto", "--conversational"], "kto", 22),
    "sft": (["--format", "sft"], "sft", 3),
    "sft-conversational": (["--format", "sft", "--conversational"], "sft", 3),
    "prompts": (["--format", "prompts"], "grpo", 12),
    "prompts-conversational": (["--format", "prompts", "--conversational"], "grpo", 12),
}


def hilo(hilo_bin, *args):
    p = subprocess.run([hilo_bin, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def base():
    """The starter policy `make run` serves (GPT-2, 4 layers, 128 wide, 128 positions), as shipped: its
    tokenizer_config.json gives TRL the context (model_max_length) and the HH chat template."""
    return ROOT / "Sources" / "Hilo" / "Starter" / "policy"


@pytest.fixture(scope="module")
def db(tmp_path_factory, hilo_bin):
    d = tmp_path_factory.mktemp("db")
    path = d / "hilo.db"
    for name, rows, fmt in (("ranked", RANKED, "responses"), ("hh", [HH], "hh"), ("sft", SFT, "sft")):
        (d / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        hilo(hilo_bin, "import", d / f"{name}.jsonl", "--format", fmt, "--db", path)
    return path


def snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def changed(before, model):
    return [k for k, v in model.state_dict().items() if not torch.equal(before[k], v)]


def reward_fn(completions, **_):
    """A deterministic reward that differs between completions (so GRPO's advantages are not all zero)."""
    texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
    return [float(sum(map(ord, t)) % 97) for t in texts]


def train(kind, base, data, out):
    common = dict(output_dir=str(out), max_steps=2, per_device_train_batch_size=2, learning_rate=1e-3, logging_steps=1,
                  save_strategy="no", report_to="none", use_cpu=True, seed=1, dataloader_num_workers=0)
    tok = AutoTokenizer.from_pretrained(base)
    if kind == "reward":
        model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
        trainer = trl.RewardTrainer(model=model, args=trl.RewardConfig(max_length=tok.model_max_length, **common),
                                    train_dataset=data, processing_class=tok)
    else:
        model = AutoModelForCausalLM.from_pretrained(base)
        if kind == "dpo":
            args, cls = trl.DPOConfig(max_length=tok.model_max_length, **common), trl.DPOTrainer
        elif kind == "kto":
            args, cls = trl.KTOConfig(max_length=tok.model_max_length, **common), trl.KTOTrainer
        elif kind == "sft":
            args, cls = trl.SFTConfig(max_length=tok.model_max_length, **common), trl.SFTTrainer
        else:
            args = trl.GRPOConfig(num_generations=2, max_completion_length=8, **common)
            trainer = trl.GRPOTrainer(model=model, reward_funcs=reward_fn, args=args, train_dataset=data, processing_class=tok)
            cls = None
        if cls is not None:
            trainer = cls(model=model, args=args, train_dataset=data, processing_class=tok)
    before = snapshot(trainer.model)
    result = trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses), trainer.state.log_history
    assert math.isfinite(result.training_loss)
    moved = changed(before, trainer.model)
    assert moved, "no weight changed in 2 steps"
    trainer.save_model(str(out))
    return losses


def check_policy_loads_back(hilo_bin, folder):
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    prompt = "\n\nHuman: what is 3 plus 3?\n\nAssistant:"
    ours = json.loads(hilo(hilo_bin, "generate", "--model", folder, "--prompt", prompt, "--greedy", "--max-new-tokens", "8", "--json"))
    ids = tok(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        theirs = model.generate(ids, max_new_tokens=8, do_sample=False)[0, ids.shape[1]:].tolist()
    assert ours["token_ids"] == theirs, (ours, theirs)
    completion = " 6. Hello there"
    lp = json.loads(hilo(hilo_bin, "logprob", "--model", folder, "--prompt", prompt, "--completion", completion))
    full = tok(prompt + completion, return_tensors="pt").input_ids
    n = len(lp["completion_token_ids"])
    assert full[0, -n:].tolist() == lp["completion_token_ids"]
    with torch.no_grad():
        logp = torch.log_softmax(model(full).logits[0, :-1].double(), dim=-1)
    ref = logp[torch.arange(full.shape[1] - 1), full[0, 1:]][-n:]
    assert max(abs(a - b) for a, b in zip(lp["token_logprobs"], ref.tolist())) < 1e-4


def check_reward_loads_back(hilo_bin, folder):
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    prompt, response = "\n\nHuman: what is 3 plus 3?\n\nAssistant:", " 6."
    ours = json.loads(hilo(hilo_bin, "reward", "--model", folder, "--prompt", prompt, "--response", response))["score"]
    with torch.no_grad():
        theirs = model(tok(prompt + response, return_tensors="pt").input_ids).logits[0, 0].item()
    assert abs(ours - theirs) < 1e-4, (ours, theirs)


@pytest.mark.parametrize("case", list(CASES))
def test_export_trains_two_steps_in_trl_and_the_result_loads_back_into_hilo(hilo_bin, base, db, tmp_path, caplog, case):
    args, kind, rows = CASES[case]
    out = tmp_path / "data.jsonl"
    hilo(hilo_bin, "export", *args, "--db", db, "-o", out)
    data = datasets.load_dataset("json", data_files=str(out), split="train")
    assert data.num_rows == rows, data
    with caplog.at_level(logging.WARNING, logger="trl"):
        train(kind, base, data, tmp_path / "trained")
    # TRL only logs what it finds wrong with a dataset (a prompt that is not a prefix of prompt +
    # completion, rows it drops, …): any warning of its own fails the test.
    complaints = [r.getMessage() for r in caplog.records if r.name.startswith("trl") and r.levelno >= logging.WARNING]
    assert not complaints, complaints
    if kind == "reward":
        check_reward_loads_back(hilo_bin, tmp_path / "trained")
    else:
        check_policy_loads_back(hilo_bin, tmp_path / "trained")
    # And it comes back as a candidate version, as docs/scale-out.md walks through.
    added = hilo(hilo_bin, "models", "add", tmp_path / "trained", "--kind", "reward" if kind == "reward" else "policy",
                 "--name", f"trl-{case}", "--db", db)
    assert f"registered trl-{case} (" in added and "not serving" in added
