import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { NormalHead, PoissonHead } from './heads.js';
import { BernoulliHead } from './logits-heads.js';

const LOG_2PI = Math.log(2 * Math.PI);

describe('NormalHead', () => {
  it('maps [batch, h] to a diagonal Gaussian with batch [batch] and event [units], positive scale', () => {
    const head = new NormalHead({ inputDim: 3, units: 2, seed: 1 });
    tf.tidy(() => {
      const d = head.apply(tf.randomNormal([5, 3], 0, 3, 'float32', 1));
      expect(d.batchShape).toEqual([5]);
      expect(d.eventShape).toEqual([2]);
      expect(Math.min(...d.stddev().dataSync())).toBeGreaterThan(0);
      expect(d.rsample().shape).toEqual([5, 2]);
    });
    head.dispose();
  });

  it('learned-scalar scale starts at σ = 1 and gives the Gaussian log-density, not MSE', () => {
    const head = new NormalHead({ inputDim: 2, units: 3, scale: 'learned-scalar', init: 'zeros' });
    tf.tidy(() => {
      const d = head.apply(tf.ones([1, 2]));
      const x = tf.tensor2d([[1, -1, 2]]);
      // μ = 0, σ = 1: log p = −½ Σ x² − 3·½ log 2π
      expect(d.logProb(x).dataSync()[0]).toBeCloseTo(-0.5 * 6 - 1.5 * LOG_2PI, 4);
      const g = tf.variableGrads(
        () => tf.neg(tf.sum(head.apply(tf.ones([1, 2])).logProb(x))) as tf.Scalar,
        [head.rawScale!],
      );
      // ∂(−log p)/∂σ at σ = 1 is n − Σx² = 3 − 6 < 0: the scale is being learned
      expect(g.grads[head.rawScale!.name]!.dataSync()[0]).toBeLessThan(0);
    });
    expect([...head.namedVariables('dec').keys()]).toContain('dec/raw_scale');
    head.dispose();
  });

  it('fixed scale and exp transform', () => {
    const fixed = new NormalHead({ inputDim: 2, units: 2, scale: { fixed: 0.5 } });
    const exp = new NormalHead({ inputDim: 2, units: 2, scaleTransform: 'exp', init: 'zeros' });
    tf.tidy(() => {
      expect(
        Array.from(
          fixed
            .apply(tf.ones([1, 2]))
            .stddev()
            .dataSync(),
        ),
      ).toEqual([0.5, 0.5]);
      expect(
        Array.from(
          exp
            .apply(tf.ones([1, 2]))
            .stddev()
            .dataSync(),
        ),
      ).toEqual([1, 1]);
    });
    expect(() => new NormalHead({ inputDim: 2, units: 2, scale: { fixed: -1 } })).toThrowError(ArgumentError);
    fixed.dispose();
    exp.dispose();
  });
});

describe('PoissonHead and BernoulliHead', () => {
  it('give count and binary likelihoods of the right shapes', () => {
    const p = new PoissonHead({ inputDim: 3, units: 4, init: 'zeros' });
    const b = new BernoulliHead({ inputDim: 3, units: 4, init: 'zeros' });
    tf.tidy(() => {
      const h = tf.ones([2, 3]);
      const dp = p.apply(h);
      // λ = 1: log p(x) = −1 − log x!  summed over 4 features for x = [0, 1, 2, 3]
      expect(
        dp
          .logProb(
            tf.tensor2d([
              [0, 1, 2, 3],
              [0, 1, 2, 3],
            ]),
          )
          .dataSync()[0],
      ).toBeCloseTo(-4 - Math.log(2) - Math.log(6), 4);
      const db = b.apply(h);
      expect(db.logProb(tf.ones([2, 4])).dataSync()[1]).toBeCloseTo(4 * Math.log(0.5), 5);
    });
    expect(() =>
      tf.tidy(() => {
        p.apply(tf.ones([2, 5]));
      }),
    ).toThrowError(ShapeError);
    p.dispose();
    b.dispose();
  });

  it('library-size mode scales proportions by the observed total', () => {
    const p = new PoissonHead({ inputDim: 3, units: 4, init: 'zeros', librarySize: true });
    tf.tidy(() => {
      const d = p.apply(tf.ones([1, 3]), { logLibrarySize: tf.log(tf.tensor2d([[100]])) });
      expect(Array.from(d.mean().dataSync()).map((v) => Math.round(v))).toEqual([25, 25, 25, 25]);
    });
    expect(() =>
      tf.tidy(() => {
        p.apply(tf.ones([1, 3]));
      }),
    ).toThrowError(/logLibrarySize/);
    p.dispose();
  });

  it('heads do not leak', () => {
    const heads = [
      new NormalHead({ inputDim: 2, units: 2 }),
      new PoissonHead({ inputDim: 2, units: 2 }),
      new BernoulliHead({ inputDim: 2, units: 2 }),
    ];
    const h = tf.ones([3, 2]);
    const before = tf.memory().numTensors;
    for (const head of heads) {
      tf.tidy(() => {
        head.apply(h).logProb(tf.ones([3, 2]));
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    h.dispose();
    heads.forEach((x) => x.dispose());
  });
});
