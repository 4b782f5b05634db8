import * as tf from '@tensorflow/tfjs-core';
import { decodeSupport } from './enumerate.js';
import type { VariationalInputs } from './variational.js';

/**
 * The exact log-evidence of a model with a finite latent, per example [n], by summing over the latent's support
 * (the posterior's family: Bernoulli, Categorical or OneHotCategorical, see `latentSupportSize`):
 *
 * log p(x) = log Σ_s p(x|z_s) p(z_s),
 *
 * batched (the decoder sees S·n rows). The posterior serves only to name the support; the value does not depend on
 * it. This is the limit of the IWAE bound as K → ∞ and the target every ELBO lower-bounds.
 * @throws ArgumentError when the posterior's family has no enumerable support.
 */
export function logMarginalByEnumeration(inputs: VariationalInputs): tf.Tensor {
  return tf.tidy(() => {
    const { z, logLikelihood } = decodeSupport(inputs, 'logMarginalByEnumeration');
    return tf.logSumExp(tf.add(logLikelihood, inputs.prior.logProb(z)), 0);
  });
}
