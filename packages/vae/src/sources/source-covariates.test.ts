// Covariates on batch sources (issue 17 "scale on one machine" × issue 15 item 2): a conditional model trains, encodes
// and evaluates a sparse / random-access / stream source with its covariate rows — in memory alongside, or carried by
// the callback's result or the stream's blocks — exactly as on the in-memory matrix with { covariates }.
// VARIA_PROPERTY_RUNS=500 runs the property longer.
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DataError, type Matrix, ShapeError, takeRows, VariaError } from '@varia/core';
import { streamMatrixMarket, syntheticCounts } from '@varia/datasets';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VAEConfig } from '../config.js';
import { expectSameWeights, weightValues } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';
import { RandomAccessSource } from './random-access-source.js';
import type { RowBatchSource } from './row-batch-source.js';
import { SparseBatchSource } from './sparse-batch-source.js';
import { StreamSource } from './stream-source.js';
import { csrOf } from '../test-utils/csr.js';

let baseline = 0;
beforeEach(() => {
  baseline = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(baseline);
});

const x = syntheticCounts({ n: 90, dim: 6, latentDim: 2, seed: 5, meanCount: 2 }).x;
const COVARIATES: VAEConfig['covariates'] = [
  { name: 'batch', kind: 'categorical', levels: 2 },
  { name: 'dose', kind: 'continuous' },
];
/** Row i's covariates: batch i mod 2, dose a non-dyadic value (float32 rounding would show). */
const cov: Matrix = {
  data: Float32Array.from({ length: 180 }, (_, k) => (k % 2 === 0 ? (k / 2) % 2 : Math.fround(0.1 * ((k - 1) / 2)))),
  rows: 90,
  cols: 2,
};
const record = (m: Matrix) => ({
  batch: Array.from({ length: m.rows }, (_, i) => m.data[2 * i]!),
  dose: Array.from({ length: m.rows }, (_, i) => m.data[2 * i + 1]!),
});
const model = (extra: Partial<VAEConfig> = {}) =>
  new VAE({
    inputDim: 6,
    latentDim: 2,
    hiddenUnits: 8,
    likelihood: 'poisson',
    seed: 3,
    covariates: COVARIATES,
    encodeCovariates: true,
    ...extra,
  });
const OPTIONS = { epochs: 2, batchSize: 16, learningRate: 0.01, seed: 7 };
const all = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Fits a fresh conditional model and returns its weights and losses (the model is disposed). */
async function fitted(data: Matrix | RowBatchSource, options: Record<string, unknown> = {}) {
  const vae = model();
  try {
    const history = await vae.fit(data, { ...OPTIONS, ...options });
    return {
      weights: weightValues(vae),
      losses: history.epochs.map((e) => e.loss),
      valLosses: history.epochs.map((e) => e.valLoss),
    };
  } finally {
    vae.dispose();
  }
}

const sparse = (m = x) => new SparseBatchSource(csrOf(m));
/** Random access whose callback returns the rows and their covariates (a record by name). */
const carrying = (m = x, c = cov) =>
  new RandomAccessSource({
    length: m.rows,
    width: m.cols,
    rows: async (indices) => ({ matrix: takeRows(m, indices), covariates: record(takeRows(c, indices)) }),
  });
const plain = () => new RandomAccessSource({ length: x.rows, width: x.cols, rows: (i) => takeRows(x, i) });
/** A stream of blocks of `size` rows, each with its covariate rows (sparse rows and a Matrix of covariates). */
const stream = (size: number, c: Matrix = cov) =>
  new StreamSource({
    width: x.cols,
    length: x.rows,
    blocks: function* () {
      for (let start = 0; start < x.rows; start += size) {
        const rows = all(Math.min(x.rows, start + size) - start).map((k) => start + k);
        yield { matrix: csrOf(takeRows(x, rows)), covariates: takeRows(c, rows) };
      }
    },
  });

describe('covariates on batch sources', () => {
  it('train bit-identical weights to fit(x, { covariates }): in memory alongside, carried by rows(indices) or blocks', async () => {
    const dense = await fitted(x, { covariates: cov });
    for (const [source, options] of [
      [sparse(), { covariates: cov }],
      [sparse(), { covariates: record(cov) }],
      [plain(), { covariates: cov }],
      [carrying(), {}],
    ] as const) {
      const r = await fitted(source, options);
      expectSameWeights(r.weights, dense.weights);
      expect(r.losses).toEqual(dense.losses);
    }
    const inOrder = await fitted(x, { covariates: cov, shuffle: false });
    for (const size of [1, 7, 40]) {
      expectSameWeights((await fitted(stream(size), { shuffle: false })).weights, inOrder.weights);
    }
    // validationSplit: the subset keeps its rows' covariates (the same split as the matrix's)
    const split = await fitted(x, { covariates: cov, validationSplit: 0.2 });
    for (const [source, options] of [
      [sparse(), { covariates: cov }],
      [plain(), { covariates: cov }],
      [carrying(), {}],
    ] as const) {
      const r = await fitted(source, { ...options, validationSplit: 0.2 });
      expectSameWeights(r.weights, split.weights);
      expect(r.valLosses).toEqual(split.valLosses);
    }
  });

  it('a streamed Matrix Market file (genes × cells) with per-cell labels trains as the matrix with { covariates }', async () => {
    const lines: string[] = [];
    for (let cell = 0; cell < x.rows; cell++)
      for (let gene = 0; gene < x.cols; gene++) {
        const v = x.data[cell * x.cols + gene]!;
        if (v !== 0) lines.push(`${gene + 1} ${cell + 1} ${v}`);
      }
    const text = `%%MatrixMarket matrix coordinate integer general\n${x.cols} ${x.rows} ${lines.length}\n${lines.join('\n')}\n`;
    const { batch, dose } = record(cov);
    const source = new StreamSource({
      width: x.cols,
      length: x.rows,
      blocks: async function* () {
        const file = streamMatrixMarket(
          { text, name: 'cells.mtx' },
          { dtype: 'counts', transpose: true, blockRows: 17 },
        );
        for await (const b of file) {
          const end = b.start + b.matrix.rows;
          yield { ...b, covariates: { batch: batch.slice(b.start, end), dose: dose.slice(b.start, end) } };
        }
      },
    });
    const expected = await fitted(x, { covariates: cov, shuffle: false });
    expectSameWeights((await fitted(source, { shuffle: false })).weights, expected.weights);
  });

  it('take a source as validationData with validationCovariates (or carried), the same validation losses as the matrix', async () => {
    const [train, held] = [all(70), all(20).map((i) => 70 + i)];
    const [xt, ct, xh, ch] = [takeRows(x, train), takeRows(cov, train), takeRows(x, held), takeRows(cov, held)];
    const expected = (await fitted(xt, { covariates: ct, validationData: xh, validationCovariates: ch })).valLosses;
    const sources: [Matrix | RowBatchSource, Record<string, unknown>][] = [
      [xt, { covariates: ct, validationData: sparse(xh), validationCovariates: ch }],
      [xt, { covariates: ct, validationData: carrying(xh, ch) }],
      [sparse(xt), { covariates: ct, validationData: xh, validationCovariates: ch }],
      [carrying(xt, ct), { validationData: sparse(xh), validationCovariates: record(ch) }],
    ];
    for (const [data, options] of sources) expect((await fitted(data, options)).valLosses).toEqual(expected);
  });

  it('encode and evaluate a source with its covariates, as the matrix with { covariates }', async () => {
    const vae = model();
    try {
      await vae.fit(x, { ...OPTIONS, epochs: 1, covariates: cov });
      const zt = vae.encode(x, { covariates: cov });
      const expected = Array.from(await zt.data());
      zt.dispose();
      const reference = await vae.evaluate(x, { covariates: cov, seed: 3, batchSize: 32 });
      for (const [source, options] of [
        [sparse(), { covariates: cov }],
        [carrying(), {}],
        [stream(13), {}],
      ] as const) {
        const z = await vae.encode(source, options);
        expect(Array.from(z.data)).toEqual(expected);
        const e = await vae.evaluate(source, { ...options, seed: 3, batchSize: 32 });
        expect(e.n).toBe(reference.n);
        for (const k of ['elbo', 'reconstruction', 'kl'] as const) expect(e[k]).toBeCloseTo(reference[k], 10);
      }
      // an encoder that does not read covariates encodes a source without them
      const decoderOnly = model({ encodeCovariates: false });
      try {
        const z = decoderOnly.encode(x);
        expect(Array.from((await decoderOnly.encode(sparse())).data)).toEqual(Array.from(await z.data()));
        z.dispose();
        await expect(decoderOnly.evaluate(sparse())).rejects.toThrow(ArgumentError);
      } finally {
        decoderOnly.dispose();
      }
    } finally {
      vae.dispose();
    }
  });

  it('refuse bad covariates with typed errors naming the covariate and the global row; nothing trains', async () => {
    const vae = model();
    try {
      const before = weightValues(vae);
      const bad = { ...cov, data: cov.data.slice() };
      bad.data[2 * 61] = 2; // batch level 2 of 2 levels, at row 61
      const refusals: [RowBatchSource, Record<string, unknown>, new (...args: never[]) => Error, RegExp][] = [
        // in memory: checked up front
        [sparse(), { covariates: bad }, DataError, /covariate "batch" \(column 0\) at row 61 is level 2/],
        [sparse(), { covariates: takeRows(cov, all(89)) }, ShapeError, /89 rows, but there are 90 examples/],
        [sparse(), {}, ArgumentError, /batches of a SparseBatchSource carry none: pass \{ covariates \}/],
        [stream(10), { covariates: cov }, ArgumentError, /cannot be given with a StreamSource/],
        // carried: checked batch by batch, the row in the whole data
        [carrying(x, bad), {}, DataError, /rows\(indices\): covariate "batch" \(column 0\) at row 61 is level 2/],
        [stream(10, bad), { shuffle: false }, DataError, /block 6 \(from row 60\): covariate "batch".* at row 61/],
        [plain(), {}, ArgumentError, /rows\(indices\) gave rows without them/],
        [carrying(), { covariates: cov }, ArgumentError, /covariates given twice/],
      ];
      for (const [source, options, type, message] of refusals) {
        const e = await vae.fit(source, { ...OPTIONS, ...options }).catch((err: unknown) => err);
        expect(e, String(message)).toBeInstanceOf(type);
        expect((e as Error).message).toMatch(message);
        if (e instanceof DataError) expect(e.location.row).toBe(61);
      }
      // the failures up front change no weight (those of a later batch restore the last good epoch's)
      const fresh = model();
      expectSameWeights(weightValues(fresh), before);
      fresh.dispose();
      await expect(vae.encode(carrying(x, bad))).rejects.toThrow(/at row 61/);
      await expect(vae.evaluate(sparse(), { covariates: bad })).rejects.toThrow(DataError);
      // blocks with and without covariates mixed: refused also where they are optional (an encoder without them)
      const mixed = new StreamSource({
        width: 6,
        blocks: () => [{ matrix: takeRows(x, [0, 1]), covariates: takeRows(cov, [0, 1]) }, takeRows(x, [2])],
      });
      await expect(vae.encode(mixed)).rejects.toThrow(/block 1 \(from row 2\) gave rows without them/);
      const lenient = model({ encodeCovariates: false });
      await expect(lenient.encode(mixed)).rejects.toThrow(/block 1 \(from row 2\) carries no covariate rows/);
      lenient.dispose();
    } finally {
      vae.dispose();
    }
    // a model without covariates refuses covariates with a source, alongside or carried
    const unconditional = new VAE({ inputDim: 6, latentDim: 2, hiddenUnits: 8, likelihood: 'poisson', seed: 3 });
    try {
      await expect(unconditional.fit(sparse(), { ...OPTIONS, covariates: cov })).rejects.toThrow(
        /this model declares no covariates/,
      );
      await expect(unconditional.fit(carrying(), OPTIONS)).rejects.toThrow(/this model declares no covariates/);
      await expect(unconditional.evaluate(stream(30))).rejects.toThrow(ArgumentError);
    } finally {
      unconditional.dispose();
    }
  });

  it('property: hostile covariate rows (in memory, carried by rows(indices) or blocks) train or throw a VariaError, never leak', async () => {
    const value = fc.oneof(
      fc.integer({ min: -2, max: 3 }),
      fc.double({ noNaN: false }),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e39, 0.5, null, undefined, '1', true, [0]),
    );
    const rowsOf = (n: number) =>
      fc.array(fc.array(value, { minLength: 1, maxLength: 3 }), { minLength: n - 1, maxLength: n + 1 });
    const hostile = fc.oneof(
      rowsOf(12),
      fc.record({ batch: fc.array(value, { maxLength: 13 }), dose: fc.array(value, { maxLength: 13 }) }),
      fc.record({ batch: fc.array(value, { maxLength: 13 }), donor: fc.array(value, { maxLength: 13 }) }),
      fc.constantFrom(null, 3, 'batch', new Float32Array(24), { data: new Float32Array(24), rows: 12, cols: 2 }),
    );
    // valid rows with one cell replaced by a hostile value, or any value anywhere
    const mutated = fc
      .tuple(
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: 0, max: 1 }),
        fc.option(value, { nil: 'keep' as const }),
      )
      .map(([i, j, v]) => {
        const rows = all(12).map((r) => [r % 2, 0.25 * r] as unknown[]);
        if (v !== 'keep') rows[i]![j] = v;
        return rows;
      });
    const small = takeRows(x, all(12));
    let trained = 0;
    const vae = model();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(mutated, hostile),
          fc.constantFrom('memory', 'callback', 'stream'),
          async (input, how) => {
            const before = tf.memory().numTensors;
            const slice = (rows: Int32Array | number[]) =>
              Array.isArray(input) ? Array.from(rows, (i) => (input as unknown[])[i]) : input;
            const source =
              how === 'memory'
                ? sparse(small)
                : how === 'callback'
                  ? new RandomAccessSource({
                      length: 12,
                      width: 6,
                      rows: (i) => ({ matrix: takeRows(small, i), covariates: slice(i) as never }),
                    })
                  : new StreamSource({
                      width: 6,
                      blocks: () => [{ matrix: takeRows(small, all(5)), covariates: slice(all(5)) as never }],
                    });
            try {
              await vae.fit(source, {
                epochs: 1,
                batchSize: 8,
                ...(how === 'memory' && { covariates: input as never }),
              });
              trained++;
            } catch (e) {
              expect(e).toBeInstanceOf(VariaError);
            }
            expect(tf.memory().numTensors).toBe(before);
          },
        ),
        { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 60), seed: 1017 },
      );
      expect(trained).toBeGreaterThan(0);
    } finally {
      vae.dispose();
    }
  });

  it('property: any batch size, split and source kind trains the weights and validation losses of the matrix', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(undefined, 0.1, 0.35),
        fc.constantFrom('sparse', 'memory', 'carried'),
        fc.integer({ min: 0, max: 1000 }),
        async (batchSize, validationSplit, kind, seed) => {
          const options = { epochs: 1, batchSize, seed, ...(validationSplit && { validationSplit }) };
          const expected = await fitted(x, { ...options, covariates: cov });
          const source = kind === 'sparse' ? sparse() : kind === 'memory' ? plain() : carrying();
          const r = await fitted(source, kind === 'carried' ? options : { ...options, covariates: cov });
          expectSameWeights(r.weights, expected.weights);
          expect(r.valLosses).toEqual(expected.valLosses);
        },
      ),
      { numRuns: Math.ceil(Number(process.env.VARIA_PROPERTY_RUNS ?? 60) / 10), seed: 1717 },
    );
  });

  it('the tensor count does not grow across epochs of a source with covariates', async () => {
    const vae = model();
    try {
      const counts: number[] = [];
      await vae.fit(carrying(), {
        ...OPTIONS,
        epochs: 3,
        validationSplit: 0.2,
        onEpochEnd: () => {
          counts.push(tf.memory().numTensors);
        },
      });
      expect(new Set(counts).size).toBe(1);
    } finally {
      vae.dispose();
    }
  });
});
