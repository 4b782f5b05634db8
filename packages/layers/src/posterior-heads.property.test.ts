// Property-based tests of the posterior heads (fast-check): for any widths, rank, batch and input width, a head either
// builds, gives finite log-densities of its own samples and leaks nothing, or throws a VariaError (never a raw error).
// More runs: VARIA_PROPERTY_RUNS=500 pnpm --filter @varia/layers test
import { test as fcTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { VariaError } from '@varia/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import { FullCovarianceNormalHead, LowRankNormalHead } from './covariance-heads.js';
import { FlowPosterior, FlowPosteriorHead } from './flow-posterior.js';
import type { DistributionHead } from './heads.js';
import { DirichletHead, LogisticNormalHead } from './simplex-heads.js';

const KINDS = ['full', 'low-rank', 'dirichlet', 'logistic-normal', 'iaf', 'coupling'] as const;

function build(kind: (typeof KINDS)[number], inputDim: number, units: number, rank: number): DistributionHead {
  switch (kind) {
    case 'full':
      return new FullCovarianceNormalHead({ inputDim, units });
    case 'low-rank':
      return new LowRankNormalHead({ inputDim, units, rank });
    case 'dirichlet':
      return new DirichletHead({ inputDim, units });
    case 'logistic-normal':
      return new LogisticNormalHead({ inputDim, units });
    case 'iaf':
      return new FlowPosteriorHead({ inputDim, units, hiddenUnits: [8] });
    default:
      return new FlowPosteriorHead({ inputDim, units, hiddenUnits: [8], flow: 'affine-coupling' });
  }
}

fcTest.prop(
  [
    fc.constantFrom(...KINDS),
    fc.integer({ min: -1, max: 4 }),
    fc.integer({ min: -1, max: 5 }),
    fc.integer({ min: -1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 0, max: 5 }),
  ],
  { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 60), seed: 21 },
)(
  'posterior heads: any widths work (finite logProb of own samples, no leak) or throw a VariaError',
  (kind, inputDim, units, rank, batch, width) => {
    const before = tf.memory().numTensors;
    let head: DistributionHead | undefined;
    try {
      head = build(kind, inputDim, units, rank);
      const built = head;
      tf.tidy(() => {
        const q = built.apply(tf.randomNormal([batch, width], 0, 1, 'float32', 2));
        const lp =
          q instanceof FlowPosterior
            ? q.rsampleAndLogProb([2], { seed: 3 }).logProb
            : q.logProb(q.rsample([2], { seed: 3 }));
        expect(lp.shape).toEqual([2, batch]);
        expect(Array.from(lp.dataSync()).every(Number.isFinite)).toBe(true);
      });
    } catch (e) {
      expect(e).toBeInstanceOf(VariaError);
    } finally {
      head?.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  },
);
