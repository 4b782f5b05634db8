import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import {
  ENTROPY_TAIL,
  MAX_ENTROPY_GRID,
  negativeBinomialEntropyCutoff,
  truncatedCountEntropy,
} from './count-entropy.js';
import { gradFreeMask } from './special.js';

/*
 * The negative-binomial entropy H = −Σ_k p(k) log p(k) (no closed form; torch and TFP have none) for any mean. Below
 * QUADRATURE_FROM terms it is the exact truncated sum of `truncatedCountEntropy`. Above, the mass function varies on
 * the scale of its standard deviation σ ≥ √μ ≥ 128, so the sum over the integers equals the integral of the smooth
 * continuation of −p log p (Loader's saddle-point log-mass is defined for real x) up to the midpoint rule's end
 * corrections (g'/24, below 1e-8 nats here) and terms of order e^(−2π²σ²): the counts below EXACT_HEAD, where the mass
 * can vary on the unit scale (r < 1: p(x) ∝ x^(r−1)), are summed exactly, and the rest of [L, K] is integrated with
 * 8-point Gauss–Legendre panels no wider than x/2 and σ/2. L and K come from Chernoff's bound on the tails, so the
 * mass left out is below ENTROPY_TAIL on each side (no incomplete-beta evaluation, which loses accuracy at means
 * beyond ~1e15). The quadrature is normalised, H = −Σ wpℓ/Σ wp + log Σ wp with ℓ = log p, so that a constant float32
 * error in log p cancels. Every step is a tensor op in the parameters: differentiable in r and ℓ.
 */

/** From this many terms per batch member on, the entropy is integrated instead of summed. */
const QUADRATURE_FROM = 1 << 14;
/** In the quadrature branch, counts below this are summed exactly. */
const EXACT_HEAD = 256;
/** Gauss–Legendre nodes and weights on [−1, 1], 8 points (exact for polynomials of degree 15). */
const GL_NODES = [
  -0.9602898564975362, -0.7966664774136267, -0.525532409916329, -0.18343464249564978, 0.18343464249564978,
  0.525532409916329, 0.7966664774136267, 0.9602898564975362,
];
const GL_WEIGHTS = [
  0.10122853629037669, 0.22238103445337434, 0.31370664587788705, 0.36268378337836177, 0.36268378337836177,
  0.31370664587788705, 0.22238103445337434, 0.10122853629037669,
];
/** The largest count the quadrature handles (its nodes and log-masses must be float32). */
const MAX_QUADRATURE_COUNT = 1e37;

/**
 * log of Chernoff's bound on P(X ≥ k) for k > μ, or on P(X ≤ k) for k < μ, for the negative binomial with r failures
 * and success log-odds ℓ: with u = k/(k + r) in E[e^(tX)] = ((1 − p)/(1 − p·e^t))^r at p·e^t = u,
 * log P ≤ −k·log(u/p) + r·log((1 − p)/(1 − u)) (the relative entropy of the two geometric rates, times k + r).
 */
function negativeBinomialLogTailBound(k: number, r: number, logits: number): number {
  if (k <= 0) return 0;
  const logP = -softplus(-logits);
  const log1mP = -softplus(logits);
  const logU = Math.log(k) - Math.log(k + r);
  const log1mU = Math.log(r) - Math.log(k + r);
  return -k * (logU - logP) + r * (log1mP - log1mU);
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** The k where a monotone bound `f` crosses `target`, by bisection on [lo, hi] with f(lo) ≥ target > f(hi) (or reversed). */
function crossing(f: (k: number) => number, lo: number, hi: number, target: number): number {
  const increasing = f(lo) < f(hi);
  for (let i = 0; i < 200 && hi - lo > Math.max(1, 1e-6 * hi); i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) >= target === increasing) hi = mid;
    else lo = mid;
  }
  return increasing ? lo : hi;
}

/** Nodes and weights of one batch member: integers below EXACT_HEAD (weight 1), then Gauss–Legendre panels. */
function memberQuadrature(r: number, logits: number): { x: number[]; w: number[] } {
  if (!(r > 0) || !Number.isFinite(logits)) return { x: [0], w: [1] }; // a point mass (ℓ = −∞) or undefined
  const target = Math.log(ENTROPY_TAIL) - Math.log(4);
  const mean = r * Math.exp(logits);
  const sd = Math.sqrt(mean + (mean * mean) / r);
  const bound = (k: number) => negativeBinomialLogTailBound(k, r, logits);
  let hi = Math.max(2 * mean, mean + 10 * sd);
  while (bound(hi) >= target && hi < MAX_QUADRATURE_COUNT) hi *= 2;
  if (!(hi < MAX_QUADRATURE_COUNT))
    throw new ArgumentError(
      'parameters',
      `entropy: a negative binomial with mean ${mean.toPrecision(3)} (r = ${r}) is beyond the float32 range the entropy quadrature handles`,
    );
  const upper = Math.ceil(crossing(bound, mean, hi, target));
  const lower = bound(1) >= target ? 0 : Math.floor(crossing(bound, 1, mean, target));
  const x: number[] = [];
  const w: number[] = [];
  let start = lower;
  if (lower < EXACT_HEAD) {
    for (let k = lower; k < EXACT_HEAD; k++) {
      x.push(k);
      w.push(1);
    }
    start = EXACT_HEAD;
  }
  // each integer k ≥ start stands for the cell [k − ½, k + ½]
  for (let a = start - 0.5; a < upper + 0.5; ) {
    const width = Math.min(upper + 0.5 - a, Math.max(1, Math.min(a / 2, sd / 2)));
    for (let j = 0; j < GL_NODES.length; j++) {
      x.push(a + (width * (GL_NODES[j]! + 1)) / 2);
      w.push((width * GL_WEIGHTS[j]!) / 2);
    }
    a += width;
  }
  return { x, w };
}

/**
 * The entropy of a batch of negative binomials with host parameters `totalCount` and `logits` (flat, one per batch
 * member) whose log-mass at counts of shape `[n, ...batchShape]` is `logPmf`: the exact truncated sum when every
 * member needs fewer than QUADRATURE_FROM terms, else the quadrature described above.
 * @throws ArgumentError when the grid would exceed MAX_ENTROPY_GRID points or a mean is beyond ~1e36.
 */
export function negativeBinomialEntropy(
  logPmf: (k: tf.Tensor) => tf.Tensor,
  batchShape: readonly number[],
  totalCount: ArrayLike<number>,
  logits: ArrayLike<number>,
): tf.Tensor {
  const cutoff = negativeBinomialEntropyCutoff(totalCount, logits);
  if (cutoff < QUADRATURE_FROM) return truncatedCountEntropy(logPmf, batchShape, cutoff);
  const batch = totalCount.length;
  let n = 0;
  const members = Array.from({ length: batch }, (_, i) => {
    const m = memberQuadrature(totalCount[i]!, logits[i]!);
    n = Math.max(n, m.x.length);
    if (n * batch > MAX_ENTROPY_GRID)
      throw new ArgumentError(
        'parameters',
        `entropy: the quadrature needs ${n} points per batch member (batch ${batch}), more than ${MAX_ENTROPY_GRID} in all`,
      );
    return m;
  });
  const points = new Float32Array(n * batch).fill(1);
  const weights = new Float32Array(n * batch);
  members.forEach((m, b) => {
    m.x.forEach((v, i) => {
      points[i * batch + b] = v;
      weights[i * batch + b] = m.w[i]!;
    });
  });
  return tf.tidy(() => {
    const shape = [n, ...batchShape];
    const lp = logPmf(tf.tensor(points, shape));
    const w = tf.tensor(weights, shape);
    const finite = gradFreeMask([lp], (v) => tf.isFinite(v));
    const lpSafe = tf.where(finite, lp, tf.zerosLike(lp));
    const wp = tf.where(finite, tf.mul(w, tf.exp(lpSafe)), tf.zerosLike(lp));
    const mass = tf.sum(wp, 0);
    return tf.add(tf.neg(tf.div(tf.sum(tf.mul(wp, lpSafe), 0), mass)), tf.log(mass));
  });
}
