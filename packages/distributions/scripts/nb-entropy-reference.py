"""Reference entropies of the negative binomial at large means (the values in src/negative-binomial-entropy.test.ts).

Brute force in float64: H = -sum_k p(k) log p(k) over every k up to the (1 - 1e-15) quantile, with scipy's nbinom
(Boost's implementation), in chunks of 1e7 terms (numpy's pairwise summation). For means too large to sum, the
large-mean limit with fixed r: X/mu -> Gamma(r, rate r), so H = log(mu/r) + r + lgamma(r) + (1 - r) digamma(r) + O(r/mu)
(the differential entropy of mu*G/r on a unit lattice); checked here against the brute force at mu = 1e7.
Run: /usr/bin/python3 scripts/nb-entropy-reference.py
"""
import mpmath as mp
import numpy as np
from scipy import stats


def brute(mu, r):
    p = r / (r + mu)  # scipy's success probability (torch's sigma(-logits))
    d = stats.nbinom(r, p)
    top = int(d.isf(1e-15)) + 10
    total = 0.0
    for start in range(0, top + 1, 10_000_000):
        k = np.arange(start, min(top + 1, start + 10_000_000), dtype=np.float64)
        lp = d.logpmf(k)
        total -= np.sum(np.where(np.isfinite(lp), np.exp(lp) * lp, 0.0))
    return total


def gamma_limit(mu, r):
    mp.mp.dps = 40
    mu, r = mp.mpf(mu), mp.mpf(r)
    return mp.log(mu / r) + r + mp.loggamma(r) + (1 - r) * mp.digamma(r)


if __name__ == "__main__":
    for mu, r in [(1e5, 2.0), (1e6, 0.5), (1e6, 50.0), (3e6, 1e4), (1e7, 2.0), (2e5, 1e6), (1e5, 0.05), (1e4, 2.0)]:
        print(f"mu={mu:g} r={r:g} brute={brute(mu, r)!r} gammaLimit={float(gamma_limit(mu, r))!r}", flush=True)
    for mu, r in [(1e10, 2.0), (1e20, 2.0), (1e30, 0.5), (1e12, 1e3)]:
        print(f"mu={mu:g} r={r:g} gammaLimit={mp.nstr(gamma_limit(mu, r), 17)}", flush=True)
