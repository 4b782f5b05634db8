import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { VAE } from '@varia/vae';
import { describe, expect, it } from 'vitest';

await tf.setBackend('cpu');

/**
 * PyTorch's float64 loss and gradients of the bench's Poisson model (`bench/python/torch_vae.py`) at fixed weights,
 * written by `bench/python/poisson_parity_reference.py` (which holds the same X and weight formula).
 */
const REFERENCE = JSON.parse(readFileSync(new URL('./poisson-parity.reference.json', import.meta.url), 'utf8')) as {
  loss: number;
  grads: Record<string, number[]>;
};
const X = [
  [0, 3, 12, 0, 1, 40],
  [7, 0, 0, 200, 2, 0],
  [1, 1, 1, 1, 1, 1],
  [0, 0, 0, 0, 0, 5],
];
/**
 * Parameter k, element i (row-major, kernels [in, out]): 0.4 · sin(1.7 · i + 1.1 · k + 0.9); every ReLU unit is on
 * for some rows and off for others.
 */
const weight = (k: number, n: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => 0.4 * Math.sin(1.7 * i + 1.1 * k + 0.9));

describe('the Poisson VAE is the model the bench runs in PyTorch (mnist-vae-train-poisson)', () => {
  it("has PyTorch's loss and gradients at the same weights (log x! included, log1p input, σ = exp(u/2))", () => {
    const vae = new VAE({ inputDim: 6, latentDim: 3, hiddenUnits: [5], likelihood: 'poisson', activation: 'relu' });
    const x = tf.tensor2d(X);
    try {
      const variables = [...vae.namedVariables()];
      expect(variables.map(([name]) => name)).toEqual(Object.keys(REFERENCE.grads));
      variables.forEach(([, v], k) => v.assign(tf.tensor(weight(k, v.size), v.shape)));
      const before = tf.memory().numTensors;
      // the deterministic objective (z = μ): mean over rows of −log p(x | μ) + KL(N(μ, σ²) ‖ N(0, 1))
      const { value, grads } = tf.variableGrads(
        () => {
          const q = vae.posterior(x);
          const mu = q.mean();
          const variance = tf.square(q.stddev());
          const nll = tf.neg(vae.likelihoodFor(mu).logProb(x));
          const kl = tf.mul(0.5, tf.sum(tf.sub(tf.add(variance, tf.square(mu)), tf.add(1, tf.log(variance))), 1));
          return tf.mean(tf.add(nll, kl)) as tf.Scalar;
        },
        variables.map(([, v]) => v),
      );
      expect(value.dataSync()[0]).toBeCloseTo(REFERENCE.loss, 3);
      for (const [name, v] of variables) {
        const got = grads[v.name]!.dataSync();
        const want = REFERENCE.grads[name]!;
        const scale = Math.max(...want.map(Math.abs));
        want.forEach((w, i) => expect(Math.abs(got[i]! - w), `${name}[${i}]`).toBeLessThan(1e-5 * scale));
      }
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      x.dispose();
      vae.dispose();
    }
  });
});
