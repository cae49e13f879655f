"""Writes the checkpoint fixtures under Tests/EngineTests/Fixtures/checkpoints (run by `make golden`).

Tiny GPT-2 folders saved by transformers itself, so Swift tests load exactly what users have:
  lm_f32/            GPT2LMHeadModel.save_pretrained (names `transformer.…`, no lm_head), custom generation_config
  lm_f16/, lm_bf16/  the same model converted with .half() / .to(bfloat16) and saved
  lm_sharded/        the F32 model saved in several shards with model.safetensors.index.json
  lm_head/           the state dict as is (`transformer.` prefix and the tied lm_head.weight), via safetensors
  lm_legacy/         names without prefix plus the attn.bias / attn.masked_bias buffers of old checkpoints
  reward/            GPT2ForSequenceClassification, num_labels 1, pad_token_id set
  llama/             a LlamaForCausalLM config.json (an architecture Hilo refuses)
  specials_f16.safetensors, specials_bf16.safetensors  edge values: subnormals, ±0, ±inf, NaN, extremes
and the expected F32 values (torch's .float() of every tensor, in Hilo's layout order):
  expected/<fixture>.bin (little-endian float32) with expected/index.json (names, shapes, offsets),
  expected/specials.json (float32 bit patterns of the edge values after conversion).
"""
import json
import pathlib
import shutil

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel, GenerationConfig, LlamaConfig

OUT = pathlib.Path(__file__).resolve().parent / "checkpoints"
TINY = dict(vocab_size=48, n_positions=16, n_embd=16, n_layer=2, n_head=2, bos_token_id=47, eos_token_id=47)


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Every parameter random (LayerNorm gains and biases too, so a mix-up cannot hide)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)


def layout_names(n_layer: int, score: bool) -> list:
    names = ["wte.weight", "wpe.weight"]
    for l in range(n_layer):
        for part in ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                     "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                     "mlp.c_proj.weight", "mlp.c_proj.bias"]:
            names.append(f"h.{l}.{part}")
    names += ["ln_f.weight", "ln_f.bias"]
    return names + (["score.weight"] if score else [])


def write_expected(index: dict, fixture: str, model: torch.nn.Module, score: bool) -> None:
    state = model.state_dict()
    entries, chunks, offset = [], [], 0
    for name in layout_names(model.config.n_layer, score):
        key = name if name == "score.weight" else "transformer." + name
        values = state[key].float().contiguous().numpy().astype("<f4").ravel()
        entries.append({"name": name, "shape": list(state[key].shape), "offset": offset})
        chunks.append(values)
        offset += values.size
    (OUT / "expected" / f"{fixture}.bin").write_bytes(np.concatenate(chunks).tobytes())
    index[fixture] = entries


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "expected").mkdir(parents=True)
    index = {}

    lm = GPT2LMHeadModel(GPT2Config(**TINY)).eval()
    randomize(lm, seed=1)
    lm.generation_config = GenerationConfig(bos_token_id=47, eos_token_id=47, max_new_tokens=20, temperature=0.7,
                                            top_k=5, top_p=0.9, do_sample=True)
    lm.save_pretrained(OUT / "lm_f32")
    write_expected(index, "lm_f32", lm, score=False)
    lm.save_pretrained(OUT / "lm_sharded", max_shard_size="20KB")

    for name, dtype in [("lm_f16", torch.float16), ("lm_bf16", torch.bfloat16)]:
        low = GPT2LMHeadModel(GPT2Config(**TINY)).eval()
        low.load_state_dict(lm.state_dict())
        low = low.to(dtype)
        low.save_pretrained(OUT / name)
        write_expected(index, name, low, score=False)

    # The state dict as is: prefixed names and the tied head (transformers drops it on save).
    state = {k: v.clone().contiguous() for k, v in lm.state_dict().items()}
    assert "lm_head.weight" in state
    (OUT / "lm_head").mkdir()
    save_file(state, str(OUT / "lm_head" / "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(OUT / "lm_f32" / "config.json", OUT / "lm_head" / "config.json")

    # Old style: no prefix, the causal-mask buffers, no generation_config.json.
    legacy = {k[len("transformer."):]: v.clone().contiguous() for k, v in lm.state_dict().items() if k.startswith("transformer.")}
    n = TINY["n_positions"]
    for l in range(TINY["n_layer"]):
        legacy[f"h.{l}.attn.bias"] = torch.tril(torch.ones(n, n)).view(1, 1, n, n)
        legacy[f"h.{l}.attn.masked_bias"] = torch.tensor(-1e4)
    (OUT / "lm_legacy").mkdir()
    save_file(legacy, str(OUT / "lm_legacy" / "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(OUT / "lm_f32" / "config.json", OUT / "lm_legacy" / "config.json")

    reward = GPT2ForSequenceClassification(GPT2Config(**TINY, num_labels=1, pad_token_id=47)).eval()
    randomize(reward, seed=2)
    reward.save_pretrained(OUT / "reward")
    write_expected(index, "reward", reward, score=True)

    LlamaConfig(vocab_size=48, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                architectures=["LlamaForCausalLM"]).save_pretrained(OUT / "llama")

    # Edge values through torch's own rounding, and what they become in float32.
    edge = torch.tensor([0.0, -0.0, 1.0, -2.5, 1e-6, -3e-7, 6e-8, 2e-8, 5.96e-8, 6.1e-5, 65504.0, 65519.0, 65520.0,
                         1e5, -1e5, 3.0e38, 1e-40, float("inf"), float("-inf"), float("nan"), 0.1, 1 / 3])
    specials = {}
    for name, dtype in [("f16", torch.float16), ("bf16", torch.bfloat16)]:
        t = edge.to(dtype)
        save_file({"edge": t}, str(OUT / f"specials_{name}.safetensors"), metadata={"format": "pt"})
        specials[name] = {"input_bits": edge.numpy().view(np.uint32).tolist(),
                          "stored_bits": t.view(torch.int16).numpy().astype(np.uint16).tolist(),
                          "float_bits": t.float().numpy().view(np.uint32).tolist()}
    (OUT / "expected" / "specials.json").write_text(json.dumps(specials, indent=1) + "\n")
    (OUT / "expected" / "index.json").write_text(json.dumps({"torch": torch.__version__, "fixtures": index}, indent=1) + "\n")

    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({total / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
