"""Writes Tests/EngineTests/Fixtures/objectives/group_golden.json: fixed random logits, sampled tokens, old
and reference log-probs and rewards (some missing), and, from an independent PyTorch implementation of
TRL's GRPO and RLOO formulas (autograd, float64), the advantages, the loss, its gradient with respect to
the logits, and the metrics. GroupObjectivesGoldenTests.swift compares against it.

The formulas are TRL's GRPOTrainer / RLOOTrainer (advantages in _generate_and_score_completions, loss in
_compute_loss, token-level importance sampling, sum_then_normalize), written here from their definitions
with torch's nan-aware reductions, not shared with the Swift code. Run with `make golden`.
"""
import json
import math
import os

import torch

VERSION = 1
torch.manual_seed(20261207)
torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "objectives", "group_golden.json")


def L(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def nanstd(x, dim=None):
    # TRL's nanstd: Bessel-corrected over the non-NaN values.
    mean = torch.nanmean(x, dim=dim, keepdim=True)
    var = torch.nanmean((x - mean) ** 2, dim=dim, keepdim=True)
    count = (~torch.isnan(x)).sum(dim=dim, keepdim=True)
    var = var * count / (count - 1)
    out = var.sqrt()
    return out.squeeze(dim) if dim is not None else out.reshape(())


def rollout(lengths, width, vocab, old_noise, ref_noise):
    b = len(lengths)
    mask = (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]).double()
    # float32-representable logits, as the Swift model produces Float.
    logits = (torch.randn(b, width, vocab) * 1.5).float().double().requires_grad_()
    tokens = torch.randint(0, vocab, (b, width))
    logp = logits.log_softmax(-1).gather(2, tokens[:, :, None])[:, :, 0]
    old = (logp.detach() + torch.randn(b, width) * old_noise) * mask
    ref = (logp.detach() + torch.randn(b, width) * ref_noise) * mask
    return mask, logits, tokens, logp, old, ref


def rewards_tensor(rewards):
    return torch.tensor([math.nan if r is None else r for r in rewards])


def common(name, lengths, width, vocab, G, rewards, mask, logits, tokens, old, ref):
    return {"name": name, "lengths": lengths, "width": width, "vocab": vocab, "group_size": G,
            "rewards": rewards, "logits": L(logits),
            "targets": [int(t) if m else -1 for t, m in zip(tokens.reshape(-1).tolist(), mask.reshape(-1).tolist())],
            "old_logprobs": L(old), "ref_logprobs": L(ref)}


def grpo_case(name, lengths, width, vocab, G, rewards, scale_rewards, loss_type, beta, epsilon=0.2, epsilon_high=None,
              max_completion_length=None, token_normalizer=None):
    mask, logits, tokens, logp, old, ref = rollout(lengths, width, vocab, 0.35, 0.3)
    r = rewards_tensor(rewards)
    grouped = r.view(-1, G)
    mean = torch.nanmean(grouped, dim=1).repeat_interleave(G)
    if scale_rewards in ("group", "none"):
        std = nanstd(grouped, dim=1).repeat_interleave(G)
    else:
        std = nanstd(r).expand_as(r)
    adv = r - mean
    if scale_rewards != "none":
        adv = adv / (std + 1e-4)
    zero_std = torch.isclose(std, torch.zeros_like(std)).double().mean()
    adv = torch.nan_to_num(adv, nan=0.0)

    eps_low, eps_high = epsilon, epsilon_high if epsilon_high is not None else epsilon
    coef_1 = (logp - old).exp()
    coef_2 = coef_1.clamp(1 - eps_low, 1 + eps_high)
    A = adv[:, None]
    per_token = -torch.min(coef_1 * A, coef_2 * A)
    if beta != 0:
        kl = (ref - logp).exp() - (ref - logp) - 1
        per_token = per_token + beta * kl
    if loss_type == "grpo":
        loss = ((per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1)).mean()
    elif loss_type == "bnpo":
        loss = (per_token * mask).sum() / mask.sum().clamp(min=1)
    elif loss_type == "dr_grpo":
        loss = (per_token * mask).sum() / (per_token.size(0) * max_completion_length)
    else:  # dapo
        n = token_normalizer if token_normalizer is not None else mask.sum()
        loss = (per_token * mask).sum() / max(float(n), 1.0)
    loss.backward()

    low = ((coef_1 < 1 - eps_low) & (A < 0)).double()
    high = ((coef_1 > 1 + eps_high) & (A > 0)).double()
    mmean = lambda x: ((x * mask).sum() / mask.sum()).item()
    row_mean = lambda x: (x * mask).sum(-1) / mask.sum(-1)
    metrics = {"loss": loss.item(), "clip_ratio/low_mean": mmean(low), "clip_ratio/high_mean": mmean(high),
               "clip_ratio/region_mean": mmean(((low + high) > 0).double()),
               "clip_ratio/low_min": row_mean(low).min().item(), "clip_ratio/high_max": row_mean(high).max().item()}
    if beta != 0:
        metrics["kl"] = mmean(kl.detach())
    scored = r[~torch.isnan(r)]
    out = common(name, lengths, width, vocab, G, rewards, mask, logits, tokens, old, ref)
    out.update({"scale_rewards": scale_rewards, "loss_type": loss_type, "beta": beta, "epsilon": epsilon,
                "epsilon_high": epsilon_high, "max_completion_length": max_completion_length or 256,
                "token_normalizer": token_normalizer,
                "advantages": L(adv), "loss": loss.item(), "d_logits": L(logits.grad), "metrics": metrics,
                "advantage_metrics": {"reward": scored.mean().item(), "reward_std": nanstd(r).item(),
                                      "frac_reward_zero_std": zero_std.item()}})
    return out


def rloo_case(name, lengths, width, vocab, G, rewards, beta, normalize, epsilon=0.2, epsilon_high=None):
    mask, logits, tokens, logp, old, ref = rollout(lengths, width, vocab, 0.12, 0.2)
    r = rewards_tensor(rewards)
    kl_tok = (old - ref) * mask          # k1 on the sampling policy's log-probs
    kl = kl_tok.sum(-1)
    r = r - beta * kl
    grouped = r.view(-1, G)
    counts = (~torch.isnan(grouped)).sum(dim=1, keepdim=True)
    sums = torch.nansum(grouped, dim=1, keepdim=True)
    adv = r - ((sums - grouped) / (counts - 1)).view(-1)
    if normalize:
        adv = (adv - torch.nanmean(adv)) / (nanstd(adv) + 1e-4)
    adv = torch.nan_to_num(adv, nan=0.0)

    eps_low, eps_high = epsilon, epsilon_high if epsilon_high is not None else epsilon
    logps = (logp * mask).sum(1)
    old_logps = (old * mask).sum(1)
    coef_1 = (logps - old_logps).exp()
    coef_2 = coef_1.clamp(1 - eps_low, 1 + eps_high)
    loss = (-torch.min(coef_1 * adv, coef_2 * adv)).mean()
    loss.backward()
    low = ((coef_1 < 1 - eps_low) & (adv < 0)).double()
    high = ((coef_1 > 1 + eps_high) & (adv > 0)).double()
    metrics = {"loss": loss.item(), "clip_ratio/low_mean": low.mean().item(), "clip_ratio/high_mean": high.mean().item(),
               "clip_ratio/region_mean": ((low + high) > 0).double().mean().item(),
               "clip_ratio/low_min": low.min().item(), "clip_ratio/high_max": high.max().item()}
    out = common(name, lengths, width, vocab, G, rewards, mask, logits, tokens, old, ref)
    out.update({"beta": beta, "normalize": normalize, "epsilon": epsilon, "epsilon_high": epsilon_high,
                "kl": L(kl), "penalised_rewards": [None if math.isnan(x) else x for x in r.tolist()],
                "advantages": L(adv), "loss": loss.item(), "d_logits": L(logits.grad), "metrics": metrics})
    return out


def main():
    L8 = [5, 3, 6, 1, 4, 6, 2, 5]
    R8 = [1.0, 0.0, 0.5, 2.0, -1.0, 0.25, 3.0, 0.0]
    Rmiss = [1.0, None, 0.5, 2.0, None, None, None, 0.0]   # group 1 has one scorable sample
    Rtie = [1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 0.5, 0.5]        # group 0 teaches nothing
    golden = {
        "version": VERSION,
        "grpo": [
            grpo_case("dapo_group_default", L8, 6, 7, 4, R8, "group", "dapo", 0.0),
            grpo_case("grpo_group_kl_clip_higher", L8, 6, 7, 4, R8, "group", "grpo", 0.04, epsilon_high=0.28),
            grpo_case("bnpo_batch_kl", L8, 6, 7, 2, R8, "batch", "bnpo", 0.1),
            grpo_case("dr_grpo_unscaled", L8, 6, 7, 4, R8, "none", "dr_grpo", 0.0, max_completion_length=8),
            grpo_case("dr_grpo_kl_missing_rewards", L8, 6, 7, 4, Rmiss, "none", "dr_grpo", 0.05, max_completion_length=6),
            grpo_case("dapo_generation_normalizer_ties", L8, 6, 7, 4, Rtie, "group", "dapo", 0.0, token_normalizer=50.0),
            grpo_case("grpo_missing_rewards_group", L8, 6, 7, 4, Rmiss, "group", "grpo", 0.0, epsilon=0.1),
        ],
        "rloo": [
            rloo_case("kl_in_reward", L8, 6, 7, 4, R8, 0.05, False),
            rloo_case("normalized_clip_higher", L8, 6, 7, 2, R8, 0.1, True, epsilon_high=0.3),
            rloo_case("missing_rewards", L8, 6, 7, 4, Rmiss, 0.05, False),
            rloo_case("no_kl_tight_clip", L8, 6, 7, 4, R8, 0.0, False, epsilon=0.05),
        ],
    }
    clipped = [(c["name"], c["metrics"]["clip_ratio/low_mean"], c["metrics"]["clip_ratio/high_mean"])
               for c in golden["grpo"] + golden["rloo"]]
    assert any(lo > 0 for _, lo, _ in clipped) and any(hi > 0 for _, _, hi in clipped), clipped
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    for n, lo, hi in clipped:
        print(f"  {n}: clip low {lo:.3f} high {hi:.3f}")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
