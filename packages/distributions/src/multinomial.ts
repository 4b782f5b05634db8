import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { sampleBinomial } from './binomial.js';
import { categoricalEntropy, categoricalParameters } from './categorical.js';
import { type Constraint, nonNegativeInteger } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { cpuRng } from './sampling.js';
import { lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { categoricalLogits, type LogitsOrProbsParams } from './logits-or-probs.js';
import { resolveValidateArgs } from './validate.js';
import { mulZeroSafe } from './zero-safe.js';

/** Parameters of {@link Multinomial}: `totalCount` n (one integer for the batch) and exactly one of `logits` or `probs` over K categories. */
export type MultinomialParams = {
  /** Number of draws n, one non-negative integer for the whole batch. */
  totalCount: TensorLike;
} & LogitsOrProbsParams;

/**
 * The multinomial distribution of the category counts of n independent draws from Categorical(p), event shape `[K]`:
 *
 * log p(x) = log n! − Σᵢ log xᵢ! + Σᵢ xᵢ log pᵢ,  Σᵢ xᵢ = n,
 *
 * with 0·log 0 = 0 (zero-probability categories are exact). As torch, n is one integer for the whole batch. Samples
 * are exact (sequential conditional binomials on the host); `entropy` sums over the binomial marginals (torch's
 * formula): H = n·H(p) − log n! + Σᵢ E[log xᵢ!].
 */
export class Multinomial extends Distribution {
  /** The parameters: `totalCount` (a non-negative integer) with `logits` or `probs` (vectors over K). */
  static readonly parameters = declareParameters(
    { totalCount: { constraint: nonNegativeInteger }, ...categoricalParameters.properties },
    [
      ['totalCount', 'logits'],
      ['totalCount', 'probs'],
    ],
  );
  /** n, as given (one value). */
  readonly totalCount: tf.Tensor;
  /** Normalized logits log pᵢ, `[...batchShape, K]`. */
  readonly logits: tf.Tensor;
  private readonly n: number;

  constructor(params: MultinomialParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'Multinomial',
      Multinomial.parameters,
      params,
      resolveValidateArgs('Multinomial', options),
    );
    const counts = p.tensors.totalCount.dataSync();
    const n = counts[0] ?? 0;
    if (counts.some((c) => c !== n)) {
      for (const t of p.owned) t.dispose();
      throw new ArgumentError(
        'totalCount',
        `Multinomial: "totalCount" must be one integer for the whole batch (torch's rule), got ${n} and ${counts.find((c) => c !== n)}`,
      );
    }
    const logits = categoricalLogits(p.tensors, p.owned);
    super({ ...p, eventShape: p.shape.slice(-1) }, options);
    this.totalCount = p.tensors.totalCount;
    this.logits = logits;
    this.n = n;
  }
  /** Non-negative integer vectors summing to n. */
  override get support(): Constraint {
    const n = this.n;
    return {
      name: `multinomial(${n})`,
      description: `non-negative integers summing to ${n} along the last axis`,
      finite: true,
      eventDims: 1,
      check: (x) => tf.logicalAnd(tf.all(nonNegativeInteger.check(x), -1), tf.equal(tf.sum(x, -1), n)),
    };
  }
  /** pᵢ = softmax(ℓ)ᵢ (a new tensor). */
  probsParameter(): tf.Tensor {
    return this.run(() => tf.exp(this.logits));
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const norm = tf.sub(lgamma(tf.scalar(this.n + 1)), tf.sum(lgamma(tf.add(x, 1)), -1));
    return tf.add(norm, tf.sum(mulZeroSafe(x, this.logits), -1));
  }
  /** x₁ ~ Bin(n, p₁), xᵢ ~ Bin(n − Σ_{j<i} xⱼ, pᵢ/(1 − Σ_{j<i} pⱼ)), exact in double precision. */
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const k = this.eventShape[0]!;
    const probs = tf.tidy(() => tf.broadcastTo(tf.exp(this.logits), shape));
    const p = probs.dataSync();
    probs.dispose();
    const rng = cpuRng(seed);
    const out = new Float32Array(p.length);
    for (let base = 0; base < p.length; base += k) {
      let left = this.n;
      let mass = 1;
      for (let i = 0; i < k && left > 0; i++) {
        const pi = p[base + i]!;
        const xi = i === k - 1 ? left : sampleBinomial(rng, left, mass > 0 ? Math.min(Math.max(pi / mass, 0), 1) : 0);
        out[base + i] = xi;
        left -= xi;
        mass -= pi;
      }
    }
    return tf.tensor(out, shape, 'float32');
  }
  /** n·p. */
  protected override _mean(): tf.Tensor {
    return tf.mul(this.n, tf.exp(this.logits));
  }
  /** n·p(1 − p) (the diagonal of the covariance). */
  protected override _variance(): tf.Tensor {
    const p = tf.exp(this.logits);
    return tf.mul(this.n, tf.mul(p, tf.sub(1, p)));
  }
  /** H = n·H(p) − log n! + Σᵢ Σ_{k=0}^{n} Bin(k; n, pᵢ)·log k!. */
  protected override _entropy(): tf.Tensor {
    const n = this.n;
    if (!(Number.isInteger(n) && n >= 0 && n <= 1e6)) {
      throw new ArgumentError(
        'totalCount',
        `Multinomial.entropy: "totalCount" must be an integer in [0, 1e6] to sum over, got ${n}`,
      );
    }
    const k = tf.reshape(tf.range(0, n + 1, 1, 'float32'), [n + 1, ...this.batchShape.map(() => 1), 1]);
    const logP = this.logits;
    const log1mP = tf.log1p(tf.neg(tf.exp(logP)));
    const logChoose = tf.sub(tf.sub(lgamma(tf.scalar(n + 1)), lgamma(tf.add(k, 1))), lgamma(tf.sub(n + 1, k)));
    const logPmf = tf.add(logChoose, tf.add(mulZeroSafe(k, logP), mulZeroSafe(tf.sub(n, k), log1mP)));
    const expectedLogFact = tf.sum(tf.mul(tf.exp(logPmf), lgamma(tf.add(k, 1))), [0, k.rank - 1]);
    return tf.add(tf.sub(tf.mul(n, categoricalEntropy(this.logits)), lgamma(tf.scalar(n + 1))), expectedLogFact);
  }
}
