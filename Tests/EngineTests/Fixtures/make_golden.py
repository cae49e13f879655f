#!/usr/bin/env python3
"""Writes the GPT-2 engine's golden files (gpt2_tiny.json + gpt2_tiny.bin) from transformers.

Run by `make golden` with the repository's .venv. The Swift tests in Tests/EngineTests load these
files and compare Hilo's forward, backward, AdamW training and greedy generation against them.

Format "hilo-golden-1": the JSON holds the config, the hyper-parameters and an index
{name: {"dtype": "f32"|"i32", "shape": [...], "offset": bytes}} into the .bin file, which is the
little-endian arrays back to back. Tensor names: param.<hf name>, grad.<hf name>, final.<hf name>
(weights after the training steps), and the batch, logits, losses and generations.
"""
import json
import math
import os

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 1234
VERSION = "hilo-golden-1"

torch.manual_seed(SEED)
torch.use_deterministic_algorithms(True)
cfg = GPT2Config(vocab_size=96, n_positions=32, n_embd=32, n_layer=2, n_head=4, layer_norm_epsilon=1e-5,
                 activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                 initializer_range=0.1, bos_token_id=95, eos_token_id=95)
cfg._attn_implementation = "eager"
model = GPT2LMHeadModel(cfg).eval()
# Random LayerNorm gains/biases and linear biases, so their gradients are tested with real values.
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith(".bias"):
            p.copy_(torch.randn_like(p) * 0.1)
        elif "ln_" in name and name.endswith(".weight"):
            p.copy_(1 + torch.randn_like(p) * 0.1)

def hf_name(n):
    return n[len("transformer."):] if n.startswith("transformer.") else n

initial = {hf_name(n): p.detach().clone() for n, p in model.named_parameters()}

# A batch of three rows; the last is right-padded to T with pad id 0 and masked.
B, T = 3, 12
ids = torch.randint(0, cfg.vocab_size, (B, T))
mask = torch.ones(B, T, dtype=torch.long)
mask[2, 7:] = 0
ids[2, 7:] = 0
labels = ids.clone()
labels[mask == 0] = -100
targets = torch.full((B, T), -1, dtype=torch.long)
targets[:, :-1] = labels[:, 1:]
targets[targets == -100] = -1

out = model(input_ids=ids, attention_mask=mask, labels=labels)
out.loss.backward()
grads = {hf_name(n): p.grad.detach().clone() for n, p in model.named_parameters()}

# Ten AdamW steps on the same batch: weight decay on matrices only, clipping, warmup + cosine.
HP = dict(lr=1e-2, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, clip=1.0, warmup=2, steps=10, min_lr_ratio=0.1)
train = GPT2LMHeadModel(cfg)
train.load_state_dict(model.state_dict())
train.train()
decay = [p for n, p in train.named_parameters() if p.dim() >= 2]
no_decay = [p for n, p in train.named_parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": HP["weight_decay"]},
                         {"params": no_decay, "weight_decay": 0.0}],
                        lr=HP["lr"], betas=(HP["beta1"], HP["beta2"]), eps=HP["eps"], foreach=False)

def lr_lambda(k):
    w, n, r = HP["warmup"], HP["steps"], HP["min_lr_ratio"]
    if k < w:
        return (k + 1) / w
    return r + (1 - r) * 0.5 * (1 + math.cos(math.pi * (k - w) / max(1, n - w)))

sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
losses, norms = [], []
for _ in range(HP["steps"]):
    opt.zero_grad()
    loss = train(input_ids=ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    norms.append(float(torch.nn.utils.clip_grad_norm_(train.parameters(), HP["clip"])))
    losses.append(float(loss))
    opt.step()
    sched.step()
final = {hf_name(n): p.detach().clone() for n, p in train.named_parameters()}

# Greedy generations of two prompts of different lengths, each with the chosen tokens' log-probs.
gens = []
with torch.no_grad():
    for plen in (5, 9):
        prompt = torch.randint(0, cfg.vocab_size - 1, (1, plen))
        g = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False, max_new_tokens=8,
                           min_new_tokens=8, eos_token_id=None, pad_token_id=0,
                           output_logits=True, return_dict_in_generate=True)
        new = g.sequences[0, plen:]
        lps, margin = [], float("inf")
        for step, logit in enumerate(g.logits):
            lp = torch.log_softmax(logit[0].float(), -1)
            lps.append(float(lp[new[step]]))
            top = torch.topk(logit[0], 2).values
            margin = min(margin, float(top[0] - top[1]))
        assert margin > 1e-3, f"greedy choice too close to call ({margin}); pick another seed"
        gens.append((prompt[0], new, torch.tensor(lps)))

arrays = {}
for n, p in initial.items():
    arrays["param." + n] = p
for n, g in grads.items():
    arrays["grad." + n] = g
for n, p in final.items():
    arrays["final." + n] = p
arrays["ids"] = ids.to(torch.int32)
arrays["mask"] = mask.to(torch.int32)
arrays["targets"] = targets.to(torch.int32)
arrays["logits"] = out.logits.detach()
arrays["loss"] = out.loss.detach().reshape(1)
arrays["train_losses"] = torch.tensor(losses)
arrays["train_grad_norms"] = torch.tensor(norms)
for i, (p, n, lp) in enumerate(gens):
    arrays[f"gen{i}.prompt"] = p.to(torch.int32)
    arrays[f"gen{i}.tokens"] = n.to(torch.int32)
    arrays[f"gen{i}.logprobs"] = lp

index, blob = {}, bytearray()
for name, t in arrays.items():
    a = t.detach().cpu().numpy()
    a = a.astype("<i4") if a.dtype.kind in "iu" else a.astype("<f4")
    index[name] = {"dtype": "i32" if a.dtype.kind == "i" else "f32", "shape": list(a.shape), "offset": len(blob)}
    blob += a.tobytes()

meta = {"format": VERSION, "seed": SEED, "torch": torch.__version__,
        "config": {k: getattr(cfg, k) for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head",
                                                 "layer_norm_epsilon", "eos_token_id")},
        "batch": [B, T], "hyper": HP, "tensors": index}
with open(os.path.join(HERE, "gpt2_tiny.json"), "w") as f:
    json.dump(meta, f, indent=1)
with open(os.path.join(HERE, "gpt2_tiny.bin"), "wb") as f:
    f.write(blob)
print(f"wrote gpt2_tiny.json and gpt2_tiny.bin ({len(blob)} bytes), loss {float(out.loss):.6f}, "
      f"losses {losses[0]:.4f} -> {losses[-1]:.4f}, grad norms {norms[0]:.3f} .. {norms[-1]:.3f}")
