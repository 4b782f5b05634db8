// Gamma's entropy H = α − log β + log Γ(α) + (1 − α)ψ(α) against float64: log Γ from @varia/core, ψ by recurrence to
// x ≥ 30 and its asymptotic series (both to ~1e-14). Before, large α cancelled in float32: α = 10⁶ gave 8 for 8.3267
// and α = 10¹⁰ gave −7168 for 12.93 (torch float32: 9 and 16384).
import * as tf from '@tensorflow/tfjs-core';
import { logGamma } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { Gamma } from './gamma.js';

function digamma64(x: number): number {
  let s = 0;
  let v = x;
  while (v < 30) {
    s -= 1 / v;
    v += 1;
  }
  const i2 = 1 / (v * v);
  return s + Math.log(v) - 0.5 / v - i2 * (1 / 12 - i2 * (1 / 120 - i2 * (1 / 252 - i2 * (1 / 240))));
}

/** H in float64: the definition below 1e6 (float64 keeps ~1e-9 there), the Stirling series above. */
function entropy64(a: number, b: number): number {
  if (a < 1e6) return a - Math.log(b) + logGamma(a) + (1 - a) * digamma64(a);
  return 0.5 * Math.log(2 * Math.PI * Math.E * a) - 1 / (3 * a) - 1 / (12 * a * a) - Math.log(b);
}

describe('Gamma entropy', () => {
  it('matches float64 from α = 0.5 to 1e30, across the switch to the Stirling form at 100', () => {
    const alphas = [0.5, 1, 7.5, 50, 99.9, 100, 100.1, 1e3, 1e6, 1e10, 1e30].map(Math.fround);
    for (const b of [1, 2.5]) {
      const h = tf.tidy(() => [...new Gamma({ concentration: alphas, rate: b }).entropy().dataSync()]);
      alphas.forEach((a, i) => {
        const e = entropy64(a, b);
        expect(Math.abs(h[i]! - e), `α ${a}, β ${b}: ${h[i]} against ${e}`).toBeLessThanOrEqual(
          2e-5 * Math.max(1, Math.abs(e)),
        );
      });
    }
  });

  it('∂H/∂α = 1 − (α − 1)ψ′(α) ≈ 1/(2α) for large α, finite on both sides of the switch', () => {
    const alphas = [50, 99, 101, 1e4, 1e6];
    const g = tf.tidy(() => [
      ...tf
        .grad((a: tf.Tensor) => new Gamma({ concentration: a, rate: 1 }).entropy())(tf.tensor1d(alphas))
        .dataSync(),
    ]);
    alphas.forEach((a, i) => {
      // ψ′(α) = 1/α + 1/(2α²) + 1/(6α³) − 1/(30α⁵): 1 − (α − 1)ψ′(α) = 1/(2α) + 1/(3α²) + O(α⁻³)
      const e = 1 / (2 * a) + 1 / (3 * a * a);
      expect(g[i]! / e, `α ${a}`).toBeCloseTo(1, 1);
    });
  });
});
