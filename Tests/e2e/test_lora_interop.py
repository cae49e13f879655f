"""LoRA adapters in PEFT's format, both ways, with the real peft: `hilo train sft|dpo --lora-r` writes an
adapter folder that `PeftModel.from_pretrained` loads on the base with Hilo's log-probs; DPO continues a
loaded adapter; an adapter peft saved runs in `hilo logprob --adapter` with peft's log-probs; `hilo model
merge` equals peft's merge_and_unload (GPT-2 and Qwen2, the base found through base_model_name_or_path);
unsupported options fail naming the field."""
import json
import math
import subprocess

import pytest
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors import safe_open
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

SUBJECTS = ["the cat", "a dog", "my friend", "the bird"]
ENDINGS = [" saw the ball", " likes a tree", " found the sun"]
PAIRS = [(s, e) for s in SUBJECTS for e in ENDINGS]


def run(hilo, *args, check=True):
    p = subprocess.run([hilo, *args], capture_output=True, text=True, timeout=600)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture(scope="module")
def work(tmp_path_factory, hilo_bin):
    d = tmp_path_factory.mktemp("lora")
    (d / "corpus.txt").write_text("".join(p + e + ".\n" for p, e in PAIRS) * 3)
    write_jsonl(d / "sft.jsonl", [{"prompt": p, "completion": e + "!"} for p, e in PAIRS])
    write_jsonl(d / "pairs.jsonl", [{"prompt": p, "chosen": e + "!", "rejected": e + "."} for p, e in PAIRS])
    run(hilo_bin, "tokenizer", "train", "--corpus", str(d / "corpus.txt"), "--vocab-size", "300", "--out", str(d / "tok"))
    run(hilo_bin, "train", "pretrain", "--tokenizer", str(d / "tok"), "--layers", "2", "--embd", "32", "--heads", "4",
        "--positions", "32", "--data", str(d / "corpus.txt"), "--out", str(d / "base"), "--lr", "3e-3", "--epochs", "2")
    return d


def peft_logprob(base, adapter, prompt, completion):
    """Σ log p(completion | prompt) under base + adapter in peft, tokenized as `hilo logprob` does."""
    tok = PreTrainedTokenizerFast(tokenizer_file=str(base / "tokenizer.json"))
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    if adapter is not None:
        model = PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    p, c = tok.encode(prompt), tok.encode(completion)
    ids = torch.tensor([p + c])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits[0].double(), -1)
    return sum(logp[len(p) - 1 + i, t].item() for i, t in enumerate(c))


def hilo_logprob(hilo, *args):
    return json.loads(run(hilo, "logprob", *args).stdout)["logprob_sum"]


def test_a_hilo_sft_adapter_loads_in_peft_with_hilos_logprobs(work, hilo_bin):
    d = work
    r = run(hilo_bin, "train", "sft", "--model", str(d / "base"), "--data", str(d / "sft.jsonl"), "--out", str(d / "sft_lora"),
            "--lora-r", "4", "--lora-alpha", "8", "--lora-targets", "c_attn,c_proj,c_fc", "--lr", "1e-2", "--epochs", "8", "--json")
    report = json.loads(r.stdout)
    assert report["completed"] and math.isfinite(report["metrics"]["loss"])
    files = {p.name for p in (d / "sft_lora").iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json"} <= files and "model.safetensors" not in files
    config = json.loads((d / "sft_lora" / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 4 and config["lora_alpha"] == 8 and config["fan_in_fan_out"]
    assert config["base_model_name_or_path"] == str(d / "base")
    with safe_open(str(d / "sft_lora" / "adapter_model.safetensors"), "pt") as f:
        keys = set(f.keys())
        assert f.get_tensor("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight").shape == (96, 4)
    assert len(keys) == 2 * 4 * 2 and all(k.startswith("base_model.model.transformer.h.") for k in keys)
    prompt, completion = "the cat", " saw the ball!"
    base = peft_logprob(d / "base", None, prompt, completion)
    theirs = peft_logprob(d / "base", d / "sft_lora", prompt, completion)
    mine = hilo_logprob(hilo_bin, "--model", str(d / "base"), "--adapter", str(d / "sft_lora"), "--prompt", prompt, "--completion", completion)
    assert abs(mine - theirs) < 1e-3, (mine, theirs)
    assert theirs - base > 0.5, "SFT through the adapter did not raise the completion's log-prob"
    # The adapter folder alone names its base: --model ADAPTER works too.
    assert abs(hilo_logprob(hilo_bin, "--model", str(d / "sft_lora"), "--prompt", prompt, "--completion", completion) - mine) < 1e-9


def test_dpo_trains_a_new_adapter_against_the_base_and_continues_a_loaded_one(work, hilo_bin):
    d = work
    common = ["--data", str(d / "pairs.jsonl"), "--lr", "1e-2", "--beta", "0.5", "--epochs", "2", "--json"]
    new = json.loads(run(hilo_bin, "train", "dpo", "--model", str(d / "base"), "--out", str(d / "dpo_new"), "--lora-r", "4", *common).stdout)
    assert new["metrics"]["reference/base_without_adapter"] == 1
    assert json.loads((d / "dpo_new" / "adapter_config.json").read_text())["target_modules"] == ["c_attn"]   # PEFT's default
    cont = json.loads(run(hilo_bin, "train", "dpo", "--model", str(d / "base"), "--adapter", str(d / "sft_lora"),
                          "--out", str(d / "dpo_cont"), *common).stdout)
    assert cont["metrics"]["reference/base_without_adapter"] == 0
    assert cont["metrics"]["rewards/margins"] > 0
    prompt = "a dog"
    for folder in ("dpo_new", "dpo_cont"):
        for completion in (" likes a tree!", " likes a tree."):
            mine = hilo_logprob(hilo_bin, "--model", str(d / folder), "--prompt", prompt, "--completion", completion)
            theirs = peft_logprob(d / "base", d / folder, prompt, completion)
            assert abs(mine - theirs) < 1e-3, (folder, completion, mine, theirs)


def test_an_adapter_peft_saved_runs_in_hilo_and_merges_as_peft_does(work, hilo_bin, tmp_path):
    d = work
    torch.manual_seed(3)
    model = AutoModelForCausalLM.from_pretrained(str(d / "base"), dtype=torch.float32)
    peft_model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, use_rslora=True, target_modules=["c_attn", "c_fc"],
                                                  fan_in_fan_out=True, init_lora_weights=False, lora_dropout=0.0))
    peft_model.save_pretrained(str(tmp_path / "theirs"))
    prompt, completion = "my friend", " found the sun."
    theirs = peft_logprob(d / "base", tmp_path / "theirs", prompt, completion)
    base = peft_logprob(d / "base", None, prompt, completion)
    mine = hilo_logprob(hilo_bin, "--model", str(d / "base"), "--adapter", str(tmp_path / "theirs"), "--prompt", prompt, "--completion", completion)
    assert abs(mine - theirs) < 1e-3 and abs(theirs - base) > 1e-2, (mine, theirs, base)

    run(hilo_bin, "model", "merge", "--model", str(d / "base"), "--adapter", str(tmp_path / "theirs"), "--out", str(tmp_path / "merged"))
    fresh = AutoModelForCausalLM.from_pretrained(str(d / "base"), dtype=torch.float32)
    reference = PeftModel.from_pretrained(fresh, str(tmp_path / "theirs")).merge_and_unload().state_dict()
    merged = AutoModelForCausalLM.from_pretrained(str(tmp_path / "merged"), dtype=torch.float32).state_dict()
    worst = max((merged[k] - reference[k]).abs().max().item() for k in reference if k in merged)
    assert worst < 1e-6, worst
    assert abs(hilo_logprob(hilo_bin, "--model", str(tmp_path / "merged"), "--prompt", prompt, "--completion", completion) - theirs) < 1e-3


def test_unsupported_adapters_and_options_fail_naming_the_field(work, hilo_bin, tmp_path):
    d = work
    model = AutoModelForCausalLM.from_pretrained(str(d / "base"), dtype=torch.float32)
    get_peft_model(model, LoraConfig(r=4, target_modules=["c_attn"], use_dora=True)).save_pretrained(str(tmp_path / "dora"))
    r = run(hilo_bin, "logprob", "--model", str(d / "base"), "--adapter", str(tmp_path / "dora"), "--prompt", "a", "--completion", " b",
            check=False)
    assert r.returncode != 0 and "adapter_config.json" in r.stderr and "use_dora" in r.stderr
    r = run(hilo_bin, "train", "sft", "--model", str(d / "base"), "--data", str(d / "sft.jsonl"), "--out", str(tmp_path / "x"),
            "--lora-r", "4", "--lora-targets", "q_proj", check=False)
    assert r.returncode != 0 and "'q_proj' matches no projection" in r.stderr
    r = run(hilo_bin, "train", "reward", "--model", str(d / "base"), "--data", str(d / "pairs.jsonl"), "--out", str(tmp_path / "y"),
            "--lora-r", "4", check=False)
    assert r.returncode != 0 and "LoRA trains" in r.stderr


def test_a_peft_adapter_on_a_llama_family_model_merges_as_peft_does(hilo_bin, tmp_path):
    from transformers import Qwen2Config, Qwen2ForCausalLM
    torch.manual_seed(5)
    config = Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=64, tie_word_embeddings=False)
    Qwen2ForCausalLM(config).save_pretrained(str(tmp_path / "base"))
    model = AutoModelForCausalLM.from_pretrained(str(tmp_path / "base"), dtype=torch.float32)
    get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)).save_pretrained(
        str(tmp_path / "adapter"))
    assert json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())["base_model_name_or_path"] == str(tmp_path / "base")
    out = json.loads(run(hilo_bin, "model", "merge", "--adapter", str(tmp_path / "adapter"), "--out", str(tmp_path / "merged"),
                         "--json").stdout)   # the base comes from base_model_name_or_path
    assert out["architecture"] == "Qwen2ForCausalLM" and out["r"] == 4
    fresh = AutoModelForCausalLM.from_pretrained(str(tmp_path / "base"), dtype=torch.float32)
    reference = PeftModel.from_pretrained(fresh, str(tmp_path / "adapter")).merge_and_unload().eval()
    merged = AutoModelForCausalLM.from_pretrained(str(tmp_path / "merged"), dtype=torch.float32).eval()
    ids = torch.randint(0, 64, (2, 10))
    with torch.no_grad():
        diff = (merged(input_ids=ids).logits - reference(input_ids=ids).logits).abs().max().item()
        plain = AutoModelForCausalLM.from_pretrained(str(tmp_path / "base"), dtype=torch.float32).eval()
        base_diff = (reference(input_ids=ids).logits - plain(input_ids=ids).logits).abs().max().item()
    assert diff < 1e-5 and base_diff > 1e-3, (diff, base_diff)


def test_a_hilo_sft_adapter_on_a_llama_family_model_loads_in_peft_with_hilos_logprobs(work, hilo_bin, tmp_path):
    """LoRA through the CausalLM protocol: a Qwen2 base (untied head, grouped-query attention) trains an
    adapter on every linear projection; peft loads it with Hilo's log-probs, and DPO continues it."""
    from transformers import Qwen2Config, Qwen2ForCausalLM
    d = work
    torch.manual_seed(7)
    config = Qwen2Config(vocab_size=300, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=64, tie_word_embeddings=False)
    base = tmp_path / "qbase"
    Qwen2ForCausalLM(config).save_pretrained(str(base))
    for f in (d / "tok").iterdir():
        (base / f.name).write_bytes(f.read_bytes())
    r = run(hilo_bin, "train", "sft", "--model", str(base), "--data", str(d / "sft.jsonl"), "--out", str(tmp_path / "qlora"),
            "--lora-r", "4", "--lora-targets", "all-linear", "--lr", "1e-2", "--epochs", "4", "--json")
    assert json.loads(r.stdout)["completed"]
    config = json.loads((tmp_path / "qlora" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(base) and not config["fan_in_fan_out"]
    with safe_open(str(tmp_path / "qlora" / "adapter_model.safetensors"), "pt") as f:
        keys = set(f.keys())
    assert len(keys) == 2 * 7 * 2 and "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight" in keys
    prompt, completion = "the cat", " saw the ball!"
    before = peft_logprob(base, None, prompt, completion)
    theirs = peft_logprob(base, tmp_path / "qlora", prompt, completion)
    mine = hilo_logprob(hilo_bin, "--model", str(base), "--adapter", str(tmp_path / "qlora"), "--prompt", prompt, "--completion", completion)
    assert abs(mine - theirs) < 1e-3, (mine, theirs)
    assert theirs - before > 0.5, "SFT through the adapter did not raise the completion's log-prob"
    cont = json.loads(run(hilo_bin, "train", "dpo", "--model", str(tmp_path / "qlora"), "--data", str(d / "pairs.jsonl"),
                          "--out", str(tmp_path / "qdpo"), "--lr", "1e-2", "--beta", "0.5", "--epochs", "2", "--json").stdout)
    assert cont["metrics"]["reference/base_without_adapter"] == 0 and cont["metrics"]["rewards/margins"] > 0
    mine = hilo_logprob(hilo_bin, "--model", str(tmp_path / "qdpo"), "--prompt", prompt, "--completion", completion)
    assert abs(mine - peft_logprob(base, tmp_path / "qdpo", prompt, completion)) < 1e-3
