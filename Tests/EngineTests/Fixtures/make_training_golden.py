#!/usr/bin/env python3
"""Writes the trainers' golden files (training/training_golden.json + .bin) from transformers.

Run by `make golden` with the repository's .venv. For each training stage, one step's loss and the
gradient of every parameter, on a tiny GPT-2 and fixed text rows, with each loss written here
independently in torch on transformers' GPT2LMHeadModel / GPT2ForSequenceClassification outputs.
Text is tokenized one character per token (id = ord(c) - 32, printable ASCII), EOS = 95, so the Swift
test needs no tokenizer. Each sequence is forwarded on its own (no padding), which is what right
padding with causal attention must reproduce.

Format "hilo-training-golden-1": the JSON holds config, cases and an index {name: {shape, offset}} into
the .bin file of little-endian float32 arrays.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel, GPT2ForSequenceClassification

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "training")
os.makedirs(HERE, exist_ok=True)
torch.manual_seed(4321)
torch.use_deterministic_algorithms(True)
EOS = 95
cfg = GPT2Config(vocab_size=96, n_positions=32, n_embd=32, n_layer=2, n_head=4, layer_norm_epsilon=1e-5,
                 activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                 initializer_range=0.1, bos_token_id=EOS, eos_token_id=EOS, pad_token_id=EOS)
cfg._attn_implementation = "eager"


def tok(s):
    return [ord(c) - 32 for c in s]


def randomize(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.copy_(torch.randn_like(p) * 0.1)
            elif "ln_" in name and name.endswith(".weight"):
                p.copy_(1 + torch.randn_like(p) * 0.1)


policy = GPT2LMHeadModel(cfg).eval()
randomize(policy)
reference = GPT2LMHeadModel(cfg).eval()
reference.load_state_dict(policy.state_dict())
with torch.no_grad():
    for p in reference.parameters():
        p.add_(torch.randn_like(p) * 0.02)
rm_cfg = GPT2Config.from_dict({**cfg.to_dict(), "num_labels": 1})
rm_cfg._attn_implementation = "eager"
rm = GPT2ForSequenceClassification(rm_cfg).eval()
with torch.no_grad():
    rm.transformer.load_state_dict(policy.transformer.state_dict())
    rm.score.weight.copy_(torch.randn_like(rm.score.weight) * 0.3)


def hf(n):
    return n[len("transformer."):] if n.startswith("transformer.") else n


tensors, blob = {}, bytearray()


def put(name, array):
    a = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
    tensors[name] = {"shape": list(a.shape), "offset": len(blob)}
    blob.extend(a.tobytes())


for n, p in policy.named_parameters():
    if n != "lm_head.weight":
        put("policy." + hf(n), p.detach().numpy())
for n, p in reference.named_parameters():
    if n != "lm_head.weight":
        put("reference." + hf(n), p.detach().numpy())
put("reward.score.weight", rm.score.weight.detach().numpy())


def completion_logp(model, prompt, completion):
    """Summed log p of completion tokens given prompt (prompt and completion tokenized separately)."""
    ids = torch.tensor([prompt + completion])
    logits = model(ids).logits[0].float()
    lp = F.log_softmax(logits[:-1], dim=-1).gather(1, ids[0, 1:, None])[:, 0]
    return lp[len(prompt) - 1:].sum(), len(completion)


def record(case, model, loss, extra):
    model.zero_grad()
    loss.backward()
    for n, p in model.named_parameters():
        if n == "lm_head.weight":
            continue
        put(f"{case}.grad.{hf(n)}", p.grad.numpy())
    cases[case] = dict(extra, loss=float(loss.detach()))


cases = {}
sft = [("Hi ", "there"), ("Q: 2+2? A:", " 4"), ("abc", "defgh")]
pairs = [("Say: ", "yes!", "no."), ("x=", "1", "22"), ("The sky is", " blue", " green.")]
thumbs = [("Say: ", "yes!", True), ("x=", "22", False), ("The sky is", " blue", True), ("Go ", "away", False)]
docs = ["hello world", "the quick brown fox", "abc"]

# SFT: mean cross-entropy over completion tokens (EOS appended), all rows together.
total, n = 0, 0
for p, c in sft:
    s, k = completion_logp(policy, tok(p), tok(c) + [EOS])
    total, n = total - s, n + k
record("sft", policy, total / n, {"rows": [list(r) for r in sft]})

# Pretraining: documents + EOS joined, blocks of 8 (the tail padded); mean CE over every target.
stream = sum((tok(d) + [EOS] for d in docs), [])
B = 8
blocks = [stream[i * B: i * B + B + 1] for i in range((len(stream) - 1 + B - 1) // B)]
total, n = 0, 0
for b in blocks:
    ids = torch.tensor([b])
    logits = policy(ids[:, :-1]).logits[0]
    total = total + F.cross_entropy(logits, ids[0, 1:], reduction="sum")
    n += len(b) - 1
record("pretrain", policy, total / n, {"documents": docs, "block": B, "blocks": len(blocks)})


def dpo_loss(kind, beta):
    losses = []
    for p, c, r in pairs:
        pc, nc = completion_logp(policy, tok(p), tok(c) + [EOS])
        pr, nr = completion_logp(policy, tok(p), tok(r) + [EOS])
        with torch.no_grad():
            rc, _ = completion_logp(reference, tok(p), tok(c) + [EOS])
            rr, _ = completion_logp(reference, tok(p), tok(r) + [EOS])
        if kind == "ipo":
            h = (pc / nc - pr / nr) - (rc / nc - rr / nr)
            losses.append((h - 1 / (2 * beta)) ** 2)
        else:
            losses.append(-F.logsigmoid(beta * ((pc - pr) - (rc - rr))))
    return torch.stack(losses).mean()


record("dpo", policy, dpo_loss("sigmoid", 0.1), {"rows": [list(r) for r in pairs], "beta": 0.1})
record("ipo", policy, dpo_loss("ipo", 0.5), {"rows": [list(r) for r in pairs], "beta": 0.5})

# KTO: KL rows pair prompt i with completion i-1; z0 = max(0, mean KL-row log-ratio), detached.
beta = 0.1
with torch.no_grad():
    kl = []
    for i, (p, _, _) in enumerate(thumbs):
        c = thumbs[i - 1][1]
        a, _ = completion_logp(policy, tok(p), tok(c) + [EOS])
        b, _ = completion_logp(reference, tok(p), tok(c) + [EOS])
        kl.append(a - b)
    z0 = torch.clamp(torch.stack(kl).mean(), min=0)
losses = []
for p, c, good in thumbs:
    pl, _ = completion_logp(policy, tok(p), tok(c) + [EOS])
    with torch.no_grad():
        rl, _ = completion_logp(reference, tok(p), tok(c) + [EOS])
    x = pl - rl
    losses.append(1 - torch.sigmoid(beta * (x - z0)) if good else 1 - torch.sigmoid(beta * (z0 - x)))
record("kto", policy, torch.stack(losses).mean(), {"rows": [[p, c, g] for p, c, g in thumbs], "beta": beta, "z0": float(z0)})

# Reward model: score at the last token of prompt + response (no EOS); −log σ(r_c − r_r), mean.
def score(p, r):
    ids = torch.tensor([tok(p) + tok(r)])
    return rm(ids).logits[0, 0]
loss = torch.stack([-F.logsigmoid(score(p, c) - score(p, r)) for p, c, r in pairs]).mean()
rm.zero_grad()
loss.backward()
for n, p in rm.named_parameters():
    put("reward.grad." + hf(n), p.grad.numpy())
cases["reward"] = {"rows": [list(r) for r in pairs], "loss": float(loss)}

meta = {"format": "hilo-training-golden-1", "eos": EOS,
        "config": {k: getattr(cfg, k) for k in ["vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "layer_norm_epsilon"]},
        "cases": cases, "tensors": tensors}
with open(os.path.join(HERE, "training_golden.json"), "w") as f:
    json.dump(meta, f, indent=1)
with open(os.path.join(HERE, "training_golden.bin"), "wb") as f:
    f.write(bytes(blob))
print(f"wrote {len(tensors)} tensors, {len(blob)} bytes; losses " + ", ".join(f"{k} {v['loss']:.6f}" for k, v in cases.items()))
