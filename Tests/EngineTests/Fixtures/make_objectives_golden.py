"""Writes Tests/EngineTests/Fixtures/objectives/objectives_golden.json: fixed random inputs and, from an
independent PyTorch implementation of every alignment objective (autograd for the gradients, float64),
the loss, its gradients with respect to the policy inputs, and the metrics. The Swift tests in
ObjectivesGoldenTests.swift compare against it.

The formulas follow TRL (DPOTrainer, KTOTrainer, RewardTrainer, PPOTrainer, AdaptiveKLController,
RunningMoments) and InstructGPT for rankings; they are written here from the papers' definitions, not
shared with the Swift code. Run with `make golden` (or .venv/bin/python this file).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

VERSION = 1
torch.manual_seed(20261121)
torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "objectives", "objectives_golden.json")


def L(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def metrics(d):
    return {k: float(v.detach()) if torch.is_tensor(v) else float(v) for k, v in d.items()}


# ----------------------------------------------------------------------------- reward model

def reward_pairwise_case(name, b, margin, center):
    chosen = (torch.randn(b) * 1.5).requires_grad_()
    rejected = (torch.randn(b) * 1.5).requires_grad_()
    margins = torch.rand(b) * 2 if margin else None
    diff = chosen - rejected - (margins if margins is not None else 0)
    loss = -F.logsigmoid(diff).mean()
    if center:
        loss = loss + center * ((chosen + rejected) ** 2).mean()
    loss.backward()
    return {
        "name": name, "center": center,
        "chosen": L(chosen), "rejected": L(rejected), "margins": L(margins) if margins is not None else None,
        "loss": loss.item(), "d_chosen": L(chosen.grad), "d_rejected": L(rejected.grad),
        "metrics": metrics({
            "loss": loss.item(),
            "accuracy": (chosen > rejected).double().mean(),
            "margin": (chosen - rejected).mean(),
            "rewards/chosen": chosen.mean(), "rewards/rejected": rejected.mean(),
        }),
    }


def reward_ranking_case(name, ranks, center):
    scores = [torch.randn(len(r)).requires_grad_() for r in ranks]
    per_ranking, correct, margin, npairs = [], 0, 0.0, 0
    for s, r in zip(scores, ranks):
        terms = []
        for i in range(len(r)):
            for j in range(len(r)):
                if r[i] < r[j]:
                    t = -F.logsigmoid(s[i] - s[j])
                    if center:
                        t = t + center * (s[i] + s[j]) ** 2
                    terms.append(t)
                    correct += int(s[i].item() > s[j].item())
                    margin += (s[i] - s[j]).item()
                    npairs += 1
        if terms:
            per_ranking.append(torch.stack(terms).mean())
    loss = torch.stack(per_ranking).mean()
    loss.backward()
    return {
        "name": name, "center": center, "ranks": ranks,
        "scores": [L(s) for s in scores], "loss": loss.item(), "d_scores": [L(s.grad) if s.grad is not None else [0.0] * len(s) for s in scores],
        "metrics": {"loss": loss.item(), "accuracy": correct / npairs, "margin": margin / npairs,
                    "pairs": float(npairs), "rankings/skipped": float(len(ranks) - len(per_ranking))},
    }


# ----------------------------------------------------------------------------- DPO family

def dpo_case(name, loss_type, beta=0.1, eps=0.0, rpo=None, b=6):
    ct = torch.randint(3, 12, (b,))
    rt = torch.randint(3, 12, (b,))
    ref_c = -ct * (1.5 + torch.rand(b))
    ref_r = -rt * (1.5 + torch.rand(b))
    pol_c = (ref_c + torch.randn(b) * 6).requires_grad_()
    pol_r = (ref_r + torch.randn(b) * 6).requires_grad_()
    if loss_type == "ipo":
        pc, pr, rc, rr = pol_c / ct, pol_r / rt, ref_c / ct, ref_r / rt
    else:
        pc, pr, rc, rr = pol_c, pol_r, ref_c, ref_r
    h = (pc - pr) - (rc - rr)
    if loss_type == "sigmoid":
        losses = -(1 - eps) * F.logsigmoid(beta * h) - eps * F.logsigmoid(-beta * h)
    elif loss_type == "robust":
        losses = (-(1 - eps) * F.logsigmoid(beta * h) + eps * F.logsigmoid(-beta * h)) / (1 - 2 * eps)
    elif loss_type == "hinge":
        losses = torch.relu(1 - beta * h)
    elif loss_type == "ipo":
        losses = (h - 1 / (2 * beta)) ** 2
    loss = losses.mean()
    m = {}
    if rpo is not None:
        nll = -pol_c.sum() / ct.sum()
        loss = loss + rpo * nll
        m["nll_loss"] = nll
    loss.backward()
    cr, rj = beta * (pc - rc).detach(), beta * (pr - rr).detach()
    m.update({"loss": loss, "rewards/chosen": cr.mean(), "rewards/rejected": rj.mean(),
              "rewards/margins": (cr - rj).mean(), "rewards/accuracies": (cr > rj).double().mean(),
              "logps/chosen": pc.detach().mean(), "logps/rejected": pr.detach().mean()})
    return {
        "name": name, "loss_type": loss_type, "beta": beta, "label_smoothing": eps, "rpo_alpha": rpo,
        "policy_chosen": L(pol_c), "policy_rejected": L(pol_r), "reference_chosen": L(ref_c),
        "reference_rejected": L(ref_r), "chosen_tokens": [int(x) for x in ct], "rejected_tokens": [int(x) for x in rt],
        "loss": loss.item(), "d_chosen": L(pol_c.grad), "d_rejected": L(pol_r.grad), "metrics": metrics(m),
    }


# ----------------------------------------------------------------------------- KTO

def kto_case(name, labels, wd, wu, kl_shift, beta=0.1):
    n = len(labels)
    ref = -torch.rand(n) * 30 - 5
    pol = (ref + torch.randn(n) * 5).requires_grad_()
    ref_kl = -torch.rand(n) * 30 - 5
    pol_kl = ref_kl + torch.randn(n) * 2 + kl_shift
    z0 = (pol_kl - ref_kl).mean().clamp(min=0).detach()
    lab = torch.tensor(labels)
    ratio = pol - ref
    per = torch.where(lab, wd * (1 - torch.sigmoid(beta * (ratio - z0))), wu * (1 - torch.sigmoid(beta * (z0 - ratio))))
    loss = per.mean()
    loss.backward()
    m = {"loss": loss, "kl": z0, "count/chosen": float(lab.sum()), "count/rejected": float((~lab).sum())}
    rewards = beta * ratio.detach()
    mc = rewards[lab].mean() if lab.any() else torch.tensor(0.0)
    mr = rewards[~lab].mean() if (~lab).any() else torch.tensor(0.0)
    if lab.any():
        m["rewards/chosen"] = mc
        m["logps/chosen"] = pol.detach()[lab].mean()
    if (~lab).any():
        m["rewards/rejected"] = mr
        m["logps/rejected"] = pol.detach()[~lab].mean()
    m["rewards/margins"] = mc - mr
    return {
        "name": name, "beta": beta, "desirable_weight": wd, "undesirable_weight": wu, "labels": labels,
        "policy": L(pol), "reference": L(ref), "policy_kl": L(pol_kl), "reference_kl": L(ref_kl),
        "loss": loss.item(), "kl": z0.item(), "d_policy": L(pol.grad), "metrics": metrics(m),
    }


# ----------------------------------------------------------------------------- PPO

def mask_from(lengths, width):
    return (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]).double()


def masked_mean(x, m):
    return (x * m).sum() / m.sum()


def masked_whiten(x, m, shift_mean=True):
    mean = masked_mean(x, m)
    var = masked_mean((x - mean) ** 2, m) * m.sum() / (m.sum() - 1)
    w = (x - mean) * torch.rsqrt(var + 1e-8)
    if not shift_mean:
        w = w + mean
    return w * m


def ppo_rollout_case(name, lengths, width, estimator, kl_coef, gamma, lam, whiten_rewards):
    m = mask_from(lengths, width)
    b = len(lengths)
    logprobs = (-torch.rand(b, width) * 4) * m
    ref = (logprobs + torch.randn(b, width) * 0.3) * m
    values = torch.randn(b, width) * m
    scores = torch.randn(b) * 2
    logr = ref - logprobs
    kl = (-logr if estimator == "k1" else (logr.exp() - 1) - logr) * m
    non_score = -kl_coef * kl
    rewards = non_score.clone()
    last = torch.tensor(lengths) - 1
    rewards[torch.arange(b), last] += scores
    shaped = masked_whiten(rewards, m, shift_mean=False) if whiten_rewards else rewards
    # GAE row by row: V and A are zero past each row's last token (the episode ends there).
    adv = torch.zeros(b, width)
    for i in range(b):
        nxt_v, nxt_a = 0.0, 0.0
        for t in reversed(range(lengths[i])):
            delta = shaped[i, t] + gamma * nxt_v - values[i, t]
            nxt_a = delta + gamma * lam * nxt_a
            adv[i, t] = nxt_a
            nxt_v = values[i, t]
    returns = (adv + values) * m
    return {
        "name": name, "lengths": lengths, "width": width, "estimator": estimator, "kl_coef": kl_coef,
        "gamma": gamma, "lam": lam, "whiten_rewards": whiten_rewards,
        "logprobs": L(logprobs), "ref_logprobs": L(ref), "values": L(values), "scores": L(scores),
        "kl": L(kl), "non_score": L(non_score), "rewards": L(rewards), "shaped_rewards": L(shaped),
        "advantages": L(adv), "returns": L(returns),
        "whitened_advantages": L(masked_whiten(adv, m)), "whitened_noshift": L(masked_whiten(adv, m, shift_mean=False)),
        "metrics": metrics({
            "objective/kl": kl.sum(1).mean(), "objective/entropy": (-logprobs * m).sum(1).mean(),
            "objective/non_score_reward": non_score.sum(1).mean(),
            "objective/rlhf_reward": non_score.sum(1).mean() + scores.mean(), "objective/scores": scores.mean(),
        }),
    }


def ppo_loss_case(name, lengths, width, cliprange, cliprange_value, vf_coef):
    m = mask_from(lengths, width)
    b = len(lengths)
    old = (-torch.rand(b, width) * 4) * m
    new = ((old + torch.randn(b, width) * 0.3) * m).requires_grad_()
    adv = torch.randn(b, width) * m
    old_v = torch.randn(b, width) * m
    vpred = ((old_v + torch.randn(b, width) * 0.4) * m).requires_grad_()
    returns = (old_v + torch.randn(b, width) * 0.5) * m
    diff = new - old
    ratio = diff.exp()
    pg1 = -adv * ratio
    pg2 = -adv * ratio.clamp(1 - cliprange, 1 + cliprange)
    pg = masked_mean(torch.max(pg1, pg2), m)
    vclip = torch.max(torch.min(vpred, old_v + cliprange_value), old_v - cliprange_value)
    vf1 = (vpred - returns) ** 2
    vf2 = (vclip - returns) ** 2
    vf = 0.5 * masked_mean(torch.max(vf1, vf2), m)
    loss = pg + vf_coef * vf
    loss.backward()
    return {
        "name": name, "lengths": lengths, "width": width, "cliprange": cliprange,
        "cliprange_value": cliprange_value, "vf_coef": vf_coef,
        "logprobs": L(new), "old_logprobs": L(old), "advantages": L(adv), "values": L(vpred),
        "old_values": L(old_v), "returns": L(returns),
        "loss": loss.item(), "policy_loss": pg.item(), "value_loss": vf.item(),
        "d_logprobs": L(new.grad), "d_values": L(vpred.grad),
        "metrics": metrics({
            "loss": loss, "loss/policy_avg": pg, "loss/value_avg": vf,
            "policy/clipfrac_avg": masked_mean((pg2 > pg1).double(), m),
            "val/clipfrac_avg": masked_mean((vf2 > vf1).double(), m),
            "policy/approxkl_avg": 0.5 * masked_mean(diff.detach() ** 2, m),
            "val/ratio": masked_mean(ratio.detach(), m),
        }),
    }


def entropy_case(name, rows, vocab, scale):
    # float32-representable logits, as the Swift model produces Float.
    logits = (torch.randn(rows, vocab) * scale).float().double().requires_grad_()
    weights = torch.randn(rows)
    logp = logits.log_softmax(-1)
    h = -(logp.exp() * logp).sum(-1)
    (h * weights).sum().backward()
    return {"name": name, "rows": rows, "vocab": vocab, "logits": L(logits), "weights": L(weights),
            "entropy": L(h), "d_logits": L(logits.grad)}


def sequence_logprobs_case(name, rows, width, vocab, targets):
    logits = (torch.randn(rows * width, vocab) * 2).float().double().requires_grad_()
    t = torch.tensor(targets)
    valid = t >= 0
    logp = logits.log_softmax(-1).gather(1, t.clamp(min=0)[:, None])[:, 0] * valid
    sums = logp.reshape(rows, width).sum(1)
    row_weights = torch.randn(rows)
    (sums * row_weights).sum().backward()
    return {"name": name, "rows": rows, "width": width, "vocab": vocab, "targets": targets,
            "logits": L(logits), "row_weights": L(row_weights), "per_token": L(logp), "sums": L(sums),
            "counts": [int(x) for x in valid.reshape(rows, width).sum(1)], "d_logits": L(logits.grad)}


def kl_controller_case(name, init, target, horizon, updates):
    value, values = init, []
    for kl, n in updates:
        err = min(max(kl / target - 1, -0.2), 0.2)
        value *= 1 + err * n / horizon
        values.append(value)
    return {"name": name, "init": init, "target": target, "horizon": horizon,
            "updates": [[float(k), int(n)] for k, n in updates], "values": values}


def normalizer_case(name, normalize, clip, batches):
    # TRL's RunningMoments, in float64.
    mean, var, count = 0.0, 1.0, 1e-24
    outs = []
    for xs in batches:
        x = torch.tensor(xs)
        bvar, bmean = torch.var_mean(x, unbiased=False)
        delta = bmean.item() - mean
        tot = count + len(xs)
        tot_sum = var * count + delta ** 2 * count * len(xs) / tot + bvar.item() * len(xs)
        mean += delta * len(xs) / tot
        var = tot_sum / tot
        std = math.sqrt(var * tot / (tot - 1))
        count = tot
        eps = float(torch.finfo(torch.float32).eps)
        y = (x - mean) / (std + eps) if normalize else x / (std + eps)
        if clip is not None:
            y = y.clamp(-clip, clip)
        outs.append(L(y))
    return {"name": name, "normalize": normalize, "clip": clip, "batches": batches, "outputs": outs,
            "mean": mean, "std": std}


def main():
    golden = {
        "version": VERSION,
        "reward_pairwise": [
            reward_pairwise_case("plain", 8, margin=False, center=None),
            reward_pairwise_case("margin", 8, margin=True, center=None),
            reward_pairwise_case("centering", 8, margin=False, center=0.01),
            reward_pairwise_case("margin_and_centering", 5, margin=True, center=0.5),
        ],
        "reward_ranking": [
            reward_ranking_case("k_way_with_ties", [[1, 2, 2, 3], [2, 1], [1, 2, 3, 4, 5], [3, 3, 1]], center=None),
            reward_ranking_case("all_tie_ranking_skipped", [[1, 1, 1], [1, 2, 3], [2, 1, 1, 0]], center=None),
            reward_ranking_case("centering", [[1, 2, 3], [1, 1, 2, 2]], center=0.1),
        ],
        "dpo": [
            dpo_case("sigmoid", "sigmoid"),
            dpo_case("sigmoid_beta_0_5", "sigmoid", beta=0.5),
            dpo_case("cdpo_label_smoothing", "sigmoid", eps=0.1),
            dpo_case("robust", "robust", eps=0.2),
            dpo_case("hinge", "hinge", beta=0.1, b=10),
            dpo_case("ipo", "ipo", beta=0.1),
            dpo_case("sigmoid_rpo", "sigmoid", rpo=1.0),
            dpo_case("ipo_rpo", "ipo", beta=0.3, rpo=0.5),
        ],
        "kto": [
            kto_case("balanced_kl_positive", [True, False, True, True, False, False], 1.0, 1.0, kl_shift=3.0),
            kto_case("weighted", [True, True, True, False, True], 1.0, 1.33, kl_shift=4.0),
            kto_case("kl_clamped_to_zero", [False, True, False, True], 0.8, 1.2, kl_shift=-5.0),
            kto_case("only_desirable", [True, True, True], 1.0, 1.0, kl_shift=2.0),
        ],
        "ppo_rollout": [
            ppo_rollout_case("k1_padded", [5, 3, 1, 4], 5, "k1", 0.05, 1.0, 0.95, False),
            ppo_rollout_case("k3_discounted", [6, 2, 6], 6, "k3", 0.2, 0.99, 0.9, False),
            ppo_rollout_case("k1_whitened_rewards", [4, 4, 2], 4, "k1", 0.1, 1.0, 0.95, True),
        ],
        "ppo_loss": [
            ppo_loss_case("clip_0_2", [5, 3, 1, 4], 5, 0.2, 0.2, 0.1),
            ppo_loss_case("tight_clip", [6, 6, 2], 6, 0.05, 0.1, 0.5),
        ],
        "entropy": [entropy_case("small", 4, 7, 1.0), entropy_case("peaked", 3, 11, 6.0)],
        "sequence_logprobs": [
            sequence_logprobs_case("two_rows", 2, 4, 9, [-1, 3, 0, -1, -1, -1, 8, 5]),
        ],
        "kl_controller": [
            kl_controller_case("adaptive", 0.2, 6.0, 10000.0, [(12.0, 256), (8.0, 256), (6.0, 64), (1.0, 512), (5.5, 128)]),
        ],
        "normalizer": [
            normalizer_case("scale", False, None, [[0.5, 1.5, -2.0, 3.0], [1.0, 2.0], [-1.0, 0.0, 4.0]]),
            normalizer_case("norm_and_clip", True, 1.0, [[0.5, 1.5, -2.0, 3.0], [10.0, 2.0, -7.0]]),
        ],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
