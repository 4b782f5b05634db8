import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract } from '../test/helpers.js';
import { expectKS, expectMatchesTorch, torch } from '../test/torch.js';
import { VonMises, type VonMisesParams } from './von-mises.js';

/** The von Mises cdf on [−π, π) around μ = 0 by Simpson's rule on the density (float64, in the test). */
function vonMisesCdf(kappa: number): (x: number) => number {
  const n = 4000;
  const h = (2 * Math.PI) / n;
  const dens = (t: number): number => Math.exp(kappa * Math.cos(t));
  const grid: number[] = [0];
  for (let i = 0; i < n; i++) {
    const a = -Math.PI + i * h;
    grid.push(grid[i]! + (h / 6) * (dens(a) + 4 * dens(a + h / 2) + dens(a + h)));
  }
  const z = grid[n]!;
  return (x) => {
    const t = Math.min(Math.max((x + Math.PI) / h, 0), n);
    const i = Math.min(Math.floor(t), n - 1);
    return (grid[i]! + (t - i) * (grid[i + 1]! - grid[i]!)) / z;
  };
}

describe('VonMises', () => {
  it('matches torch: logProb, mean, mode, circular variance; entropy matches SciPy', () => {
    expectMatchesTorch(torch.vonMises!, (p) => new VonMises(p as unknown as VonMisesParams), {
      rtol: 2e-5,
      atol: 2e-5,
    });
  });
  it('samples pass a KS test at κ ∈ {0.5, 4, 50}', () => {
    for (const [kappa, seed] of [
      [0.5, 1],
      [4, 2],
      [50, 3],
    ] as const) {
      const d = new VonMises({ loc: 0, concentration: kappa });
      const x = d.sample([4000], { seed });
      expectKS(x.dataSync(), vonMisesCdf(kappa));
      x.dispose();
      d.dispose();
    }
  });
  it('gradients of logProb are finite on both sides of the Bessel branch point κ = 3.75', () => {
    tf.tidy(() => {
      const g = tf.grad((k: tf.Tensor) => tf.sum(new VonMises({ loc: 0, concentration: k }).logProb(0.3)))(
        tf.tensor1d([1e-3, 3.7, 3.8, 500]),
      );
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });
  it('rejects bad input', () => {
    expect(() => new VonMises({ loc: 0, concentration: 0 })).toThrowError(
      /VonMises: "concentration" must be finite and > 0/,
    );
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () => new VonMises({ loc: [0, 1], concentration: [1, 20] }),
      ['mean', 'mode', 'variance', 'entropy'],
    );
  });
});
