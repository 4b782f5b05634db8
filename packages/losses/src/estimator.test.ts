import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, VariaError } from '@varia/core';
import { Bernoulli, type Distribution, Independent, Normal, OneHotCategorical, Poisson } from '@varia/distributions';
import { describe, expect, it } from 'vitest';
import { checkNoLeaksPerTest } from '../test/no-leaks.js';
import { MovingAverageBaseline } from './baselines.js';
import { elbo, negativeElbo } from './elbo.js';
import { resolveEstimator } from './estimator.js';
import { iwaeTerms } from './iwae.js';
import { sampleAndReconstruct, type VariationalInputs } from './variational.js';

checkNoLeaksPerTest();

type Family = 'normal' | 'bernoulli' | 'bernoulli-7' | 'one-hot' | 'poisson';

/** A batch of n = 3 examples with a d-dimensional latent of the given family and p(x|z) = N(x; z₀, 1). */
function inputsFor(family: Family): VariationalInputs {
  const n = 3;
  const x = tf.tensor2d([0.5, -0.3, 1.2], [n, 1]);
  const d = family === 'bernoulli-7' ? 7 : 2;
  const logits = tf.tensor2d(
    Array.from({ length: n * d }, (_, i) => Math.sin(i + 1)),
    [n, d],
  );
  const decode = (z: tf.Tensor): Distribution =>
    new Independent(new Normal({ loc: tf.slice(z, [0, 0], [-1, 1]), scale: 1 }), 1);
  const both = (make: (t: tf.Tensor) => Distribution, priorParam: tf.Tensor) => ({
    x,
    posterior: make(logits),
    prior: make(priorParam),
    decode,
  });
  switch (family) {
    case 'normal':
      return both((t) => new Independent(new Normal({ loc: t, scale: 0.7 }), 1), tf.zeros([d]));
    case 'bernoulli':
    case 'bernoulli-7':
      return both((t) => new Independent(new Bernoulli({ logits: t }), 1), tf.zeros([d]));
    case 'one-hot':
      return both((t) => new OneHotCategorical({ logits: t }), tf.zeros([d]));
    case 'poisson':
      return both((t) => new Independent(new Poisson({ logRate: t }), 1), tf.zeros([d]));
  }
}

describe('resolveEstimator', () => {
  it("'auto': reparam with rsample, enumerate for a small support, else score function", () => {
    tf.tidy(() => {
      expect(resolveEstimator(inputsFor('normal').posterior, 'auto')).toBe('reparam');
      expect(resolveEstimator(inputsFor('bernoulli').posterior, undefined)).toBe('enumerate');
      expect(resolveEstimator(inputsFor('one-hot').posterior, 'auto')).toBe('enumerate');
      expect(resolveEstimator(inputsFor('bernoulli-7').posterior, 'auto')).toBe('score-function'); // 128 > 64
      expect(resolveEstimator(inputsFor('bernoulli-7').posterior, 'auto', { maxEnumerate: 128 })).toBe('enumerate');
      expect(resolveEstimator(inputsFor('poisson').posterior, 'auto')).toBe('score-function');
      expect(resolveEstimator(inputsFor('bernoulli').posterior, 'auto', { allowEnumerate: false })).toBe(
        'score-function',
      );
    });
  });

  it('throws an ArgumentError naming the estimators that would work', () => {
    tf.tidy(() => {
      const poisson = inputsFor('poisson').posterior;
      expect(() => resolveEstimator(poisson, 'reparam')).toThrowError(ArgumentError);
      expect(() => resolveEstimator(poisson, 'reparam')).toThrowError(/Poisson|Independent.*"score-function"/);
      expect(() => resolveEstimator(inputsFor('bernoulli').posterior, 'reparam')).toThrowError(
        /"enumerate" \(its support has 4 values\)/,
      );
      expect(() => resolveEstimator(inputsFor('normal').posterior, 'enumerate')).toThrowError(
        /"reparam" or "score-function"/,
      );
      expect(() => resolveEstimator(poisson, 'magic' as never)).toThrowError(/"estimator" must be one of/);
      expect(() => resolveEstimator(poisson, 'auto', { maxEnumerate: 0 })).toThrowError(/"maxEnumerate"/);
      expect(() => iwaeTerms(inputsFor('bernoulli'), { estimator: 'enumerate' })).toThrowError(ArgumentError);
    });
  });
});

describe('the objectives report their estimator', () => {
  it('elbo, negativeElbo and iwaeTerms name the estimator and baseline they used', () => {
    tf.tidy(() => {
      expect(elbo(inputsFor('normal')).estimator).toBe('reparam');
      expect(elbo(inputsFor('normal')).baseline).toBeUndefined();
      expect(negativeElbo(inputsFor('bernoulli')).estimator).toBe('enumerate');
      const sf = negativeElbo(inputsFor('poisson'), { seed: 1 });
      expect([sf.estimator, sf.baseline]).toEqual(['score-function', 'none']);
      const loo = elbo(inputsFor('poisson'), { samples: 2, seed: 1 });
      expect([loo.estimator, loo.baseline]).toEqual(['score-function', 'leave-one-out']);
      const iw = iwaeTerms(inputsFor('poisson'), { k: 4, seed: 1 });
      expect([iw.estimator, iw.baseline]).toEqual(['score-function', 'leave-one-out']);
      expect(iwaeTerms(inputsFor('normal'), { k: 4, seed: 1 }).estimator).toBe('reparam');
    });
  });

  it('the score-function surrogate leaves the value unchanged: elbo = mean_k log p(x|z_k) − KL on the same draws', () => {
    tf.tidy(() => {
      const inputs = inputsFor('bernoulli');
      const t = elbo(inputs, { estimator: 'score-function', samples: 3, seed: 7 });
      const { logLikelihood } = sampleAndReconstruct(inputs, 3, 7, false);
      const plain = tf.sub(tf.mean(logLikelihood, 0), t.kl);
      expect(Array.from(t.elbo.dataSync())).toEqual(Array.from(plain.dataSync()));
      const l = negativeElbo(inputs, { estimator: 'score-function', samples: 3, seed: 7 });
      expect(l.loss.dataSync()[0]).toBeCloseTo(-tf.mean(plain).dataSync()[0]!, 6);
    });
  });

  it('one Bernoulli latent: the gradient in the logit is (f(z) − KL-free signal)·(z − σ(ℓ)) − ∂KL/∂ℓ, by hand', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[0.8]]);
      const prior = new Independent(new Bernoulli({ probs: [0.3] }), 1);
      const decode = (z: tf.Tensor): Distribution => new Independent(new Normal({ loc: tf.mul(z, 2), scale: 1 }), 1);
      const ell = 0.4;
      const f = (logit: tf.Tensor): tf.Scalar =>
        tf.sum(
          elbo(
            { x, posterior: new Independent(new Bernoulli({ logits: logit }), 1), prior, decode },
            { estimator: 'score-function', seed: 3 },
          ).elbo,
        ) as tf.Scalar;
      const g = tf
        .grad(f)(tf.tensor2d([[ell]]))
        .dataSync()[0]!;
      const z = new Independent(new Bernoulli({ logits: tf.tensor2d([[ell]]) }), 1)
        .sample([], { seed: 3 })
        .dataSync()[0]!;
      const s = 1 / (1 + Math.exp(-ell));
      const logLik = -0.5 * (0.8 - 2 * z) ** 2 - 0.5 * Math.log(2 * Math.PI);
      // KL(Bern(s) ‖ Bern(0.3)) = s log(s/0.3) + (1−s) log((1−s)/0.7); ∂/∂ℓ = s(1−s)·(ℓ − logit(0.3))
      const dKl = s * (1 - s) * (ell - Math.log(0.3 / 0.7));
      expect(g).toBeCloseTo(logLik * (z - s) - dKl, 4);
    });
  });
});

describe('errors leave no tensors and no state behind', () => {
  it('bad baseline options, free bits without a per-dimension KL', () => {
    const baseline = new MovingAverageBaseline();
    tf.tidy(() => {
      const inputs = inputsFor('poisson');
      expect(() => elbo(inputs, { baseline: 'leave-one-out' })).toThrowError(/at least 2 samples/);
      expect(() => elbo(inputs, { baseline: {} as never })).toThrowError(ArgumentError);
      expect(() => negativeElbo(inputs, { baseline, kl: 'monte-carlo', freeBits: 0.5 })).toThrowError(/"freeBits"/);
      expect(baseline.updates).toBe(0);
    });
    baseline.dispose();
  });

  fcTest.prop(
    [
      fc.constantFrom<Family>('normal', 'bernoulli', 'one-hot', 'poisson'),
      fc.constantFrom('reparam', 'score-function', 'enumerate', 'auto') as fc.Arbitrary<
        'reparam' | 'score-function' | 'enumerate' | 'auto'
      >,
      fc.constantFrom('none', 'leave-one-out') as fc.Arbitrary<'none' | 'leave-one-out'>,
      fc.integer({ min: 0, max: 3 }),
      fc.constantFrom('auto', 'analytic', 'monte-carlo') as fc.Arbitrary<'auto' | 'analytic' | 'monte-carlo'>,
    ],
    { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 60), seed: 18 },
  )(
    'any estimator × family × baseline × K × KL mode works (finite, reported) or throws a VariaError, without leaks',
    (family, estimator, baseline, samples, kl) => {
      const start = tf.memory().numTensors;
      tf.tidy(() => {
        const inputs = inputsFor(family);
        for (const run of [
          () => elbo(inputs, { estimator, baseline, samples, kl, seed: 5 }),
          () => negativeElbo(inputs, { estimator, baseline, samples, kl, seed: 5 }),
          () => iwaeTerms(inputs, { estimator, baseline, k: samples, seed: 5 }),
        ]) {
          try {
            const out = run() as unknown as Record<string, unknown>;
            expect(['reparam', 'score-function', 'enumerate']).toContain(out.estimator);
            const value = (out.elbo ?? out.loss ?? out.iwae) as tf.Tensor;
            expect(Array.from(value.dataSync()).every(Number.isFinite)).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(VariaError);
          }
        }
      });
      expect(tf.memory().numTensors).toBe(start);
    },
  );
});

describe('resolveEstimator reads declared capabilities, never probes', () => {
  it("'auto' and 'reparam' do not touch enumerateSupport; a family without hasEnumerateSupport is never asked", () => {
    const probe = (d: Distribution): Distribution => {
      // a probe would call this: make it fail loudly (not a VariaError, so nothing swallows it)
      (d as unknown as { enumerateSupport: () => never }).enumerateSupport = () => {
        throw new Error('enumerateSupport was called');
      };
      return d;
    };
    const loc = tf.zeros([3, 2]);
    const rate = tf.ones([3, 2]);
    const normal = new Independent(probe(new Normal({ loc, scale: 1 })), 1);
    const poisson = new Independent(probe(new Poisson({ rate })), 1);
    expect(resolveEstimator(normal, 'auto')).toBe('reparam');
    expect(resolveEstimator(normal, 'reparam')).toBe('reparam');
    expect(resolveEstimator(normal, 'score-function')).toBe('score-function');
    expect(resolveEstimator(poisson, 'auto')).toBe('score-function');
    expect(() => resolveEstimator(poisson, 'enumerate')).toThrow(ArgumentError);
    tf.dispose([loc, rate]);
    normal.dispose();
    poisson.dispose();
  });
});

describe('an explicit "enumerate" is bounded', () => {
  it('refuses a support that would lay out more than 2^24 latent values, before allocating (it was a raw RangeError)', () => {
    const cases: [string, number[], (l: tf.Tensor) => Distribution][] = [
      ['one-hot K = 1e5', [4, 100_000], (logits) => new OneHotCategorical({ logits })],
      ['40 Bernoulli coordinates', [4, 40], (logits) => new Independent(new Bernoulli({ logits }), 1)],
    ];
    for (const [name, shape, make] of cases) {
      const logits = tf.zeros(shape);
      const q = make(logits);
      const before = tf.memory().numTensors;
      expect(() => resolveEstimator(q, 'enumerate'), name).toThrow(
        /"enumerate" would decode every one of the \d+ support values for each of the 4 examples .*choose "score-function"/,
      );
      expect(tf.memory().numTensors).toBe(before);
      q.dispose();
      logits.dispose();
    }
    // within the bound it stays "enumerate"
    const logits = tf.zeros([4, 10]);
    const small = new Independent(new Bernoulli({ logits }), 1);
    expect(resolveEstimator(small, 'enumerate')).toBe('enumerate');
    small.dispose();
    logits.dispose();
  });
});
