#!/usr/bin/env python3
"""Reference values for the transform-era families and KL pairs of @varia/distributions, from PyTorch's
torch.distributions in float64 (an independent implementation), with SciPy where torch has no method.

Run: /usr/bin/python3 packages/distributions/scripts/make-torch-fixtures.py  (writes test/fixtures/torch-families.json)
Needs python3-torch and python3-scipy (Debian: apt-get install -y python3-torch python3-scipy).
Non-finite numbers are written as the strings "inf", "-inf" and "nan" (JSON has no literal for them).
"""
import json
import math
import os

import scipy
import torch
import torch.distributions as D
from scipy import stats

torch.set_default_dtype(torch.float64)


def num(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def tolist(t):
    t = torch.as_tensor(t, dtype=torch.float64)
    if t.dim() == 0:
        return num(t)
    return [tolist(s) for s in t]


def attempt(f):
    try:
        return tolist(f())
    except (NotImplementedError, AttributeError, ValueError):
        return None


def describe(dist, params, x=None, q=None):
    out = {"params": {k: tolist(torch.as_tensor(v)) for k, v in params.items()}}
    for name in ["mean", "variance", "mode"]:
        out[name] = attempt(lambda: getattr(dist, name))
    out["entropy"] = attempt(dist.entropy)
    if x is not None:
        xt = torch.as_tensor(x)
        out["x"] = tolist(xt)
        out["logProb"] = tolist(dist.log_prob(xt))
        out["cdf"] = attempt(lambda: dist.cdf(xt))
    if q is not None:
        out["q"] = q
        out["icdf"] = attempt(lambda: dist.icdf(torch.as_tensor(q)))
    return out


T = torch.tensor
Q = [0.01, 0.3, 0.5, 0.9]
out = {"generator": f"torch {torch.__version__}, scipy {scipy.__version__} (float64)"}

out["uniform"] = [describe(D.Uniform(T(lo), T(hi)), {"low": lo, "high": hi}, x, Q) for lo, hi, x in [
    (0.0, 1.0, [0.0, 0.25, 0.999]), (-2.0, 3.0, [-1.5, 0.0, 2.9]), (1e-3, 2e-3, [1.5e-3, 1.1e-3, 1.9e-3])]]
out["exponential"] = [describe(D.Exponential(T(r)), {"rate": r}, x, Q) for r, x in [
    (1.0, [0.0, 0.5, 3.0]), (0.1, [0.2, 10.0, 50.0]), (25.0, [1e-4, 0.01, 0.3])]]
out["cauchy"] = [describe(D.Cauchy(T(l), T(s)), {"loc": l, "scale": s}, x, Q) for l, s, x in [
    (0.0, 1.0, [0.0, 1.0, -30.0]), (2.0, 0.5, [2.2, -1.0, 100.0])]]
out["halfNormal"] = [describe(D.HalfNormal(T(s)), {"scale": s}, x, Q) for s, x in [
    (1.0, [0.0, 0.5, 3.0]), (0.3, [0.01, 0.2, 1.0]), (4.0, [1.0, 7.0, 12.0])]]
out["halfCauchy"] = [describe(D.HalfCauchy(T(s)), {"scale": s}, x, Q) for s, x in [
    (1.0, [0.0, 0.5, 30.0]), (2.5, [0.1, 2.0, 9.0])]]
out["gumbel"] = [describe(D.Gumbel(T(l), T(s)), {"loc": l, "scale": s}, x, Q) for l, s, x in [
    (0.0, 1.0, [-1.0, 0.0, 4.0]), (3.0, 0.4, [2.0, 3.5, 6.0])]]
out["weibull"] = [describe(D.Weibull(T(s), T(k)), {"scale": s, "concentration": k}, x, Q) for s, k, x in [
    (1.0, 1.0, [0.1, 1.0, 3.0]), (2.0, 0.5, [0.01, 1.0, 9.0]), (0.5, 3.0, [0.1, 0.4, 0.9])]]
# torch 1.13's Weibull mode is λ((k − 1)/k)^(1/k) for every k, which is λ (not 0) at k = 0.5 ((−1)² = 1); for k ≤ 1
# the density is maximal at 0, so the mathematics says 0.
for c in out["weibull"]:
    s_, k_ = c["params"]["scale"], c["params"]["concentration"]
    c["mode"] = s_ * ((k_ - 1) / k_) ** (1 / k_) if k_ > 1 else 0.0
out["pareto"] = [describe(D.Pareto(T(s), T(a)), {"scale": s, "alpha": a}, x, Q) for s, a, x in [
    (1.0, 3.0, [1.0, 1.5, 10.0]), (0.5, 1.5, [0.6, 2.0, 40.0]), (2.0, 0.8, [2.5, 5.0, 100.0])]]
out["geometric"] = [describe(D.Geometric(probs=T(p)), {"probs": p}, x) for p, x in [
    (0.5, [0.0, 1.0, 5.0]), (0.05, [0.0, 10.0, 60.0]), (0.99, [0.0, 1.0, 3.0])]]
for c in out["geometric"]:  # torch has no Geometric cdf: P(X ≤ k) = 1 − (1 − p)^(k+1)
    p = c["params"]["probs"]
    c["cdf"] = [1 - (1 - p) ** (k + 1) for k in c["x"]]
out["binomial"] = [describe(D.Binomial(total_count=T(n), probs=T(p)), {"totalCount": n, "probs": p}, x) for n, p, x in [
    (10.0, 0.3, [0.0, 3.0, 10.0]), (1.0, 0.8, [0.0, 1.0, 1.0]), (50.0, 0.02, [0.0, 1.0, 7.0]), (7.0, 0.5, [3.0, 4.0, 7.0])]]
for c in out["binomial"]:
    n, p = c["params"]["totalCount"], c["params"]["probs"]
    c["cdf"] = [float(stats.binom.cdf(k, n, p)) for k in c["x"]]
out["chi2"] = [describe(D.Chi2(T(k)), {"df": k}, x) for k, x in [(1.0, [0.1, 1.0, 5.0]), (4.0, [0.5, 3.0, 12.0]), (30.0, [20.0, 30.0, 45.0])]]
for c in out["chi2"]:
    k = c["params"]["df"]
    c["cdf"] = [float(stats.chi2.cdf(v, k)) for v in c["x"]]
    c["q"] = Q
    c["icdf"] = [float(stats.chi2.ppf(v, k)) for v in Q]
out["kumaraswamy"] = [describe(D.Kumaraswamy(T(a), T(b)), {"concentration1": a, "concentration0": b}, x) for a, b, x in [
    (2.0, 3.0, [0.1, 0.5, 0.9]), (0.5, 0.5, [0.01, 0.5, 0.99]), (5.0, 1.5, [0.3, 0.7, 0.95])]]
for c in out["kumaraswamy"]:
    a, b = c["params"]["concentration1"], c["params"]["concentration0"]
    c["cdf"] = [1 - (1 - v ** a) ** b for v in c["x"]]
    c["q"] = Q
    c["icdf"] = [(1 - (1 - v) ** (1 / b)) ** (1 / a) for v in Q]
    # torch 1.13's Kumaraswamy mode is NaN for every b > 1 (log1p(−b)); the mode is ((a − 1)/(ab − 1))^(1/a) for
    # a, b ≥ 1 (not both 1), and not unique (NaN) otherwise.
    c["mode"] = ((a - 1) / (a * b - 1)) ** (1 / a) if a >= 1 and b >= 1 and a * b > 1 else "nan"
out["fisherSnedecor"] = [describe(D.FisherSnedecor(T(d1), T(d2)), {"df1": d1, "df2": d2}, x) for d1, d2, x in [
    (3.0, 7.0, [0.2, 1.0, 4.0]), (10.0, 2.5, [0.5, 1.0, 30.0]), (1.0, 5.0, [0.05, 1.0, 6.0])]]
for c in out["fisherSnedecor"]:
    d1, d2 = c["params"]["df1"], c["params"]["df2"]
    c["cdf"] = [float(stats.f.cdf(v, d1, d2)) for v in c["x"]]
    c["q"] = Q
    c["icdf"] = [float(stats.f.ppf(v, d1, d2)) for v in Q]
    c["entropy"] = float(stats.f.entropy(d1, d2))
    # torch 1.13 gives NaN where the mathematics has an answer: the mode is 0 for d1 ≤ 2 (the density is largest at 0),
    # the mean +∞ for d2 ≤ 2, the variance +∞ for 2 < d2 ≤ 4 (and undefined, NaN, for d2 ≤ 2).
    if d1 <= 2:
        c["mode"] = 0.0
    if d2 <= 4:
        c["variance"] = "inf" if d2 > 2 else "nan"
out["vonMises"] = [describe(D.VonMises(T(l), T(k)), {"loc": l, "concentration": k}, x) for l, k, x in [
    (0.0, 1.0, [0.0, 1.0, -3.0]), (1.0, 0.01, [0.5, 2.0, -1.0]), (-2.0, 20.0, [-2.0, -1.8, 1.0]), (0.5, 300.0, [0.5, 0.45, 0.6])]]
for c in out["vonMises"]:
    c["entropy"] = float(stats.vonmises.entropy(c["params"]["concentration"]))

# Multivariate families: one case each with batch [] (event tests)
out["relaxedBernoulli"] = [describe(D.RelaxedBernoulli(T(t), logits=T(l)), {"temperature": t, "logits": l}, x) for t, l, x in [
    (0.5, 0.3, [0.1, 0.5, 0.97]), (2.0, -1.5, [0.2, 0.6, 0.9])]]
out["relaxedOneHotCategorical"] = [describe(D.RelaxedOneHotCategorical(T(t), logits=T(l)), {"temperature": t, "logits": l}, x) for t, l, x in [
    (0.7, [0.1, -0.5, 1.2], [[0.2, 0.3, 0.5], [0.01, 0.01, 0.98]]), (3.0, [0.0, 0.0, 0.0, 2.0], [[0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]])]]
out["logisticNormal"] = [describe(D.LogisticNormal(T(l), T(s)), {"loc": l, "scale": s}, x) for l, s, x in [
    ([0.0, 0.0], [1.0, 1.0], [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]), ([1.0, -1.0, 0.5], [0.5, 2.0, 1.0], [[0.4, 0.1, 0.3, 0.2]])]]
out["multinomial"] = [describe(D.Multinomial(n, probs=T(p)), {"totalCount": n, "probs": p}, x) for n, p, x in [
    (5, [0.2, 0.3, 0.5], [[1.0, 1.0, 3.0], [0.0, 0.0, 5.0]]), (3, [0.7, 0.3], [[3.0, 0.0], [2.0, 1.0]])]]

cov = T([[2.0, 0.3, -0.4], [0.3, 1.0, 0.2], [-0.4, 0.2, 0.5]])
loc = T([1.0, -1.0, 0.5])
xs = [[0.0, 0.0, 0.0], [1.5, -2.0, 1.0]]
mvn = D.MultivariateNormal(loc, covariance_matrix=cov)
out["multivariateNormal"] = [describe(mvn, {"loc": loc, "covarianceMatrix": cov}, xs)]
out["multivariateNormal"][0]["scaleTril"] = tolist(mvn.scale_tril)
out["multivariateNormal"][0]["precisionMatrix"] = tolist(mvn.precision_matrix)
W = T([[1.0, 0.5], [-0.3, 0.8], [0.2, -1.0]])
dg = T([0.5, 1.0, 0.3])
out["lowRankMultivariateNormal"] = [describe(D.LowRankMultivariateNormal(loc, W, dg), {"loc": loc, "covFactor": W, "covDiag": dg}, xs)]

L3 = D.LKJCholesky(3, T(1.5))
ys = torch.stack([D.transforms.CorrCholeskyTransform()(T(v)) for v in [[0.3, -0.5, 0.8], [0.0, 0.0, 0.0]]])
out["lkjCholesky"] = [describe(L3, {"dim": 3, "concentration": 1.5}, ys), describe(D.LKJCholesky(4, T(0.5)), {"dim": 4, "concentration": 0.5},
    D.transforms.CorrCholeskyTransform()(T([[0.2, -0.1, 0.4, 0.9, -0.6, 0.05]])))]
wcov = T([[2.0, 0.3], [0.3, 1.0]])
wx = T([[[1.5, 0.2], [0.2, 0.8]], [[4.0, -1.0], [-1.0, 3.0]]])
out["wishart"] = [describe(D.Wishart(T(4.5), covariance_matrix=wcov), {"df": 4.5, "covarianceMatrix": wcov}, wx)]

# Gradients of Σ log p(x) with respect to every parameter (torch autograd in float64), by varia's parameter names.
def grad_case(ctor, torch_names, params, x):
    leaves = {k: T(v).requires_grad_() for k, v in params.items()}
    d = ctor(**{torch_names.get(k, k): t for k, t in leaves.items()})
    d.log_prob(T(x)).sum().backward()
    return {"params": params, "x": x, "grad": {k: float(t.grad) for k, t in leaves.items()}}

out["gradients"] = {name: [grad_case(ctor, names, p, x) for p, x in cases] for name, ctor, names, cases in [
    ("Uniform", D.Uniform, {}, [({"low": -1.0, "high": 2.0}, [0.0, 1.5])]),
    ("Exponential", D.Exponential, {}, [({"rate": 1.7}, [0.2, 3.0])]),
    ("Cauchy", D.Cauchy, {}, [({"loc": 0.5, "scale": 1.3}, [-2.0, 0.7, 4.0])]),
    ("HalfNormal", D.HalfNormal, {}, [({"scale": 0.8}, [0.1, 1.9])]),
    ("HalfCauchy", D.HalfCauchy, {}, [({"scale": 2.2}, [0.1, 5.0])]),
    ("Gumbel", D.Gumbel, {}, [({"loc": 0.3, "scale": 0.6}, [-0.5, 0.3, 2.5])]),
    ("Weibull", D.Weibull, {}, [({"scale": 1.4, "concentration": 2.3}, [0.5, 1.2, 3.0])]),
    ("Pareto", D.Pareto, {}, [({"scale": 0.9, "alpha": 2.5}, [1.0, 2.0, 7.0])]),
    ("Geometric", D.Geometric, {}, [({"probs": 0.35}, [0.0, 2.0, 9.0])]),
    ("Binomial", D.Binomial, {"totalCount": "total_count"}, [({"totalCount": 12.0, "probs": 0.3}, [0.0, 4.0, 12.0])]),
    ("Chi2", D.Chi2, {}, [({"df": 3.5}, [0.4, 2.0, 9.0])]),
    ("Kumaraswamy", D.Kumaraswamy, {}, [({"concentration1": 1.7, "concentration0": 2.6}, [0.1, 0.5, 0.9])]),
    ("FisherSnedecor", D.FisherSnedecor, {}, [({"df1": 4.5, "df2": 6.5}, [0.3, 1.0, 5.0])]),
    ("VonMises", D.VonMises, {}, [({"loc": 0.4, "concentration": 2.5}, [0.0, 1.0, -2.5]), ({"loc": -1.0, "concentration": 45.0}, [-1.1, -0.9])]),
    ("RelaxedBernoulli", D.RelaxedBernoulli, {}, [({"temperature": 0.6, "logits": -0.4}, [0.1, 0.5, 0.93])]),
]}

# KL pairs
kl = []
def pair(name, p, pp, q, qp):
    kl.append({"pair": name, "p": {k: tolist(torch.as_tensor(v)) for k, v in pp.items()}, "q": {k: tolist(torch.as_tensor(v)) for k, v in qp.items()},
               "kl": tolist(D.kl_divergence(p, q))})

def both(name, P, pp, Q, qp):
    pair(name, P(**{k: T(v) for k, v in pp.items()}), pp, Q(**{k: T(v) for k, v in qp.items()}), qp)

both("Uniform|Uniform", D.Uniform, {"low": [0.0, 0.0, -1.0], "high": [1.0, 1.0, 2.0]}, D.Uniform, {"low": [-1.0, 0.5, -3.0], "high": [2.0, 2.0, 2.5]})
both("Uniform|Normal", D.Uniform, {"low": [0.0, -2.0], "high": [1.0, 3.0]}, D.Normal, {"loc": [0.5, 1.0], "scale": [1.0, 2.0]})
both("Uniform|Gumbel", D.Uniform, {"low": [0.0, -2.0], "high": [1.0, 3.0]}, D.Gumbel, {"loc": [0.5, 1.0], "scale": [1.0, 2.0]})
both("Uniform|Exponential", D.Uniform, {"low": [0.0, 1.0, -1.0], "high": [1.0, 3.0, 1.0]}, D.Exponential, {"rate": [2.0, 0.5, 1.0]})
both("Uniform|Gamma", D.Uniform, {"low": [0.5, 1.0, -1.0], "high": [1.0, 3.0, 1.0]}, D.Gamma, {"concentration": [2.0, 0.5, 1.0], "rate": [1.0, 3.0, 1.0]})
both("Uniform|Beta", D.Uniform, {"low": [0.1, 0.0, 0.5], "high": [0.9, 1.0, 1.5]}, D.Beta, {"concentration1": [2.0, 0.5, 1.0], "concentration0": [3.0, 1.5, 1.0]})
both("Uniform|Pareto", D.Uniform, {"low": [1.5, 0.5], "high": [3.0, 3.0]}, D.Pareto, {"scale": [1.0, 1.0], "alpha": [2.0, 2.0]})
both("Exponential|Exponential", D.Exponential, {"rate": [1.0, 0.3]}, D.Exponential, {"rate": [2.0, 0.1]})
both("Exponential|Gamma", D.Exponential, {"rate": [1.0, 0.3]}, D.Gamma, {"concentration": [2.0, 0.7], "rate": [1.5, 0.2]})
both("Exponential|Gumbel", D.Exponential, {"rate": [1.0, 0.3]}, D.Gumbel, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Exponential|Normal", D.Exponential, {"rate": [1.0, 0.3]}, D.Normal, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Gumbel|Gumbel", D.Gumbel, {"loc": [0.0, 1.0], "scale": [1.0, 0.5]}, D.Gumbel, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Pareto|Pareto", D.Pareto, {"scale": [1.0, 2.0, 1.0], "alpha": [3.0, 1.5, 2.0]}, D.Pareto, {"scale": [0.5, 1.0, 2.0], "alpha": [2.0, 2.5, 2.0]})
both("Geometric|Geometric", D.Geometric, {"probs": [0.3, 0.9]}, D.Geometric, {"probs": [0.5, 0.2]})
pair("Binomial|Binomial", D.Binomial(T([10.0, 10.0, 10.0]), probs=T([0.3, 0.01, 0.5])), {"totalCount": [10.0, 10.0, 10.0], "probs": [0.3, 0.01, 0.5]},
     D.Binomial(T([10.0, 10.0, 8.0]), probs=T([0.5, 0.2, 0.5])), {"totalCount": [10.0, 10.0, 8.0], "probs": [0.5, 0.2, 0.5]})
both("HalfNormal|HalfNormal", D.HalfNormal, {"scale": [1.0, 0.3]}, D.HalfNormal, {"scale": [2.0, 0.5]})
both("ContinuousBernoulli|ContinuousBernoulli", D.ContinuousBernoulli, {"logits": [0.3, -2.0, 4.0]}, D.ContinuousBernoulli, {"logits": [-1.0, 1.0, 0.01]})
both("LogNormal|LogNormal", D.LogNormal, {"loc": [0.0, 1.0], "scale": [1.0, 0.5]}, D.LogNormal, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Normal|Laplace", D.Normal, {"loc": [0.0, 1.0], "scale": [1.0, 0.5]}, D.Laplace, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Laplace|Normal", D.Laplace, {"loc": [0.0, 1.0], "scale": [1.0, 0.5]}, D.Normal, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Gamma|Normal", D.Gamma, {"concentration": [2.0, 0.5], "rate": [1.0, 3.0]}, D.Normal, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Beta|Normal", D.Beta, {"concentration1": [2.0, 0.5], "concentration0": [3.0, 1.5]}, D.Normal, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Beta|Gamma", D.Beta, {"concentration1": [2.0, 0.5], "concentration0": [3.0, 1.5]}, D.Gamma, {"concentration": [2.0, 0.7], "rate": [1.5, 0.2]})
both("Bernoulli|Poisson", D.Bernoulli, {"probs": [0.3, 0.9]}, D.Poisson, {"rate": [1.0, 0.2]})
both("Gamma|Exponential", D.Gamma, {"concentration": [2.0, 0.5], "rate": [1.0, 3.0]}, D.Exponential, {"rate": [2.0, 0.5]})
both("Gamma|Gumbel", D.Gamma, {"concentration": [2.0, 0.5], "rate": [1.0, 3.0]}, D.Gumbel, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Normal|Gumbel", D.Normal, {"loc": [0.0, 1.0], "scale": [1.0, 0.5]}, D.Gumbel, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Beta|Exponential", D.Beta, {"concentration1": [2.0, 0.5], "concentration0": [3.0, 1.5]}, D.Exponential, {"rate": [2.0, 0.5]})
both("Beta|Uniform", D.Beta, {"concentration1": [2.0, 0.5], "concentration0": [3.0, 1.5]}, D.Uniform, {"low": [0.0, -1.0], "high": [1.0, 2.0]})
both("Pareto|Exponential", D.Pareto, {"scale": [1.0, 2.0], "alpha": [3.0, 1.5]}, D.Exponential, {"rate": [2.0, 0.5]})
both("Pareto|Normal", D.Pareto, {"scale": [1.0, 2.0], "alpha": [3.0, 2.5]}, D.Normal, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Pareto|Gamma", D.Pareto, {"scale": [1.0, 2.0], "alpha": [3.0, 1.5]}, D.Gamma, {"concentration": [2.0, 0.7], "rate": [1.5, 0.2]})
both("Normal|Gamma(inf)", D.Normal, {"loc": [0.0], "scale": [1.0]}, D.Gamma, {"concentration": [2.0], "rate": [1.0]})
both("Normal|Exponential(inf)", D.Normal, {"loc": [0.0], "scale": [1.0]}, D.Exponential, {"rate": [1.0]})
both("Normal|Beta(inf)", D.Normal, {"loc": [0.0], "scale": [1.0]}, D.Beta, {"concentration1": [2.0], "concentration0": [1.0]})
both("Normal|Uniform(inf)", D.Normal, {"loc": [0.0], "scale": [1.0]}, D.Uniform, {"low": [0.0], "high": [1.0]})
both("Laplace|Normal", D.Laplace, {"loc": [0.0, 1.0], "scale": [1.0, 0.5]}, D.Normal, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Poisson|Bernoulli(inf)", D.Poisson, {"rate": [1.0]}, D.Bernoulli, {"probs": [0.5]})
both("Cauchy|Cauchy", D.Cauchy, {"loc": [0.0, 1.0], "scale": [1.0, 0.5]}, D.Cauchy, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("Beta|ContinuousBernoulli", D.Beta, {"concentration1": [2.0, 0.5], "concentration0": [3.0, 1.5]}, D.ContinuousBernoulli, {"logits": [0.3, -2.0]})
both("Uniform|ContinuousBernoulli", D.Uniform, {"low": [0.1, 0.2, -0.5], "high": [0.9, 0.7, 0.5]}, D.ContinuousBernoulli, {"logits": [0.3, -2.0, 1.0]})
both("ContinuousBernoulli|Exponential", D.ContinuousBernoulli, {"logits": [0.3, -2.0]}, D.Exponential, {"rate": [2.0, 0.5]})
both("ContinuousBernoulli|Normal", D.ContinuousBernoulli, {"logits": [0.3, -2.0]}, D.Normal, {"loc": [0.5, -1.0], "scale": [1.5, 2.0]})
both("ContinuousBernoulli|Uniform", D.ContinuousBernoulli, {"logits": [0.3, -2.0, 1.0]}, D.Uniform, {"low": [-0.5, 0.0, 0.1], "high": [1.5, 2.0, 2.0]})
both("Gumbel|Exponential(inf)", D.Gumbel, {"loc": [0.0], "scale": [1.0]}, D.Exponential, {"rate": [1.0]})
both("Pareto|Uniform(inf)", D.Pareto, {"scale": [1.0], "alpha": [2.0]}, D.Uniform, {"low": [0.0], "high": [1.0]})

mvn_q = D.MultivariateNormal(T([0.0, 0.5, -0.5]), covariance_matrix=T([[1.0, 0.2, 0.0], [0.2, 2.0, 0.5], [0.0, 0.5, 1.0]]))
lr_q = D.LowRankMultivariateNormal(T([0.0, 0.5, -0.5]), T([[0.3, 0.1], [0.0, -0.4], [0.5, 0.2]]), T([1.0, 0.7, 1.2]))
lr_p = D.LowRankMultivariateNormal(loc, W, dg)
for name, p, q in [("MultivariateNormal|MultivariateNormal", mvn, mvn_q), ("LowRankMultivariateNormal|LowRankMultivariateNormal", lr_p, lr_q),
                   ("LowRankMultivariateNormal|MultivariateNormal", lr_p, mvn_q), ("MultivariateNormal|LowRankMultivariateNormal", mvn, lr_q)]:
    kl.append({"pair": name, "kl": tolist(D.kl_divergence(p, q))})
# torch 1.13 returns NaN for KL(U(0, 1) ‖ Beta(½, 3/2)) (its 0·log 0 at the ends); the integral is finite:
# KL = −log(b − a) − E_U[log p_Beta(X)], computed by quadrature.
from scipy import integrate
for e in kl:
    if e["pair"] == "Uniform|Beta":
        vals = []
        for lo, hi, a, b, v in zip(e["p"]["low"], e["p"]["high"], e["q"]["concentration1"], e["q"]["concentration0"], e["kl"]):
            if v == "nan":
                ce, _ = integrate.quad(lambda t: stats.beta.logpdf(t, a, b), lo, hi, limit=200)
                v = -math.log(hi - lo) - ce / (hi - lo)
            vals.append(v)
        e["kl"] = vals
# torch 1.13 sends KL(CB ‖ U(a, b)) to +∞ whenever a ≥ 0 or b ≤ 1 — also for U(0, 2), whose support contains [0, 1];
# there the mathematics gives −H(p) + log(b − a).
for e in kl:
    if e["pair"] == "ContinuousBernoulli|Uniform":
        for i, (lg, lo, hi) in enumerate(zip(e["p"]["logits"], e["q"]["low"], e["q"]["high"])):
            if lo <= 0 and hi >= 1:
                e["kl"][i] = float(-D.ContinuousBernoulli(logits=T(lg)).entropy() + math.log(hi - lo))
out["kl"] = kl

path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "torch-families.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, allow_nan=False)
print("wrote", path, len(out), "families,", len(kl), "KL pairs")
