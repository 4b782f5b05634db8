import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectContract, expectNoLeak } from '../test/helpers.js';
import { Independent } from './independent.js';
import { Normal } from './normal.js';

describe('Independent', () => {
  it('moves batch dims into the event and sums log-densities over them', () => {
    tf.tidy(() => {
      const base = new Normal({ loc: tf.zeros([4, 3]), scale: tf.ones([4, 3]) });
      const d = new Independent(base, 1);
      expect(d.batchShape).toEqual([4]);
      expect(d.eventShape).toEqual([3]);
      const x = tf.ones([4, 3]);
      // Σ over 3 dims of log N(1; 0, 1) = 3 · (−½ − ½ log 2π)
      expectClose(d.logProb(x), new Array(4).fill(3 * (-0.5 - 0.5 * Math.log(2 * Math.PI))));
      expect(d.sample([2]).shape).toEqual([2, 4, 3]);
      expect(d.rsample([2]).shape).toEqual([2, 4, 3]);
      expect(d.entropy().shape).toEqual([4]);
      expect(d.hasRsample).toBe(true);
    });
  });

  it('rejects too many reinterpreted dims', () => {
    const base = new Normal({ loc: [0, 0], scale: 1 });
    expect(() => new Independent(base, 2)).toThrowError(ArgumentError);
    expect(() => new Independent(base, 2)).toThrowError(/"reinterpretedBatchDims"/);
    base.dispose();
  });

  it('does not leak', () => {
    const before = tf.memory().numTensors;
    const d = new Independent(new Normal({ loc: [[0, 1]], scale: [[1, 2]] }), 1);
    expectNoLeak(() => [d.logProb([[0, 0]]), d.sample([2]), d.mean(), d.variance(), d.entropy()]);
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('shape, expand, seeding and memory contract', () => {
    expectContract(
      () =>
        new Independent(
          new Normal({
            loc: [
              [0, 1, 2],
              [3, 4, 5],
            ],
            scale: 1,
          }),
          1,
        ),
      ['mean', 'mode', 'variance', 'stddev', 'entropy'],
      true,
    );
  });
});
