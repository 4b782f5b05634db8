import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, nextSeed, type Rng, sampleGamma, samplePoisson } from '@varia/core';

/**
 * Internal sampling helpers shared by the families. Samplers tfjs lacks (Poisson, Gamma with a batched
 * concentration) run on the CPU in double precision with core's exact samplers, seeded through mulberry32.
 */

/** A derived seed for the `k`-th independent stream of one draw (undefined stays undefined: a fresh draw). */
export function subSeed(seed: number | undefined, k: number): number | undefined {
  if (seed === undefined) return undefined;
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(k + 1, 0x9e3779b9)) >>> 0;
}

/** A CPU generator: seeded when `seed` is given. */
export function cpuRng(seed: number | undefined): Rng {
  return mulberry32(seed ?? nextSeed(Math.random));
}

/**
 * log G with G ~ Gamma(α, 1), in double precision; for α < 1 uses G = G(α + 1)·U^{1/α} in log space, so tiny
 * concentrations (1e-3) give finite logs instead of underflowing to log 0.
 */
export function sampleLogGamma(alpha: number, rng: Rng): number {
  if (alpha < 1) {
    let u = rng();
    while (u <= 0) u = rng();
    return Math.log(sampleGamma(rng, alpha + 1)) + Math.log(u) / alpha;
  }
  return Math.log(sampleGamma(rng, alpha));
}

/** Log-Gamma(α, 1) draws of the given shape, with α broadcast to it. */
export function logGammaTensor(concentration: tf.Tensor, shape: number[], seed: number | undefined): tf.Tensor {
  const alpha = tf.tidy(() => tf.broadcastTo(concentration, shape));
  const a = alpha.dataSync();
  alpha.dispose();
  const rng = cpuRng(seed);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = sampleLogGamma(a[i]!, rng);
  return tf.tensor(out, shape, 'float32');
}

/**
 * Poisson draws of the given shape with the rates broadcast to it (exact for any finite rate ≥ 0). A rate of +∞
 * (possible only with validation off) draws +∞ and an invalid rate (NaN, < 0) draws NaN, instead of failing.
 */
export function poissonTensor(rate: tf.Tensor, shape: number[], seed: number | undefined): tf.Tensor {
  const rates = tf.tidy(() => tf.broadcastTo(rate, shape));
  const r = rates.dataSync();
  rates.dispose();
  const rng = cpuRng(seed);
  const out = new Float32Array(r.length);
  for (let i = 0; i < r.length; i++) {
    const rate = r[i]!;
    out[i] = rate === Infinity ? Infinity : rate >= 0 ? samplePoisson(rng, rate) : NaN;
  }
  return tf.tensor(out, shape, 'float32');
}

/** Smallest positive normal float32, used to keep samples strictly inside open supports. */
export const FLOAT32_TINY = 1.1754943508222875e-38;
/** 1 − 2⁻²⁴: the largest float32 below 1. */
export const FLOAT32_ONE_MINUS_EPS = 1 - 2 ** -24;
