// The library size of sample and decode (issue 16): a default taken from the training data, recorded by fit and
// saved with the model; an explicit { librarySize } per call.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { afterAll, describe, expect, it } from 'vitest';
import { counts, removeTempDirs, tempDir, values, checkTensorLeaksPerTest } from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);

checkTensorLeaksPerTest();

/** Row sums of a [n, d] tensor (made inside, and freed, when given as a function). */
function rowSums(t: tf.Tensor | (() => tf.Tensor)): number[] {
  return tf.tidy(() => values(tf.sum(typeof t === 'function' ? t() : t, 1)));
}

/** The median of the row totals of the data, computed here independently. */
function medianTotal(x: { data: Float32Array; rows: number; cols: number }): number {
  const totals = Array.from({ length: x.rows }, (_, i) =>
    x.data.subarray(i * x.cols, (i + 1) * x.cols).reduce((a, b) => a + b, 0),
  );
  totals.sort((a, b) => a - b);
  return x.rows % 2 ? totals[(x.rows - 1) / 2]! : (totals[x.rows / 2 - 1]! + totals[x.rows / 2]!) / 2;
}

describe('library size of sample and decode', () => {
  const x = counts(101, 8, 3);
  const config = {
    inputDim: 8,
    latentDim: 2,
    hiddenUnits: 8,
    likelihood: 'poisson',
    librarySize: true,
    seed: 0,
  } as const;

  it('fit records the median row total; sample and decode use it by default, and it survives save/load', async () => {
    const vae = new VAE(config);
    expect(vae.config.librarySizeMedian).toBeNull();
    await vae.fit(x, { epochs: 1, batchSize: 50, seed: 0 });
    const median = medianTotal(x);
    expect(median).toBeGreaterThan(20); // the data are not of library size 1
    expect(vae.config.librarySizeMedian).toBe(median);
    // E[x|z] = proportions × library size: each mean row sums to the library size
    const m = vae.sample(5, { mean: true, seed: 1 });
    for (const s of rowSums(m)) expect(s).toBeCloseTo(median, 2);
    // draws are counts around that total, not the all-zero rows of library size 1
    const draws = vae.sample(200, { seed: 2 });
    const meanTotal = rowSums(draws).reduce((a, b) => a + b, 0) / 200;
    expect(Math.abs(meanTotal - median)).toBeLessThan(5 * Math.sqrt(median / 200) + 0.5);
    tf.dispose([m, draws]);

    const dir = join(await tempDir(), 'model');
    await vae.save(dir);
    const loaded = await VAE.load(dir);
    expect(loaded.config.librarySizeMedian).toBe(median);
    const z = [
      [0, 0],
      [1, -1],
    ];
    const p = loaded.decode(z);
    for (const s of rowSums(() => p.mean())) expect(s).toBeCloseTo(median, 2);
    p.dispose();
    loaded.dispose();
    vae.dispose();
  });

  it('an explicit librarySize: one number, one per row, or the array form of decode', () => {
    const vae = new VAE(config);
    const one = vae.sample(3, { mean: true, librarySize: 500 });
    for (const s of rowSums(one)) expect(s).toBeCloseTo(500, 1);
    const perRow = vae.decode(
      [
        [0, 0],
        [0.5, 0.5],
      ],
      { librarySize: [10, 1000] },
    );
    expect(rowSums(() => perRow.mean()).map((s) => Math.round(s))).toEqual([10, 1000]);
    perRow.dispose();
    const legacy = vae.decode([[0, 0]], [42]);
    expect(rowSums(() => legacy.mean())[0]).toBeCloseTo(42, 2);
    legacy.dispose();
    one.dispose();
    vae.dispose();
  });

  it('refuses bad sizes, a missing default, and library sizes for models without them', () => {
    const vae = new VAE(config);
    expect(() => vae.sample(2)).toThrow(/no recorded library size/);
    expect(() => vae.sample(2, { librarySize: [1] })).toThrow(/one number or 2 numbers/);
    expect(() => vae.sample(2, { librarySize: -3 })).toThrow(/finite numbers > 0/);
    expect(() => vae.decode([[0, 0]], { librarySize: Number.NaN })).toThrow(ArgumentError);
    vae.dispose();
    const plain = new VAE({ ...config, librarySize: false });
    expect(() => plain.sample(2, { librarySize: 5 })).toThrow(/only to models built with librarySize: true/);
    plain.dispose();
    expect(() => new VAE({ ...config, librarySizeMedian: 0 })).toThrow(
      /"librarySizeMedian" must be a finite number > 0 or null/,
    );
    expect(() => new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 2, librarySize: true })).toThrow(
      /applies to the count likelihoods/,
    );
  });
});
