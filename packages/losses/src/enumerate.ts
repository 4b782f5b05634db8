import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError, VariaError } from '@varia/core';
import { Bernoulli, Categorical, type Distribution, Independent, OneHotCategorical } from '@varia/distributions';
import { logLikelihoodOf } from './log-likelihood.js';
import type { VariationalInputs } from './variational.js';

/** The largest joint support {@link latentSupportSize} allows `'auto'` to enumerate (2⁶ Bernoulli bits, 64 categories). */
export const DEFAULT_MAX_ENUMERATE = 64;

/** A family that lists its finite support (torch's `enumerate_support`): `[S, 1, …]` values with `expand` false. */
interface EnumerableFamily {
  enumerateSupport(expand?: boolean): tf.Tensor;
}

/**
 * The values one coordinate of a scalar finite family takes: {0, 1} for Bernoulli, {0, …, K − 1} for Categorical, and
 * what `enumerateSupport(false)` lists for any other family that has it (e.g. Binomial with one `totalCount`).
 * `undefined` when the family has no finite support, or one that differs across the batch.
 */
function coordinateValues(d: Distribution): number[] | undefined {
  if (d instanceof Bernoulli) return [0, 1];
  if (d instanceof Categorical) return Array.from({ length: d.numCategories }, (_, i) => i);
  const family = d as Partial<EnumerableFamily>;
  // the declared capability, not a probe: no NotImplementedError thrown and caught in every training step
  if (d.eventShape.length !== 0 || !d.hasEnumerateSupport || typeof family.enumerateSupport !== 'function') {
    return undefined;
  }
  let values: tf.Tensor;
  try {
    values = family.enumerateSupport(false);
  } catch (e) {
    if (e instanceof VariaError) return undefined; // e.g. a support that differs across the batch
    throw e;
  }
  const out = Array.from(values.dataSync());
  values.dispose();
  return out;
}

/**
 * The size S of the joint support of one event of a latent posterior with batch shape `[n]` and event shape `[d]`, or
 * `undefined` when the family has no finite support that varia can enumerate. Enumerable:
 * - `OneHotCategorical` with K categories (event `[K]`): S = K;
 * - `Independent(Bernoulli, 1)` over d coordinates: S = 2ᵈ;
 * - `Independent(Categorical, 1)` over d coordinates with K categories: S = Kᵈ;
 * - `Independent(base, 1)` of any scalar family with `enumerateSupport` (c values the same across the batch): S = cᵈ.
 */
export function latentSupportSize(posterior: Distribution): number | undefined {
  if (posterior.batchShape.length !== 1) return undefined;
  if (posterior instanceof OneHotCategorical) return posterior.numCategories;
  if (posterior instanceof Independent && posterior.reinterpretedBatchDims === 1 && posterior.eventShape.length === 1) {
    const values = coordinateValues(posterior.base);
    if (values !== undefined) return values.length ** posterior.eventShape[0]!;
  }
  return undefined;
}

/**
 * Every value of one event of an enumerable latent posterior (see {@link latentSupportSize}), as rows `[S, d]`:
 * the identity for a one-hot event; for d independent coordinates with values v₀ < … < v_{c−1} each, the Cartesian
 * product in lexicographic order (row s holds the values at the base-c digits of s, most significant first).
 * Returns `undefined` when the family is not enumerable. The caller owns the tensor.
 */
export function enumerateLatentSupport(posterior: Distribution): tf.Tensor2D | undefined {
  const size = latentSupportSize(posterior);
  if (size === undefined) return undefined;
  if (posterior instanceof OneHotCategorical) return tf.eye(size) as tf.Tensor2D;
  const d = posterior.eventShape[0]!;
  const coordinate = coordinateValues((posterior as Independent).base)!;
  const c = coordinate.length;
  const values = new Float32Array(size * d);
  for (let s = 0; s < size; s++) {
    let rest = s;
    for (let j = d - 1; j >= 0; j--) {
      values[s * d + j] = coordinate[rest % c]!;
      rest = Math.floor(rest / c);
    }
  }
  return tf.tensor2d(values, [size, d]);
}

/**
 * Every support value for every example and its log-likelihood: z `[S, n, d]` (support-major: z[s, i] = z_s) and
 * log p(x_i | z_s) `[S, n]`, one batched decoder call on S·n rows.
 * @throws ShapeError when the posterior's batch shape is not [n]; ArgumentError when it is not enumerable.
 */
export function decodeSupport(inputs: VariationalInputs, caller: string): { z: tf.Tensor; logLikelihood: tf.Tensor } {
  const { x, posterior, decode } = inputs;
  const n = x.shape[0]!;
  if (posterior.batchShape.length !== 1 || posterior.batchShape[0] !== n) {
    throw new ShapeError(
      'posterior',
      `posterior batch shape must be [${n}] (one per example), got [${posterior.batchShape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const support = enumerateLatentSupport(posterior);
    if (support === undefined) {
      throw new ArgumentError(
        'posterior',
        `${caller} needs a Bernoulli, Categorical or OneHotCategorical latent with batch [n] and event [d], got ${posterior.constructor.name} with event shape [${posterior.eventShape.join(', ')}]`,
      );
    }
    const [s, d] = support.shape;
    const z = tf.tile(tf.reshape(support, [s, 1, d]), [1, n, 1]);
    const xs = tf.tile(x, [s, ...new Array<number>(x.rank - 1).fill(1)]);
    const logLikelihood = tf.reshape(logLikelihoodOf(decode(tf.reshape(z, [s * n, d])), xs, s * n), [s, n]);
    return { z, logLikelihood };
  });
}
