import { type Rng, standardNormal } from './random.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log Γ(x) for x > 0 in double precision: log Γ(x+k) by Stirling's series (x+k ≥ 10) minus Σ log(x+j).
 * Absolute error below 1e-13 for x ≥ 1e-8.
 */
export function logGamma(x: number): number {
  let shift = 0;
  let z = x;
  while (z < 10) {
    shift += Math.log(z);
    z += 1;
  }
  const zi = 1 / z;
  const zi2 = zi * zi;
  const series = zi * (1 / 12 + zi2 * (-1 / 360 + zi2 * (1 / 1260 + zi2 * (-1 / 1680 + zi2 * (1 / 1188)))));
  return (z - 0.5) * Math.log(z) - z + HALF_LOG_2PI + series - shift;
}

/**
 * Draws from the Poisson distribution with mean `rate` ≥ 0: Knuth's multiplication method for rate < 10, and
 * Hörmann's transformed rejection with squeeze (PTRS, 1993) for rate ≥ 10, exact for any rate.
 */
export function samplePoisson(rate: number, rng: Rng): number {
  if (!(rate > 0)) return 0;
  if (rate < 10) {
    const limit = Math.exp(-rate);
    let k = 0;
    let prod = rng();
    while (prod > limit) {
      k++;
      prod *= rng();
    }
    return k;
  }
  const sqrtRate = Math.sqrt(rate);
  const logRate = Math.log(rate);
  const b = 0.931 + 2.53 * sqrtRate;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng() - 0.5;
    const v = rng();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + rate + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -rate + k * logRate - logGamma(k + 1)) {
      return k;
    }
  }
}

/**
 * Draws from Gamma(concentration α, rate 1) by Marsaglia and Tsang (2000); for α < 1 uses
 * Gamma(α) = Gamma(α+1)·U^{1/α}.
 */
export function sampleGamma(concentration: number, rng: Rng): number {
  if (concentration < 1) {
    let u = rng();
    while (u <= 0) u = rng();
    return sampleGamma(concentration + 1, rng) * Math.pow(u, 1 / concentration);
  }
  const d = concentration - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}
