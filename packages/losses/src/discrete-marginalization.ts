import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import type { Distribution } from '@varia/distributions';
import { enumerateLatentSupport } from './enumerate.js';
import { type KLMode, klTerms } from './kl-terms.js';

/** What {@link elboOverDiscrete} needs: a discrete latent y with q(y|x) and p(y), and the rest of the model given y. */
export interface DiscreteLatentInputs {
  /** The observed batch x, `[n, …]`. */
  x: tf.Tensor;
  /** q(y|x): an enumerable family (see `latentSupportSize`) with batch shape `[n]` and event shape `[d]`. */
  posterior: Distribution;
  /** p(y), batch shape `[]` or `[n]`. */
  prior: Distribution;
  /**
   * The ELBO of everything else given y, per row: for rows y `[S·n, d]` (support-major: rows s·n … s·n + n − 1 hold
   * support value s for examples 0 … n − 1) and x tiled the same way `[S·n, …]`, return `[S·n]` — e.g. the
   * {@link elbo} of a Gaussian z with q(z|x, y), p(z|y) and p(x|z, y) (a Gaussian-mixture VAE, the M2 model), or
   * log p(x|y) itself when y is the only latent. Its gradient flows as usual (reparameterized or not).
   */
  innerElbo: (y: tf.Tensor, x: tf.Tensor) => tf.Tensor;
}

/** The result of {@link elboOverDiscrete}, per example. */
export interface DiscreteElboTerms {
  /** ELBO(x) = E_q(y|x)[ELBO_inner(x, y)] − KL(q(y|x) ‖ p(y)), `[n]`. */
  elbo: tf.Tensor;
  /** E_q(y|x)[ELBO_inner(x, y)], `[n]`. */
  expectedInner: tf.Tensor;
  /** KL(q(y|x) ‖ p(y)), analytic or summed exactly, `[n]`. */
  kl: tf.Tensor;
  /** The estimator for y: always exact enumeration. */
  estimator: 'enumerate';
}

/**
 * The ELBO with a discrete latent y summed out exactly (Pyro's `TraceEnum_ELBO` for one enumerated site), per example:
 *
 * ELBO(x) = Σ_y q(y|x) · ELBO_inner(x, y) − KL(q(y|x) ‖ p(y)),
 *
 * with the KL analytic when registered, else the exact sum Σ_y q(y|x)(log q(y|x) − log p(y)). The gradient with
 * respect to q(y|x) is exact (no estimator variance from y); the inner ELBO brings its own. Batched: `innerElbo` is
 * called once with all S·n rows.
 * @throws ArgumentError when the posterior's family is not enumerable; ShapeError for a wrong batch or `innerElbo`
 *   result shape.
 */
export function elboOverDiscrete(inputs: DiscreteLatentInputs, options: { kl?: KLMode } = {}): DiscreteElboTerms {
  const { x, posterior, prior, innerElbo } = inputs;
  const n = x.shape[0]!;
  if (posterior.batchShape.length !== 1 || posterior.batchShape[0] !== n) {
    throw new ShapeError(
      'posterior',
      `posterior batch shape must be [${n}] (one per example), got [${posterior.batchShape.join(', ')}]`,
    );
  }
  const terms = tf.tidy(() => {
    const support = enumerateLatentSupport(posterior);
    if (support === undefined) {
      throw new ArgumentError(
        'posterior',
        `elboOverDiscrete needs an enumerable discrete latent, got ${posterior.constructor.name}`,
      );
    }
    const [s, d] = support.shape;
    const y = tf.tile(tf.reshape(support, [s, 1, d]), [1, n, 1]); // [S, n, d]
    const xs = tf.tile(x, [s, ...new Array<number>(x.rank - 1).fill(1)]);
    const inner = innerElbo(tf.reshape(y, [s * n, d]), xs);
    if (inner.rank !== 1 || inner.shape[0] !== s * n) {
      throw new ShapeError(
        'innerElbo',
        `"innerElbo" must return one value per row, [${s * n}], got [${inner.shape.join(', ')}]`,
      );
    }
    const logQ = posterior.logProb(y); // [S, n]
    const q = tf.exp(logQ);
    // floor at −1e30: a value of probability 0 contributes 0·(−1e30) = 0, not NaN
    const expect = (v: tf.Tensor): tf.Tensor => tf.sum(tf.mul(q, tf.maximum(v, -1e30)), 0);
    const expectedInner = expect(tf.reshape(inner, [s, n]));
    const { kl } = klTerms(posterior, prior, () => expect(tf.sub(logQ, prior.logProb(y))), options.kl ?? 'auto');
    return { elbo: tf.sub(expectedInner, kl), expectedInner, kl };
  });
  return { ...terms, estimator: 'enumerate' };
}
