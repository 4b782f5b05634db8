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

# Special functions
xs = [1e-6, 1e-3, 0.1, 0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 123.4, 1e4, 1e6]
out["lgamma"] = [{"x": x, "value": float(special.gammaln(x))} for x in xs]
out["digamma"] = [{"x": x, "value": float(special.digamma(x))} for x in xs]
out["trigamma"] = [{"x": x, "value": float(special.polygamma(1, x))} for x in xs]

path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "scipy.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
