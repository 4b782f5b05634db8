import * as tf from '@tensorflow/tfjs-core';
import { type Constraint, nonNegative, positive } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { logGammaRsample } from './implicit-reparam.js';
import { betainc, betaincInv } from './incomplete-beta.js';
import { declareParameters, prepareParameters } from './parameters.js';
import { quantile } from './quantile.js';
import { subSeed } from './sampling.js';
import { digamma, gradFreeMask, lbeta, lgamma } from './special.js';
import type { TensorLike } from './tensor-like.js';
import { resolveValidateArgs } from './validate.js';

/** Parameters of {@link FisherSnedecor}. */
export interface FisherSnedecorParams {
  /** Numerator degrees of freedom d₁ > 0. */
  df1: TensorLike;
  /** Denominator degrees of freedom d₂ > 0. */
  df2: TensorLike;
}

/** f(d) where d > `above` (computed at a safe d elsewhere), `otherwise` elsewhere. */
function where(d: tf.Tensor, above: number, f: (d: tf.Tensor) => tf.Tensor, otherwise: tf.Tensor | number): tf.Tensor {
  const ok = gradFreeMask([d], (v) => tf.greater(v, above));
  const v = f(tf.where(ok, d, tf.fill(d.shape, above + 1)));
  return tf.where(ok, v, typeof otherwise === 'number' ? tf.fill(v.shape, otherwise) : otherwise);
}

/**
 * The F (Fisher–Snedecor) distribution of (χ²_{d₁}/d₁)/(χ²_{d₂}/d₂), on x ≥ 0:
 *
 * log p(x) = log Γ((d₁+d₂)/2) − log Γ(d₁/2) − log Γ(d₂/2) + (d₁/2) log(d₁/d₂) + (d₁/2 − 1) log x − ((d₁+d₂)/2) log(1 + d₁x/d₂).
 *
 * `cdf` = I_{d₁x/(d₁x+d₂)}(d₁/2, d₂/2); `rsample` through two implicitly reparameterized Gamma draws. Moments follow
 * the mathematics where torch gives NaN: mean +∞ for d₂ ≤ 2, variance +∞ for 2 < d₂ ≤ 4 (NaN for d₂ ≤ 2), mode 0 for
 * d₁ ≤ 2.
 */
export class FisherSnedecor extends Distribution {
  /** The parameters: `df1` and `df2`, positive. */
  static readonly parameters = declareParameters({ df1: { constraint: positive }, df2: { constraint: positive } });
  /** d₁, broadcast to the batch shape. */
  readonly df1: tf.Tensor;
  /** d₂, broadcast to the batch shape. */
  readonly df2: tf.Tensor;

  constructor(params: FisherSnedecorParams, options: DistributionOptions = {}) {
    const p = prepareParameters(
      'FisherSnedecor',
      FisherSnedecor.parameters,
      params,
      resolveValidateArgs('FisherSnedecor', options),
    );
    super(p, options);
    this.df1 = p.tensors.df1;
    this.df2 = p.tensors.df2;
  }
  override get support(): Constraint {
    return nonNegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** F⁻¹(q) = d₂z/(d₁(1 − z)) with z = I⁻¹_q(d₁/2, d₂/2). */
  icdf(q: TensorLike): tf.Tensor {
    return quantile(this, q, (p) => {
      const zero = tf.zerosLike(tf.add(p, this.df1));
      const z = betaincInv(tf.add(tf.mul(0.5, this.df1), zero), tf.add(tf.mul(0.5, this.df2), zero), tf.add(p, zero));
      return tf.div(tf.mul(this.df2, z), tf.mul(this.df1, tf.sub(1, z)));
    });
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const h1 = tf.mul(0.5, this.df1);
    const h2 = tf.mul(0.5, this.df2);
    const ratio = tf.div(this.df1, this.df2);
    const t1 = tf.sub(tf.sub(lgamma(tf.add(h1, h2)), lgamma(h1)), lgamma(h2));
    const t2 = tf.add(tf.mul(h1, tf.log(ratio)), tf.mul(tf.sub(h1, 1), tf.log(x)));
    return tf.sub(tf.add(t1, t2), tf.mul(tf.add(h1, h2), tf.log1p(tf.mul(ratio, x))));
  }
  /** X = (G₁/d₁)/(G₂/d₂)·… in log space: log G₁ − log G₂ + log(d₂/d₁), Gᵢ ~ Gamma(dᵢ/2, 1). */
  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    const g1 = logGammaRsample(tf.mul(0.5, this.df1), shape, subSeed(seed, 0));
    const g2 = logGammaRsample(tf.mul(0.5, this.df2), shape, subSeed(seed, 1));
    return tf.exp(tf.add(tf.sub(g1, g2), tf.log(tf.div(this.df2, this.df1))));
  }
  /** d₂/(d₂ − 2) for d₂ > 2, else +∞. */
  protected override _mean(): tf.Tensor {
    return where(this.df2, 2, (d) => tf.div(d, tf.sub(d, 2)), Infinity);
  }
  /** ((d₁ − 2)/d₁)·d₂/(d₂ + 2) for d₁ > 2, else 0. */
  protected override _mode(): tf.Tensor {
    return where(this.df1, 2, (d) => tf.mul(tf.div(tf.sub(d, 2), d), tf.div(this.df2, tf.add(this.df2, 2))), 0);
  }
  /** 2d₂²(d₁ + d₂ − 2)/(d₁(d₂ − 2)²(d₂ − 4)) for d₂ > 4; +∞ for 2 < d₂ ≤ 4; NaN for d₂ ≤ 2. */
  protected override _variance(): tf.Tensor {
    const d1 = this.df1;
    const undefinedOrInf = where(this.df2, 2, () => tf.fill(this.batchShape as number[], Infinity), NaN);
    return where(
      this.df2,
      4,
      // 2(d₂/(d₂ − 2))²·(d₁ + d₂ − 2)/(d₁(d₂ − 4)): the products d₂² and d₁(d₂ − 2)²(d₂ − 4) overflow float32 from
      // d₂ ≈ 1e13 (NaN at d₂ = 1e30, where the variance is 2/d₁)
      (d2) =>
        tf.mul(
          tf.mul(2, tf.square(tf.div(d2, tf.sub(d2, 2)))),
          tf.div(tf.sub(tf.add(d1, d2), 2), tf.mul(d1, tf.sub(d2, 4))),
        ),
      undefinedOrInf,
    );
  }
  /**
   * H = log(d₂/d₁) + log B(d₁/2, d₂/2) + (1 − d₁/2)ψ(d₁/2) − (1 + d₂/2)ψ(d₂/2) + ((d₁ + d₂)/2)ψ((d₁ + d₂)/2).
   */
  protected override _entropy(): tf.Tensor {
    const h1 = tf.mul(0.5, this.df1);
    const h2 = tf.mul(0.5, this.df2);
    const s = tf.add(h1, h2);
    const t = tf.add(tf.log(tf.div(this.df2, this.df1)), lbeta(h1, h2));
    const psi = tf.add(
      tf.sub(tf.mul(tf.sub(1, h1), digamma(h1)), tf.mul(tf.add(1, h2), digamma(h2))),
      tf.mul(s, digamma(s)),
    );
    return tf.add(t, psi);
  }
  /** F(x) = I_{d₁x/(d₁x + d₂)}(d₁/2, d₂/2). */
  protected override _cdf(x: tf.Tensor): tf.Tensor {
    const d1x = tf.mul(this.df1, tf.relu(x));
    const z = tf.div(d1x, tf.add(d1x, this.df2));
    const zero = tf.zerosLike(z);
    return betainc(tf.add(tf.mul(0.5, this.df1), zero), tf.add(tf.mul(0.5, this.df2), zero), z);
  }
}
