import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectContract, expectMoments } from '../test/helpers.js';
import { expectMatchesTorch, torch } from '../test/torch.js';
import { corrCholesky } from './bijectors/matrix.js';
import { LKJCholesky, type LKJCholeskyParams } from './lkj-cholesky.js';

describe('LKJCholesky', () => {
  it('matches torch: logProb (D = 3, η = 1.5; D = 4, η = 0.5)', () => {
    expectMatchesTorch(torch.lkjCholesky!, (p) => new LKJCholesky(p as unknown as LKJCholeskyParams), {
      rtol: 2e-5,
      atol: 2e-5,
    });
  });
  it('draws are Cholesky factors of correlation matrices; each correlation has mean 0 and variance 1/(2η + D − 1)', () => {
    for (const [dim, eta, seed] of [
      [3, 1.5, 1],
      [4, 0.5, 2],
      [2, 3, 3],
    ] as const) {
      tf.tidy(() => {
        const d = new LKJCholesky({ dim, concentration: eta });
        const l = d.sample([6000], { seed });
        expect(Array.from(corrCholesky.check(l).dataSync()).every((v) => v === 1)).toBe(true);
        const corr = tf.matMul(l, l, false, true);
        const r10 = tf.reshape(tf.slice(corr, [0, 1, 0], [-1, 1, 1]), [-1, 1]);
        const r20 = dim > 2 ? tf.reshape(tf.slice(corr, [0, dim - 1, dim - 2], [-1, 1, 1]), [-1, 1]) : r10;
        const v = 1 / (2 * eta + dim - 1);
        expectMoments(tf.concat([r10, r20], 1), [0, 0], [v, v]);
      });
    }
  });
  it('rejects a bad dim or concentration', () => {
    expect(() => new LKJCholesky({ dim: 1, concentration: 1 })).toThrowError(
      /"dim" must be an integer in \[2, 4096\], got 1/,
    );
    expect(() => new LKJCholesky({ dim: 3, concentration: 0 })).toThrowError(/"concentration" must be finite and > 0/);
  });
  it('shape, expand, seeding and memory contract', () => {
    expectContract(() => new LKJCholesky({ dim: 3, concentration: [0.5, 2] }), []);
  });
});
