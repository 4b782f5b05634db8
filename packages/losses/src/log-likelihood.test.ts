// What a user's decode gives is checked before it enters a loss: a tensor instead of a distribution, a logProb that
// returns a number, and independent features not wrapped in Independent (logProb [n, D]) each once trained or failed
// with a raw error. Each is now a typed error naming "likelihood", with nothing left behind.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { type Distribution, Independent, Normal } from '@varia/distributions';
import { describe, expect, it } from 'vitest';
import { negativeElbo } from './elbo.js';
import type { VariationalInputs } from './variational.js';

/** Inputs of a 3-row batch of 2 features whose decode gives `decoded(z)`. */
function inputs(decoded: (z: tf.Tensor) => unknown): VariationalInputs {
  return {
    x: tf.tensor2d([
      [0.1, 0.2],
      [0.3, 0.4],
      [0.5, 0.6],
    ]),
    posterior: new Independent(new Normal({ loc: tf.zeros([3, 1]), scale: 1 }), 1),
    prior: new Independent(new Normal({ loc: tf.zeros([3, 1]), scale: 1 }), 1),
    decode: (z) => decoded(z) as Distribution,
  };
}

describe('decode(z) is checked', () => {
  const normal = (z: tf.Tensor) => new Normal({ loc: tf.tile(z, [1, 2]), scale: 1 });
  const cases: [string, (z: tf.Tensor) => unknown, typeof ArgumentError | typeof ShapeError, RegExp][] = [
    [
      'a tensor instead of a distribution',
      (z) => tf.tile(z, [1, 2]),
      ArgumentError,
      /must give a distribution p\(x\|z\).*a tensor of shape \[3, 2\]/,
    ],
    [
      'a logProb that returns a number',
      (z) => Object.assign(normal(z), { logProb: () => 3 }),
      ArgumentError,
      /logProb\(x\) must return a tensor, got number/,
    ],
    [
      'independent features not in Independent',
      normal,
      ShapeError,
      /shape \[3\], got \[3, 2\] \(independent features: wrap the distribution in Independent/,
    ],
  ];
  for (const [name, decoded, type, message] of cases) {
    it(`${name}: a typed error naming "likelihood", no tensor left behind`, () => {
      const before = tf.memory().numTensors;
      let error: unknown;
      tf.tidy(() => {
        try {
          negativeElbo(inputs(decoded), { seed: 1 });
        } catch (e) {
          error = e;
        }
      });
      expect(error).toBeInstanceOf(type);
      expect((error as ArgumentError).argument).toBe('likelihood');
      expect((error as Error).message).toMatch(message);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a well-formed likelihood passes: one finite value per example', () => {
    const value = tf.tidy(
      () =>
        negativeElbo(
          inputs((z) => new Independent(new Normal({ loc: tf.tile(z, [1, 2]), scale: 1 }), 1)),
          { seed: 1 },
        ).loss.dataSync()[0]!,
    );
    expect(Number.isFinite(value)).toBe(true);
  });
});
