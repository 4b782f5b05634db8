import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { transposed } from './gemm-bits-support.js';
import { expectSameBits, float32Bits, randomArray, skipNative } from './test-support.js';

/*
 * A product whose op(A) has one row (M = 1) gives the bits that row gets among other rows (blas.c's sgemm_one_row:
 * oneDNN's gemv sums in another order than its gemm, so the row runs as row 0 of 2 copies, 16 for NT). Checked through
 * the wasm backend's MatMul and _FusedMatMul (bias: C starts as the bias, beta = 1) for NN, NT, TN, TT, on one and two
 * threads: the one-row product against row 0 of the row given twice and against row 5 of 32 rows (NT: 16 or more rows
 * share one kernel). With VARIA_ONE_ROW=0 at load (the old dispatch) the same comparisons differ: the test can fail.
 */

/** [k, n]: MNIST's layers both ways, a narrow and a small one. */
const SHAPES: [number, number][] = [
  [784, 400],
  [400, 784],
  [400, 20],
  [64, 64],
];
const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

/** The bits of op(rows)·op(B) (+ bias) for `m` rows of length k given row-major; op(A) = Aᵀ passes A as [k, m]. */
function productBits(
  rows: Float32Array,
  m: number,
  [k, n]: [number, number],
  b: Float32Array,
  bias: Float32Array | undefined,
  transposeA: boolean,
  transposeB: boolean,
): Uint32Array {
  const c = tf.tidy(() => {
    const a = transposeA ? tf.tensor2d(transposed(rows, m, k), [k, m]) : tf.tensor2d(rows, [m, k]);
    const w = transposeB ? tf.tensor2d(b, [n, k]) : tf.tensor2d(b, [k, n]);
    return bias
      ? tf.fused.matMul({ a, b: w, transposeA, transposeB, bias: tf.tensor1d(bias) })
      : tf.matMul(a, w, transposeA, transposeB);
  });
  const bits = float32Bits(c);
  c.dispose();
  return bits;
}

/** How many of the one-row product's elements differ from row 0 of the row twice and from row 5 of 32 rows. */
function compare(
  shape: [number, number],
  withBias: boolean,
  transposeA: boolean,
  transposeB: boolean,
  check: boolean,
): number {
  const [k, n] = shape;
  const rows = randomArray(32 * k, k + n);
  const row = rows.slice(5 * k, 6 * k);
  const b = randomArray(k * n, 7 * k + n);
  const bias = withBias ? randomArray(n, 3) : undefined;
  const what = `${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'} ${k} → ${n}${withBias ? ' + bias' : ''}`;
  const one = productBits(row, 1, shape, b, bias, transposeA, transposeB);
  const twice = new Float32Array(2 * k);
  twice.set(row, 0);
  twice.set(row, k);
  const pair = productBits(twice, 2, shape, b, bias, transposeA, transposeB).slice(0, n);
  const among = productBits(rows, 32, shape, b, bias, transposeA, transposeB).slice(5 * n, 6 * n);
  if (check) {
    // NT: 2 … 15 rows are another kernel's again; the pair is compared for the other three
    if (!transposeB || transposeA) expectSameBits(one, pair, `${what}: row twice`);
    expectSameBits(one, among, `${what}: row 5 of 32`);
  }
  let differ = 0;
  for (let j = 0; j < n; j++) differ += one[j] !== among[j] ? 1 : 0;
  return differ;
}

for (const parallel of [1, 2]) {
  describe.skipIf(skipNative)(`one-row products have the bits of a row among others (parallel ${parallel})`, () => {
    let oneDnn = false;
    beforeAll(() => {
      oneDnn = enableNativeKernels({ parallel }).library === 'onednn';
    });
    afterAll(() => {
      disableNativeKernels();
    });

    for (const [transposeA, transposeB] of TRANSPOSES)
      for (const withBias of [false, true])
        it(`${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}${withBias ? ' with a bias' : ''}`, () => {
          const before = tf.memory().numTensors;
          for (const shape of SHAPES) compare(shape, withBias, transposeA, transposeB, oneDnn);
          expect(tf.memory().numTensors).toBe(before);
        });

    // 16 copies of 300,000 floats (19 MB) pass blas.c's ONE_ROW_SLOT_MAX_BYTES (16 MiB): memory of their own, freed
    // after the product, instead of the thread's grow-only slot
    it('a row whose copies do not fit the scratch slot (NT, K = 300,000), and TN beside it', () => {
      const before = tf.memory().numTensors;
      compare([300_000, 2], false, false, true, oneDnn);
      compare([300_000, 2], true, true, false, oneDnn);
      expect(tf.memory().numTensors).toBe(before);
    });

    it.runIf(parallel === 1)('differs with the fix off (VARIA_ONE_ROW=0): the checks can fail', () => {
      if (!oneDnn) return;
      const addon = loadAddon();
      const path = enableNativeKernels({ parallel }).path;
      try {
        process.env.VARIA_ONE_ROW = '0';
        expect((addon.load(path) as { oneRow?: boolean }).oneRow).toBe(false);
        let differ = 0;
        for (const [transposeA, transposeB] of TRANSPOSES)
          differ += compare([784, 400], true, transposeA, transposeB, false);
        expect(differ).toBeGreaterThan(0);
      } finally {
        delete process.env.VARIA_ONE_ROW;
        expect((addon.load(path) as { oneRow?: boolean }).oneRow).toBe(true);
      }
    });
  });
}
