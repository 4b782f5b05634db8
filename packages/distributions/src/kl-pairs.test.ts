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
    check(
      new MultivariateNormalDiag({
        loc: [
          [0, 1],
          [2, 0],
        ],
        scaleDiag: [
          [1, 0.5],
          [2, 1],
        ],
      }),
      new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: [1, 1] }),
      1,
    ));
  it('Laplace‖Laplace', () =>
    check(new Laplace({ loc: [0, 1], scale: [1, 0.5] }), new Laplace({ loc: [0.5, -1], scale: [2, 1] }), 2));
  it('Categorical‖Categorical and OneHotCategorical‖OneHotCategorical', () => {
    check(
      new Categorical({
        probs: [
          [0.2, 0.3, 0.5],
          [0.7, 0.2, 0.1],
        ],
      }),
      new Categorical({ probs: [0.4, 0.4, 0.2] }),
      3,
    );
    check(new OneHotCategorical({ logits: [1, 0, -1] }), new OneHotCategorical({ logits: [0, 0, 0] }), 4);
  });
  it('Gamma‖Gamma', () =>
    check(
      new Gamma({ concentration: [0.8, 3], rate: [1, 2] }),
      new Gamma({ concentration: [1.5, 2], rate: [0.5, 3] }),
      5,
    ));
  it('Beta‖Beta', () =>
    check(
      new Beta({ concentration1: [2, 0.7], concentration0: [3, 1.5] }),
      new Beta({ concentration1: [1, 2], concentration0: [1, 2] }),
      6,
    ));
  it('Dirichlet‖Dirichlet', () =>
    check(
      new Dirichlet({
        concentration: [
          [1, 2, 3],
          [0.5, 0.5, 4],
        ],
      }),
      new Dirichlet({ concentration: [2, 2, 2] }),
      7,
    ));
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
    for (const pair of [
      'Gamma‖Gamma',
      'Beta‖Beta',
      'Dirichlet‖Dirichlet',
      'Laplace‖Laplace',
      'Categorical‖Categorical',
      'Deterministic‖Distribution',
    ]) {
      expect(registeredKLPairs()).toContain(pair);
    }
  });
});

describe('KL(Normal ‖ N(0, 1)) against a prior known on the host', () => {
  const locs = [
    [0.3, -1.2, 2],
    [0, 0.5, -0.1],
  ];
  const scales = [
    [0.5, 1, 2],
    [0.1, 1.5, 0.9],
  ];

  /** KL and its gradients w.r.t. p's loc and scale, as plain arrays. */
  function klAndGrads(q: () => Normal): { kl: Float32Array; dLoc: Float32Array; dScale: Float32Array } {
    return tf.tidy(() => {
      const loc = tf.tensor2d(locs);
      const scale = tf.tensor2d(scales);
      const kl = klDivergence(new Normal({ loc, scale }), q());
      const [dLoc, dScale] = tf.grads((l: tf.Tensor, s: tf.Tensor) =>
        tf.sum(
          tf.mul(
            klDivergence(new Normal({ loc: l, scale: s }), q()),
            tf.tensor2d([
              [1, 2, 3],
              [4, 5, 6],
            ]),
          ),
        ),
      )([loc, scale]);
      return {
        kl: kl.dataSync() as Float32Array,
        dLoc: dLoc!.dataSync() as Float32Array,
        dScale: dScale!.dataSync() as Float32Array,
      };
    });
  }

  it('matches the closed form, and the same prior given as tensors bit for bit, values and gradients', () => {
    const host = klAndGrads(() => new Normal({ loc: [0, 0, 0], scale: new Float32Array(3).fill(1) }));
    const tensors = klAndGrads(() => new Normal({ loc: tf.zeros([3]), scale: tf.ones([3]) }));
    expect(host.kl).toEqual(tensors.kl);
    expect(host.dLoc).toEqual(tensors.dLoc);
    expect(host.dScale).toEqual(tensors.dScale);
    // KL = −log σ + ½(σ² + μ²) − ½; ∂/∂μ = μ, ∂/∂σ = σ − 1/σ (times the weights 1…6)
    locs.flat().forEach((m, i) => {
      const s = scales.flat()[i]!;
      expect(host.kl[i]).toBeCloseTo(-Math.log(s) + 0.5 * (s * s + m * m) - 0.5, 5);
      expect(host.dLoc[i]).toBeCloseTo((i + 1) * m, 4);
      expect(host.dScale[i]).toBeCloseTo((i + 1) * (s - 1 / s), 3);
    });
  });

  it('runs fewer kernels than against tensors, value and gradient', async () => {
    const count = async (q: Normal): Promise<number> => {
      const loc = tf.tensor2d(locs);
      const scale = tf.tensor2d(scales);
      const kl = (m: tf.Tensor, s: tf.Tensor): tf.Tensor =>
        tf.sum(klDivergence(new Normal({ loc: m, scale: s }, { validateArgs: false }), q));
      const info = await tf.profile(() => tf.grads(kl)([loc, scale]));
      tf.dispose([loc, scale, q.loc, q.scale, ...(info.result as tf.Tensor[])]);
      q.dispose();
      return info.kernels.length;
    };
    const viaTensors = await count(new Normal({ loc: tf.zeros([3]), scale: tf.ones([3]) }, { validateArgs: false }));
    const viaHost = await count(new Normal({ loc: [0, 0, 0], scale: [1, 1, 1] }, { validateArgs: false }));
    // no division by σ₂ (twice), no subtraction of μ₂, and a backward pass written out (no reshapes, casts, copies)
    expect(viaHost).toBeLessThanOrEqual(viaTensors - 15);
  });

  it("broadcasts to q's shape when q has the larger batch shape, and handles other constants with the full formula", () => {
    tf.tidy(() => {
      const p = new Normal({ loc: [0.3, -1.2, 2], scale: [0.5, 1, 2] });
      const wide = klDivergence(
        p,
        new Normal({
          loc: [
            [0, 0, 0],
            [0, 0, 0],
          ],
          scale: 1,
        }),
      );
      expect(wide.shape).toEqual([2, 3]);
      const one = Array.from(klDivergence(p, new Normal({ loc: 0, scale: 1 })).dataSync());
      expect(Array.from(wide.dataSync())).toEqual([...one, ...one]);
      // KL(N(μ₁, σ₁²) ‖ N(1, 2²)) = log(2/σ₁) + (σ₁² + (μ₁ − 1)²)/8 − ½
      const other = klDivergence(p, new Normal({ loc: 1, scale: 2 })).dataSync();
      [0.3, -1.2, 2].forEach((m, i) => {
        const s = [0.5, 1, 2][i]!;
        expect(other[i]).toBeCloseTo(Math.log(2 / s) + (s * s + (m - 1) ** 2) / 8 - 0.5, 5);
      });
    });
  });
});

describe('KL(N(μ, σ²) ‖ N(0, 1)) fused', () => {
  it('gives the same bits, value and gradients, as the general formula with the prior as tensors', () => {
    const before = tf.memory().numTensors;
    const loc = tf.tensor2d([0.3, -1.7, 2.2, 0, 1e-3, -40], [2, 3]);
    const scale = tf.tensor2d([0.5, 1.3, 1e-3, 1, 7, 0.9], [2, 3]);
    const zero = tf.zeros([2, 3]);
    const one = tf.ones([2, 3]);
    const w = tf.tensor2d([1, -2, 0.5, 3, 0.25, -1], [2, 3]); // an upstream gradient that is not all ones
    const kl = (q: () => Normal) => (m: tf.Tensor, s: tf.Tensor) =>
      tf.sum(tf.mul(w, klDivergence(new Normal({ loc: m, scale: s }), q())));
    const fused = tf.valueAndGrads(kl(() => new Normal({ loc: 0, scale: 1 })))([loc, scale]);
    const general = tf.valueAndGrads(kl(() => new Normal({ loc: zero, scale: one })))([loc, scale]);
    expect(Array.from(fused.value.dataSync())).toEqual(Array.from(general.value.dataSync()));
    for (let i = 0; i < 2; i++) {
      expect(Array.from(fused.grads[i]!.dataSync())).toEqual(Array.from(general.grads[i]!.dataSync()));
    }
    // and the closed form: ½(σ² + μ² − 1 − log σ²), ∂/∂μ = μ, ∂/∂σ = σ − 1/σ
    const perElement = tf.tidy(() => klDivergence(new Normal({ loc, scale }), new Normal({ loc: 0, scale: 1 })));
    const m = loc.dataSync();
    const s = scale.dataSync();
    const v = perElement.dataSync();
    const g = fused.grads[1]!.dataSync();
    const wv = w.dataSync();
    for (let i = 0; i < 6; i++) {
      const want = 0.5 * (s[i]! ** 2 + m[i]! ** 2 - 1 - Math.log(s[i]! ** 2));
      expect(Math.abs(v[i]! - want)).toBeLessThan(1e-5 * Math.max(1, want));
      expect(g[i]! / wv[i]!).toBeCloseTo(s[i]! - 1 / s[i]!, 0);
    }
    tf.dispose([loc, scale, zero, one, w, perElement, fused.value, ...fused.grads, general.value, ...general.grads]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
