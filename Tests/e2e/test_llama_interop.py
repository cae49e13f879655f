"""Llama-family interop: folders transformers writes (Llama 3.2 with llama3 RoPE and GQA, SmolLM3
with NoPE layers, Qwen2 with q/k/v biases in the older rope_theta spelling, Qwen3 with q/k norms
and an untied head; F32, BF16 and sharded) go through `hilo model convert`, and transformers loads
what Hilo wrote with identical tensors and logits."""
import copy
import json
import subprocess

import pytest
import torch
from safetensors import safe_open
from transformers import (AutoModelForCausalLM, LlamaConfig, Qwen2Config, Qwen3Config, SmolLM3Config)

COMMON = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=128, bos_token_id=1, eos_token_id=2,
              pad_token_id=0)
CONFIGS = {
    "llama3": LlamaConfig(**COMMON, tie_word_embeddings=True,
                          rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                                           "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                           "original_max_position_embeddings": 32}),
    "smollm3": SmolLM3Config(**COMMON, no_rope_layers=[0, 1]),
    "qwen2": Qwen2Config(**COMMON, tie_word_embeddings=False),
    "qwen3": Qwen3Config(**COMMON, head_dim=16, tie_word_embeddings=False),
}


def randomized(config, seed):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = AutoModelForCausalLM.from_config(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * 0.2 + (1 if "norm" in name else 0))
    return model.eval()


def convert(hilo_bin, src, out, *args):
    result = subprocess.run([hilo_bin, "model", "convert", "--json", *args, str(src), str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def to_top_level_rope(folder):
    path = folder / "config.json"
    cfg = json.loads(path.read_text())
    rope = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rope.pop("rope_theta")
    cfg["rope_scaling"] = None if rope.get("rope_type", "default") == "default" else rope
    path.write_text(json.dumps(cfg))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_transformers_loads_what_hilo_wrote_with_identical_tensors_and_logits(hilo_bin, tmp_path, name):
    original = randomized(CONFIGS[name], seed=11)
    if name == "llama3":
        # Stored in bfloat16 and sharded: the original holds exactly the stored values. (A copy is
        # converted: `.to` would also round the original's float32 RoPE buffer.)
        with torch.no_grad():
            for p in original.parameters():
                p.copy_(p.to(torch.bfloat16).float())
        copy.deepcopy(original).to(torch.bfloat16).save_pretrained(tmp_path / "src", max_shard_size="20KB")
    else:
        original.save_pretrained(tmp_path / "src")
    if name == "qwen2":
        to_top_level_rope(tmp_path / "src")
    report = convert(hilo_bin, tmp_path / "src", tmp_path / "out")
    assert report["architecture"] == type(original).__name__
    assert report["parameters"] == sum(p.numel() for p in original.parameters())

    loaded, info = AutoModelForCausalLM.from_pretrained(tmp_path / "out", output_loading_info=True,
                                                        attn_implementation="eager")
    assert type(loaded) is type(original)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    for k, v in original.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    saved = json.loads((tmp_path / "out" / "config.json").read_text())
    assert ("rope_theta" in saved) == (name == "qwen2") and ("rope_parameters" in saved) == (name != "qwen2")
    with safe_open(str(tmp_path / "out" / "model.safetensors"), "pt") as f:
        assert ("lm_head.weight" in f.keys()) == (not original.config.tie_word_embeddings)
    ids = torch.tensor([[1, 5, 9, 33, 2, 7, 3, 0, 11, 40], [8, 8, 8, 1, 2, 3, 4, 5, 6, 7]])
    with torch.no_grad():
        assert torch.equal(original(ids).logits, loaded.eval()(ids).logits)


def test_bf16_output_holds_the_rounded_weights(hilo_bin, tmp_path):
    original = randomized(CONFIGS["qwen3"], seed=12)
    original.save_pretrained(tmp_path / "src")
    report = convert(hilo_bin, tmp_path / "src", tmp_path / "out", "--dtype", "bf16")
    assert report["dtype"] == "BF16"
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "out", dtype=torch.float32)
    for k, v in original.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v.to(torch.bfloat16).float()), k
