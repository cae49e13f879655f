#!/usr/bin/env python3
"""Writes the Llama-family golden files: tiny random models of each switch combination, saved as
Hugging Face folders under llama/<name>/, and llama/<name>.json + .bin with their logits, loss and
every gradient on one batch, as transformers computes them (eager attention, float32).

Run by `make golden` with the repository's .venv; Tests/EngineTests/LlamaGoldenTests.swift loads
each folder with Hilo and compares. The models:
  llama3   LlamaForCausalLM, Llama 3.2 style: grouped-query attention (4 query / 2 kv heads),
           'llama3' RoPE scaling, tied head; saved in bfloat16 and sharded (tests both loaders).
  smollm3  SmolLM3ForCausalLM with a NoPE layer (no_rope_layers [1, 0]), tied head.
  qwen2    Qwen2ForCausalLM: q/k/v biases, untied head; its config.json is rewritten in the older
           top-level rope_theta spelling (transformers still reads it: checked below).
  qwen3    Qwen3ForCausalLM: q/k RMSNorm, head_dim 16 with hidden 32 and 4 heads, untied head.
Each golden also holds ten AdamW steps on the same batch (make_golden.py's hyper-parameters:
decay on matrices only, clipping, warmup + cosine): their losses, gradient norms and final weights.
Format "hilo-golden-1" as make_golden.py's: a JSON index {name: {dtype, shape, offset}} into the
little-endian .bin. Names: ids, mask, targets, logits, loss, grad.<transformers parameter name>,
train_losses, train_grad_norms, final.<transformers parameter name>.
"""
import json
import math
import os

import torch
from transformers import (LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config,
                          Qwen3ForCausalLM, SmolLM3Config, SmolLM3ForCausalLM)

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llama")
SEED = 4321
VERSION = "hilo-golden-1"
COMMON = dict(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=256, initializer_range=0.1, bos_token_id=1,
              eos_token_id=2, pad_token_id=0, attention_dropout=0.0)

MODELS = {
    "llama3": (LlamaForCausalLM, LlamaConfig(**COMMON, rms_norm_eps=1e-5, tie_word_embeddings=True,
               rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                "high_freq_factor": 4.0, "original_max_position_embeddings": 64})),
    "smollm3": (SmolLM3ForCausalLM, SmolLM3Config(**COMMON, rms_norm_eps=1e-6, no_rope_layers=[1, 0],
                rope_parameters={"rope_type": "default", "rope_theta": 1000.0})),
    "qwen2": (Qwen2ForCausalLM, Qwen2Config(**COMMON, rms_norm_eps=1e-6, tie_word_embeddings=False,
              rope_parameters={"rope_type": "default", "rope_theta": 10000.0})),
    "qwen3": (Qwen3ForCausalLM, Qwen3Config(**{**COMMON, "vocab_size": 128}, head_dim=16, rms_norm_eps=1e-6,
              tie_word_embeddings=False, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})),
}


HP = dict(lr=1e-2, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, clip=1.0, warmup=2, steps=10, min_lr_ratio=0.1)


def lr_lambda(k):
    w, n, r = HP["warmup"], HP["steps"], HP["min_lr_ratio"]
    if k < w:
        return (k + 1) / w
    return r + (1 - r) * 0.5 * (1 + math.cos(math.pi * (k - w) / max(1, n - w)))


def train(cls, cfg, state, ids, mask, labels):
    """Ten AdamW steps from `state`; returns losses, clipped-before gradient norms and final weights."""
    model = cls(cfg)
    model.load_state_dict(state)
    model.train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": HP["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=HP["lr"], betas=(HP["beta1"], HP["beta2"]), eps=HP["eps"], foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    losses, norms = [], []
    for _ in range(HP["steps"]):
        opt.zero_grad()
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), HP["clip"])))
        losses.append(loss.item())
        opt.step()
        sched.step()
    return losses, norms, {n: p.detach().clone() for n, p in model.named_parameters()}


def batch(vocab):
    """Three rows of 12; the last is right-padded from position 7 (pad id 0, masked)."""
    B, T = 3, 12
    ids = torch.randint(3, vocab, (B, T))
    mask = torch.ones(B, T, dtype=torch.long)
    mask[2, 7:] = 0
    ids[2, 7:] = 0
    labels = ids.clone()
    labels[mask == 0] = -100
    targets = torch.full((B, T), -1, dtype=torch.long)
    targets[:, :-1] = labels[:, 1:]
    targets[targets == -100] = -1
    return ids, mask, labels, targets


def write(name, arrays):
    index, blob = {}, bytearray()
    for key, t in arrays.items():
        a = t.detach().cpu().numpy()
        a = a.astype("<i4") if a.dtype.kind in "iu" else a.astype("<f4")
        index[key] = {"dtype": "i32" if a.dtype.kind == "i" else "f32", "shape": list(a.shape), "offset": len(blob)}
        blob += a.tobytes()
    meta = {"format": VERSION, "seed": SEED, "torch": torch.__version__, "config": {}, "batch": [3, 12], "hyper": HP,
            "tensors": index}
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(blob)
    return len(blob)


def to_top_level_rope(folder):
    """Rewrites config.json with rope_theta / rope_scaling at the top level (files before transformers v5)."""
    path = os.path.join(folder, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    rope = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rope.pop("rope_theta")
    cfg["rope_scaling"] = None if rope.get("rope_type", "default") == "default" else rope
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)


torch.manual_seed(SEED)
torch.use_deterministic_algorithms(True)
for name, (cls, cfg) in MODELS.items():
    cfg._attn_implementation = "eager"
    model = cls(cfg).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith(".bias"):
                p.copy_(torch.randn_like(p) * 0.1)
            elif "norm" in pname:
                p.copy_(1 + torch.randn_like(p) * 0.1)
            if name == "llama3":   # stored in bfloat16: compute on exactly the values the file holds
                p.copy_(p.to(torch.bfloat16).float())
    ids, mask, labels, targets = batch(cfg.vocab_size)
    out = model(input_ids=ids, attention_mask=mask, labels=labels)
    out.loss.backward()
    arrays = {"ids": ids.to(torch.int32), "mask": mask.to(torch.int32), "targets": targets.to(torch.int32),
              "logits": out.logits.detach(), "loss": out.loss.detach().reshape(1)}
    for pname, p in model.named_parameters():
        arrays["grad." + pname] = p.grad.detach().clone()   # before the bf16 copy below converts them
    losses, norms, final = train(cls, cfg, model.state_dict(), ids, mask, labels)
    arrays["train_losses"] = torch.tensor(losses)
    arrays["train_grad_norms"] = torch.tensor(norms)
    for pname, p in final.items():
        arrays["final." + pname] = p

    folder = os.path.join(HERE, name)
    if name == "llama3":
        model.to(torch.bfloat16).save_pretrained(folder, max_shard_size="40KB")
        model.float()
    else:
        model.save_pretrained(folder)
    if name == "qwen2":
        to_top_level_rope(folder)
    # The folder as written must give transformers the same logits (the spellings, the bf16 copy).
    again = cls.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        diff = (again(input_ids=ids, attention_mask=mask).logits - out.logits).abs().max().item()
    assert diff == 0, f"{name}: reloaded folder gives other logits ({diff})"
    size = write(name, arrays)
    print(f"wrote llama/{name} and llama/{name}.json/.bin ({size} bytes), loss {out.loss.item():.6f}, "
          f"AdamW losses {losses[0]:.4f} -> {losses[-1]:.4f}")
