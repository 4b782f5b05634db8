import { ArgumentError, DataError, type Matrix, ShapeError, takeRows } from '@varia/core';
import { syntheticCounts } from '@varia/datasets';
import { describe, expect, it } from 'vitest';
import { expectSameWeights, weightValues, checkTensorLeaksPerTest } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';
import { RandomAccessSource } from './random-access-source.js';
import type { RowBatchSource } from './row-batch-source.js';
import { SparseBatchSource } from './sparse-batch-source.js';
import { StreamSource } from './stream-source.js';
import { csrOf } from '../test-utils/csr.js';

checkTensorLeaksPerTest();

const x = syntheticCounts({ n: 90, dim: 6, latentDim: 2, seed: 5, meanCount: 2 }).x;
const model = () => new VAE({ inputDim: 6, latentDim: 2, hiddenUnits: 8, likelihood: 'poisson', seed: 3 });
const OPTIONS = { epochs: 2, batchSize: 16, learningRate: 0.01, seed: 7 };

/** Fits a fresh model on `data` and returns its weights and history (the model is disposed). */
async function fitted(data: Matrix | RowBatchSource, options: Record<string, unknown> = {}) {
  const vae = model();
  try {
    const history = await vae.fit(data, { ...OPTIONS, ...options });
    return { weights: weightValues(vae), losses: history.epochs.map((e) => e.loss) };
  } finally {
    vae.dispose();
  }
}

const sparse = () => new SparseBatchSource(csrOf(x));
const randomAccess = () =>
  new RandomAccessSource({ length: x.rows, width: x.cols, rows: async (indices) => takeRows(x, indices) });
const stream = (size = 11) =>
  new StreamSource({
    width: x.cols,
    length: x.rows,
    blocks: function* () {
      for (let start = 0; start < x.rows; start += size) {
        const end = Math.min(x.rows, start + size);
        yield csrOf({ data: x.data.slice(start * x.cols, end * x.cols), rows: end - start, cols: x.cols });
      }
    },
  });

describe('VAE.fit / encode / evaluate on a source', () => {
  it('trains bit-identical weights to fitting the matrix: sparse and random access (shuffled), stream (in order)', async () => {
    const dense = await fitted(x);
    for (const source of [sparse(), randomAccess()]) {
      const r = await fitted(source);
      expectSameWeights(r.weights, dense.weights);
      expect(r.losses).toEqual(dense.losses);
    }
    const inOrder = await fitted(x, { shuffle: false });
    for (const size of [1, 16, 40])
      expectSameWeights((await fitted(stream(size), { shuffle: false })).weights, inOrder.weights);
    // with validationSplit (a subset of a random-access source), still the same run
    const split = await fitted(x, { validationSplit: 0.2 });
    expectSameWeights((await fitted(sparse(), { validationSplit: 0.2 })).weights, split.weights);
    expectSameWeights((await fitted(randomAccess(), { validationSplit: 0.2 })).weights, split.weights);
  });

  it('takes a source as validationData (also when training on a matrix): the same validation losses', async () => {
    const [train, held] = [
      takeRows(
        x,
        Array.from({ length: 70 }, (_, i) => i),
      ),
      takeRows(
        x,
        Array.from({ length: 20 }, (_, i) => 70 + i),
      ),
    ];
    const valLosses = async (validationData: Matrix | RowBatchSource, data: Matrix | RowBatchSource = train) => {
      const vae = model();
      try {
        return (await vae.fit(data, { ...OPTIONS, validationData })).epochs.map((e) => e.valLoss);
      } finally {
        vae.dispose();
      }
    };
    const expected = await valLosses(held);
    expect(await valLosses(new SparseBatchSource(csrOf(held)))).toEqual(expected);
    expect(
      await valLosses(new StreamSource({ width: 6, blocks: () => [held] }), new SparseBatchSource(csrOf(train))),
    ).toEqual(expected);
  });

  it('encode and evaluate a source batch by batch, as for the matrix', async () => {
    const vae = model();
    try {
      await vae.fit(x, { ...OPTIONS, epochs: 1 });
      const zt = vae.encode(x);
      const expected = await zt.data();
      zt.dispose();
      // (a stream without a length: the output grows as rows come)
      const unsized = new StreamSource({ width: x.cols, blocks: () => [x] });
      for (const source of [sparse(), randomAccess(), stream(7), unsized]) {
        const z = await vae.encode(source);
        expect([z.rows, z.cols]).toEqual([x.rows, 2]);
        expect(Array.from(z.data)).toEqual(Array.from(expected));
        const e = await vae.evaluate(source, { seed: 3, batchSize: 32 });
        const d = await vae.evaluate(x, { seed: 3, batchSize: 32 });
        expect(e.n).toBe(d.n);
        for (const k of ['elbo', 'reconstruction', 'kl'] as const) expect(e[k]).toBeCloseTo(d[k], 10);
      }
      await expect(vae.encode(sparse(), { covariates: [[1]] } as never)).rejects.toThrow(ArgumentError);
    } finally {
      vae.dispose();
    }
  });

  it('refuses data that does not fit with the typed errors of in-memory data, naming the global row', async () => {
    const bad = { ...x, data: x.data.slice() };
    bad.data[61 * 6 + 2] = -1;
    const vae = model();
    try {
      const before = weightValues(vae);
      // a sparse matrix is checked before the first step: nothing changes
      await expect(vae.fit(new SparseBatchSource(csrOf(bad)), OPTIONS)).rejects.toThrow(
        /"data" value -1 at row 61, column 2 is not a non-negative integer count/,
      );
      expectSameWeights(weightValues(vae), before);
      const source = new RandomAccessSource({ length: 90, width: 6, rows: (i) => takeRows(bad, i) });
      const e = await vae.fit(source, OPTIONS).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).location).toEqual({ row: 61, column: 3 });
      await expect(vae.encode(source)).rejects.toThrow(/"x" value -1 at row 61, column 2/);
      const narrow = new SparseBatchSource(csrOf({ data: x.data.slice(0, 270), rows: 90, cols: 3 }));
      await expect(vae.fit(narrow, OPTIONS)).rejects.toThrow(ShapeError);
      await expect(vae.evaluate(narrow)).rejects.toThrow(/"x" has 3 columns per example, the model's inputDim is 6/);
      const streamOnly = new StreamSource({ width: 6, blocks: () => [x] });
      await expect(vae.fit(streamOnly, { ...OPTIONS, validationSplit: 0.1 })).rejects.toThrow(/validationSplit/);
    } finally {
      vae.dispose();
    }
  });

  it('closes the stream when training stops early (abort) or a batch is refused', async () => {
    let closed = 0;
    const blocks = (rows: Matrix) =>
      function* () {
        try {
          for (let start = 0; start < rows.rows; start += 10)
            yield {
              data: rows.data.slice(start * 6, (start + 10) * 6),
              rows: Math.min(10, rows.rows - start),
              cols: 6,
            };
        } finally {
          closed++;
        }
      };
    const vae = model();
    try {
      const controller = new AbortController();
      const source = new StreamSource({ width: 6, blocks: blocks(x) });
      const history = await vae.fit(source, {
        ...OPTIONS,
        signal: controller.signal,
        onBatchEnd: () => controller.abort(),
      });
      expect(history.stopReason).toBe('aborted');
      expect(closed).toBe(1);
      const bad = { ...x, data: x.data.slice() };
      bad.data[33 * 6] = 0.5;
      await expect(vae.fit(new StreamSource({ width: 6, blocks: blocks(bad) }), OPTIONS)).rejects.toThrow(
        /value 0.5 at row 33, column 0/,
      );
      expect(closed).toBe(2);
    } finally {
      vae.dispose();
    }
  });

  it('a batch refused mid-epoch undoes the epoch: the model keeps the weights of the last epoch that ended', async () => {
    const bad = { ...x, data: x.data.slice() };
    bad.data[70 * 6 + 1] = Number.NaN; // row 70: the fifth batch of 16, after four steps of the epoch
    let epoch = 0;
    const source = new StreamSource({
      width: 6,
      blocks: (a) => {
        epoch = a.epoch;
        return [a.epoch === 1 ? x : bad];
      },
    });
    const vae = model();
    try {
      const before = weightValues(vae);
      // in the first epoch: the initial weights
      const first = new StreamSource({ width: 6, blocks: () => [bad] });
      await expect(vae.fit(first, { ...OPTIONS, shuffle: false })).rejects.toThrow(/value NaN at row 70, column 1/);
      expectSameWeights(weightValues(vae), before);
      // in the second: the end of the first, as a one-epoch fit gives
      await expect(vae.fit(source, { ...OPTIONS, shuffle: false })).rejects.toThrow(DataError);
      expect(epoch).toBe(2);
      const oneEpoch = await fitted(x, { shuffle: false, epochs: 1 });
      expectSameWeights(weightValues(vae), oneEpoch.weights);
      // a stream past its length stops at the block that passes it, with nothing of that epoch kept
      let read = 0;
      const endless = new StreamSource({
        width: 6,
        length: 20,
        blocks: function* () {
          for (;;) {
            read++;
            yield takeRows(
              x,
              Int32Array.from({ length: 5 }, (_, k) => k),
            );
          }
        },
      });
      const fresh = model();
      try {
        const start = weightValues(fresh);
        await expect(fresh.fit(endless, { ...OPTIONS, batchSize: 8 })).rejects.toThrow(
          /block 4 \(from row 20\) gives 5 rows, which take the stream past its "length" of 20/,
        );
        expect(read).toBe(5);
        expectSameWeights(weightValues(fresh), start);
        read = 0;
        await expect(fresh.encode(endless)).rejects.toThrow(/past its "length" of 20/);
        expect(read).toBe(5);
      } finally {
        fresh.dispose();
      }
    } finally {
      vae.dispose();
    }
  });

  it('library-size models record the median row total of a sparse source, as of the matrix', async () => {
    const make = () =>
      new VAE({ inputDim: 6, latentDim: 2, hiddenUnits: 8, likelihood: 'poisson', librarySize: true, seed: 3 });
    const [a, b] = [make(), make()];
    try {
      await a.fit(x, { ...OPTIONS, epochs: 1 });
      await b.fit(sparse(), { ...OPTIONS, epochs: 1 });
      expect(b.config.librarySizeMedian).toBe(a.config.librarySizeMedian);
      expectSameWeights(weightValues(b), weightValues(a));
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
