#!/usr/bin/env python3
"""mpmath / SciPy / torch reference values for the incomplete gamma and beta functions, the implicit
reparameterization gradients, the cdfs and icdfs built on them, StudentT at huge df, and the count entropies.

Run: /usr/bin/python3 packages/distributions/scripts/make-special-fixtures.py  (writes test/fixtures/special.json)
Needs mpmath, scipy and torch (Debian: apt-get install python3-mpmath python3-scipy python3-torch). All references
are float64 or better and independent of the TypeScript algorithms: mpmath's hypergeometric gammainc/betainc (and
quadrature of the density for a > 1e3), mp.diff for derivatives, explicit mpmath sums for entropies.
"""
import json
import os

import mpmath as mp
import numpy as np
import scipy
import torch
from scipy import special, stats

mp.mp.dps = 40
out = {"generator": f"mpmath {mp.__version__}, scipy {scipy.__version__}, torch {torch.__version__}"}
f = float


def f32(v):
    """v rounded to float32 (inputs of inverse functions, which the float32 tests pass exactly)."""
    return float(np.float32(v))


def _pts(a, lo, hi):
    s = mp.sqrt(a)
    cand = [a - 1 - 8 * s, a - 1 - 2 * s, a - 1, a - 1 + 2 * s, a - 1 + 8 * s]
    return [lo] + [c for c in cand if lo < c < hi] + [hi]


def gamma_pq(a, x):
    """P(a, x), Q(a, x), dP/da: mpmath's gammainc for a <= 1e3, quadrature of the density for larger a."""
    a = mp.mpf(a); x = mp.mpf(x)
    if a <= 1000:
        P = mp.gammainc(a, 0, x, regularized=True)
        Q = mp.gammainc(a, x, mp.inf, regularized=True)
        dP = mp.diff(lambda t: mp.gammainc(t, 0, x, regularized=True), a)
        return P, Q, dP
    lg = mp.loggamma(a)
    dens = lambda t: mp.exp((a - 1) * mp.log(t) - t - lg)
    P = mp.quad(dens, _pts(a, 0, x))
    dP = mp.quad(lambda t: (mp.log(t) - mp.digamma(a)) * dens(t), _pts(a, 0, x))
    Q = mp.quad(dens, _pts(a, x, mp.inf))
    return P, Q, dP


# Incomplete gamma P, Q, dP/da and the implicit gradient dx/da = -(dP/da)/f(x), with torch's _standard_gamma_grad
igamma = []
for a, x in [(0.5, 0.1), (1e-3, 1e-5), (1e-3, 2.0), (0.3, 5.0), (1.0, 1.0), (2.0, 1.0), (5.0, 20.0), (5.0, 0.01),
             (30.0, 29.0), (100.0, 80.0), (100.0, 140.0), (1e3, 1050.0), (5e3, 4900.0), (1e4, 1e4), (1e4, 10200.0),
             (1e5, 99500.0), (3.0, 1e-6), (0.05, 1e-30), (20.0, 60.0), (1e6, 1e6 - 2500.0)]:
    x = f32(x)
    P, Q, dP = gamma_pq(a, x)
    am = mp.mpf(a); xm = mp.mpf(x)
    dens = mp.exp((am - 1) * mp.log(xm) - xm - mp.loggamma(am))
    torch_grad = torch._standard_gamma_grad(torch.tensor([a], dtype=torch.float64), torch.tensor([x], dtype=torch.float64))
    igamma.append({"a": a, "x": x, "P": f(P), "Q": f(Q), "dPda": f(dP), "density": f(dens), "dxda": f(-dP / dens),
                   "torchDxda": f(torch_grad[0])})
out["igamma"] = igamma

# Inverse: x with P(a, x) = p
out["igammaInv"] = [{"a": a, "p": p, "x": f(special.gammaincinv(a, p))}
                    for a, p in [(a, f32(p)) for a, p in [(0.5, 0.3), (2.0, 1e-6), (2.0, 0.999999), (30.0, 0.5), (1e-2, 0.9), (1e4, 0.01), (7.5, 0.75)]]]

# Incomplete beta I_x(a, b), 1 - I, dI/da, dI/db (mpmath), and scipy's inverse
betainc = []
for a, b, x in [(0.5, 0.5, 0.01), (2.0, 5.0, 0.2), (30.0, 10.0, 0.77), (0.1, 3.0, 1e-4), (1e-3, 1e-3, 0.5),
                (1e3, 1e3, 0.51), (5.0, 0.5, 0.999), (200.0, 300.0, 0.3), (1.0, 1.0, 0.25), (3.0, 7.0, 0.999)]:
    x = f32(x)
    am, bm, xm = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    I = mp.betainc(am, bm, 0, xm, regularized=True)
    Ic = mp.betainc(am, bm, xm, 1, regularized=True)
    da = mp.diff(lambda t: mp.betainc(t, bm, 0, xm, regularized=True), am)
    db = mp.diff(lambda t: mp.betainc(am, t, 0, xm, regularized=True), bm)
    dens = mp.exp((am - 1) * mp.log(xm) + (bm - 1) * mp.log(1 - xm) - mp.log(mp.beta(am, bm)))
    betainc.append({"a": a, "b": b, "x": x, "I": f(I), "Ic": f(Ic), "dIda": f(da), "dIdb": f(db), "density": f(dens)})
out["betainc"] = betainc
out["betaincInv"] = [{"a": a, "b": b, "p": p, "x": f(special.betaincinv(a, b, p))}
                     for a, b, p in [(a, b, f32(p)) for a, b, p in [(0.5, 0.5, 0.3), (2.0, 5.0, 1e-5), (30.0, 10.0, 0.9999), (0.1, 3.0, 0.5), (7.0, 1.5, 0.5)]]]


# StudentT: logProb, entropy, cdf, icdf and the df derivatives, in mpmath (torch/scipy lose digits at huge df)
def t_logpdf(df, x, loc=0, scale=1):
    df = mp.mpf(df); z = (mp.mpf(x) - loc) / scale
    return (mp.loggamma((df + 1) / 2) - mp.loggamma(df / 2) - mp.log(df * mp.pi) / 2 - mp.log(scale)
            - (df + 1) / 2 * mp.log1p(z * z / df))


def t_entropy(df, scale=1):
    df = mp.mpf(df)
    return ((df + 1) / 2 * (mp.digamma((df + 1) / 2) - mp.digamma(df / 2)) + mp.log(df) / 2
            + mp.log(mp.beta(df / 2, mp.mpf(1) / 2)) + mp.log(scale))


def t_cdf(df, t):
    df = mp.mpf(df); t = mp.mpf(t)
    tail = mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    return 1 - tail if t > 0 else tail


student = []
for df, loc, scale, x in [(1.0, 0.0, 1.0, 0.5), (3.0, 1.0, 2.0, -2.0), (2.5, -1.0, 1.0, 10.0), (30.0, 0.0, 0.5, 0.3),
                          (1e3, 0.0, 1.0, 2.0), (1e5, 0.5, 1.0, -1.0), (1e6, 0.0, 1.0, 1.5), (1e7, 0.0, 2.0, 3.0),
                          (1e8, 0.0, 1.0, -2.5), (0.5, 0.0, 1.0, 3.0)]:
    student.append({"df": df, "loc": loc, "scale": scale, "x": x, "logProb": f(t_logpdf(df, x, loc, scale)),
                    "entropy": f(t_entropy(df, scale)),
                    "dLogProbDdf": f(mp.diff(lambda v: t_logpdf(v, x, loc, scale), mp.mpf(df))),
                    "dEntropyDdf": f(mp.diff(lambda v: t_entropy(v, scale), mp.mpf(df))),
                    "cdf": f(t_cdf(df, (mp.mpf(x) - loc) / scale)),
                    "dCdfDdf": f(mp.diff(lambda v: t_cdf(v, (mp.mpf(x) - loc) / scale), mp.mpf(df)))})
out["studentT"] = student
out["studentTIcdf"] = [{"df": df, "p": p, "t": f(stats.t.ppf(p, df))}
                       for df, p in [(df, f32(p)) for df, p in [(1.0, 0.75), (3.0, 0.01), (30.0, 0.5), (4.5, 0.999), (1e6, 0.3), (0.7, 0.9), (1e3, 1e-6)]]]

# Standard normal quantile at float32 probabilities (scipy ndtri)
out["ndtri"] = [{"p": f32(p), "x": f(special.ndtri(f32(p)))} for p in [1e-30, 1e-10, 0.02, 0.3, 0.5, 0.7, 0.99, 1 - 1e-7]]

# Normal, Laplace, LogNormal quantiles (scipy ppf) at float32 probabilities, loc 1, scale 2
out["locScaleIcdf"] = [{"p": f32(p), "normal": f(stats.norm.ppf(f32(p), 1, 2)), "laplace": f(stats.laplace.ppf(f32(p), 1, 2)),
                        "logNormal": f(stats.lognorm.ppf(f32(p), 2, scale=np.exp(1)))}
                       for p in [1e-20, 1e-6, 0.1, 0.5, 0.75, 0.999, 1 - 1e-7]]

# Gamma / Beta cdf and icdf through the distributions (scipy)
out["gammaCdf"] = [{"concentration": a, "rate": b, "x": x, "cdf": f(stats.gamma.cdf(x, a, scale=1 / b)),
                    "icdfP": p, "icdf": f(stats.gamma.ppf(p, a, scale=1 / b))}
                   for a, b, x, p in [(a, b, f32(x), f32(p)) for a, b, x, p in [(1.0, 1.0, 0.5, 0.5), (0.5, 2.0, 0.1, 0.01), (3.0, 0.5, 4.0, 0.99), (50.0, 10.0, 5.2, 0.3)]]]
out["betaCdf"] = [{"concentration1": a, "concentration0": b, "x": x, "cdf": f(stats.beta.cdf(x, a, b)),
                   "icdfP": p, "icdf": f(stats.beta.ppf(p, a, b))}
                  for a, b, x, p in [(a, b, f32(x), f32(p)) for a, b, x, p in [(1.0, 1.0, 0.3, 0.3), (0.5, 0.5, 0.01, 0.9), (2.0, 5.0, 0.2, 0.5), (30.0, 10.0, 0.77, 1e-4)]]]

# Poisson and NegativeBinomial (torch convention: x successes before r failures, p = sigmoid(logits)) cdfs
out["poissonCdf"] = [{"rate": r, "x": x, "cdf": f(stats.poisson.cdf(x, r)), "dCdfDrate": f(-stats.poisson.pmf(np.floor(x), r))}
                     for r, x in [(1e-3, 0), (0.5, 1), (3.0, 7), (37.5, 40), (1e4, 9876), (250.0, 1e3), (3.0, -1), (2.0, 2.5)]]
out["negativeBinomialCdf"] = [{"totalCount": r, "logits": l, "x": x, "cdf": f(stats.nbinom.cdf(x, r, special.expit(-l)))}
                              for r, l, x in [(1.0, 0.0, 0.0), (5.0, 0.5, 3.0), (0.3, 2.0, 10.0), (20.0, -1.0, 4.0), (2.0, 8.0, 9876.0)]]


# Entropies by mpmath sums (terms until the tail is below 1e-30)
def entropy_sum(logpmf, mean, sd):
    total = mp.mpf(0); k = 0
    kmax = int(mean + 60 * sd + 200)
    while k <= kmax:
        lp = logpmf(k)
        total -= mp.exp(lp) * lp
        k += 1
    return total


def nb_logpmf(r, logit):
    r = mp.mpf(r); logit = mp.mpf(logit)
    lsp = mp.log1p(mp.exp(logit))  # softplus
    return lambda k: mp.loggamma(k + r) - mp.loggamma(r) - mp.loggamma(k + 1) + k * logit - (k + r) * lsp


out["negativeBinomialEntropy"] = []
for r, logit in [(1.0, 0.0), (5.0, 0.5), (0.3, 2.0), (20.0, -1.0), (2.0, 3.0), (1e3, float(mp.log(mp.mpf(50) / 1000))), (0.05, -3.0)]:
    mean = r * mp.exp(logit); sd = mp.sqrt(mean + mean * mean / r)
    out["negativeBinomialEntropy"].append({"totalCount": r, "logits": logit, "entropy": f(entropy_sum(nb_logpmf(r, logit), mean, sd))})


def zi_entropy(base_logpmf, gate, mean, sd):
    gate = mp.mpf(gate)
    def lp(k):
        if k == 0:
            return mp.log(gate + (1 - gate) * mp.exp(base_logpmf(0)))
        return mp.log(1 - gate) + base_logpmf(k)
    return entropy_sum(lp, mean, sd)


def pois_logpmf(rate):
    rate = mp.mpf(rate)
    return lambda k: k * mp.log(rate) - rate - mp.loggamma(k + 1)


out["zeroInflatedPoissonEntropy"] = [{"rate": r, "gate": g, "entropy": f(zi_entropy(pois_logpmf(r), g, r, mp.sqrt(r)))}
                                     for r, g in [(3.0, 0.2), (1e-3, 0.5), (0.5, 0.0), (7.0, 1e-6), (40.0, 0.9), (1e3, 0.3)]]
out["zeroInflatedNegativeBinomialEntropy"] = []
for mu, theta, g in [(5.0, 2.0, 0.3), (0.2, 0.7, 0.6), (40.0, 3.0, 1e-4), (100.0, 0.5, 0.1), (5.0, 2.0, 0.0)]:
    logit = f(mp.log(mp.mpf(mu) / theta)); sd = mp.sqrt(mu + mu * mu / theta)
    out["zeroInflatedNegativeBinomialEntropy"].append({"mean": mu, "dispersion": theta, "gate": g,
                                                       "entropy": f(zi_entropy(nb_logpmf(theta, logit), g, mu, sd))})


# Poisson entropy gradient at tiny rates: dH/dλ = Σ_k p_k (1 − k/λ)(log p_k + 1)·… by mp.diff of the sum
def pois_entropy(rate):
    lp = pois_logpmf(rate)
    return -mp.fsum(mp.exp(lp(k)) * lp(k) for k in range(0, 60))


out["poissonEntropyGrad"] = [{"rate": r, "dEntropy": f(mp.diff(pois_entropy, mp.mpf(r)))} for r in [1e-9, 1e-6, 1e-3, 0.5]]

path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "special.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1, allow_nan=False)
print("wrote", os.path.normpath(path))
