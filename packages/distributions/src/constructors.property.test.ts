// Property-based tests of the distribution constructors and of logProb/cdf/sample inputs (fast-check): whatever the
// parameters — numbers, NaN, ±∞, huge values, nested and ragged arrays, strings, booleans, null, objects, tensors, a
// missing or an extra key, with or without validation — a family either works or throws a VariaError; never a raw
// error, and no tensor leaks on any path. VARIA_PROPERTY_RUNS sets the number of runs (e.g. 5000 for a long run).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { VariaError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rectangularArrays } from '../test/arbitraries.js';
import type { Distribution } from './distribution.js';
import * as families from './index.js';

const runs = (fallback: number): number => {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
};

type Family = new (params: never, options?: never) => Distribution;

/** Each family with the parameter names of its parameterizations. */
const FAMILIES: readonly [string, Family, readonly (readonly string[])[]][] = [
  ['Normal', families.Normal as unknown as Family, [['loc', 'scale']]],
  ['LogNormal', families.LogNormal as unknown as Family, [['loc', 'scale']]],
  ['Laplace', families.Laplace as unknown as Family, [['loc', 'scale']]],
  ['StudentT', families.StudentT as unknown as Family, [['df', 'loc', 'scale']]],
  ['Gamma', families.Gamma as unknown as Family, [['concentration', 'rate']]],
  ['Beta', families.Beta as unknown as Family, [['concentration1', 'concentration0']]],
  ['Dirichlet', families.Dirichlet as unknown as Family, [['concentration']]],
  ['Bernoulli', families.Bernoulli as unknown as Family, [['logits'], ['probs']]],
  ['ContinuousBernoulli', families.ContinuousBernoulli as unknown as Family, [['logits'], ['probs']]],
  ['Categorical', families.Categorical as unknown as Family, [['logits'], ['probs']]],
  ['OneHotCategorical', families.OneHotCategorical as unknown as Family, [['logits'], ['probs']]],
  ['Poisson', families.Poisson as unknown as Family, [['rate'], ['logRate']]],
  [
    'NegativeBinomial',
    families.NegativeBinomial as unknown as Family,
    [
      ['totalCount', 'logits'],
      ['mean', 'dispersion'],
    ],
  ],
  [
    'ZeroInflatedPoisson',
    families.ZeroInflatedPoisson as unknown as Family,
    [
      ['rate', 'gate'],
      ['rate', 'gateLogits'],
    ],
  ],
  [
    'ZeroInflatedNegativeBinomial',
    families.ZeroInflatedNegativeBinomial as unknown as Family,
    [
      ['mean', 'dispersion', 'gate'],
      ['mean', 'dispersion', 'gateLogits'],
    ],
  ],
  ['MultivariateNormalDiag', families.MultivariateNormalDiag as unknown as Family, [['loc', 'scaleDiag']]],
  ['Deterministic', families.Deterministic as unknown as Family, [['loc']]],
];

const number = fc.oneof(
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.constantFrom(0, 1, -1, 0.5, 2, 1e-30, 1e30, 100, -100, NaN, Infinity, -Infinity),
);
/** Rectangular arrays of rank 1–3 (small dims). */
const rectangular = rectangularArrays(number);
/** Anything a user might pass. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: rectangular },
  { weight: 1, arbitrary: fc.array(fc.oneof(number, fc.array(number, { maxLength: 3 })), { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.string({ maxLength: 3 }),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.object({ maxDepth: 1 }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 2 }), fc.boolean(), fc.constant(null)), {
      minLength: 1,
      maxLength: 2,
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom('tensor', 'int-tensor', 'disposed', 'float64') },
);

/** Turns the markers of `value` into tensors / typed arrays (created inside the measured window). */
function materialize(v: unknown, made: tf.Tensor[]): unknown {
  if (v === 'tensor') return made[made.push(tf.tensor([0.5, 1.5])) - 1];
  if (v === 'int-tensor') return made[made.push(tf.tensor([1, 2], undefined, 'int32')) - 1];
  if (v === 'float64') return new Float64Array([0.25, 0.75]);
  if (v === 'disposed') {
    const t = tf.scalar(1);
    t.dispose();
    return t;
  }
  return v;
}

/** Runs `f`; a thrown error must be a VariaError. Returns whether it succeeded. */
function typedOrOk(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof VariaError)) throw new Error(`raw error: ${(e as Error)?.stack ?? String(e)}`);
  }
}

describe('distribution constructors and inputs (property)', () => {
  it('every input works or throws a VariaError, and nothing leaks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: FAMILIES.length - 1 }),
        fc.integer({ min: 0, max: 1 }),
        fc.array(value, { minLength: 3, maxLength: 3 }),
        fc.oneof(fc.constant(undefined), fc.boolean()),
        fc.oneof(fc.constant('none'), fc.constant('extra'), fc.constant('missing')),
        value,
        (which, param, values, validateArgs, keys, x) => {
          const [, Family, parameterizations] = FAMILIES[which]!;
          const names = [...parameterizations[param % parameterizations.length]!];
          if (keys === 'extra') names.push('scal');
          if (keys === 'missing') names.pop();
          const before = tf.memory().numTensors;
          const made: tf.Tensor[] = [];
          const params = Object.fromEntries(names.map((n, i) => [n, materialize(values[i % values.length], made)]));
          let d: Distribution | undefined;
          typedOrOk(() => {
            d = new Family(params as never, (validateArgs === undefined ? undefined : { validateArgs }) as never);
          });
          if (d) {
            const dist = d;
            const input = materialize(x, made);
            typedOrOk(() => tf.dispose(dist.logProb(input as never)));
            typedOrOk(() => tf.dispose(dist.sample([2], { seed: 3 })));
            typedOrOk(() => tf.dispose(dist.entropy()));
            typedOrOk(() => tf.dispose(dist.mean()));
            typedOrOk(() => tf.dispose(dist.cdf(input as never)));
            typedOrOk(() => dist.expand([2, ...dist.batchShape]).dispose());
            typedOrOk(() => dist.copy().dispose());
            dist.dispose();
          }
          tf.dispose(made);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: runs(300), seed: 1234 },
    );
  });
});
