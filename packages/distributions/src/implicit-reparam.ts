import * as tf from '@tensorflow/tfjs-core';
import { logGammaSampleGradA } from './incomplete-gamma-float64.js';
import { cpuRng, sampleLogGamma } from './sampling.js';

/** Sums `g` (shape `shape`) down to `target`, the shape of a tensor that was broadcast to `shape` (right-aligned). */
function sumToShape(g: tf.Tensor, target: readonly number[]): tf.Tensor {
  const lead = g.rank - target.length;
  let r =
    lead > 0
      ? tf.sum(
          g,
          Array.from({ length: lead }, (_, i) => i),
        )
      : g;
  const ones = target.flatMap((d, i) => (d === 1 && r.shape[i] !== 1 ? [i] : []));
  if (ones.length > 0) r = tf.sum(r, ones, true);
  return tf.reshape(r, [...target]);
}

/**
 * log G with G ~ Gamma(α, 1), of shape `shape` (α broadcast to it, right-aligned), with the implicit
 * reparameterization gradient (Figurnov, Mohamed & Mnih 2018) flowing to `concentration`:
 *
 * d log G/dα = −(∂P(α, G)/∂α) / (G·f(G; α)),  P the regularized incomplete gamma function, f the density,
 *
 * i.e. the derivative of the draw holding its cdf fixed. The draw is the same as the CPU sampler's for the same seed
 * (Marsaglia–Tsang, in log space for α < 1), and the derivative is evaluated with it in double precision on the host,
 * so the backward pass costs one multiplication. Working with log G keeps tiny concentrations (G below the float32
 * range) exact; Gamma, Beta (σ(log G₁ − log G₂)), Dirichlet (softmax) and StudentT use it.
 */
export function logGammaRsample(concentration: tf.Tensor, shape: number[], seed: number | undefined): tf.Tensor {
  const alpha = tf.tidy(() => tf.broadcastTo(concentration, shape));
  const a = alpha.dataSync();
  alpha.dispose();
  const rng = cpuRng(seed);
  const logG = new Float32Array(a.length);
  const grad = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const lg = sampleLogGamma(a[i]!, rng);
    logG[i] = lg;
    grad[i] = logGammaSampleGradA(a[i]!, lg);
  }
  const op = tf.customGrad(((c: tf.Tensor) => ({
    value: tf.tensor(logG, shape, 'float32'),
    gradFunc: (dy: tf.Tensor) => [sumToShape(tf.mul(dy, tf.tensor(grad, shape, 'float32')), c.shape)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (c: tf.Tensor) => tf.Tensor;
  return op(concentration);
}
