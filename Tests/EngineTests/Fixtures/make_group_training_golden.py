#!/usr/bin/env python3
"""Writes training/group_training_golden.json + .bin: GroupRLTrainer's update (GRPO and RLOO) on a FIXED
rollout, from transformers' GPT2LMHeadModel with the tiny policy and reference weights that
make_training_golden.py wrote (read back from training_golden.json/.bin and copied into this golden, so
it stays consistent whichever script `make golden` runs first).

Two prompts with G = 3 completions each (one character per token, id = ord(c) - 32, EOS = 95); the
rollout policy's log-probs are the policy's own moved away from the clip edges, the reference's are the
reference model's, the rewards are given (one missing). For each case: the advantages (TRL's formulas),
one minibatch's loss and the gradient of every policy parameter, written here in torch from TRL's
GRPOTrainer/RLOOTrainer definitions. Format "hilo-training-golden-1" as make_training_golden.py.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "training")
torch.use_deterministic_algorithms(True)
with open(os.path.join(HERE, "training_golden.json")) as f:
    source = json.load(f)
with open(os.path.join(HERE, "training_golden.bin"), "rb") as f:
    source_blob = f.read()
EOS = source["eos"]
c = source["config"]
cfg = GPT2Config(vocab_size=c["vocab_size"], n_positions=c["n_positions"], n_embd=c["n_embd"], n_layer=c["n_layer"],
                 n_head=c["n_head"], layer_norm_epsilon=c["layer_norm_epsilon"], activation_function="gelu_new",
                 resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=EOS, eos_token_id=EOS, pad_token_id=EOS)
cfg._attn_implementation = "eager"


def load(prefix):
    m = GPT2LMHeadModel(cfg).eval()
    state = {}
    for name, e in source["tensors"].items():
        if name.startswith(prefix):
            n = int(np.prod(e["shape"]))
            a = np.frombuffer(source_blob, dtype="<f4", count=n, offset=e["offset"]).reshape(e["shape"])
            state["transformer." + name[len(prefix):]] = torch.tensor(a.copy())
    missing = m.load_state_dict(state, strict=False).missing_keys
    assert missing == ["lm_head.weight"] or missing == [], missing
    m.tie_weights()
    return m


policy, reference = load("policy."), load("reference.")
tensors, blob, cases = {}, bytearray(), {}


def put(name, array):
    a = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
    tensors[name] = {"shape": list(a.shape), "offset": len(blob)}
    blob.extend(a.tobytes())


def tok(s):
    return [ord(ch) - 32 for ch in s]


G = 3
prompts = ["Q: 2+2?", "Say hi"]
completions = [tok(" 4.") + [EOS], tok(" 5"), tok(" four") + [EOS], tok(" hi!") + [EOS], tok(" no"), tok(" hello") + [EOS]]
rows = [(prompts[i // G], comp) for i, comp in enumerate(completions)]
W = max(len(x) for x in completions)
gen = torch.Generator().manual_seed(2026)


def token_logps(model, b):
    p, comp = tok(rows[b][0]), rows[b][1]
    ids = torch.tensor([p + comp])
    logits = model(ids).logits[0]
    return F.log_softmax(logits[:-1].double(), dim=-1).gather(1, ids[0, 1:, None])[:, 0][len(p) - 1:]


def grid(lists):
    g = np.zeros((len(lists), W), dtype=np.float32)
    for b, r in enumerate(lists):
        g[b, :len(r)] = np.asarray([float(x) for x in r], dtype=np.float32)
    return g.astype(np.float64)


def away(x, edges, step):
    while any(abs(x - e) < 2e-3 for e in edges):
        x += step
    return x


# The rollout policy's log-probs: the policy's own, each token moved by an offset away from the clip
# edges, so no clip decision sits on a boundary; float32-rounded as the Swift side reads them.
with torch.no_grad():
    now = [token_logps(policy, b) for b in range(len(rows))]
    ref = [token_logps(reference, b) for b in range(len(rows))]
offsets = []
for b in range(len(rows)):
    o = []
    for t in range(len(now[b])):
        o.append(away(float(torch.randn(1, generator=gen, dtype=torch.float64)) * 0.3, [math.log(0.8), math.log(1.2), math.log(1.28), 0.0], 0.01))
    offsets.append(o)
OLD = grid([[float(now[b][t]) - offsets[b][t] for t in range(len(now[b]))] for b in range(len(rows))])
REF = grid([[float(x) for x in r] for r in ref])
MASK = grid([[1] * len(x) for x in completions])
REWARDS = [1.0, 0.0, None, 0.5, -1.0, 2.0]
# The weights used, copied, so this golden stays right whatever make_training_golden.py writes later.
for name, e in source["tensors"].items():
    if name.startswith("policy.") or name.startswith("reference."):
        n = int(np.prod(e["shape"]))
        put(name, np.frombuffer(source_blob, dtype="<f4", count=n, offset=e["offset"]).reshape(e["shape"]))
put("old_logprobs", OLD)
put("ref_logprobs", REF)


def nanstd(x):
    v = x[~torch.isnan(x)]
    return v.std() if len(v) > 1 else torch.tensor(float("nan"))


def grpo_case(name, loss_type, beta, scale, idx, eps_high=None, max_len=None, normalizer=None):
    eps_low, eps_hi = 0.2, eps_high if eps_high is not None else 0.2
    r = torch.tensor([math.nan if x is None else x for x in REWARDS], dtype=torch.float64)
    gr = r.view(-1, G)
    mean = torch.nanmean(gr, dim=1).repeat_interleave(G)
    std = torch.stack([nanstd(row) for row in gr]).repeat_interleave(G) if scale == "group" else nanstd(r).expand_as(r)
    adv = r - mean
    if scale != "none":
        adv = adv / (std + 1e-4)
    adv = torch.nan_to_num(adv, nan=0.0)
    policy.zero_grad()
    per_row, n_tokens = [], 0
    for b in idx:
        n = len(completions[b])
        lp = token_logps(policy, b)
        ratio = torch.exp(lp - torch.tensor(OLD[b, :n]))
        A = adv[b]
        loss_t = -torch.min(ratio * A, torch.clamp(ratio, 1 - eps_low, 1 + eps_hi) * A)
        if beta:
            d = torch.tensor(REF[b, :n]) - lp
            loss_t = loss_t + beta * (torch.exp(d) - d - 1)
        per_row.append(loss_t)
        n_tokens += n
    if loss_type == "grpo":
        loss = torch.stack([x.mean() for x in per_row]).mean()
    elif loss_type == "bnpo":
        loss = torch.cat(per_row).sum() / n_tokens
    elif loss_type == "dr_grpo":
        loss = torch.cat(per_row).sum() / (len(idx) * max_len)
    else:
        loss = torch.cat(per_row).sum() / (normalizer if normalizer is not None else n_tokens)
    loss.backward()
    for n_, p_ in policy.named_parameters():
        if n_ != "lm_head.weight":
            put(f"{name}.grad.{n_[len('transformer.'):]}", p_.grad.numpy())
    cases[name] = {"loss": float(loss), "algorithm": "grpo", "loss_type": loss_type, "beta": beta, "scale_rewards": scale,
                   "minibatch": idx, "epsilon_high": eps_high, "max_completion_length": max_len or 48,
                   "token_normalizer": normalizer, "advantages": [float(x) for x in adv]}


def rloo_case(name, beta, normalize, idx):
    eps = 0.2
    r = torch.tensor([math.nan if x is None else x for x in REWARDS], dtype=torch.float64)
    kl = torch.tensor(((OLD - REF) * MASK).sum(1))
    r = r - beta * kl
    gr = r.view(-1, G)
    counts = (~torch.isnan(gr)).sum(dim=1, keepdim=True)
    adv = r - ((torch.nansum(gr, dim=1, keepdim=True) - gr) / (counts - 1)).view(-1)
    if normalize:
        adv = (adv - torch.nanmean(adv)) / (nanstd(adv) + 1e-4)
    adv = torch.nan_to_num(adv, nan=0.0)
    policy.zero_grad()
    terms = []
    for b in idx:
        n = len(completions[b])
        ratio = torch.exp(token_logps(policy, b).sum() - float(OLD[b, :n].sum()))
        terms.append(-torch.min(ratio * adv[b], torch.clamp(ratio, 1 - eps, 1 + eps) * adv[b]))
    loss = torch.stack(terms).mean()
    loss.backward()
    for n_, p_ in policy.named_parameters():
        if n_ != "lm_head.weight":
            put(f"{name}.grad.{n_[len('transformer.'):]}", p_.grad.numpy())
    cases[name] = {"loss": float(loss), "algorithm": "rloo", "beta": beta, "normalize": normalize, "minibatch": idx,
                   "advantages": [float(x) for x in adv]}


grpo_case("grpo_kl_group", "grpo", 0.04, "group", [4, 0, 2, 5], eps_high=0.28)
grpo_case("dr_grpo_unscaled", "dr_grpo", 0.0, "none", [0, 1, 2, 3, 4, 5], max_len=8)
grpo_case("dapo_batch_normalizer", "dapo", 0.0, "batch", [5, 3, 1], normalizer=20.0)
rloo_case("rloo_kl", 0.05, False, [1, 3, 0, 5])
rloo_case("rloo_normalized", 0.1, True, [0, 1, 2, 3, 4, 5])

meta = {"format": "hilo-training-golden-1", "eos": EOS, "config": c, "cases": cases, "tensors": tensors,
        "prompts": prompts, "completions": completions, "group_size": G,
        "rewards": REWARDS}
with open(os.path.join(HERE, "group_training_golden.json"), "w") as f:
    json.dump(meta, f, indent=1)
with open(os.path.join(HERE, "group_training_golden.bin"), "wb") as f:
    f.write(bytes(blob))
print(f"wrote {len(tensors)} tensors, {len(blob)} bytes; losses " + ", ".join(f"{k} {v['loss']:.6f}" for k, v in cases.items()))
