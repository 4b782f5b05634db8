import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { monteCarloKL, expectWithin4SE } from '../test/kl-helpers.js';
import { Beta } from './beta.js';
import { Categorical } from './categorical.js';
import { Deterministic } from './deterministic.js';
import { Dirichlet } from './dirichlet.js';
import type { Distribution } from './distribution.js';
import { Gamma } from './gamma.js';
import { klDivergence, registeredKLPairs } from './kl.js';
import { Laplace } from './laplace.js';
import { MultivariateNormalDiag } from './multivariate-normal-diag.js';
import { Normal } from './normal.js';
import { OneHotCategorical } from './one-hot-categorical.js';
import { Poisson } from './poisson.js';

const N = 20000;

function check(p: Distribution, q: Distribution, seed: number): void {
  tf.tidy(() => {
    const kl = klDivergence(p, q);
    expect(kl.shape).toEqual(p.batchShape);
    expectWithin4SE(kl, monteCarloKL(p, q, N, seed));
  });
}

describe('built-in analytic KL pairs agree with Monte Carlo within 4 standard errors', () => {
  it('MultivariateNormalDiag‖MultivariateNormalDiag', () =>
    check(new MultivariateNormalDiag({ loc: [[0, 1], [2, 0]], scaleDiag: [[1, 0.5], [2, 1]] }), new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: [1, 1] }), 1));
  it('Laplace‖Laplace', () => check(new Laplace({ loc: [0, 1], scale: [1, 0.5] }), new Laplace({ loc: [0.5, -1], scale: [2, 1] }), 2));
  it('Categorical‖Categorical and OneHotCategorical‖OneHotCategorical', () => {
    check(new Categorical({ probs: [[0.2, 0.3, 0.5], [0.7, 0.2, 0.1]] }), new Categorical({ probs: [0.4, 0.4, 0.2] }), 3);
    check(new OneHotCategorical({ logits: [1, 0, -1] }), new OneHotCategorical({ logits: [0, 0, 0] }), 4);
  });
  it('Gamma‖Gamma', () => check(new Gamma({ concentration: [0.8, 3], rate: [1, 2] }), new Gamma({ concentration: [1.5, 2], rate: [0.5, 3] }), 5));
  it('Beta‖Beta', () => check(new Beta({ concentration1: [2, 0.7], concentration0: [3, 1.5] }), new Beta({ concentration1: [1, 2], concentration0: [1, 2] }), 6));
  it('Dirichlet‖Dirichlet', () => check(new Dirichlet({ concentration: [[1, 2, 3], [0.5, 0.5, 4]] }), new Dirichlet({ concentration: [2, 2, 2] }), 7));
  it('Deterministic‖anything = −log q(loc)', () => {
    tf.tidy(() => {
      const kl = klDivergence(new Deterministic({ loc: [0, 2] }), new Normal({ loc: 0, scale: 1 }));
      const c = 0.5 * Math.log(2 * Math.PI);
      expect(Array.from(kl.dataSync())).toEqual([c, c + 2].map((v) => Math.fround(v)));
      const kp = klDivergence(new Deterministic({ loc: 3 }), new Poisson({ rate: 2 }));
      expect(kp.dataSync()[0]).toBeCloseTo(-(3 * Math.log(2) - 2 - Math.log(6)), 5);
    });
  });
  it('lists the new pairs', () => {
    for (const pair of ['Gamma‖Gamma', 'Beta‖Beta', 'Dirichlet‖Dirichlet', 'Laplace‖Laplace', 'Categorical‖Categorical', 'Deterministic‖Distribution']) {
      expect(registeredKLPairs()).toContain(pair);
    }
  });
});
