import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, type Rng, sampleGamma } from '@varia/core';
import { type Constraint, nonNegativeInteger, real, unitInterval } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { binomialLogPmf } from './binomial-log-pmf.js';
import { betainc } from './incomplete-beta.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { cpuRng } from './sampling.js';
import { gradFreeMask } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { binaryLogits, type LogitsOrProbsParams } from './logits-or-probs.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link Binomial}: `totalCount` n and exactly one of `probs` p or `logits` ℓ. */
export type BinomialParams = {
  /** Number of trials n, a non-negative integer. */
  totalCount: TensorLike;
} & LogitsOrProbsParams;

/** The largest `totalCount` whose support `enumerateSupport` and `entropy` materialize. */
const MAX_ENUMERATED = 1e6;

/** Binomial(n, p) by inversion (sequential search) for small n·min(p, 1 − p). */
function binomialInversion(rng: Rng, n: number, p: number): number {
  if (p > 0.5) return n - binomialInversion(rng, n, 1 - p);
  if (p <= 0 || n === 0) return 0;
  const ratio = p / (1 - p);
  let pmf = Math.exp(n * Math.log1p(-p));
  let u = rng();
  for (let k = 0; k < n; k++) {
    if (u < pmf) return k;
    u -= pmf;
    pmf *= (ratio * (n - k)) / (k + 1);
  }
  return n;
}

/**
 * An exact Binomial(n, p) draw in double precision: Knuth's beta splitting (the a-th order statistic of n uniforms
 * is Beta(a, n + 1 − a)) reduces n to ≤ 32 in O(log n) gamma draws, then inversion.
 */
export function sampleBinomial(rng: Rng, n: number, p: number): number {
  if (!(Number.isInteger(n) && n >= 0 && p >= 0 && p <= 1)) return NaN; // unvalidated parameters: no draw, no hang
  let count = 0;
  while (n > 32) {
    const a = 1 + Math.floor(n / 2);
    const b = n + 1 - a;
    const ga = sampleGamma(rng, a);
    const x = ga / (ga + sampleGamma(rng, b));
    if (x >= p) {
      n = a - 1;
      p /= x;
    } else {
      count += a;
      n = b - 1;
      p = (p - x) / (1 - x);
    }
  }
  return count + binomialInversion(rng, n, p);
}

/**
 * The binomial distribution of the number of successes in n trials with success probability p = σ(ℓ):
 *
 * log p(k) = log C(n, k) + k log p + (n − k) log(1 − p), on {0, …, n},
 *
 * with log p = −softplus(−ℓ), log(1 − p) = −softplus(ℓ), and 0·log 0 = 0 so p ∈ {0, 1} are exact, evaluated by
 * Loader's saddle-point form (R's `dbinom_raw`: accurate in float32 also for large n). `n` may vary
 * over the batch (non-negative integers); `enumerateSupport` and `entropy` need one n for the whole batch (torch),
 * at most 10⁶ (the support is summed over).
 */
export class Binomial extends Distribution {
  /** The parameters: `totalCount` (non-negative integer) with `logits` (real) or `probs` (in [0, 1]). */
  static readonly parameters = declareParameters(
    {
      totalCount: { constraint: nonNegativeInteger },
      logits: { constraint: real },
      probs: { constraint: unitInterval },
    },
    [
      ['totalCount', 'logits'],
      ['totalCount', 'probs'],
    ],
  );
  /** n, broadcast to the batch shape. */
  readonly totalCount: tf.Tensor;
  /** Log-odds ℓ, broadcast to the batch shape. */
  readonly logits: tf.Tensor;

  constructor(params: BinomialParams, options: DistributionOptions = {}) {
    const p = prepareParameters('Binomial', Binomial.parameters, params, resolveValidateArgs('Binomial', options));
    const logits = binaryLogits(p.tensors, p.owned);
    super(p, options);
    this.totalCount = p.tensors.totalCount;
    this.logits = logits;
  }
  /** {0, …, n}. */
  override get support(): Constraint {
    return {
      name: 'integerInterval(0, totalCount)',
      description: 'an integer in [0, totalCount]',
      finite: true,
      eventDims: 0,
      check: (x) => tf.logicalAnd(nonNegativeInteger.check(x), tf.lessEqual(x, this.totalCount)),
    };
  }
  /** Success probability p = σ(ℓ) (a new tensor). */
  probsParameter(): tf.Tensor {
    return this.run(() => tf.sigmoid(this.logits));
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  /** The support {0, …, n} (one n for the batch, at most 10⁶), shape `[n + 1, 1, …, 1]`. */
  protected override _enumerateSupport(): tf.Tensor {
    const n = this.commonTotalCount('enumerateSupport');
    if (!(Number.isInteger(n) && n >= 0 && n <= MAX_ENUMERATED)) {
      throw new ArgumentError(
        'totalCount',
        `Binomial.enumerateSupport: "totalCount" must be an integer in [0, ${MAX_ENUMERATED}] to enumerate, got ${n}`,
      );
    }
    return this.supportShaped(tf.range(0, n + 1, 1, 'float32'));
  }
  private commonTotalCount(method: string): number {
    const counts = this.totalCount.dataSync();
    const n = counts[0] ?? 0;
    if (counts.some((c) => c !== n)) {
      throw new ArgumentError(
        'totalCount',
        `Binomial.${method} needs the same "totalCount" across the batch (torch's rule), got ${counts[0]} and ${counts.find((c) => c !== n)}`,
      );
    }
    return n;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return binomialLogPmf(x, this.totalCount, this.logits);
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const [n, p] = tf.tidy(() => [
      tf.broadcastTo(this.totalCount, shape),
      tf.broadcastTo(tf.sigmoid(this.logits), shape),
    ]);
    const ns = n!.dataSync();
    const ps = p!.dataSync();
    n!.dispose();
    p!.dispose();
    const rng = cpuRng(seed);
    const out = new Float32Array(ns.length);
    for (let i = 0; i < ns.length; i++) out[i] = sampleBinomial(rng, ns[i]!, ps[i]!);
    return tf.tensor(out, shape, 'float32');
  }
  /** np. */
  protected override _mean(): tf.Tensor {
    return tf.mul(this.totalCount, tf.sigmoid(this.logits));
  }
  /** ⌊(n + 1)p⌋, at most n. */
  protected override _mode(): tf.Tensor {
    return tf.minimum(tf.floor(tf.mul(tf.add(this.totalCount, 1), tf.sigmoid(this.logits))), this.totalCount);
  }
  /** np(1 − p). */
  protected override _variance(): tf.Tensor {
    const p = tf.sigmoid(this.logits);
    return tf.mul(tf.mul(this.totalCount, p), tf.sub(1, p));
  }
  /** H = −Σ_{k=0}^{n} p(k) log p(k), summed over the support (one n for the batch, as torch). */
  protected override _entropy(): tf.Tensor {
    const k = this._enumerateSupport();
    const lp = this._logProb(k);
    const terms = tf.mul(tf.exp(lp), lp);
    const safe = tf.where(
      gradFreeMask([lp], (v) => tf.equal(v, -Infinity)),
      tf.zerosLike(terms),
      terms,
    );
    return tf.neg(tf.sum(safe, 0));
  }
  /** F(k) = I_{1−p}(n − ⌊k⌋, ⌊k⌋ + 1) for 0 ≤ k < n (the regularized incomplete beta); 0 below 0, 1 from n. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const n = this.totalCount;
    const k = tf.floor(x);
    const inside = gradFreeMask([k, n], (kv, nv) => tf.logicalAnd(tf.greaterEqual(kv, 0), tf.less(kv, nv!)));
    const kSafe = tf.where(inside, k, tf.zerosLike(k));
    const nSafe = tf.where(inside, tf.add(n, tf.zerosLike(k)), tf.onesLike(k));
    const q = tf.add(tf.sigmoid(tf.neg(this.logits)), tf.zerosLike(k));
    const f = betainc(tf.sub(nSafe, kSafe), tf.add(kSafe, 1), q);
    return tf.where(inside, f, tf.where(tf.less(k, 0), tf.zerosLike(f), tf.onesLike(f)));
  }
}
