#!/usr/bin/env python3
"""Writes the trainers' golden files (training/training_golden.json + .bin) from transformers.

Run by `make golden` with the repository's .venv. For each training stage, one step's loss and the
gradient of every parameter, on a tiny GPT-2 and fixed text rows, with each loss written here
independently in torch on transformers' GPT2LMHeadModel / GPT2ForSequenceClassification outputs.
Text is tokenized one character per token (id = ord(c) - 32, printable ASCII), EOS = 95, so the Swift
test needs no tokenizer. Each sequence is forwarded on its own (no padding), which is what right
padding with causal attention must reproduce. PPO ("ppo", "ppo_shared") is one update on a fixed
rollout: the rollout's numbers are given, and the KL reward, GAE, whitening, both clipped losses and
the policy's and value model's gradients are written.

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


# PPO: one update on a FIXED rollout (no sampling): prompt + completion ids, the rollout policy's
# log-probs, the reference's, the values at rollout time and the reward model's scores are given (the
# rollout numbers are the models' own plus fixed offsets, so some ratios and values fall outside the
# clip windows). From them: per-token KL reward, GAE (gamma 1, lambda 0.95; nothing bootstrapped past
# the last token), whitened advantages (Bessel's variance, eps 1e-8), then one minibatch (rows 2 and 0)
# of the clipped policy loss + vf_coef * clipped value loss, in float64 on the models' float32 outputs.
# "ppo": a separate value model (a copy of the reward model), k1. "ppo_shared": the value head on the
# policy's backbone (its weight = the reward head's), k3, reward whitening.
rollout_prompts = ["Hi ", "x=", "The sky is"]
rollout_completions = [tok("there") + [EOS], tok("12"), tok(" blue.") + [EOS]]
W = max(len(c) for c in rollout_completions)
gen = torch.Generator().manual_seed(99)


def grid(rows):
    """[B, W] float32-rounded, zero padding."""
    g = np.zeros((len(rows), W), dtype=np.float32)
    for b, r in enumerate(rows):
        g[b, :len(r)] = np.asarray([float(x) for x in r], dtype=np.float32)
    return g


def completion_outputs(lm_model, value_fn, b):
    """Per-token log-probs (float64) of row b's completion and the values at the same positions."""
    p, c = tok(rollout_prompts[b]), rollout_completions[b]
    ids = torch.tensor([p + c])
    out = lm_model.transformer(ids).last_hidden_state[0] if lm_model is not None else None
    lp = None
    if lm_model is not None:
        logits = lm_model.lm_head(out)
        lp = F.log_softmax(logits[:-1].double(), dim=-1).gather(1, ids[0, 1:, None])[:, 0][len(p) - 1:]
    v = value_fn(ids)[len(p) - 1:len(p) - 1 + len(c)].double() if value_fn is not None else None
    return lp, v


def away(x, edges, step):
    """Moves x until it is at least 2e-3 from every edge (no clip decision near a boundary)."""
    while any(abs(x - e) < 2e-3 for e in edges):
        x += step
    return x


def whiten(x, mask, shift_mean=True):
    n = mask.sum()
    mean = (x * mask).sum() / n
    var = (((x - mean) * mask) ** 2).sum() / (n - 1)
    out = (x - mean) / np.sqrt(var + 1e-8)
    if not shift_mean:
        out = out + mean
    return out * mask


def ppo_case(name, shared, estimator, whiten_rewards):
    beta, eps, eps_v, vf_coef, lam = 0.05, 0.2, 0.2, 0.1, 0.95
    scores = [0.8, -0.5, 1.2]
    value_head = torch.nn.Parameter(rm.score.weight.detach().clone())
    if shared:
        value_fn = lambda ids: (policy.transformer(ids).last_hidden_state[0] @ value_head.T)[:, 0]
    else:
        value_fn = lambda ids: rm.score(rm.transformer(ids).last_hidden_state[0])[:, 0]
    B = len(rollout_prompts)
    old_lp, old_v, ref_lp = [], [], []
    with torch.no_grad():
        for b in range(B):
            lp, v = completion_outputs(policy, value_fn, b)
            rlp, _ = completion_outputs(reference, None, b)
            offs = (torch.randn(len(lp), generator=gen, dtype=torch.float64) * 0.3)
            voffs = (torch.randn(len(v), generator=gen, dtype=torch.float64) * 0.3)
            o = []
            for t in range(len(lp)):
                # ratio = exp(lp - old) must stay clear of 1 +- eps.
                d = away(float(offs[t]), [np.log(1 - eps), np.log(1 + eps), 0.0], 0.01)
                o.append(float(lp[t]) - d)
            ov = []
            for t in range(len(v)):
                d = away(float(voffs[t]), [eps_v, -eps_v, 0.0], 0.01)
                ov.append(float(v[t]) - d)
            old_lp.append(o); old_v.append(ov); ref_lp.append([float(x) for x in rlp])
    mask = grid([[1] * len(c) for c in rollout_completions]).astype(np.float64)
    OLD, VOLD, REF = (grid(x).astype(np.float64) for x in (old_lp, old_v, ref_lp))
    # Per-token KL and reward.
    if estimator == "k1":
        kl = (OLD - REF) * mask
    else:
        logr = REF - OLD
        kl = ((np.exp(logr) - 1) - logr) * mask
    rewards = -beta * kl
    for b, c in enumerate(rollout_completions):
        rewards[b, len(c) - 1] += scores[b]
    if whiten_rewards:
        rewards = whiten(rewards, mask, shift_mean=False)
    # GAE, nothing past the last token.
    adv = np.zeros_like(rewards)
    for b, c in enumerate(rollout_completions):
        last, nxt = 0.0, 0.0
        for t in reversed(range(len(c))):
            delta = rewards[b, t] + nxt - VOLD[b, t]
            last = delta + lam * last
            adv[b, t] = last
            nxt = VOLD[b, t]
    returns = (adv + VOLD) * mask
    white = whiten(adv, mask)
    # One minibatch: rows 2 and 0.
    idx = [2, 0]
    policy.zero_grad(); rm.zero_grad()
    pg_terms, vf_terms = [], []
    clipped = 0
    for b in idx:
        lp, v = completion_outputs(policy, value_fn, b)
        n = len(rollout_completions[b])
        A = torch.tensor(white[b, :n]); R = torch.tensor(returns[b, :n])
        ratio = torch.exp(lp - torch.tensor(OLD[b, :n]))
        pg1, pg2 = -A * ratio, -A * torch.clamp(ratio, 1 - eps, 1 + eps)
        clipped += int((pg2 > pg1).sum())
        pg_terms.append(torch.maximum(pg1, pg2))
        vold = torch.tensor(VOLD[b, :n])
        vc = torch.clamp(v, vold - eps_v, vold + eps_v)
        vf_terms.append(torch.maximum((v - R) ** 2, (vc - R) ** 2))
    pg_loss = torch.cat(pg_terms).mean()
    vf_loss = 0.5 * torch.cat(vf_terms).mean()
    loss = pg_loss + vf_coef * vf_loss
    loss.backward()
    for n_, p_ in policy.named_parameters():
        if n_ != "lm_head.weight":
            put(f"{name}.grad.{hf(n_)}", p_.grad.numpy())
    if shared:
        put(f"{name}.grad.score.weight", value_head.grad.numpy())
    else:
        for n_, p_ in rm.named_parameters():
            put(f"{name}.value_grad.{hf(n_)}", p_.grad.numpy())
    for key, arr in [("old_logprobs", OLD), ("old_values", VOLD), ("ref_logprobs", REF), ("kl", kl), ("rewards", rewards),
                     ("advantages", white), ("returns", returns)]:
        put(f"{name}.{key}", arr)
    n_tokens = sum(len(rollout_completions[b]) for b in idx)
    cases[name] = {"prompts": rollout_prompts, "completions": rollout_completions, "scores": scores, "beta": beta,
                   "estimator": estimator, "whiten_rewards": whiten_rewards, "shared": shared, "minibatch": idx,
                   "loss": float(loss), "policy_loss": float(pg_loss), "value_loss": float(vf_loss),
                   "clipfrac": clipped / n_tokens}
    policy.zero_grad(); rm.zero_grad()


ppo_case("ppo", shared=False, estimator="k1", whiten_rewards=False)
ppo_case("ppo_shared", shared=True, estimator="k3", whiten_rewards=True)

meta = {"format": "hilo-training-golden-1", "eos": EOS,
        "config": {k: getattr(cfg, k) for k in ["vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "layer_norm_epsilon"]},
        "cases": cases, "tensors": tensors}
with open(os.path.join(HERE, "training_golden.json"), "w") as f:
    json.dump(meta, f, indent=1)
with open(os.path.join(HERE, "training_golden.bin"), "wb") as f:
    f.write(bytes(blob))
print(f"wrote {len(tensors)} tensors, {len(blob)} bytes; losses " + ", ".join(f"{k} {v['loss']:.6f}" for k, v in cases.items()))
