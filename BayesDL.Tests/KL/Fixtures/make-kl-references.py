#!/usr/bin/env python3
"""High-precision references for BayesDL's closed-form KL divergences (BayesDL.Tests/KL/KLReferenceTests.fs).

Writes kl-references.csv next to this script: one row per case, columns
    pair, p, q, kl
where p and q are the distributions' float64 parameters (space-separated, repr: they round-trip exactly) in the layout
documented per pair below, and kl is KL(p || q) evaluated from the textbook formula in mpmath with 80 significant
digits on exactly those float64 values (the formulas cancel up to ~35 digits at the extremes, so 80 leave >= 40), then
rounded to float64. The F# tests need no Python; rerun this script only to change the cases:

    python3 make-kl-references.py      (mpmath >= 1.0; Debian: apt-get install python3-mpmath)

Cases: extreme but valid parameters (concentrations log-uniform in [1e-3, 1e6], scales and rates in [1e-6, 1e6],
locations in [-1e3, 1e3]) and nearly equal pairs (q's parameters p's times 1 + eps, eps in +-{1e-8, 1e-6, 1e-4},
each parameter or all of them), from a fixed seed; then (extra_rows, a second seed) nearly equal Bernoulli and
Categorical pairs from probabilities and from logits (pairs BernoulliLogits-..., CategoricalLogits-...: parameters are
logits) and Beta-Gamma; then (mixed_rows, a third seed) pairs where one side is given by probabilities and the other by
logits (Bernoulli-BernoulliLogits, CategoricalLogits-Categorical, ...), random and nearly equal.
"""
import csv
import math
import os
import random

import mpmath as mp

mp.mp.dps = 80
rng = random.Random(20261203)


def logu(lo, hi):
    return float(mp.e ** mp.mpf(rng.uniform(float(mp.log(lo)), float(mp.log(hi)))))


def unif(lo, hi):
    return rng.uniform(lo, hi)


def perturb(params, positive_idx, all_params):
    """q = p with one (or every) parameter times 1 + eps; the result differs from p as a float64."""
    eps = rng.choice([1e-8, 1e-6, 1e-4]) * rng.choice([-1.0, 1.0])
    q = list(params)
    idx = range(len(params)) if all_params else [rng.choice(positive_idx)]
    for i in idx:
        v = params[i] * (1.0 + eps) if params[i] != 0 else eps
        q[i] = v if v != params[i] else params[i] + abs(params[i]) * 1e-15
    return q


M = mp.mpf


def kl_normal(p, q):
    m1, s1, m2, s2 = M(p[0]), M(p[1]), M(q[0]), M(q[1])
    return mp.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - M(1) / 2


def kl_laplace(p, q):
    m1, b1, m2, b2 = M(p[0]), M(p[1]), M(q[0]), M(q[1])
    d = abs(m1 - m2)
    return mp.log(b2 / b1) + d / b2 + (b1 / b2) * mp.exp(-d / b1) - 1


def kl_exponential(p, q):
    a, b = M(p[0]), M(q[0])
    return mp.log(a / b) + b / a - 1


def kl_halfnormal(p, q):
    return kl_normal([0.0, p[0]], [0.0, q[0]])


def kl_gamma(p, q):
    a1, b1, a2, b2 = M(p[0]), M(p[1]), M(q[0]), M(q[1])
    return (a2 * mp.log(b1 / b2) + mp.loggamma(a2) - mp.loggamma(a1) + (a1 - a2) * mp.digamma(a1)
            + (b2 - b1) * a1 / b1)


def lbeta(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def kl_beta(p, q):
    a1, b1, a2, b2 = M(p[0]), M(p[1]), M(q[0]), M(q[1])
    return (lbeta(a2, b2) - lbeta(a1, b1) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1)
            + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def kl_dirichlet(p, q):
    a = [M(v) for v in p]
    b = [M(v) for v in q]
    a0, b0 = sum(a), sum(b)
    return (mp.loggamma(a0) - mp.loggamma(b0) - sum(mp.loggamma(v) for v in a) + sum(mp.loggamma(v) for v in b)
            + sum((x - y) * (mp.digamma(x) - mp.digamma(a0)) for x, y in zip(a, b)))


def kl_uniform(p, q):
    # p = (low, high), q = (low, high), q containing p.
    return mp.log((M(q[1]) - M(q[0])) / (M(p[1]) - M(p[0])))


def kl_bernoulli(p, q):
    a, b = M(p[0]), M(q[0])
    return a * mp.log(a / b) + (1 - a) * mp.log((1 - a) / (1 - b))


def kl_categorical(p, q):
    # Unnormalised probabilities, normalised exactly here (Categorical normalises them in float64: a relative change
    # of ~1e-16 per probability, far below the tolerance).
    a = [M(v) for v in p]
    b = [M(v) for v in q]
    sa, sb = sum(a), sum(b)
    return sum((x / sa) * mp.log((x / sa) / (y / sb)) for x, y in zip(a, b))


def kl_mvn(p, q, k=3):
    # p = loc (k) ++ scale_tril (k x k, row-major, lower triangular)
    def unpack(v):
        loc = mp.matrix([M(x) for x in v[:k]])
        l = mp.matrix(k, k)
        for i in range(k):
            for j in range(k):
                l[i, j] = M(v[k + i * k + j])
        return loc, l
    mu1, l1 = unpack(p)
    mu2, l2 = unpack(q)
    s1, s2 = l1 * l1.T, l2 * l2.T
    s2inv = mp.inverse(s2)
    diff = mu2 - mu1
    trace = sum((s2inv * s1)[i, i] for i in range(k))
    maha = (diff.T * s2inv * diff)[0, 0]
    logdet = 2 * sum(mp.log(l2[i, i]) - mp.log(l1[i, i]) for i in range(k))
    return (trace + maha - k + logdet) / 2


def tril(k, lo_diag, hi_diag):
    v = []
    for i in range(k):
        for j in range(k):
            v.append(logu(lo_diag, hi_diag) if i == j else (unif(-1.0, 1.0) if j < i else 0.0))
    return v


CONC, SCALE, LOC = (1e-3, 1e6), (1e-6, 1e6), (-1e3, 1e3)

# pair: (KL, generator of p's parameters, indices that may be perturbed, generator of q from p for random cases)
PAIRS = {
    "Normal-Normal": (kl_normal, lambda: [unif(*LOC), logu(*SCALE)], [0, 1]),
    "Laplace-Laplace": (kl_laplace, lambda: [unif(*LOC), logu(*SCALE)], [0, 1]),
    "Exponential-Exponential": (kl_exponential, lambda: [logu(*SCALE)], [0]),
    "HalfNormal-HalfNormal": (kl_halfnormal, lambda: [logu(*SCALE)], [0]),
    "Gamma-Gamma": (kl_gamma, lambda: [logu(*CONC), logu(*SCALE)], [0, 1]),
    "Beta-Beta": (kl_beta, lambda: [logu(*CONC), logu(*CONC)], [0, 1]),
    "Dirichlet-Dirichlet": (kl_dirichlet, lambda: [logu(*CONC), logu(*CONC), logu(*CONC)], [0, 1, 2]),
    "Bernoulli-Bernoulli": (kl_bernoulli, lambda: [logu(1e-6, 0.5) if rng.random() < 0.5 else 1 - logu(1e-6, 0.5)], []),
    "Categorical-Categorical": (kl_categorical, lambda: [logu(1e-6, 1.0) for _ in range(4)], []),
    "MultivariateNormal-MultivariateNormal": (kl_mvn, lambda: [unif(-10, 10) for _ in range(3)] + tril(3, 0.1, 10.0),
                                              [0, 1, 2, 3, 6, 7, 9, 10, 11]),
}


def uniform_case(near):
    low, width = unif(*LOC), logu(*SCALE)
    p = [low, low + width]
    if near:
        e1, e2 = width * rng.choice([1e-8, 1e-6, 0.0]), width * rng.choice([1e-8, 1e-6, 1e-4])
    else:
        e1, e2 = logu(1e-6, 1e6), logu(1e-6, 1e6)
    return p, [p[0] - e1, p[1] + e2]


# Cross-family pairs (BayesDL.Core/KL/CrossFamilyKL.cs): p's and q's parameters in their own families' layouts
# (Normal, Laplace: loc scale; Gamma: concentration rate; Beta: alpha beta; Exponential: rate; Uniform: low high).
# Each is -H[p] - E_p[log q] with the textbook entropies below. Beta-Gamma's rows are in extra_rows (appended last).


def h_gamma(a, b):
    return a - mp.log(b) + mp.loggamma(a) + (1 - a) * mp.digamma(a)


def h_beta(a, b):
    return lbeta(a, b) - (a - 1) * mp.digamma(a) - (b - 1) * mp.digamma(b) + (a + b - 2) * mp.digamma(a + b)


def moments(family, p):
    """(H[p], E_p x, Var_p) in mpmath."""
    v = [M(x) for x in p]
    if family == "Gamma":
        a, b = v
        return h_gamma(a, b), a / b, a / b ** 2
    if family == "Beta":
        a, b = v
        n = a + b
        return h_beta(a, b), a / n, a * b / (n ** 2 * (n + 1))
    if family == "Exponential":
        (r,) = v
        return 1 - mp.log(r), 1 / r, 1 / r ** 2
    if family == "Uniform":
        lo, hi = v
        return mp.log(hi - lo), (lo + hi) / 2, (hi - lo) ** 2 / 12
    if family == "Laplace":
        loc, b = v
        return 1 + mp.log(2 * b), loc, 2 * b ** 2
    raise ValueError(family)


def expected_log(family, p):
    v = [M(x) for x in p]
    if family == "Beta":
        return mp.digamma(v[0]) - mp.digamma(v[0] + v[1])
    if family == "Exponential":
        return -mp.euler - mp.log(v[0])
    if family == "Uniform":
        return uniform_expected_log(v[0], v[1])
    raise ValueError(family)


def xlogx(x):
    return x * mp.log(x) if x > 0 else M(0)


def uniform_expected_log(lo, hi):
    return (xlogx(hi) - xlogx(lo)) / (hi - lo) - 1


def kl_cross(family_p, family_q):
    def kl(p, q):
        h, mean, var = moments(family_p, p)
        w = [M(x) for x in q]
        if family_q == "Normal":
            m, s = w
            return -h + mp.log(2 * mp.pi * s ** 2) / 2 + (var + (mean - m) ** 2) / (2 * s ** 2)
        if family_q == "Exponential":
            return -h - mp.log(w[0]) + w[0] * mean
        if family_q == "Gamma":
            a, b = w
            return -h - a * mp.log(b) + mp.loggamma(a) - (a - 1) * expected_log(family_p, p) + b * mean
        if family_q == "Uniform":
            return -h + mp.log(w[1] - w[0])
        if family_q == "Beta":
            lo, hi = M(p[0]), M(p[1])
            a, b = w
            return (-h - (a - 1) * uniform_expected_log(lo, hi) - (b - 1) * uniform_expected_log(1 - hi, 1 - lo)
                    + lbeta(a, b))
        raise ValueError(family_q)
    return kl


def kl_normal_laplace(p, q):
    m, s, mu, b = M(p[0]), M(p[1]), M(q[0]), M(q[1])
    d = m - mu
    mean_abs = s * mp.sqrt(2 / mp.pi) * mp.exp(-d ** 2 / (2 * s ** 2)) + d * mp.erf(d / (s * mp.sqrt(2)))
    return -mp.log(2 * mp.pi * mp.e * s ** 2) / 2 + mp.log(2 * b) + mean_abs / b


def near():
    return rng.choice([0.0, 1e-8, 1e-6, 1e-4]) * rng.choice([-1.0, 1.0])


def near_nonzero():
    return rng.choice([1e-8, 1e-6, 1e-4]) * rng.choice([-1.0, 1.0])


def moments64(family, p):
    """E_p x and Var_p in float64 (to build nearly matching q's)."""
    _, mean, var = moments(family, p)
    return float(mean), float(var)


def big_conc():
    return logu(1e2, 1e6) if rng.random() < 0.75 else logu(*CONC)


# pair: (generator of p, generator of q (random), generator of a q nearly matching p, or None)
def _normal_near(fam):
    def q(p):
        mean, var = moments64(fam, p)
        return [mean * (1 + near()) if mean != 0 else near(), math.sqrt(var) * (1 + near())]
    return q


def _exp_near(fam):
    def q(p):
        mean, _ = moments64(fam, p)
        return [(1 / mean) * (1 + near())]
    return q


def _gamma_near(fam):
    def q(p):
        mean, var = moments64(fam, p)
        return [mean * mean / var * (1 + near()), mean / var * (1 + near())]
    return q


def _unit_uniform(p):
    lo, hi = -logu(1e-6, 1.0) if rng.random() < 0.5 else 0.0, 1.0 + (logu(1e-6, 1.0) if rng.random() < 0.5 else 0.0)
    return [lo, hi]


def _inside_unit():
    lo = rng.uniform(0.0, 0.9) if rng.random() < 0.7 else 0.0
    hi = lo + (1 - lo) * rng.uniform(0.05, 1.0)
    return [lo, min(hi, 1.0)]


def _conc_pair():
    return [big_conc(), big_conc()]


def _near_one_beta(p):
    return [1 + near_nonzero(), 1 + near()]


CROSS = {
    "Gamma-Normal": (lambda: [big_conc(), logu(*SCALE)], lambda: [unif(*LOC), logu(*SCALE)], _normal_near("Gamma")),
    "Beta-Normal": (_conc_pair, lambda: [unif(-1.0, 2.0), logu(1e-6, 10.0)], _normal_near("Beta")),
    "Exponential-Normal": (lambda: [logu(*SCALE)], lambda: [unif(*LOC), logu(*SCALE)], _normal_near("Exponential")),
    "Laplace-Normal": (lambda: [unif(*LOC), logu(*SCALE)], lambda: [unif(*LOC), logu(*SCALE)], _normal_near("Laplace")),
    "Uniform-Normal": (lambda: (lambda lo: [lo, lo + logu(*SCALE)])(unif(*LOC)), lambda: [unif(*LOC), logu(*SCALE)],
                       _normal_near("Uniform")),
    "Normal-Laplace": (lambda: [unif(*LOC), logu(*SCALE)], lambda: [unif(*LOC), logu(*SCALE)],
                       lambda p: [p[0] * (1 + near()), p[1] * math.sqrt(2 / math.pi) * (1 + near())]),
    "Gamma-Exponential": (lambda: [big_conc(), logu(*SCALE)], lambda: [logu(*SCALE)], _exp_near("Gamma")),
    "Beta-Exponential": (_conc_pair, lambda: [logu(1e-3, 1e3)], _exp_near("Beta")),
    "Uniform-Exponential": (lambda: (lambda lo: [lo, lo + logu(*SCALE)])(logu(*SCALE)), lambda: [logu(*SCALE)],
                            _exp_near("Uniform")),
    "Exponential-Gamma": (lambda: [logu(*SCALE)], lambda: [big_conc(), logu(*SCALE)],
                          lambda p: [1 + near_nonzero(), p[0] * (1 + near())]),
    "Beta-Uniform": (_conc_pair, _unit_uniform, None),
    "Uniform-Beta": (_inside_unit, lambda: [big_conc(), big_conc()], None),
    # Relative widths (h - l)/(h + l) >= 2e-3, so the moment-matched Gamma's concentration 3 (h + l)^2 / (h - l)^2 stays
    # within the 1e6 of the range (at 3e14 the rounding of b (l + h)/2 alone costs ~3e-9 relative).
    "Uniform-Gamma": (lambda: (lambda lo: [lo, lo * (1 + logu(4e-3, 1e3))])(logu(*SCALE)),
                      lambda: [big_conc(), logu(*SCALE)], _gamma_near("Uniform")),
}


def cross_rows():
    rows = []
    for name, (gen_p, gen_q, near_q) in CROSS.items():
        kl = kl_normal_laplace if name == "Normal-Laplace" else kl_cross(*name.split("-"))
        for _ in range(24):
            p = gen_p()
            rows.append((name, p, gen_q(p) if name == "Beta-Uniform" else gen_q()))
        for _ in range(16):
            if name == "Beta-Uniform":
                p, q = _near_one_beta(None), [0.0, 1.0 + abs(near())]
            elif name == "Uniform-Beta":
                p, q = [0.0, 1.0 - abs(near())], _near_one_beta(None)
            else:
                p = gen_p()
                q = near_q(p)
            rows.append((name, p, q))
        rows[-40:] = [(n, p, q, kl(p, q)) for n, p, q in rows[-40:]]
    return rows


def sigmoid(z):
    return 1 / (1 + mp.exp(-M(z)))


def kl_bernoulli_logits(p, q):
    a, b = sigmoid(p[0]), sigmoid(q[0])
    return a * mp.log(a / b) + (1 - a) * mp.log((1 - a) / (1 - b))


def kl_categorical_logits(p, q):
    za, zb = [M(v) for v in p], [M(v) for v in q]
    la = mp.log(sum(mp.exp(v) for v in za))
    lb = mp.log(sum(mp.exp(v) for v in zb))
    return sum(mp.exp(x - la) * ((x - la) - (y - lb)) for x, y in zip(za, zb))


def near_factor(magnitude):
    """1 + e with e uniform in +-magnitude, at least magnitude/10 away from 0."""
    return 1.0 + magnitude * rng.uniform(0.1, 1.0) * rng.choice([-1.0, 1.0])


def beta_for_gamma():
    """Beta parameters: large concentrations, or a << b (where Beta(a, b) is nearly Gamma(a, a + b))."""
    if rng.random() < 0.4:
        return [logu(1e-3, 1.0), logu(1e3, 1e6)]
    return [big_conc(), big_conc()]


def extra_rows():
    """Rows added after the first fixture (their own seed, so the rows above are unchanged): nearly equal discrete pairs
    (probabilities and logits 1e-8..1e-4 relative apart) and Beta-Gamma (random and nearly moment-matched q)."""
    global rng
    rng = random.Random(20261204)
    rows = []
    for _ in range(24):
        # Bernoulli from probabilities: p or 1 - p perturbed relatively (the smaller side keeps the digits).
        p = logu(1e-6, 0.5) if rng.random() < 0.5 else 1 - logu(1e-6, 0.5)
        f = near_factor(rng.choice([1e-8, 1e-6, 1e-4]))
        q = p * f if p < 0.5 else 1 - (1 - p) * f
        rows.append(("Bernoulli-Bernoulli", [p], [q], kl_bernoulli([p], [q])))
    for i in range(40):
        z = unif(-14.0, 14.0)
        w = unif(-14.0, 14.0) if i < 12 else z * near_factor(rng.choice([1e-8, 1e-6, 1e-4]))
        rows.append(("BernoulliLogits-BernoulliLogits", [z], [w], kl_bernoulli_logits([z], [w])))
    for _ in range(24):
        a = [logu(1e-6, 1.0) for _ in range(4)]
        magnitude = rng.choice([1e-8, 1e-6, 1e-4])
        b = [v * near_factor(magnitude) for v in a]
        rows.append(("Categorical-Categorical", a, b, kl_categorical(a, b)))
    for i in range(40):
        z = [unif(-10.0, 10.0) for _ in range(4)]
        if i < 12:
            w = [unif(-10.0, 10.0) for _ in range(4)]
        else:
            magnitude = rng.choice([1e-8, 1e-6, 1e-4])
            w = [v * near_factor(magnitude) for v in z]
        rows.append(("CategoricalLogits-CategoricalLogits", z, w, kl_categorical_logits(z, w)))
    kl = kl_cross("Beta", "Gamma")
    near_q = _gamma_near("Beta")
    for i in range(40):
        p = beta_for_gamma()
        q = [big_conc(), logu(*SCALE)] if i < 20 else near_q(p)
        rows.append(("Beta-Gamma", p, q, kl(p, q)))
    return rows


def probabilities(family, params):
    """The exact probabilities a float64 parameter vector denotes: normalised weights, or the softmax of logits."""
    if family == "Bernoulli":
        return [M(params[0]), 1 - M(params[0])]
    if family == "BernoulliLogits":
        a = sigmoid(params[0])
        return [a, 1 - a]
    if family == "Categorical":
        a = [M(v) for v in params]
        return [v / sum(a) for v in a]
    z = [M(v) for v in params]
    lz = mp.log(sum(mp.exp(v) for v in z))
    return [mp.exp(v - lz) for v in z]


def kl_mixed(pf, qf):
    def kl(p, q):
        return sum(a * mp.log(a / b) for a, b in zip(probabilities(pf, p), probabilities(qf, q)) if a != 0)
    return kl


def mixed_rows():
    """Rows added after extra_rows (their own seed): one side from probabilities, the other from logits; the first 8 of
    each pair random, the rest nearly equal (the logit side's parameters the probability side's log-odds or
    log-weights moved by 1e-8..1e-4, or the probabilities the logits' softmax scaled by 1 + e)."""
    global rng
    rng = random.Random(20261205)
    rows = []

    def logit(p):
        return float(mp.log(M(p) / (1 - M(p))))

    def sigmoid_f(z):
        return float(sigmoid(z))

    for pf, qf in [("Bernoulli", "BernoulliLogits"), ("BernoulliLogits", "Bernoulli")]:
        for i in range(32):
            prob = logu(1e-6, 0.5) if rng.random() < 0.5 else 1 - logu(1e-6, 0.5)
            if i < 8:
                other = unif(-14.0, 14.0)
                z, p = (other, prob)
            else:
                z = logit(prob) + rng.choice([1e-8, 1e-6, 1e-4]) * rng.uniform(0.1, 1.0) * rng.choice([-1.0, 1.0])
                p = prob
            if pf == "Bernoulli":
                rows.append((f"{pf}-{qf}", [p], [z], kl_mixed(pf, qf)([p], [z])))
            else:
                rows.append((f"{pf}-{qf}", [z], [p], kl_mixed(pf, qf)([z], [p])))
    for pf, qf in [("Categorical", "CategoricalLogits"), ("CategoricalLogits", "Categorical")]:
        for i in range(32):
            a = [logu(1e-6, 1.0) for _ in range(4)]
            if i < 8:
                z = [unif(-10.0, 10.0) for _ in range(4)]
            else:
                magnitude = rng.choice([1e-8, 1e-6, 1e-4])
                z = [float(mp.log(M(v))) + magnitude * rng.uniform(0.1, 1.0) * rng.choice([-1.0, 1.0]) for v in a]
            if pf == "Categorical":
                rows.append((f"{pf}-{qf}", a, z, kl_mixed(pf, qf)(a, z)))
            else:
                rows.append((f"{pf}-{qf}", z, a, kl_mixed(pf, qf)(z, a)))
    return rows


def main():
    rows = []
    for name, (kl, gen, movable) in PAIRS.items():
        for _ in range(24):
            p, q = gen(), gen()
            rows.append((name, p, q, kl(p, q)))
        for i in range(16 if movable else 0):
            p = gen()
            q = perturb(p, movable, all_params=(i % 2 == 1 and name != "MultivariateNormal-MultivariateNormal"))
            rows.append((name, p, q, kl(p, q)))
    for i in range(40):
        p, q = uniform_case(near=i >= 24)
        rows.append(("Uniform-Uniform", p, q, kl_uniform(p, q)))
    rows.extend(cross_rows())
    rows.extend(extra_rows())
    rows.extend(mixed_rows())
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kl-references.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["pair", "p", "q", "kl"])
        for name, p, q, value in rows:
            assert value > 0, (name, p, q, value)
            w.writerow([name, " ".join(repr(float(v)) for v in p), " ".join(repr(float(v)) for v in q),
                        repr(float(mp.nstr(value, 25)))])
    print(f"{len(rows)} cases written to {path}")


if __name__ == "__main__":
    main()
