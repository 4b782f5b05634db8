// Property-based tests (fast-check) of the transform-era families and the bijectors: whatever the parameters —
// numbers, NaN, ±∞, huge values, arrays of rank 0–3, strings, null, tensors, with or without validation — a family
// either works or throws a VariaError (never a raw error, hang or leak); and every bijector round-trips its inputs.
// VARIA_PROPERTY_RUNS sets the number of runs (e.g. 5000 for a long run).
import * as tf from '@tensorflow/tfjs-core';
import { VariaError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rectangularArrays } from '../test/arbitraries.js';
import type { Distribution } from './distribution.js';
import * as D from './index.js';

const runs = (fallback: number): number => {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
};

type Family = new (params: never, options?: never) => Distribution;
const F = (c: unknown): Family => c as Family;

/** Each family with the parameter names of its parameterizations. */
const FAMILIES: readonly [Family, readonly (readonly string[])[]][] = [
  [F(D.Uniform), [['low', 'high']]],
  [F(D.Exponential), [['rate']]],
  [F(D.Cauchy), [['loc', 'scale']]],
  [F(D.HalfNormal), [['scale']]],
  [F(D.HalfCauchy), [['scale']]],
  [F(D.Gumbel), [['loc', 'scale']]],
  [F(D.Weibull), [['scale', 'concentration']]],
  [F(D.Pareto), [['scale', 'alpha']]],
  [F(D.Geometric), [['logits'], ['probs']]],
  [
    F(D.Binomial),
    [
      ['totalCount', 'logits'],
      ['totalCount', 'probs'],
    ],
  ],
  [
    F(D.RelaxedBernoulli),
    [
      ['temperature', 'logits'],
      ['temperature', 'probs'],
    ],
  ],
  [
    F(D.RelaxedOneHotCategorical),
    [
      ['temperature', 'logits'],
      ['temperature', 'probs'],
    ],
  ],
  [
    F(D.MultivariateNormal),
    [
      ['loc', 'covarianceMatrix'],
      ['loc', 'scaleTril'],
      ['loc', 'precisionMatrix'],
    ],
  ],
  [F(D.LowRankMultivariateNormal), [['loc', 'covFactor', 'covDiag']]],
  [F(D.Chi2), [['df']]],
  [F(D.Kumaraswamy), [['concentration1', 'concentration0']]],
  [F(D.FisherSnedecor), [['df1', 'df2']]],
  [F(D.LogisticNormal), [['loc', 'scale']]],
  [
    F(D.Multinomial),
    [
      ['totalCount', 'logits'],
      ['totalCount', 'probs'],
    ],
  ],
  [F(D.VonMises), [['loc', 'concentration']]],
  [F(D.LKJCholesky), [['dim', 'concentration']]],
  [
    F(D.Wishart),
    [
      ['df', 'covarianceMatrix'],
      ['df', 'scaleTril'],
    ],
  ],
];

const number = fc.oneof(
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.constantFrom(0, 1, -1, 0.5, 2, 3, 1e-30, 1e30, 100, -100, NaN, Infinity, -Infinity),
);
/** Rectangular arrays of rank 0–3 (small dims). */
const rectangular = rectangularArrays(number);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: rectangular },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.string({ maxLength: 3 }), fc.boolean(), fc.constant(null), fc.constant(undefined)),
  },
  { weight: 1, arbitrary: fc.constant('tensor') },
);

/** Runs `f`; a thrown error must be a VariaError. */
function typedOrOk(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof VariaError)) throw new Error(`raw error: ${(e as Error)?.stack ?? String(e)}`);
  }
}

describe('transform-era families (property)', () => {
  it('every input works or throws a VariaError, and nothing leaks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: FAMILIES.length - 1 }),
        fc.integer({ min: 0, max: 2 }),
        fc.array(value, { minLength: 3, maxLength: 3 }),
        fc.oneof(fc.constant(undefined), fc.boolean()),
        value,
        (which, param, values, validateArgs, x) => {
          const [Family, parameterizations] = FAMILIES[which]!;
          const names = parameterizations[param % parameterizations.length]!;
          const before = tf.memory().numTensors;
          const made: tf.Tensor[] = [];
          const materialize = (v: unknown): unknown =>
            v === 'tensor' ? made[made.push(tf.tensor([0.5, 1.5])) - 1] : v;
          const params = Object.fromEntries(names.map((n, i) => [n, materialize(values[i])]));
          let d: Distribution | undefined;
          typedOrOk(() => {
            d = new Family(params as never, (validateArgs === undefined ? undefined : { validateArgs }) as never);
          });
          if (d) {
            const dist = d as Distribution & { icdf?: (q: unknown) => tf.Tensor };
            const input = materialize(x);
            typedOrOk(() => tf.dispose(dist.logProb(input as never)));
            typedOrOk(() => tf.dispose(dist.sample([2], { seed: 3 })));
            if (dist.hasRsample) typedOrOk(() => tf.dispose(dist.rsample([2], { seed: 3 })));
            typedOrOk(() => tf.dispose(dist.entropy()));
            typedOrOk(() => tf.dispose(dist.mean()));
            typedOrOk(() => tf.dispose(dist.variance()));
            typedOrOk(() => tf.dispose(dist.cdf(input as never)));
            if (dist.icdf) typedOrOk(() => tf.dispose(dist.icdf!(input)));
            typedOrOk(() => dist.expand([2, ...dist.batchShape]).dispose());
            dist.dispose();
          }
          tf.dispose(made);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: runs(200), seed: Number(process.env.VARIA_PROPERTY_SEED ?? 4321) },
    );
  });

  it('every element-wise bijector round-trips: inverse(forward(x)) ≈ x, log-dets finite and opposite', () => {
    const bijectors = [
      new D.Exp(),
      new D.Softplus(),
      new D.Sigmoid(),
      new D.Tanh(),
      new D.Affine({ shift: 0.5, scale: -3 }),
      new D.Identity(),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bijectors.length - 1 }),
        fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 5 }),
        (i, xs) => {
          const b = bijectors[i]!;
          const before = tf.memory().numTensors;
          tf.tidy(() => {
            const y = b.forward(xs);
            const back = Array.from(b.inverse(y).dataSync());
            back.forEach((v, k) =>
              expect(Math.abs(v - xs[k]!)).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(xs[k]!))),
            );
            const f = Array.from(b.forwardLogDetJacobian(xs).dataSync());
            const r = Array.from(b.inverseLogDetJacobian(y).dataSync());
            f.forEach((v, k) => {
              expect(Number.isFinite(v)).toBe(true);
              expect(Math.abs(v + r[k]!)).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(v)));
            });
          });
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: runs(100), seed: 99 },
    );
    for (const b of bijectors) b.dispose();
  });

  it('StickBreaking and CorrCholesky map any real vector onto their constraint and back', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 3, maxLength: 3 }), (xs) => {
        tf.tidy(() => {
          for (const [b, c] of [
            [new D.StickBreaking(), D.constraints.simplex],
            [new D.CorrCholesky(), D.corrCholesky],
          ] as const) {
            const y = b.forward(xs);
            expect(c.check(y).dataSync()[0]).toBe(1);
            Array.from(b.inverse(y).dataSync()).forEach((v, k) => expect(Math.abs(v - xs[k]!)).toBeLessThan(2e-3));
          }
        });
      }),
      { numRuns: runs(100), seed: 7 },
    );
  });
});
