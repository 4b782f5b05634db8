import * as tf from '@tensorflow/tfjs-core';
import { DisposedError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../test/helpers.js';
import { Bernoulli } from './bernoulli.js';
import { Affine, Exp } from './bijectors/elementwise.js';
import { buildOwned } from './build-owned.js';
import { Categorical } from './categorical.js';
import type { Distribution } from './distribution.js';
import { Independent } from './independent.js';
import { LowRankMultivariateNormal } from './low-rank-multivariate-normal.js';
import { MixtureSameFamily } from './mixture-same-family.js';
import { MultivariateNormal } from './multivariate-normal.js';
import { Normal } from './normal.js';
import { ZeroInflatedPoisson } from './zero-inflated-poisson.js';
import { TransformedDistribution } from './transformed-distribution.js';

/** Every public use of a distribution, as thunks: after dispose() each must throw a DisposedError. */
function uses(d: Distribution, value: tf.Tensor): [string, () => unknown][] {
  return [
    ['logProb', () => d.logProb(value)],
    ['prob', () => d.prob(value)],
    ['sample', () => d.sample([2])],
    ['rsample', () => d.rsample([2])],
    ['mean', () => d.mean()],
    ['variance', () => d.variance()],
    ['stddev', () => d.stddev()],
    ['entropy', () => d.entropy()],
    ['expand', () => d.expand([3, ...d.batchShape])],
    ['copy', () => d.copy()],
    ['adopt', () => d.adopt([])],
  ];
}

const families: [string, () => Distribution][] = [
  ['Normal', () => new Normal({ loc: [0, 1], scale: [1, 2] })],
  ['Independent', () => new Independent(new Normal({ loc: [[0, 1]], scale: 1 }), 1)],
  [
    'MixtureSameFamily',
    () =>
      new MixtureSameFamily({
        mixture: new Categorical({ logits: [0, 1] }),
        components: new Normal({ loc: [-1, 1], scale: 1 }),
      }),
  ],
  ['TransformedDistribution', () => new TransformedDistribution(new Normal({ loc: 0, scale: 1 }), new Exp())],
];

describe('use after dispose', () => {
  for (const [name, make] of families) {
    it(`${name}: every method throws a DisposedError naming it; a second dispose() is a no-op; nothing leaks`, () => {
      const before = tf.memory().numTensors;
      const d = make();
      expect(d.isDisposed).toBe(false);
      d.dispose();
      expect(d.isDisposed).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
      const value = tf.zeros([...d.batchShape, ...d.eventShape]);
      const thunks = uses(d, value);
      for (const [method, use] of thunks) {
        if (method === 'rsample' && !d.hasRsample) continue;
        if (method === 'expand' && name === 'TransformedDistribution') continue;
        let caught: unknown;
        try {
          tf.dispose(use() as tf.TensorContainer);
        } catch (e) {
          caught = e;
        }
        expect(caught, `${name}.${method}`).toBeInstanceOf(DisposedError);
        expect((caught as DisposedError).subject).toBe(name);
      }
      d.dispose();
      value.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it("disposing an Independent disposes its base: the base then throws a DisposedError naming the base's family", () => {
    const base = new Normal({ loc: [[0, 1]], scale: 1 });
    const d = new Independent(base, 1);
    d.dispose();
    expect(() => base.mean()).toThrowError(DisposedError);
    expect(() => base.mean()).toThrowError(/^Normal was disposed/);
  });

  it('derived parameters (probsParameter, gateParameter, covarianceMatrixParameter, …) of a disposed distribution are a DisposedError', () => {
    const cases: [string, Distribution, (d: never) => tf.Tensor][] = [
      ['Bernoulli', new Bernoulli({ logits: [0, 1] }), (d: Bernoulli) => d.probsParameter()],
      ['Categorical', new Categorical({ logits: [0, 1, 2] }), (d: Categorical) => d.probsParameter()],
      [
        'ZeroInflatedPoisson',
        new ZeroInflatedPoisson({ rate: 2, gate: 0.3 }),
        (d: ZeroInflatedPoisson) => d.gateParameter(),
      ],
      [
        'MultivariateNormal',
        new MultivariateNormal({
          loc: [0, 0],
          scaleTril: [
            [1, 0],
            [0.5, 1],
          ],
        }),
        (d: MultivariateNormal) => d.precisionMatrixParameter(),
      ],
      [
        'LowRankMultivariateNormal',
        new LowRankMultivariateNormal({ loc: [0, 0], covFactor: [[1], [0]], covDiag: [1, 1] }),
        (d: LowRankMultivariateNormal) => d.scaleTrilParameter(),
      ],
    ];
    for (const [name, d, use] of cases) {
      const before = use(d as never);
      before.dispose();
      d.dispose();
      expect(() => use(d as never), name).toThrowError(DisposedError);
    }
  });

  it('a disposed bijector throws a DisposedError', () => {
    const b = new Affine({ shift: 1, scale: 2 });
    b.dispose();
    expect(() => b.forward(1)).toThrowError(DisposedError);
  });
});

describe('adopt', () => {
  it('hands tensors to the distribution: dispose() frees them, and not the parameters the caller passed', () => {
    const loc = tf.tensor1d([0, 1]);
    const before = tf.memory().numTensors;
    const extra = tf.scalar(3);
    const d = new Normal({ loc, scale: 1 }).adopt([extra]);
    d.dispose();
    expect(extra.isDisposed).toBe(true);
    expect(loc.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    loc.dispose();
  });

  it('after dispose() refuses and leaves the tensors with the caller', () => {
    const d = new Normal({ loc: 0, scale: 1 });
    d.dispose();
    const t = tf.scalar(1);
    expect(() => d.adopt([t])).toThrowError(DisposedError);
    expect(t.isDisposed).toBe(false);
    t.dispose();
  });
});

describe('buildOwned', () => {
  it('the distribution owns the tensors it was built from: dispose() returns the tensor count to the baseline', () => {
    const z = tf.tensor2d([[0.5, -1]]);
    const before = tf.memory().numTensors;
    const p = buildOwned(() => {
      const h = tf.mul(tf.clone(z), 2); // an intermediate the tidy frees after the distribution is built from it
      return new Independent(new Normal({ loc: tf.add(h, 1), scale: tf.exp(tf.mul(h, 0.5)) }), 1);
    });
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    // log N(x; μ, σ) summed, with μ = 2z + 1 = [2, −1], σ = e^{z} = [e^{0.5}, e^{−1}], at x = [0, 0]
    const mu = [2, -1];
    const sigma = [Math.exp(0.5), Math.exp(-1)];
    const expected = mu.reduce(
      (s, m, i) => s - (m * m) / (2 * sigma[i]! ** 2) - Math.log(sigma[i]!) - 0.5 * Math.log(2 * Math.PI),
      0,
    );
    const lp = p.logProb([[0, 0]]);
    expectClose(lp, [expected]);
    lp.dispose();
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(z.isDisposed).toBe(false);
    z.dispose();
  });

  it('never adopts variables or tf.keep-ed constants', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const kept = tf.keep(tf.scalar(2));
    const before = tf.memory().numTensors;
    const p = buildOwned(() => new Normal({ loc: w, scale: kept }));
    p.dispose();
    expect(w.isDisposed).toBe(false);
    expect(kept.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
    kept.dispose();
  });

  it('inside tf.tidy the tidy frees the tensors too, and a later dispose() is harmless', () => {
    const before = tf.memory().numTensors;
    let p: Distribution | undefined;
    tf.tidy(() => {
      p = buildOwned(() => new Normal({ loc: tf.zeros([3]), scale: tf.ones([3]) }));
      expectClose(p.mean(), [0, 0, 0]);
    });
    expect(tf.memory().numTensors).toBe(before);
    p?.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a build that throws leaves nothing allocated', () => {
    const before = tf.memory().numTensors;
    expect(() =>
      buildOwned(() => {
        tf.zeros([4]);
        return new Normal({ loc: tf.zeros([2]), scale: tf.fill([2], -1) });
      }),
    ).toThrowError(/scale/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
