#!/usr/bin/env python3
"""Reference values for @varia/distributions tests, computed independently with SciPy (float64).

Run: python3 packages/distributions/scripts/make-fixtures.py  (writes test/fixtures/scipy.json)
Needs numpy and scipy (Debian: apt-get install python3-scipy).
"""
import json
import os

import numpy as np
import scipy
from scipy import special, stats

out = {"generator": f"scipy {scipy.__version__}, numpy {np.__version__}"}

# Normal logpdf / cdf / entropy
normal = []
for loc, scale, x in [(0.0, 1.0, 0.0), (0.0, 1.0, 1.5), (1.0, 2.0, -3.0), (-2.5, 0.1, -2.4), (3.0, 1e-3, 3.0005), (0.0, 50.0, 120.0)]:
    normal.append({
        "loc": loc, "scale": scale, "x": x,
        "logProb": stats.norm.logpdf(x, loc, scale),
        "cdf": stats.norm.cdf(x, loc, scale),
        "entropy": float(stats.norm.entropy(loc, scale)),
    })
out["normal"] = normal

# Poisson logpmf / entropy
poisson = []
for rate, x in [(1e-3, 0), (1e-3, 2), (0.5, 1), (3.0, 0), (3.0, 7), (37.5, 40), (1e4, 9876), (1e4, 10000), (250.0, 1e3)]:
    # entropy summed explicitly over k ≤ λ + 40√λ + 100 (scipy's generic expect() may not converge for big λ)
    k = np.arange(0, int(rate + 40 * np.sqrt(rate) + 100))
    lp = stats.poisson.logpmf(k, rate)
    entropy = float(-np.sum(np.exp(lp) * lp))
    poisson.append({"rate": rate, "x": x, "logProb": float(stats.poisson.logpmf(x, rate)), "entropy": entropy})
out["poisson"] = poisson

# Bernoulli logpmf / entropy, from logits
bernoulli = []
for logit, x in [(0.0, 1), (2.0, 0), (2.0, 1), (-30.0, 1), (-30.0, 0), (100.0, 0), (-100.0, 1), (0.3, 0)]:
    p = special.expit(logit)
    lp = float(special.log_expit(logit) if x == 1 else special.log_expit(-logit))
    ent = float(special.log1p(np.exp(-abs(logit))) + max(logit, 0) - logit * p)
    bernoulli.append({"logits": logit, "x": x, "logProb": lp, "entropy": ent})
out["bernoulli"] = bernoulli

# Poisson: large counts (Loader's form) incl. 1e6 and rate 1e-3 at a large count
out["poissonLarge"] = [
    {"rate": r, "x": x, "logProb": float(stats.poisson.logpmf(x, r))}
    for r, x in [(1e6, 1e6), (1e6, 999000), (1e4, 1), (1e-3, 50), (0.7, 12), (12.3, 12), (5e5, 5e5 + 700)]
]

def add_moments(d, dist):
    d["mean"] = float(dist.mean())
    d["variance"] = float(dist.var())
    return d

# LogNormal: scipy lognorm(s=sigma, scale=exp(mu))
lognormal = []
for loc, scale, x in [(0.0, 1.0, 1.0), (0.5, 0.25, 2.0), (-1.0, 2.0, 0.01), (2.0, 0.1, 7.0)]:
    d = stats.lognorm(s=scale, scale=np.exp(loc))
    lognormal.append(add_moments({"loc": loc, "scale": scale, "x": x, "logProb": float(d.logpdf(x)), "cdf": float(d.cdf(x)),
                                  "entropy": float(d.entropy())}, d))
out["lognormal"] = lognormal

laplace = []
for loc, scale, x in [(0.0, 1.0, 0.0), (1.0, 2.0, -3.0), (-2.0, 0.5, -1.9), (0.0, 1e-2, 0.05)]:
    d = stats.laplace(loc, scale)
    laplace.append(add_moments({"loc": loc, "scale": scale, "x": x, "logProb": float(d.logpdf(x)), "cdf": float(d.cdf(x)),
                                "entropy": float(d.entropy())}, d))
out["laplace"] = laplace

studentT = []
for df, loc, scale, x in [(1.0, 0.0, 1.0, 0.5), (3.0, 1.0, 2.0, -2.0), (30.0, 0.0, 0.5, 0.3), (2.5, -1.0, 1.0, 10.0), (0.5, 0.0, 1.0, 3.0)]:
    d = stats.t(df, loc, scale)
    studentT.append({"df": df, "loc": loc, "scale": scale, "x": x, "logProb": float(d.logpdf(x)), "entropy": float(d.entropy()),
                     "mean": float(d.mean()) if df > 1 else None, "variance": float(d.var()) if df > 2 else None})
out["studentT"] = studentT

gamma = []
for a, b, x in [(1.0, 1.0, 0.5), (0.5, 2.0, 0.1), (3.0, 0.5, 4.0), (1e-2, 1.0, 1e-3), (50.0, 10.0, 5.2), (1e3, 1e3, 1.01)]:
    d = stats.gamma(a, scale=1.0 / b)
    gamma.append(add_moments({"concentration": a, "rate": b, "x": x, "logProb": float(d.logpdf(x)), "entropy": float(d.entropy())}, d))
out["gamma"] = gamma

beta = []
for a, b, x in [(1.0, 1.0, 0.3), (0.5, 0.5, 0.01), (2.0, 5.0, 0.2), (30.0, 10.0, 0.77), (0.1, 3.0, 1e-4)]:
    d = stats.beta(a, b)
    beta.append(add_moments({"concentration1": a, "concentration0": b, "x": x, "logProb": float(d.logpdf(x)), "entropy": float(d.entropy())}, d))
out["beta"] = beta

dirichlet = []
for alpha, x in [([1.0, 1.0, 1.0], [0.2, 0.3, 0.5]), ([0.5, 2.0, 5.0], [0.05, 0.25, 0.7]), ([10.0, 20.0], [0.4, 0.6])]:
    a = np.array(alpha); xv = np.array(x)
    dirichlet.append({"concentration": alpha, "x": x, "logProb": float(stats.dirichlet.logpdf(xv, a)),
                      "entropy": float(stats.dirichlet.entropy(a)), "mean": stats.dirichlet.mean(a).tolist(),
                      "variance": stats.dirichlet.var(a).tolist()})
out["dirichlet"] = dirichlet

# Continuous Bernoulli: reference by numerical integration of the unnormalized density e^{l x} on [0, 1] (float64)
from scipy import integrate
cb = []
for logit, x in [(0.0, 0.3), (1e-3, 0.9), (-5e-3, 0.1), (0.05, 0.5), (1.5, 0.2), (-3.0, 0.7), (20.0, 0.99), (-100.0, 0.01), (100.0, 1.0)]:
    # p(x) = e^{l x} / Z,  Z = ∫ e^{l t} dt = expm1(l)/l
    logZ = np.log(np.expm1(logit) / logit) if logit != 0 else 0.0
    if logit > 50:
        logZ = logit - np.log(logit) + np.log1p(-np.exp(-logit))
    if logit < -50:
        logZ = -np.log(-logit) + np.log1p(-np.exp(logit))
    lp = logit * x - logZ
    w = lambda t: np.exp(logit * t - logZ)
    pts = [0.0, 1.0]
    m = integrate.quad(lambda t: t * w(t), 0, 1, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
    m2 = integrate.quad(lambda t: (t - m) ** 2 * w(t), 0, 1, epsabs=1e-16, epsrel=1e-12, limit=200)[0]
    ent = -integrate.quad(lambda t: w(t) * (logit * t - logZ), 0, 1, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
    cdf = integrate.quad(w, 0, x, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
    cb.append({"logits": logit, "x": x, "logProb": float(lp), "mean": m, "variance": m2, "entropy": ent, "cdf": cdf})
out["continuousBernoulli"] = cb

categorical = []
for logits, k in [([0.0, 0.0, 0.0], 1), ([1.0, -2.0, 0.5, 3.0], 3), ([100.0, -100.0, 0.0], 1), ([-30.0, 2.0], 0)]:
    lp = special.log_softmax(np.array(logits))
    p = np.exp(lp)
    categorical.append({"logits": logits, "x": k, "logProb": float(lp[k]), "entropy": float(-np.sum(special.xlogy(p, p)))})
out["categorical"] = categorical

# NegativeBinomial, torch convention: x successes before r failures, p = sigmoid(l); scipy nbinom(n=r, p=1-p)
nb = []
for r, logit, x in [(1.0, 0.0, 0.0), (5.0, 0.5, 3.0), (0.3, 2.0, 10.0), (20.0, -1.0, 0.0), (2.0, np.log(1e4 / 2.0), 9876.0),
                    (10.0, np.log(1e6 / 10.0), 1e6), (1e-2, 1.0, 3.0), (3.0, -100.0, 0.0), (3.0, -100.0, 2.0), (3.0, 100.0, 5.0),
                    (1e3, np.log(50.0 / 1e3), 47.0)]:
    pf = special.expit(-logit)
    d = stats.nbinom(r, pf)
    lp = float(d.logpmf(x))
    if logit < -50:  # scipy's p = expit(100) rounds to 1 in float64; use the log-odds formula (no cancellation here)
        lp = float(special.gammaln(x + r) - special.gammaln(r) - special.gammaln(x + 1) + x * logit - (x + r) * np.logaddexp(0, logit))
    nb.append({"totalCount": r, "logits": float(logit), "x": x, "logProb": lp,
               "mean": float(r * np.exp(logit)) if logit < 50 else None, "variance": float(d.var()) if logit < 50 else None})
out["negativeBinomial"] = nb

# scVI mean/dispersion form
nbmd = []
for mu, theta, x in [(5.0, 2.0, 0.0), (5.0, 2.0, 7.0), (1e4, 10.0, 9876.0), (0.01, 0.5, 1.0), (300.0, 1e4, 280.0), (2.5, 1e-3, 40.0)]:
    d = stats.nbinom(theta, theta / (theta + mu))
    nbmd.append({"mean": mu, "dispersion": theta, "x": x, "logProb": float(d.logpmf(x)), "variance": float(d.var())})
out["negativeBinomialMeanDispersion"] = nbmd

zip_ = []
for rate, gate, x in [(3.0, 0.2, 0.0), (3.0, 0.2, 4.0), (1e-3, 0.5, 0.0), (1e4, 0.9, 9900.0), (0.5, 0.0, 0.0), (7.0, 1e-6, 2.0)]:
    if x == 0:
        lp = np.logaddexp(np.log(gate) if gate > 0 else -np.inf, np.log1p(-gate) - rate)
    else:
        lp = np.log1p(-gate) + stats.poisson.logpmf(x, rate)
    zip_.append({"rate": rate, "gate": gate, "x": x, "logProb": float(lp), "mean": (1 - gate) * rate,
                 "variance": (1 - gate) * rate * (1 + gate * rate)})
out["zeroInflatedPoisson"] = zip_

zinb = []
for mu, theta, gate, x in [(5.0, 2.0, 0.3, 0.0), (5.0, 2.0, 0.3, 6.0), (1e4, 10.0, 0.1, 9876.0), (0.2, 0.7, 0.6, 0.0), (40.0, 3.0, 1e-4, 1.0)]:
    d = stats.nbinom(theta, theta / (theta + mu))
    if x == 0:
        lp = np.logaddexp(np.log(gate), np.log1p(-gate) + d.logpmf(0))
    else:
        lp = np.log1p(-gate) + d.logpmf(x)
    var = (1 - gate) * (mu + mu * mu / theta + gate * mu * mu)
    zinb.append({"mean": mu, "dispersion": theta, "gate": gate, "x": x, "logProb": float(lp), "meanValue": (1 - gate) * mu, "variance": var})
out["zeroInflatedNegativeBinomial"] = zinb

mvn = []
for loc, scale, x in [([0.0, 1.0], [1.0, 2.0], [0.5, -1.0]), ([1.0, -1.0, 2.0], [0.1, 1.0, 3.0], [1.05, 0.0, -4.0])]:
    d = stats.multivariate_normal(loc, np.diag(np.array(scale) ** 2))
    mvn.append({"loc": loc, "scaleDiag": scale, "x": x, "logProb": float(d.logpdf(x)), "entropy": float(d.entropy())})
out["multivariateNormalDiag"] = mvn

# Mixture of normals: weights, locs, scales, x; mean/variance by the law of total variance
mixture = []
for w, locs, scales, x in [([0.3, 0.7], [-1.0, 2.0], [0.5, 1.0], 0.4), ([0.2, 0.5, 0.3], [0.0, 5.0, -3.0], [1.0, 0.2, 2.0], 4.9)]:
    w = np.array(w); locs = np.array(locs); scales = np.array(scales)
    lp = special.logsumexp(np.log(w) + stats.norm.logpdf(x, locs, scales))
    m = float(np.sum(w * locs))
    v = float(np.sum(w * (scales ** 2 + (locs - m) ** 2)))
    mixture.append({"weights": w.tolist(), "locs": locs.tolist(), "scales": scales.tolist(), "x": x, "logProb": float(lp), "mean": m, "variance": v})
out["mixtureNormal"] = mixture

# Special functions
xs = [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.9, 1.0, 1.5, 2.0, 2.5, 3.7, 5.9, 6.1, 10.0, 33.3, 123.4, 1e3, 1e4, 1e5, 1e6]
out["lbeta"] = [{"a": a, "b": b, "value": float(special.betaln(a, b))} for a, b in [(0.5, 0.5), (1.0, 2.0), (1e-3, 5.0), (30.0, 40.0), (2.5, 1e3)]]
out["stirlerr"] = [{"x": x, "value": float(special.gammaln(x + 1) - ((x + 0.5) * np.log(x) - x + 0.5 * np.log(2 * np.pi)))}
                   for x in [1e-3, 0.5, 1.0, 2.0, 7.5, 9.99, 10.0, 15.0, 100.0]]
out["lgamma"] = [{"x": x, "value": float(special.gammaln(x))} for x in xs]
out["digamma"] = [{"x": x, "value": float(special.digamma(x))} for x in xs]
out["trigamma"] = [{"x": x, "value": float(special.polygamma(1, x))} for x in xs]

path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "scipy.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, allow_nan=False)
print("wrote", os.path.normpath(path))
