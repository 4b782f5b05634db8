import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, openUnitInterval, unitInterval } from './constraints.js';
import { binaryParameters, prepareBinaryLogits } from './binary-logits.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { cbCdf, cbIcdf, cbLogNormalizer, cbMean, horner } from './continuous-bernoulli-math.js';
import { quantile } from './quantile.js';
import { gradFreeMask } from './special.js';
import type { LogitsOrProbsParams } from './logits-or-probs.js';
import { broadcastShapes, type TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link ContinuousBernoulli}: exactly one of `logits` or `probs` (in the open interval (0, 1)). */
export type ContinuousBernoulliParams = LogitsOrProbsParams;

/** |ℓ| below this uses the power series of the mean and variance (their closed forms cancel near 0). */
const MOMENT_SERIES_BELOW = 2;
/** Mean − ½ = Σ c_n ℓ^{2n−1}, c_n = B₂ₙ/(2n)! (Bernoulli numbers). */
const MEAN_COEFFS = [
  1 / 12,
  -1 / 720,
  1 / 30240,
  -1 / 1209600,
  1 / 47900160,
  -691 / 1307674368000,
  1 / 74724249600,
  -3617 / 10670622842880000,
];
/** Variance = Σ c_n (2n − 1) ℓ^{2n−2}. */
const VAR_COEFFS = MEAN_COEFFS.map((c, i) => c * (2 * i + 1));

/**
 * The continuous Bernoulli distribution on [0, 1] (Loaiza-Ganem & Cunningham 2019), with λ = σ(ℓ):
 *
 * p(x) = C(λ)·λˣ(1 − λ)^{1−x},  C(λ) = 2 atanh(1 − 2λ)/(1 − 2λ) = ℓ / tanh(ℓ/2),
 * log p(x) = x·ℓ − softplus(ℓ) + log C.
 *
 * The normalizer is computed from the logits (log|ℓ| − log|tanh(ℓ/2)|), and in a window |ℓ| < 1e-2 around λ = ½
 * by its Taylor expansion log 2 + u²/3 − 7u⁴/90 (u = ℓ/2), as torch does — the closed form is 0/0 there. Mean
 * and variance use their Bernoulli-number series for |ℓ| < 2. Reparameterized: `rsample` inverts the cdf,
 * x = log1p(u·(e^ℓ − 1))/ℓ. Support [0, 1].
 */
export class ContinuousBernoulli extends Distribution {
  /** The parameters: `logits` (real) or `probs` (in (0, 1)), exactly one. */
  static readonly parameters = binaryParameters(openUnitInterval);
  /** ℓ = log λ − log(1 − λ), broadcast to the batch shape. */
  readonly logits: tf.Tensor;

  constructor(params: ContinuousBernoulliParams, options: DistributionOptions = {}) {
    const p = prepareBinaryLogits(
      'ContinuousBernoulli',
      ContinuousBernoulli.parameters,
      params,
      resolveValidateArgs('ContinuousBernoulli', options),
    );
    super(p.prepared, options);
    this.logits = p.logits;
  }
  override get support(): Constraint {
    return unitInterval;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** The parameter λ = σ(ℓ) (not the mean; a new tensor). */
  probsParameter(): tf.Tensor {
    return this.run(() => tf.sigmoid(this.logits));
  }
  /** log C(ℓ) = log|ℓ| − log|tanh(ℓ/2)| (see {@link cbLogNormalizer}). */
  private logNormalizer(): tf.Tensor {
    return cbLogNormalizer(this.logits);
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.sub(tf.mul(x, this.logits), tf.softplus(this.logits)), this.logNormalizer());
  }
  /** x = F⁻¹(u), u ~ U(0, 1) (see `cbIcdf`): pathwise gradients, accurate at every ℓ. */
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const u = tf.randomUniform(shape, 0, 1, 'float32', seed);
    return tf.clipByValue(cbIcdf(tf.broadcastTo(this.logits, shape), u), 0, 1);
  }
  /**
   * E[X] = 1/(1 − e^{−ℓ}) − 1/ℓ (= λ/(2λ − 1) + 1/(2 atanh(1 − 2λ))), without overflow at |ℓ| ≫ 1; series
   * ½ + ℓ/12 − ℓ³/720 + … for |ℓ| < 2.
   */
  protected override _mean(): tf.Tensor {
    return cbMean(this.logits, MOMENT_SERIES_BELOW, (ln) =>
      tf.add(0.5, tf.mul(ln, horner(tf.square(ln), MEAN_COEFFS))),
    );
  }
  /** Mode: 1 if λ > ½, else 0. */
  protected override _mode(): tf.Tensor {
    return tf.cast(tf.greater(this.logits, 0), 'float32');
  }
  /** Var[X] = 1/ℓ² − 1/(4 sinh²(ℓ/2)); series 1/12 − ℓ²/240 + … for |ℓ| < 2. */
  protected override _variance(): tf.Tensor {
    const l = this.logits;
    const near = gradFreeMask([l], (v) => tf.less(tf.abs(v), MOMENT_SERIES_BELOW));
    const far = tf.where(near, tf.fill(l.shape, 4), l);
    // 1/(4 sinh²(ℓ/2)) = e^{−|ℓ|} / (1 − e^{−|ℓ|})²
    const e = tf.exp(tf.neg(tf.abs(far)));
    const exact = tf.sub(tf.reciprocal(tf.square(far)), tf.div(e, tf.square(tf.sub(1, e))));
    const ln = tf.where(near, l, tf.zerosLike(l));
    return tf.where(near, horner(tf.square(ln), VAR_COEFFS), exact);
  }
  /** H = −(ℓ·E[X] − softplus(ℓ) + log C). */
  protected override _entropy(): tf.Tensor {
    return tf.neg(tf.add(tf.sub(tf.mul(this.logits, this._mean()), tf.softplus(this.logits)), this.logNormalizer()));
  }
  /** F(x) = (e^{ℓx} − 1)/(e^ℓ − 1) for x clipped to [0, 1] (see `cbCdf`); F = x at ℓ = 0. */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    return cbCdf(this.logits, tf.clipByValue(x, 0, 1));
  }
  /** F⁻¹(q) = log1p(q·(e^ℓ − 1))/ℓ (q at ℓ = 0; see `cbIcdf`), differentiable in q and ℓ. */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => {
      const shape = broadcastShapes([p.shape, this.batchShape]);
      return tf.clipByValue(cbIcdf(tf.broadcastTo(this.logits, shape), tf.broadcastTo(p, shape)), 0, 1);
    });
  }
}
