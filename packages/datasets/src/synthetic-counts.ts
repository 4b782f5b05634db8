import {
  ArgumentError,
  mulberry32,
  nextSeed,
  sampleNegativeBinomial,
  samplePoisson,
  standardNormal,
  type Matrix,
} from '@varia/core';
import type { Dataset } from './dataset.js';
import { requireInteger, requireOneOf, requirePositive, requireSeed } from './arguments.js';

/** The observation noise of {@link syntheticCounts}. */
export type CountNoise = 'poisson' | 'negative-binomial';

/** Options of {@link syntheticCounts}. */
export interface SyntheticCountsOptions {
  /** Number of examples (rows), a positive integer. */
  n: number;
  /** Number of count features (columns), a positive integer. */
  dim: number;
  /** Dimension of the true latent z, a positive integer. */
  latentDim: number;
  /** Seed of the generator; the same options give the same data. */
  seed: number;
  /** Observation noise: `'poisson'` (default) or `'negative-binomial'` (gamma–Poisson, over-dispersed). */
  noise?: CountNoise;
  /**
   * Inverse dispersion θ > 0 of the negative binomial (variance μ + μ²/θ; torch's `totalCount`); default 2.
   * Only used with `noise: 'negative-binomial'`.
   */
  dispersion?: number;
  /** Zero-inflation probability π in [0, 1): each count is replaced by an extra 0 with probability π. Default 0. */
  zeroInflation?: number;
  /** The mean of every feature's rate over z, E[μᵢⱼ] (before zero inflation); default 5. */
  meanCount?: number;
  /**
   * Scale s of the loadings: Wⱼₖ ~ N(0, s²/latentDim), so each feature's log-rate has standard deviation ≈ s over
   * z. Default 1 (rates spread over roughly e^{±2} around their median).
   */
  loadingScale?: number;
}

/** What {@link syntheticCounts} returns: the counts as a {@link Dataset} plus the ground truth that made them. */
export interface SyntheticCountsDataset extends Dataset {
  /** Always `'counts'`. */
  readonly kind: 'counts';
  /** The true latents z, `[n, latentDim]`, drawn from N(0, I). */
  readonly latents: Matrix;
  /** The means μ = exp(W z + b) of the counts before zero inflation, `[n, dim]`. */
  readonly rates: Matrix;
  /** The loadings W, `[dim, latentDim]`. */
  readonly loadings: Matrix;
  /** The offsets b, length `dim`. */
  readonly bias: Float32Array;
  /** The noise model used. */
  readonly noise: CountNoise;
  /** θ of the negative binomial; `Infinity` for Poisson noise. */
  readonly dispersion: number;
  /** π, the zero-inflation probability. */
  readonly zeroInflation: number;
}

/**
 * Count data with a known low-dimensional cause, for testing count VAEs against the truth.
 *
 * The generative process (all draws from one mulberry32 stream per part, seeded from `seed`):
 * 1. Loadings Wⱼₖ ~ N(0, s²/latentDim) (`[dim, latentDim]`), fixed by the seed alone (independent of `n`).
 * 2. Offsets bⱼ = log(meanCount) − ½‖Wⱼ‖², so that E_z[μᵢⱼ] = meanCount exactly for every feature
 *    (the lognormal mean).
 * 3. Latents zᵢ ~ N(0, I_latentDim); log-rates log μᵢⱼ = Wⱼ·zᵢ + bⱼ.
 * 4. Counts xᵢⱼ ~ Poisson(μᵢⱼ), or with `noise: 'negative-binomial'` NB(mean μᵢⱼ, inverse dispersion θ) drawn as
 *    Poisson(Gamma(θ, θ/μᵢⱼ)); then, with probability π = `zeroInflation`, replaced by 0.
 *    So E[xᵢⱼ | zᵢ] = (1 − π)μᵢⱼ and Var[xᵢⱼ | zᵢ] = (1 − π)(μ + μ²/θ) + π(1 − π)μ² (θ = ∞ for Poisson).
 *
 * Labels: the index of the largest latent coordinate, argmaxₖ zᵢₖ (a "dominant factor" in 0…latentDim−1;
 * with latentDim = 1 every label is 0).
 *
 * @returns a {@link SyntheticCountsDataset} named `"synthetic-counts"`, kind `'counts'`, shape `[dim]`.
 * @throws ArgumentError naming the offending option.
 */
export function syntheticCounts(options: SyntheticCountsOptions): SyntheticCountsDataset {
  const where = 'syntheticCounts';
  const seed = requireSeed(where, options?.seed);
  const n = requireInteger(where, 'n', options.n);
  const dim = requireInteger(where, 'dim', options.dim);
  const latentDim = requireInteger(where, 'latentDim', options.latentDim);
  const noise = requireOneOf(where, 'noise', options.noise ?? 'poisson', ['poisson', 'negative-binomial'] as const);
  const dispersion = noise === 'poisson' ? Infinity : requirePositive(where, 'dispersion', options.dispersion ?? 2);
  const meanCount = requirePositive(where, 'meanCount', options.meanCount ?? 5);
  const loadingScale = requirePositive(where, 'loadingScale', options.loadingScale ?? 1);
  const zeroInflation = options.zeroInflation ?? 0;
  if (typeof zeroInflation !== 'number' || !(zeroInflation >= 0 && zeroInflation < 1)) {
    throw new ArgumentError('zeroInflation', `${where}: "zeroInflation" must be in [0, 1), got ${zeroInflation}`);
  }

  const root = mulberry32(seed);
  const loadingRng = mulberry32(nextSeed(root));
  const latentRng = mulberry32(nextSeed(root));
  const noiseRng = mulberry32(nextSeed(root));

  const loadings = new Float32Array(dim * latentDim);
  const bias = new Float32Array(dim);
  const loadingSd = loadingScale / Math.sqrt(latentDim);
  for (let j = 0; j < dim; j++) {
    let squaredNorm = 0;
    for (let k = 0; k < latentDim; k++) {
      const w = Math.fround(loadingSd * standardNormal(loadingRng));
      loadings[j * latentDim + k] = w;
      squaredNorm += w * w;
    }
    bias[j] = Math.log(meanCount) - 0.5 * squaredNorm;
  }

  const latents = new Float32Array(n * latentDim);
  const rates = new Float32Array(n * dim);
  const counts = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  const z = new Float64Array(latentDim);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 0; k < latentDim; k++) {
      z[k] = Math.fround(standardNormal(latentRng));
      latents[i * latentDim + k] = z[k]!;
      if (z[k]! > z[best]!) best = k;
    }
    labels[i] = best;
    for (let j = 0; j < dim; j++) {
      let logRate = bias[j]!;
      for (let k = 0; k < latentDim; k++) logRate += loadings[j * latentDim + k]! * z[k]!;
      const rate = Math.exp(logRate);
      rates[i * dim + j] = rate;
      let count =
        noise === 'poisson' ? samplePoisson(noiseRng, rate) : sampleNegativeBinomial(noiseRng, rate, dispersion);
      if (zeroInflation > 0 && noiseRng() < zeroInflation) count = 0;
      counts[i * dim + j] = count;
    }
  }

  return {
    name: 'synthetic-counts',
    x: { data: counts, rows: n, cols: dim },
    labels,
    shape: [dim],
    kind: 'counts',
    latents: { data: latents, rows: n, cols: latentDim },
    rates: { data: rates, rows: n, cols: dim },
    loadings: { data: loadings, rows: dim, cols: latentDim },
    bias,
    noise,
    dispersion,
    zeroInflation,
  };
}
