// The gradient estimators are unbiased: on tiny models whose exact gradient is computable by enumeration, the mean of
// M independent estimates (M replicas of the model, one tf.grads call) matches the exact gradient within 4 standard
// errors, for every parameter, estimator and baseline. The same check flags the old silent estimator (sample() with
// no score-function term) as biased, so it can fail. Also logs the variance each baseline leaves (the guide's table).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  columnStats,
  type LatentKind,
  replicaGradients,
  replicate,
  type TinyParams,
  tinyInputs,
} from '../test/tiny-models.js';
import { LearnedBaseline, MovingAverageBaseline } from './baselines.js';
import { elbo } from './elbo.js';
import { iwaeTerms } from './iwae.js';
import { klTerms } from './kl-terms.js';
import { sampleAndReconstruct } from './variational.js';

/** Replicas per estimate: the standard error of each mean is sd/√M. */
const M = Number(process.env.VARIA_ESTIMATOR_REPLICAS ?? 4000);
/** The tolerance, in standard errors (a 4-SE two-sided miss has probability 6e-5 per parameter under the null). */
const Z = 4;
const SHAPES: Record<'one-hot' | 'bernoulli', { l: number; d: number }> = {
  'one-hot': { l: 3, d: 3 },
  bernoulli: { l: 2, d: 2 },
};
const ENCODER = { 'one-hot': 9, bernoulli: 6 }; // leading encoder parameters (W then b) in the flattened gradient
const table: string[] = [];

function exactGradient(kind: LatentKind, objective: (p: TinyParams) => tf.Tensor): number[] {
  const { l, d } = SHAPES[kind as 'one-hot' | 'bernoulli'];
  const one = replicate(1, l, d);
  const g = Array.from(replicaGradients(one, objective));
  tf.dispose(one as unknown as tf.TensorContainer);
  return g;
}

/** The largest |mean − exact| / (SE + slack) over the parameters, and the encoder gradient's total variance. */
function compare(
  kind: LatentKind,
  exact: number[],
  objective: (p: TinyParams) => tf.Tensor,
  warmUp = 0,
): { worst: number; encoderVariance: number } {
  const { l, d } = SHAPES[kind as 'one-hot' | 'bernoulli'];
  const params = replicate(M, l, d);
  for (let i = 0; i < warmUp; i++) tf.tidy(() => void objective(params));
  const stats = columnStats(replicaGradients(params, objective), M);
  tf.dispose(params as unknown as tf.TensorContainer);
  const worst = Math.max(
    ...exact.map((e, j) => Math.abs(stats.mean[j]! - e) / (stats.se[j]! + 1e-4 * (1 + Math.abs(e)))),
  );
  const encoderVariance = stats.variance.slice(0, ENCODER[kind as 'one-hot' | 'bernoulli']).reduce((a, b) => a + b, 0);
  return { worst, encoderVariance };
}

let seed = 100;

describe.each(['one-hot', 'bernoulli'] as const)(
  '%s latent: each estimator matches the exact ELBO gradient',
  (kind) => {
    const exact = exactGradient(kind, (p) => elbo(tinyInputs(kind, p), { estimator: 'enumerate' }).elbo);
    const rows: Array<[string, number]> = [];
    afterAll(() => {
      const none = rows.find(([n]) => n === 'none, K = 1')![1];
      table.push(
        ...rows.map(
          ([name, v]) =>
            `${kind} ELBO | ${name} | encoder-gradient variance ${v.toFixed(3)} | ${(none / v).toFixed(1)}× less than none`,
        ),
      );
    });

    const cases: Array<[string, (p: TinyParams) => tf.Tensor, number?]> = [
      ['none, K = 1', (p) => elbo(tinyInputs(kind, p), { estimator: 'score-function', seed: seed++ }).elbo],
      [
        'none, K = 1, Monte-Carlo KL',
        (p) => elbo(tinyInputs(kind, p), { estimator: 'score-function', kl: 'monte-carlo', seed: seed++ }).elbo,
      ],
      [
        'none, K = 3',
        (p) =>
          elbo(tinyInputs(kind, p), { estimator: 'score-function', baseline: 'none', samples: 3, seed: seed++ }).elbo,
      ],
      [
        'leave-one-out, K = 3',
        (p) => elbo(tinyInputs(kind, p), { estimator: 'score-function', samples: 3, seed: seed++ }).elbo,
      ],
    ];
    it.each(cases)('score function, baseline %s', (name, objective) => {
      const { worst, encoderVariance } = compare(kind, exact, objective);
      rows.push([name, encoderVariance]);
      expect(worst).toBeLessThan(Z);
    });

    it('score function, moving-average baseline (after 5 warm-up steps)', () => {
      const baseline = new MovingAverageBaseline({ decay: 0.5 });
      const objective = (p: TinyParams): tf.Tensor =>
        elbo(tinyInputs(kind, p), { estimator: 'score-function', baseline, seed: seed++ }).elbo;
      const { worst, encoderVariance } = compare(kind, exact, objective, 5);
      baseline.dispose();
      rows.push(['moving average, K = 1', encoderVariance]);
      expect(worst).toBeLessThan(Z);
    });

    it('score function, learned input-dependent baseline (NVIL, a fixed linear b(x) plus centering)', () => {
      const u = tf.tensor1d([-1.2, 0.9]);
      const baseline = new LearnedBaseline({ predict: (x) => tf.squeeze(tf.matMul(x, tf.reshape(u, [2, 1])), [1]) });
      const objective = (p: TinyParams): tf.Tensor =>
        elbo(tinyInputs(kind, p), { estimator: 'score-function', baseline, seed: seed++ }).elbo;
      const { worst, encoderVariance } = compare(kind, exact, objective, 5);
      baseline.dispose();
      u.dispose();
      rows.push(['learned (NVIL), K = 1', encoderVariance]);
      expect(worst).toBeLessThan(Z);
    });

    it('the check has power: the silent sample() estimator (no score term) is flagged as biased', () => {
      const silent = (p: TinyParams): tf.Tensor => {
        const inputs = tinyInputs(kind, p);
        const { logLikelihood } = sampleAndReconstruct(inputs, 1, seed++, false);
        const { kl } = klTerms(inputs.posterior, inputs.prior, () => tf.zeros([1]), 'analytic');
        return tf.sub(tf.mean(logLikelihood, 0), kl);
      };
      expect(compare(kind, exact, silent).worst).toBeGreaterThan(3 * Z);
    });
  },
);

/** E over K iid samples of IWAE_K, exactly: Σ over all S^K tuples of Π q(z_sₖ) · log (1/K) Σₖ w(z_sₖ). */
function exactIwae(kind: LatentKind, k: number, p: TinyParams): tf.Tensor {
  const inputs = tinyInputs(kind, p);
  const n = inputs.x.shape[0]!;
  const { l, d } = SHAPES[kind as 'one-hot' | 'bernoulli'];
  const support = kind === 'one-hot' ? tf.eye(l) : tf.tensor2d([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
  const s = support.shape[0]!;
  const z = tf.tile(tf.reshape(support, [s, 1, d]), [1, n, 1]);
  const logQ = inputs.posterior.logProb(z);
  const logLik = tf.reshape(inputs.decode(tf.reshape(z, [s * n, d])).logProb(tf.tile(inputs.x, [s, 1])), [s, n]);
  const logW = tf.sub(tf.add(logLik, inputs.prior.logProb(z)), logQ);
  const tuples: number[] = [];
  for (let t = 0; t < s ** k; t++) for (let j = 0, r = t; j < k; j++, r = Math.floor(r / s)) tuples.push(r % s);
  const idx = tf.tensor1d(tuples, 'int32');
  const gather = (v: tf.Tensor): tf.Tensor => tf.reshape(tf.gather(v, idx), [s ** k, k, n]);
  const bound = tf.sub(tf.logSumExp(gather(logW), 1), Math.log(k));
  return tf.sum(tf.mul(tf.exp(tf.sum(gather(logQ), 1)), bound), 0);
}

describe.each(['one-hot', 'bernoulli'] as const)(
  '%s latent: the IWAE score-function gradient is unbiased (K = 3)',
  (kind) => {
    const exact = exactGradient(kind, (p) => exactIwae(kind, 3, p));
    const cases: Array<[string, (p: TinyParams) => tf.Tensor]> = [
      [
        'none',
        (p) =>
          iwaeTerms(tinyInputs(kind, p), { k: 3, estimator: 'score-function', baseline: 'none', seed: seed++ }).iwae,
      ],
      ['VIMCO leave-one-out', (p) => iwaeTerms(tinyInputs(kind, p), { k: 3, seed: seed++ }).iwae],
    ];
    const rows: Array<[string, number]> = [];
    afterAll(() => {
      table.push(
        ...rows.map(
          ([name, v]) =>
            `${kind} IWAE-3 | ${name} | encoder-gradient variance ${v.toFixed(3)} | ${(rows[0]![1] / v).toFixed(1)}× less than none`,
        ),
      );
    });
    it.each(cases)('baseline %s', (name, objective) => {
      const { worst, encoderVariance } = compare(kind, exact, objective);
      rows.push([name, encoderVariance]);
      expect(worst).toBeLessThan(Z);
    });

    it('baseline moving average (a Baseline object sees the bound as every sample’s signal)', () => {
      const baseline = new MovingAverageBaseline({ decay: 0.5 });
      const objective = (p: TinyParams): tf.Tensor =>
        iwaeTerms(tinyInputs(kind, p), { k: 3, baseline, seed: seed++ }).iwae;
      const { worst, encoderVariance } = compare(kind, exact, objective, 5);
      baseline.dispose();
      rows.push(['moving average', encoderVariance]);
      expect(worst).toBeLessThan(Z);
    });
  },
);

afterAll(() => {
  console.log(`gradient-estimator variances over ${M} replicas (sum over encoder parameters):\n${table.join('\n')}`);
});
