import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DisposedError, type Matrix, mulberry32, permutation, takeRows } from '@varia/core';
import { syntheticCounts } from '@varia/datasets';
import { describe, expect, it } from 'vitest';
import { checkTensorLeaksPerTest } from '../test-utils/helpers.js';
import type { EpochArgs } from '../trainer/batch-source.js';
import type { Batch } from '../trainer/trainable-model.js';
import { VAE } from '../vae.js';
import { shuffledOrder } from './epoch-order.js';
import { RandomAccessSource, type RandomAccessSourceOptions } from './random-access-source.js';

checkTensorLeaksPerTest();

/** A generator that counts its draws. */
function counted(seed: number): { rng: () => number; draws: () => number } {
  const inner = mulberry32(seed);
  let draws = 0;
  return {
    rng: () => {
      draws++;
      return inner();
    },
    draws: () => draws,
  };
}

describe('shuffledOrder (an epoch order built in chunks)', () => {
  it("is core's permutation(n, rng) for every chunk size, draws as many numbers, and is an Int32Array", async () => {
    for (const n of [1, 2, 7, 100, 1000, 65536, 65537]) {
      for (const chunk of [1, 3, 64, 1 << 20]) {
        if (n > 1000 && chunk < 64) continue;
        const expected = permutation(n, mulberry32(n + 11));
        const { rng, draws } = counted(n + 11);
        const order = (await shuffledOrder(n, rng, {}, chunk))!;
        expect(Array.from(order)).toEqual(Array.from(expected));
        expect(draws()).toBe(n - 1); // the next draw (the first step's seed) is unchanged
        expect(order).toBeInstanceOf(Int32Array);
      }
    }
  });

  it('stops when the signal is aborted between two chunks, drawing at most one chunk more', async () => {
    const controller = new AbortController();
    const { rng, draws } = counted(1);
    const aborting = () => {
      if (draws() === 250) controller.abort();
      return rng();
    };
    const order = await shuffledOrder(10_000, aborting, { signal: controller.signal }, 100);
    expect(order).toBeUndefined();
    expect(draws()).toBe(300);
    // aborted before it starts: nothing is drawn
    const idle = counted(2);
    expect(await shuffledOrder(10_000, idle.rng, { signal: AbortSignal.abort() }, 100)).toBeUndefined();
    expect(idle.draws()).toBe(0);
  });

  it("throws what the run's stop check throws (the model was disposed)", async () => {
    let calls = 0;
    const checkStop = () => {
      if (++calls === 5) throw new ArgumentError('model', 'stopped');
    };
    await expect(shuffledOrder(1000, mulberry32(1), { checkStop }, 10)).rejects.toThrow('stopped');
    expect(calls).toBe(5);
  });

  it('gives the event loop a turn while it works (a timer set before it runs before it ends)', async () => {
    const slow = mulberry32(3);
    let draws = 0;
    const rng = () => {
      if (++draws === 10) {
        const until = Date.now() + 30; // the first chunk takes longer than the ~25 ms between yields
        while (Date.now() < until);
      }
      return slow();
    };
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    const done = shuffledOrder(1000, rng, {}, 100).then(() => ran);
    expect(await done).toBe(true);
  });
});

const x: Matrix = syntheticCounts({ n: 50, dim: 4, latentDim: 2, seed: 5, meanCount: 2 }).x;

/** A random-access source of `x`'s rows that records the indices it is asked for and shuffles in chunks of 7. */
function recording(options: Partial<RandomAccessSourceOptions> = {}) {
  const asked: number[][] = [];
  class SmallChunks extends RandomAccessSource {
    protected override shuffleChunk = 7;
  }
  const source = new SmallChunks({
    length: x.rows,
    width: x.cols,
    rows: (indices) => {
      asked.push(Array.from(indices));
      return takeRows(x, indices);
    },
    ...options,
  });
  return { source, asked };
}

describe('RandomAccessSource: the epoch order', () => {
  it("asks for the rows of today's order: core's permutation in batches, or 0…n−1 unshuffled", async () => {
    const { source, asked } = recording();
    const args = (shuffle: boolean): EpochArgs => ({ epoch: 1, batchSize: 8, shuffle, rng: mulberry32(9) });
    for await (const batch of source.epoch(args(true)) as AsyncIterable<Batch>) tf.dispose(Object.values(batch));
    const expected = Array.from(permutation(x.rows, mulberry32(9)));
    expect(asked.flat()).toEqual(expected);
    expect(asked.map((b) => b.length)).toEqual([8, 8, 8, 8, 8, 8, 2]);
    asked.length = 0;
    for await (const batch of source.epoch(args(false)) as AsyncIterable<Batch>) tf.dispose(Object.values(batch));
    expect(asked.flat()).toEqual(Array.from({ length: x.rows }, (_, i) => i));
  });

  it('an unshuffled epoch of 2³¹ − 1 rows starts at once: it builds no array of every row', async () => {
    const asked: number[][] = [];
    const huge = new RandomAccessSource({
      length: 2 ** 31 - 1,
      width: x.cols,
      rows: (indices) => {
        asked.push([indices[0]!, indices[indices.length - 1]!]);
        return takeRows(
          x,
          Array.from(indices, (i) => i % x.rows),
        );
      },
    });
    const epoch = huge.epoch({ epoch: 1, batchSize: 16, shuffle: false, rng: mulberry32(1) }) as AsyncIterable<Batch>;
    let batches = 0;
    for await (const batch of epoch) {
      tf.dispose(Object.values(batch));
      if (++batches === 3) break;
    }
    expect(asked).toEqual([
      [0, 15],
      [16, 31],
      [32, 47],
    ]);
  });

  it('an abort while the epoch is shuffled ends the run as aborted, before any row is read', async () => {
    const { source, asked } = recording();
    let reads = 0;
    // aborted from its third read on: the loop reads it once before asking for the first batch, the shuffle then
    const signal = {
      get aborted() {
        return ++reads >= 3;
      },
    } as AbortSignal;
    const vae = new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: 4, likelihood: 'poisson', seed: 1 });
    try {
      const history = await vae.fit(source, { epochs: 2, batchSize: 8, signal });
      expect(history.stopReason).toBe('aborted');
      expect(history.epochs).toEqual([]);
      expect(asked).toEqual([]);
    } finally {
      vae.dispose();
    }
  });

  it('disposing the model while the epoch is shuffled stops the run with a DisposedError, before any row is read', async () => {
    const { source, asked } = recording();
    const vae = new VAE({ inputDim: 4, latentDim: 2, hiddenUnits: 4, likelihood: 'poisson', seed: 1 });
    let reads = 0;
    // the shuffle's second read of the signal happens mid-shuffle: the owner disposes the model then
    const signal = {
      get aborted() {
        if (++reads === 3) vae.dispose();
        return false;
      },
    } as AbortSignal;
    await expect(vae.fit(source, { epochs: 2, batchSize: 8, signal })).rejects.toThrow(DisposedError);
    expect(asked).toEqual([]);
  });
});
