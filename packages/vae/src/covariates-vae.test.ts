// Conditional VAEs (issue 15, item 2): covariates reach the encoder and/or the decoder, every public method takes
// them, bad covariates are typed errors that leak nothing, conditioning learns what the data does, and save/load
// keeps the declarations and the embeddings. VARIA_PROPERTY_RUNS=1000 runs the property longer.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, mulberry32, ShapeError, standardNormal, VariaError } from '@varia/core';
import { FusedAdamOptimizer } from '@varia/layers';
import { negativeElbo } from '@varia/losses';
import fc from 'fast-check';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VAEConfig } from './config.js';
import { removeTempDirs, tempDir, values, weightValues, expectSameWeights } from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);
let baseline = 0;
beforeEach(() => {
  baseline = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(baseline);
});

const COVARIATES: VAEConfig['covariates'] = [
  { name: 'batch', kind: 'categorical', levels: 2 },
  { name: 'dose', kind: 'continuous' },
  { name: 'donor', kind: 'categorical', levels: 3, encoding: { embedding: 2 } },
];
const conditional = (extra: Partial<VAEConfig> = {}) =>
  new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: [8, 6], covariates: COVARIATES, seed: 3, ...extra });
const X = [
  [0.1, -0.2, 0.3, 1],
  [1, 0.5, -1, 0],
  [0, 0, 0, 0.5],
];
const C = [
  [0, 0.5, 2],
  [1, -1, 0],
  [1, 0, 1],
];

function kernelShape(vae: VAE, name: string): number[] {
  return vae.namedVariables().get(name)!.shape;
}

describe('conditional VAE: architecture', () => {
  it('injects the covariate features (2 one-hot + 1 continuous + 2 embedded = 5) into every decoder layer by default', () => {
    const vae = conditional();
    expect(vae.config.injectCovariates).toBe('all');
    expect(vae.config.encodeCovariates).toBe(false);
    expect(kernelShape(vae, 'decoder/0/kernel')).toEqual([2 + 5, 6]);
    expect(kernelShape(vae, 'decoder/1/kernel')).toEqual([6 + 5, 8]);
    expect(kernelShape(vae, 'encoder/0/kernel')).toEqual([4, 8]);
    expect(kernelShape(vae, 'covariates/2/embedding')).toEqual([3, 2]);
    vae.dispose();
  });

  it("'first' injects into the first layer only; encodeCovariates conditions the encoder", () => {
    const vae = conditional({ injectCovariates: 'first', encodeCovariates: true });
    expect(kernelShape(vae, 'decoder/0/kernel')).toEqual([7, 6]);
    expect(kernelShape(vae, 'decoder/1/kernel')).toEqual([6, 8]);
    expect(kernelShape(vae, 'encoder/0/kernel')).toEqual([4 + 5, 8]);
    expect(kernelShape(vae, 'encoder/1/kernel')).toEqual([8, 6]);
    vae.dispose();
  });

  it('without hidden layers the heads read [input, c]', () => {
    const vae = conditional({ hiddenUnits: [], encodeCovariates: true });
    expect(kernelShape(vae, 'encoder_head/loc/kernel')).toEqual([4 + 5, 2]);
    expect(kernelShape(vae, 'likelihood/loc/kernel')).toEqual([2 + 5, 4]);
    const p = vae.decode([[0, 0]], { covariates: [[1, 0, 2]] });
    expect(tf.tidy(() => p.mean().shape)).toEqual([1, 4]);
    p.dispose();
    vae.dispose();
  });

  it('a model without covariates is initialised exactly as before (same weights as with an empty list)', () => {
    const a = new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: 8, seed: 5 });
    const b = new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: 8, seed: 5, covariates: [] });
    expectSameWeights(weightValues(b), weightValues(a));
    a.dispose();
    b.dispose();
  });
});

describe('conditional VAE: every method takes covariates', () => {
  it('gives the documented shapes and leaks nothing', async () => {
    const vae = conditional({ encodeCovariates: true });
    const before = tf.memory().numTensors;
    const z = vae.encode(X, { covariates: C });
    expect(z.shape).toEqual([3, 2]);
    const zs = vae.encode(X, {
      covariates: { batch: [0, 1, 1], dose: [0.5, -1, 0], donor: [2, 0, 1] },
      sample: true,
      seed: 1,
    });
    expect(zs.shape).toEqual([3, 2]);
    const p = vae.decode(z, { covariates: C });
    expect(tf.tidy(() => p.mean().shape)).toEqual([3, 4]);
    p.dispose();
    const shapes = (t: tf.Tensor) => {
      const shape = t.shape;
      t.dispose();
      return shape;
    };
    expect(shapes(vae.sample(5, { covariates: [[1, 0, 2]], seed: 2 }))).toEqual([5, 4]);
    expect(
      shapes(
        vae.sample(2, {
          covariates: [
            [1, 0, 2],
            [0, 1, 1],
          ],
          mean: true,
        }),
      ),
    ).toEqual([2, 4]);
    expect(shapes(vae.reconstruct(X, { covariates: C }))).toEqual([3, 4]);
    expect(shapes(vae.interpolate([X[0]!], [X[1]!], 4, { covariates: [C[0]!] }))).toEqual([4, 4]);
    const e = await vae.evaluate(X, { covariates: C, iwaeK: 3, batchSize: 2 });
    expect(Number.isFinite(e.elbo) && Number.isFinite(e.iwae!)).toBe(true);
    tf.tidy(() => {
      const inputs = vae.variationalInputs(tf.tensor2d(X), { covariates: tf.tensor2d(C) });
      expect(negativeElbo(inputs, { samples: 3, seed: 0 }).loss.shape).toEqual([]);
    });
    tf.dispose([z, zs]);
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });

  it('the decoder output depends on the covariates, the same z with other covariates decodes differently', () => {
    const vae = conditional();
    tf.tidy(() => {
      const z = tf.zeros([1, 2]);
      const a = values(vae.decode(z, { covariates: [[0, 0, 0]] }).mean());
      const b = values(vae.decode(z, { covariates: [[1, 0, 0]] }).mean());
      const c = values(vae.decode(z, { covariates: [[0, 0, 0]] }).mean());
      expect(a).toEqual(c);
      expect(a).not.toEqual(b);
    });
    vae.dispose();
  });

  it('an encoder that does not read the covariates needs none, but checks them when given', () => {
    const vae = conditional();
    const a = vae.encode(X);
    const b = vae.encode(X, { covariates: C });
    expect(values(a)).toEqual(values(b));
    expect(() => vae.encode(X, { covariates: [[5, 0, 0]] })).toThrow(ShapeError);
    expect(() =>
      vae.encode(X, {
        covariates: [
          [5, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
        ],
      }),
    ).toThrow(DataError);
    tf.dispose([a, b]);
    vae.dispose();
  });

  it('a conditional model refuses calls without covariates, an unconditional one calls with them', async () => {
    const vae = conditional({ encodeCovariates: true });
    const plain = new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: 8 });
    const calls: [string, () => unknown][] = [
      ['encode', () => vae.encode(X)],
      ['decode', () => vae.decode([[0, 0]])],
      ['sample', () => vae.sample(2)],
      ['reconstruct', () => vae.reconstruct(X)],
      ['interpolate', () => vae.interpolate([X[0]!], [X[1]!], 3)],
      [
        'variationalInputs',
        () =>
          tf.tidy(() => {
            vae.variationalInputs(tf.tensor2d(X));
          }),
      ],
      ['plain encode', () => plain.encode(X, { covariates: C })],
      ['plain decode', () => plain.decode([[0, 0]], { covariates: [[0]] })],
      ['plain sample', () => plain.sample(2, { covariates: [[0]] })],
    ];
    for (const [name, call] of calls) {
      expect(call, name).toThrow(ArgumentError);
    }
    await expect(vae.evaluate(X)).rejects.toThrow(/conditioned on covariates \(batch, dose, donor\)/);
    await expect(plain.evaluate(X, { covariates: C })).rejects.toThrow(ArgumentError);
    expect(() =>
      tf.tidy(() => {
        vae.variationalInputs(tf.tensor2d(X), { covariates: tf.zeros([3, 2]) });
      }),
    ).toThrow(ShapeError);
    vae.dispose();
    plain.dispose();
  });

  it('property: hostile covariates either work or throw a VariaError, leaking nothing', async () => {
    const vae = conditional({ encodeCovariates: true });
    const cell = fc.oneof(
      fc.constantFrom<unknown>(0, 1, 2, 3, -1, 0.5, Number.NaN, -Infinity, 1e39, '1', null, undefined, []),
      fc.double(),
    );
    const rows = fc.oneof(
      fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 0, maxLength: 4 }),
      fc.record(
        {
          batch: fc.array(cell, { maxLength: 4 }),
          dose: fc.array(cell, { maxLength: 4 }),
          donor: fc.array(cell, { maxLength: 4 }),
        },
        { requiredKeys: ['batch', 'dose'] },
      ),
      fc.constantFrom<unknown>(null, 'batch', 7, { data: new Float32Array(6), rows: 2, cols: 3 }, new Float32Array(3)),
    );
    const method = fc.constantFrom('encode', 'decode', 'sample', 'reconstruct', 'evaluate', 'interpolate');
    await fc.assert(
      fc.asyncProperty(method, rows, async (m, covariates) => {
        const before = tf.memory().numTensors;
        const options = { covariates } as never;
        try {
          if (m === 'encode') vae.encode(X, options).dispose();
          if (m === 'decode')
            vae
              .decode(
                [
                  [0, 1],
                  [1, 0],
                  [0, 0],
                ],
                options,
              )
              .dispose();
          if (m === 'sample') vae.sample(3, options).dispose();
          if (m === 'reconstruct') vae.reconstruct(X, options).dispose();
          if (m === 'interpolate') vae.interpolate([X[0]!], [X[1]!], 3, options).dispose();
          if (m === 'evaluate') expect(Number.isFinite((await vae.evaluate(X, options)).elbo)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(VariaError);
        }
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 60), seed: 1502 },
    );
    vae.dispose();
  });
});

describe('conditioning learns what the data does', () => {
  it('two batches whose feature 0 differs by +2: p(x|z, batch) shifts by the same amount off the data line', () => {
    // x = s·u + 2·batch·e₀ + N(0, 0.1²) with u = (1, −1, ½, 0) and s ~ N(0, 1). z is identified only up to a
    // batch-dependent move along u (the encoder does not see the batch), so at a fixed z the decoders of the two
    // batches differ by 2e₀ + δu for some δ: the part orthogonal to u, 2e₀ − (2/|u|²)u = (10/9, 8/9, −4/9, 0), is fixed.
    const n = 256;
    const rng = mulberry32(11);
    const x = new Float32Array(n * 4);
    const cov = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const s = standardNormal(rng);
      const batch = i % 2;
      cov[i] = batch;
      const clean = [s + 2 * batch, -s, 0.5 * s, 0];
      for (let j = 0; j < 4; j++) x[i * 4 + j] = clean[j]! + 0.1 * standardNormal(rng);
    }
    const vae = new VAE({
      inputDim: 4,
      latentDim: 1,
      hiddenUnits: 16,
      covariates: [{ name: 'batch', kind: 'categorical', levels: 2, encoding: { embedding: 2 } }],
      seed: 1,
    });
    const optimizer = new FusedAdamOptimizer(1e-2, 0.9, 0.999, 1e-8);
    const variables = [...vae.namedVariables().values()];
    const xt = tf.tensor2d(x, [n, 4]);
    const ct = tf.tensor2d(cov, [n, 1]);
    for (let step = 0; step < 300; step++) {
      const loss = optimizer.minimize(
        () => negativeElbo(vae.variationalInputs(xt, { covariates: ct }), { seed: step }).loss,
        true,
        variables,
      );
      loss?.dispose();
    }
    optimizer.dispose();
    tf.dispose([xt, ct]);
    const shift = tf.tidy(() => {
      const z = tf.reshape(tf.linspace(-1, 1, 5), [5, 1]);
      const a = vae.decode(z, { covariates: { batch: [0] } }).mean();
      const b = vae.decode(z, { covariates: { batch: [1] } }).mean();
      return values(tf.mean(tf.sub(b, a), 0));
    });
    vae.dispose();
    const u = [1, -1, 0.5, 0];
    const along = shift.reduce((sum, v, j) => sum + v * u[j]!, 0) / 2.25;
    const orthogonal = shift.map((v, j) => v - along * u[j]!);
    const expected = [10 / 9, 8 / 9, -4 / 9, 0];
    for (let j = 0; j < 4; j++) expect(Math.abs(orthogonal[j]! - expected[j]!), `feature ${j}`).toBeLessThan(0.15);
    // and an unconditional reading would be wrong: the covariate moves feature 0 by far more than noise
    expect(orthogonal[0]).toBeGreaterThan(0.9);
  });
});

describe('fit with covariates', () => {
  const x = Array.from({ length: 24 }, (_, i) => [i % 2, (i % 3) / 2, 0.5, -(i % 4) / 3]);
  const covariates = { batch: x.map((_, i) => i % 2), dose: x.map((_, i) => i / 24), donor: x.map((_, i) => i % 3) };
  const fitOptions = { epochs: 2, batchSize: 8, learningRate: 1e-2, seed: 0 };

  it('trains with the covariates riding along, also through validationSplit and validationData', async () => {
    const vae = conditional({ encodeCovariates: true });
    const table = () => Float32Array.from(vae.namedVariables().get('covariates/2/embedding')!.dataSync());
    const before = table();
    const a = await vae.fit(x, { ...fitOptions, covariates });
    expect(a.epochs.map((e) => Number.isFinite(e.loss))).toEqual([true, true]);
    // the embedding trains with the rest
    expect(table()).not.toEqual(before);
    const b = await vae.fit(x, { ...fitOptions, covariates, validationSplit: 0.25 });
    expect(Number.isFinite(b.epochs[1]!.valLoss!)).toBe(true);
    const c = await vae.fit(x, {
      ...fitOptions,
      covariates: Object.values(covariates)[0]!.map((_, i) => [
        covariates.batch[i]!,
        covariates.dose[i]!,
        covariates.donor[i]!,
      ]),
      validationData: x.slice(0, 4),
      validationCovariates: [
        [0, 0, 0],
        [1, 0, 1],
        [0, 1, 2],
        [1, 1, 0],
      ],
    });
    expect(Number.isFinite(c.epochs[1]!.valLoss!)).toBe(true);
    vae.dispose();
  });

  it('bad covariates are typed errors before any step: the weights stay as they were', async () => {
    const vae = conditional();
    const plain = new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: 8 });
    const weights = weightValues(vae);
    const cases: [VAE, object, RegExp][] = [
      [vae, {}, /conditioned on covariates \(batch, dose, donor\)/],
      [
        vae,
        { covariates: { ...covariates, batch: covariates.batch.map((b) => b * 2) } },
        /"batch" \(column 0\) at row 1 is level 2/,
      ],
      [vae, { covariates: { batch: [0], dose: [0], donor: [0] } }, /has 1 rows, but there are 24 examples/],
      [vae, { covariate: covariates }, /did you mean 'covariates'/],
      [vae, { covariates, validationCovariates: [[0, 0, 0]] }, /"validationCovariates" belong to "validationData"/],
      [vae, { covariates, validationData: x.slice(0, 2) }, /conditioned on covariates/],
      [plain, { covariates }, /declares no covariates/],
    ];
    for (const [model, options, message] of cases) {
      await expect(model.fit(x, { ...fitOptions, ...options })).rejects.toThrow(message);
      await expect(model.fit(x, { ...fitOptions, ...options })).rejects.toBeInstanceOf(VariaError);
    }
    expectSameWeights(weightValues(vae), weights);
    vae.dispose();
    plain.dispose();
  });
});

describe('save/load', () => {
  it('round-trips the covariate declarations, the embeddings and the conditional decoder', async () => {
    const vae = conditional({ encodeCovariates: true, injectCovariates: 'first' });
    const dir = await tempDir();
    await vae.save(dir);
    const loaded = await VAE.load(dir);
    expect(loaded.config.covariates).toEqual(vae.config.covariates);
    expect(loaded.config.encodeCovariates).toBe(true);
    expect(loaded.config.injectCovariates).toBe('first');
    expectSameWeights(weightValues(loaded), weightValues(vae));
    tf.tidy(() => {
      const a = vae.decode(vae.encode(X, { covariates: C }), { covariates: C }).mean();
      const b = loaded.decode(loaded.encode(X, { covariates: C }), { covariates: C }).mean();
      expect(values(b)).toEqual(values(a));
    });
    vae.dispose();
    loaded.dispose();
  });

  it('a file whose covariates claim more weights than it holds is refused before anything is built', async () => {
    const vae = conditional();
    const artifacts = await vae.toArtifacts();
    vae.dispose();
    const config = artifacts.modelJson.config;
    // a 2¹⁹ × 256 embedding table (2²⁷ values, 512 MiB) declared in a file of a few hundred weights
    const hostile = {
      ...artifacts,
      modelJson: {
        ...artifacts.modelJson,
        config: {
          ...config,
          covariates: [{ name: 'batch', kind: 'categorical' as const, levels: 2 ** 19, encoding: { embedding: 256 } }],
        },
      },
    };
    const before = tf.memory().numBytes;
    await expect(VAE.fromArtifacts(hostile)).rejects.toThrow(
      /describes layers with \d+ weights, but the weight file holds only/,
    );
    expect(tf.memory().numBytes).toBe(before);
  });
});
