import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import special from '../test/fixtures/special.json' with { type: 'json' };
import { expectNoLeak } from '../test/helpers.js';
import { ndtri, ndtri64 } from './normal-quantile.js';

describe('standard normal quantile Φ⁻¹ (SciPy ndtri)', () => {
  it('double precision: 1e-13 relative from p = 1e-30 to 1 − 1e-7', () => {
    for (const c of special.ndtri) {
      expect(Math.abs(ndtri64(c.p) - c.x)).toBeLessThanOrEqual(1e-13 * Math.abs(c.x) + 1e-15);
    }
    expect([ndtri64(0), ndtri64(1), ndtri64(-0.1), ndtri64(NaN)]).toEqual([-Infinity, Infinity, NaN, NaN]);
  });
  it('tensor op: float32-accurate, gradient √(2π)·exp(x²/2), no leaks', () => {
    const p = tf.tensor(special.ndtri.map((c) => c.p));
    expectNoLeak(() => {
      const x = ndtri(p);
      x.dataSync().forEach((v, i) =>
        expect(Math.abs(v - special.ndtri[i]!.x)).toBeLessThanOrEqual(2e-7 * Math.abs(special.ndtri[i]!.x) + 1e-7),
      );
      const g = tf.grad((t: tf.Tensor) => tf.sum(ndtri(t)))(p);
      g.dataSync().forEach((v, i) => {
        const xi = special.ndtri[i]!.x;
        const want = Math.sqrt(2 * Math.PI) * Math.exp((xi * xi) / 2);
        expect(Math.abs(v - want) / want).toBeLessThan(1e-5);
      });
      return [x, g];
    });
    p.dispose();
  });
});
