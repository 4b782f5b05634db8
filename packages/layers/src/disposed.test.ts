// The ownership rule (docs/memory.md) for modules: after dispose() every use throws a DisposedError, and disposing
// frees every variable.
import * as tf from '@tensorflow/tfjs-core';
import { DisposedError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { AffineCoupling } from './affine-coupling.js';
import { NegativeBinomialHead, ZeroInflatedNegativeBinomialHead } from './count-heads.js';
import { FullCovarianceNormalHead, LowRankNormalHead } from './covariance-heads.js';
import { Dense } from './dense.js';
import { NormalHead, PoissonHead } from './heads.js';
import { BernoulliHead } from './logits-heads.js';
import { FlowPosteriorHead } from './flow-posterior.js';
import { InverseAutoregressiveFlow } from './iaf.js';
import { MADE } from './made.js';
import { MLP } from './mlp.js';
import { GaussianMixturePrior } from './priors.js';
import { DirichletHead, LogisticNormalHead } from './simplex-heads.js';

const uses: [string, () => { dispose(): void }, (m: never) => unknown][] = [
  ['Dense', () => new Dense({ inputDim: 3, units: 2 }), (m: Dense) => m.apply(tf.zeros([1, 3]))],
  ['MLP', () => new MLP({ inputDim: 3, hiddenUnits: [4, 2] }), (m: MLP) => m.apply(tf.zeros([1, 3]))],
  [
    'NormalHead (amortized)',
    () => new NormalHead({ inputDim: 3, units: 2 }),
    (m: NormalHead) => m.apply(tf.zeros([1, 3])),
  ],
  [
    'NormalHead (learned scale)',
    () => new NormalHead({ inputDim: 3, units: 2, scale: 'learned-per-feature' }),
    (m: NormalHead) => m.apply(tf.zeros([1, 3])),
  ],
  [
    'BernoulliHead',
    () => new BernoulliHead({ inputDim: 3, units: 2 }),
    (m: BernoulliHead) => m.apply(tf.zeros([1, 3])),
  ],
  ['PoissonHead', () => new PoissonHead({ inputDim: 3, units: 2 }), (m: PoissonHead) => m.apply(tf.zeros([1, 3]))],
  [
    'NegativeBinomialHead',
    () => new NegativeBinomialHead({ inputDim: 3, units: 2 }),
    (m: NegativeBinomialHead) => m.apply(tf.zeros([1, 3])),
  ],
  [
    'ZeroInflatedNegativeBinomialHead',
    () => new ZeroInflatedNegativeBinomialHead({ inputDim: 3, units: 2 }),
    (m: ZeroInflatedNegativeBinomialHead) => m.apply(tf.zeros([1, 3])),
  ],
  ['MADE', () => new MADE({ inputDim: 3, hiddenUnits: [8] }), (m: MADE) => m.apply(tf.zeros([1, 3]))],
  [
    'InverseAutoregressiveFlow',
    () => new InverseAutoregressiveFlow({ dim: 3, hiddenUnits: [8] }),
    (m: InverseAutoregressiveFlow) => m.forward(tf.zeros([1, 3])),
  ],
  [
    'AffineCoupling',
    () => new AffineCoupling({ dim: 3, hiddenUnits: [8] }),
    (m: AffineCoupling) => m.forward(tf.zeros([1, 3])),
  ],
  [
    'FlowPosteriorHead',
    () => new FlowPosteriorHead({ inputDim: 3, units: 2 }),
    (m: FlowPosteriorHead) => m.apply(tf.zeros([1, 3])),
  ],
  [
    'FullCovarianceNormalHead',
    () => new FullCovarianceNormalHead({ inputDim: 3, units: 2 }),
    (m: FullCovarianceNormalHead) => m.apply(tf.zeros([1, 3])),
  ],
  [
    'LowRankNormalHead',
    () => new LowRankNormalHead({ inputDim: 3, units: 2, rank: 1 }),
    (m: LowRankNormalHead) => m.apply(tf.zeros([1, 3])),
  ],
  [
    'DirichletHead',
    () => new DirichletHead({ inputDim: 3, units: 3 }),
    (m: DirichletHead) => m.apply(tf.zeros([1, 3])),
  ],
  [
    'LogisticNormalHead',
    () => new LogisticNormalHead({ inputDim: 3, units: 3 }),
    (m: LogisticNormalHead) => m.apply(tf.zeros([1, 3])),
  ],
  [
    'GaussianMixturePrior',
    () => new GaussianMixturePrior({ latentDim: 2, components: 3 }),
    (m: GaussianMixturePrior) => m.distribution(),
  ],
];

describe('a disposed module throws a DisposedError', () => {
  for (const [name, make, use] of uses) {
    it(`${name}: dispose() frees its variables; a use afterwards is a DisposedError and leaks nothing`, () => {
      const before = tf.memory().numTensors;
      const m = make();
      m.dispose();
      expect(tf.memory().numTensors).toBe(before);
      let caught: unknown;
      tf.tidy(() => {
        try {
          use(m as never);
        } catch (e) {
          caught = e;
        }
      });
      expect(caught).toBeInstanceOf(DisposedError);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
