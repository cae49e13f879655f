"""Writes Tests/HiloTests/Fixtures/evaluation/golden.json: reference values for Hilo's evaluation
statistics (Sources/Hilo/Evaluation), computed independently with scipy and numpy.

- Wilson intervals by the closed formula with scipy.stats.norm.ppf;
- sign test p-values by scipy.stats.binomtest (two-sided, p = 1/2);
- normal and Student-t quantiles, t CDF and mean t-intervals by scipy.stats;
- Bradley-Terry log-strengths by scipy.optimize.minimize (trust-exact, numpy gradient and Hessian) on the
  same penalized log-likelihood (ties half a win each, `prior` virtual half-won games against strength 0);
- bootstrap intervals by the same SplitMix64 + Lemire resampling as Swift, refitted with scipy,
  numpy.percentile (linear) of the Elo-like scores.

Run with the project's venv: .venv/bin/python Tests/HiloTests/Fixtures/make_eval_golden.py
"""
import json
import math
import os

import numpy as np
from scipy import optimize, stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "evaluation", "golden.json")
MASK = (1 << 64) - 1


class SplitMix64:
    """The generator of Sources/Support/SplitMix64.swift."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        """Lemire's multiply-shift with rejection, as Leaderboard.uniformIndex."""
        m = self.next() * n
        low = m & MASK
        if low < n:
            threshold = ((1 << 64) - n) % n
            while low < threshold:
                m = self.next() * n
                low = m & MASK
        return m >> 64


def wilson(successes, trials, confidence):
    if trials == 0:
        return 0.0, 1.0
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / trials
    center = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, center - half), min(1.0, center + half)


def win_matrix(versions, comparisons):
    index = {v: i for i, v in enumerate(versions)}
    w = np.zeros((len(versions), len(versions)))
    for a, b, winner in comparisons:
        i, j = index[a], index[b]
        if winner == "a":
            w[i, j] += 1
        elif winner == "b":
            w[j, i] += 1
        else:
            w[i, j] += 0.5
            w[j, i] += 0.5
    return w


def bt_fit(w, prior):
    """Maximizes sum_ij w_ij log s(b_i - b_j) + prior/2 sum_i [log s(b_i) + log s(-b_i)]."""
    k = w.shape[0]
    n = w + w.T

    def negative(beta):
        d = beta[:, None] - beta[None, :]
        value = np.sum(w * -np.logaddexp(0, -d)) + prior / 2 * np.sum(-np.logaddexp(0, -beta) - np.logaddexp(0, beta))
        return -value

    def gradient(beta):
        d = beta[:, None] - beta[None, :]
        p = 1 / (1 + np.exp(-d))
        g = np.sum(w - n * p, axis=1) + prior / 2 - prior / (1 + np.exp(-beta))
        return -g

    def hessian(beta):
        d = beta[:, None] - beta[None, :]
        p = 1 / (1 + np.exp(-d))
        m = n * p * (1 - p)
        s = 1 / (1 + np.exp(-beta))
        h = -m
        np.fill_diagonal(h, m.sum(axis=1) - np.diag(m) + prior * s * (1 - s))
        return h

    result = optimize.minimize(negative, np.zeros(k), jac=gradient, hess=hessian, method="trust-exact",
                               options={"gtol": 1e-12, "maxiter": 1000})
    # Polish: trust-exact can stop near 1e-9 ("bad approximation"); a root solve of the gradient finishes.
    polished = optimize.root(gradient, result.x, jac=hessian, method="hybr", tol=1e-14)
    x = polished.x if np.max(np.abs(gradient(polished.x))) <= np.max(np.abs(gradient(result.x))) else result.x
    assert np.max(np.abs(gradient(x))) < 1e-8, (result, polished)
    return x


def elo(beta, anchor_index, scale=400.0):
    zero = beta[anchor_index] if anchor_index is not None else beta.mean()
    return scale * (beta - zero) / math.log(10)


def random_comparisons(rng, strengths, count, tie_rate, pairs=None):
    versions = sorted(strengths)
    out = []
    for _ in range(count):
        if pairs:
            a, b = pairs[rng.integers(len(pairs))]
        else:
            a, b = rng.choice(versions, size=2, replace=False)
        a, b = int(a), int(b)
        if rng.random() < tie_rate:
            out.append([a, b, "tie"])
        else:
            p = 1 / (1 + math.exp(-(strengths[a] - strengths[b])))
            out.append([a, b, "a" if rng.random() < p else "b"])
    return out


def bradley_terry_cases():
    rng = np.random.default_rng(7)
    cases = []
    cases.append(("four versions with ties", random_comparisons(rng, {1: 0.0, 2: 0.4, 3: 0.9, 4: -0.3}, 120, 0.15), 1.0, 3))
    cases.append(("one version wins every game", [[1, 2, "b"]] * 6 + [[3, 2, "a"]] * 4 + [[1, 3, "a"], [3, 1, "tie"], [1, 3, "b"]], 1.0, 1))
    cases.append(("two disconnected components",
                  random_comparisons(rng, {1: 0.0, 2: 1.0, 3: 0.0, 4: -1.0}, 60, 0.1, pairs=[(1, 2), (3, 4)]), 1.0, None))
    cases.append(("strong prior, single pair", [[10, 20, "a"]] * 3 + [[10, 20, "b"]], 4.0, 10))
    cases.append(("six versions, weak prior", random_comparisons(rng, {v: 0.3 * v for v in range(1, 7)}, 300, 0.2), 0.25, 1))
    out = []
    for name, comparisons, prior, anchor in cases:
        versions = sorted({v for c in comparisons for v in c[:2]})
        beta = bt_fit(win_matrix(versions, comparisons), prior)
        anchor_index = versions.index(anchor) if anchor is not None else None
        out.append({"name": name, "comparisons": comparisons, "priorGames": prior, "versions": versions,
                    "beta": beta.tolist(), "anchor": anchor,
                    "scores": elo(beta, anchor_index).tolist()})
    return out


def bootstrap_cases(bt_cases):
    out = []
    for case_index, seed, resamples, confidence in [(0, 42, 200, 0.95), (1, 7, 100, 0.9), (2, 2026, 100, 0.95)]:
        case = bt_cases[case_index]
        versions, comparisons, prior = case["versions"], case["comparisons"], case["priorGames"]
        anchor_index = versions.index(case["anchor"]) if case["anchor"] is not None else None
        rng = SplitMix64(seed)
        samples = []
        for _ in range(resamples):
            drawn = [comparisons[rng.below(len(comparisons))] for _ in range(len(comparisons))]
            samples.append(elo(bt_fit(win_matrix(versions, drawn), prior), anchor_index))
        samples = np.array(samples)
        tail = (1 - confidence) / 2 * 100
        out.append({"case": case_index, "seed": seed, "resamples": resamples, "confidence": confidence,
                    "lower": np.percentile(samples, tail, axis=0).tolist(),
                    "upper": np.percentile(samples, 100 - tail, axis=0).tolist()})
    return out


def main():
    golden = {}
    golden["normalQuantile"] = [[p, float(stats.norm.ppf(p))] for p in
                                [1e-300, 1e-20, 1e-5, 0.01, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.995, 1 - 1e-12]]
    golden["wilson"] = [[s, n, c, *wilson(s, n, c)] for s, n, c in
                        [(7, 10, 0.95), (3, 10, 0.95), (0, 10, 0.95), (10, 10, 0.95), (0, 1, 0.95), (1, 1, 0.95),
                         (7.5, 12, 0.95), (55, 100, 0.95), (60, 100, 0.9), (600, 1000, 0.99), (0, 0, 0.95)]]
    golden["signTest"] = [[w, l, 1.0 if w + l == 0 else float(stats.binomtest(w, w + l, 0.5).pvalue)] for w, l in
                          [(7, 3), (3, 7), (0, 0), (5, 5), (1, 0), (10, 0), (0, 12), (15, 5), (60, 40), (520, 480),
                           (900, 1100), (2, 1), (1500, 1650), (2600, 2400)]]
    golden["studentT"] = [[p, df, float(stats.t.ppf(p, df)), float(stats.t.cdf(x, df)), x] for p, df, x in
                          [(0.975, 1, 0.5), (0.975, 2, -1.3), (0.975, 9, 2.0), (0.95, 29, -0.2), (0.995, 4, 7.5),
                           (0.6, 100, 0.01), (0.025, 15, -2.1), (0.999, 3, 40.0)]]
    rng = np.random.default_rng(11)
    means = []
    for values, confidence in [(rng.normal(0.3, 1.2, 25), 0.95), (rng.normal(-2, 0.5, 3), 0.9), (rng.normal(5, 3, 200), 0.99),
                               (np.array([1.0, 2.0]), 0.95)]:
        low, high = stats.t.interval(confidence, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
        means.append({"values": values.tolist(), "confidence": confidence, "mean": float(values.mean()),
                      "lower": float(low), "upper": float(high), "sd": float(values.std(ddof=1))})
    golden["meanInterval"] = means
    policy = -rng.uniform(5, 40, 30)
    reference = policy - rng.normal(0.4, 0.8, 30)
    logr = reference - policy
    golden["kl"] = {"policy": policy.tolist(), "reference": reference.tolist(),
                    "k1": float(np.mean(policy - reference)), "k3": float(np.mean(np.expm1(logr) - logr))}
    golden["bradleyTerry"] = bradley_terry_cases()
    golden["bootstrap"] = bootstrap_cases(golden["bradleyTerry"])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
