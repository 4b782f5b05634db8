// Direct heads (`parameters: 'direct'`): the hidden input is the parameter block. Each family against the dense head's
// distribution given the same parameters (bit for bit), against closed forms for the layout, its shape errors, and a
// property over widths and families. More runs: VARIA_PROPERTY_RUNS=1000 pnpm --filter @varia/layers test
import { test as fcTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError, VariaError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NegativeBinomialHead, ZeroInflatedNegativeBinomialHead } from './count-heads.js';
import { type DistributionHead, type HeadOptions, NormalHead, PoissonHead } from './heads.js';
import { BernoulliHead, ContinuousBernoulliHead } from './logits-heads.js';
import type { ParameterLayer } from './parameter-blocks.js';

/** Each head configuration under test: how to build it, its per-example layers (in block order) and test data. */
interface Case {
  name: string;
  build(o: HeadOptions): DistributionHead;
  layers(head: DistributionHead): ParameterLayer[];
  data: 'real' | 'unit' | 'counts';
  librarySize?: boolean;
}

const normal = (scale: 'amortized' | 'learned-scalar' | 'learned-per-feature' | { fixed: number }, exp = false) => ({
  name: `normal ${JSON.stringify(scale)}${exp ? ' exp' : ''}`,
  build: (o: HeadOptions) => new NormalHead({ ...o, scale, scaleTransform: exp ? 'exp' : 'softplus' }),
  layers: (h: DistributionHead) => [(h as NormalHead).locLayer, (h as NormalHead).scaleLayer].filter((l) => !!l),
  data: 'real' as const,
});
const nb = (zero: boolean, dispersion: 'per-feature' | 'amortized', librarySize = false) => ({
  name: `${zero ? 'zinb' : 'nb'} ${dispersion}${librarySize ? ' library size' : ''}`,
  build: (o: HeadOptions) =>
    zero
      ? new ZeroInflatedNegativeBinomialHead({ ...o, dispersion, librarySize })
      : new NegativeBinomialHead({ ...o, dispersion, librarySize }),
  layers: (h: DistributionHead) => {
    const head = h as NegativeBinomialHead;
    return [head.meanLayer, head.dispersionLayer, head.gateLayer].filter((l) => !!l);
  },
  data: 'counts' as const,
  librarySize,
});

const CASES: Case[] = [
  normal('amortized'),
  normal('amortized', true),
  normal('learned-scalar'),
  normal('learned-per-feature', true),
  normal({ fixed: 0.3 }),
  { name: 'bernoulli', build: (o) => new BernoulliHead(o), layers: (h) => [(h as BernoulliHead).layer], data: 'unit' },
  {
    name: 'continuous-bernoulli',
    build: (o) => new ContinuousBernoulliHead(o),
    layers: (h) => [(h as ContinuousBernoulliHead).layer],
    data: 'unit',
  },
  { name: 'poisson', build: (o) => new PoissonHead(o), layers: (h) => [(h as PoissonHead).layer], data: 'counts' },
  {
    name: 'poisson library size',
    build: (o) => new PoissonHead({ ...o, librarySize: true }),
    layers: (h) => [(h as PoissonHead).layer],
    data: 'counts',
    librarySize: true,
  },
  nb(false, 'per-feature'),
  nb(false, 'amortized', true),
  nb(true, 'per-feature'),
  nb(true, 'amortized'),
];

function data(kind: Case['data'], shape: [number, number], seed: number): tf.Tensor {
  if (kind === 'real') return tf.randomNormal(shape, 0, 1, 'float32', seed);
  if (kind === 'unit') return tf.randomUniform(shape, 0, 1, 'float32', seed);
  return tf.floor(tf.randomUniform(shape, 0, 6, 'float32', seed));
}

/** The blocks θₖ [n, D] interleaved as a direct head reads them: column j·P + k holds θₖ[:, j]. */
function interleave(blocks: tf.Tensor[]): tf.Tensor {
  const [n, d] = blocks[0]!.shape as [number, number];
  return tf.reshape(tf.stack(blocks, 2), [n, d * blocks.length]);
}

describe('direct heads', () => {
  const n = 5;
  const units = 7;
  for (const c of CASES) {
    it(`${c.name}: the same distribution as the dense head given the same parameter blocks, to the bit`, () => {
      const before = tf.memory().numTensors;
      const dense = c.build({ inputDim: 4, units, seed: 3 });
      const blocks = c.layers(dense).length;
      const direct = c.build({ inputDim: units * blocks, units, parameters: 'direct' });
      expect(direct.parameters).toBe('direct');
      expect(dense.parameters).toBe('dense');
      // the shared parameters (learned σ, per-feature θ) keep their names; the direct head has nothing else
      const denseVars = dense.namedVariables();
      const directVars = direct.namedVariables();
      for (const [name, v] of directVars) {
        expect(denseVars.has(name)).toBe(true);
        tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', 9)));
        tf.tidy(() => denseVars.get(name)!.assign(v));
      }
      expect(denseVars.size - directVars.size).toBe(2 * blocks);
      tf.tidy(() => {
        const h = tf.randomNormal([n, 4], 0, 1, 'float32', 1);
        const context = c.librarySize ? { logLibrarySize: tf.log(tf.fill([n, 1], 30)) } : undefined;
        const x = data(c.data, [n, units], 2);
        const expected = dense.apply(h, context).logProb(x).dataSync();
        const theta = interleave(c.layers(dense).map((l) => l.apply(h)));
        const got = direct.apply(theta, context).logProb(x).dataSync();
        expect(Array.from(got).every(Number.isFinite)).toBe(true);
        expect(got).toEqual(expected);
      });
      dense.dispose();
      direct.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('reads a conv output [n, H, W, 2] flattened as (loc, raw σ) per pixel (closed form, float64)', () => {
    const head = new NormalHead({ inputDim: 12, units: 6, scale: 'amortized', parameters: 'direct' });
    const out = Array.from({ length: 2 * 12 }, (_, i) => Math.sin(i * 1.7) * 2);
    const x = Array.from({ length: 2 * 6 }, (_, i) => Math.cos(i));
    const got = tf.tidy(() =>
      Array.from(
        head
          .apply(tf.reshape(tf.tensor4d(out, [2, 2, 3, 2]), [2, 12]))
          .logProb(tf.tensor2d(x, [2, 6]))
          .dataSync(),
      ),
    );
    for (let i = 0; i < 2; i++) {
      let lp = 0;
      for (let j = 0; j < 6; j++) {
        const loc = out[i * 12 + j * 2]!;
        const sigma = Math.log1p(Math.exp(out[i * 12 + j * 2 + 1]!)) + 1e-4;
        lp += -((x[i * 6 + j]! - loc) ** 2) / (2 * sigma * sigma) - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
      }
      expect(got[i]).toBeCloseTo(lp, 4);
    }
    head.dispose();
  });

  it('Bernoulli: the input is the logits, log p = Σ x·ℓ − softplus(ℓ) (closed form)', () => {
    const head = new BernoulliHead({ inputDim: 3, units: 3, parameters: 'direct' });
    const logits = [-2, 0.5, 3];
    const x = [0, 1, 0.25];
    const got = tf.tidy(
      () =>
        head
          .apply(tf.tensor2d([logits]))
          .logProb(tf.tensor2d([x]))
          .dataSync()[0]!,
    );
    const expected = logits.reduce((s, l, j) => s + x[j]! * l - Math.log1p(Math.exp(l)), 0);
    expect(got).toBeCloseTo(expected, 5);
    expect(head.namedVariables().size).toBe(0);
    head.dispose();
  });

  it('a direct head whose input width is not units·P is a ShapeError naming the layout, and allocates nothing', () => {
    const before = tf.memory().numTensors;
    expect(() => new BernoulliHead({ inputDim: 5, units: 4, parameters: 'direct' })).toThrowError(
      /BernoulliHead: with parameters 'direct' the input is the parameter blocks \[batch, 4\] of logits, so its width must be 4, got 5/,
    );
    expect(() => new NormalHead({ inputDim: 4, units: 4, scale: 'amortized', parameters: 'direct' })).toThrowError(
      ShapeError,
    );
    expect(() => new ZeroInflatedNegativeBinomialHead({ inputDim: 4, units: 4, parameters: 'direct' })).toThrowError(
      /\(logMean, gateLogits\).*width must be 8, got 4/,
    );
    expect(() => new PoissonHead({ inputDim: 4, units: 4, parameters: 'conv' as never })).toThrowError(ArgumentError);
    const head = new PoissonHead({ inputDim: 4, units: 4, parameters: 'direct' });
    expect(() =>
      tf.tidy(() => {
        head.apply(tf.zeros([2, 5]));
      }),
    ).toThrowError(ShapeError);
    head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

fcTest.prop(
  [
    fc.integer({ min: 0, max: CASES.length - 1 }),
    fc.integer({ min: -1, max: 4 }),
    fc.integer({ min: -1, max: 13 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 0, max: 13 }),
  ],
  { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 100), seed: 15 },
)(
  'direct heads: any widths work (finite logProb, no leak) or throw a VariaError',
  (index, units, inputDim, batch, width) => {
    const c = CASES[index]!;
    const before = tf.memory().numTensors;
    let head: DistributionHead | undefined;
    try {
      head = c.build({ inputDim, units, parameters: 'direct' });
      const built = head;
      tf.tidy(() => {
        const context = c.librarySize ? { logLibrarySize: tf.zeros([batch, 1]) } : undefined;
        const lp = built
          .apply(tf.randomNormal([batch, width], 0, 1, 'float32', 4), context)
          .logProb(data(c.data, [batch, Math.max(units, 1)], 5));
        expect(lp.shape).toEqual([batch]);
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
