import * as tf from '@tensorflow/tfjs-core';
import { FAST_TRANSPOSED_MATMUL } from '@varia/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bitsOf, expectSameBits, isNaNBits, sparseValues, uniform } from './test-support.js';
import { disableWasmKernels, enableWasmKernels, wasmKernelCalls, wasmKernelsInfo } from './enable.js';

afterAll(() => {
  disableWasmKernels();
});

/** Values with every sign of zero, small and large magnitudes, and (when `special`) NaN and ±∞. */
const value = (special: boolean) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(0, -0) },
    { weight: 6, arbitrary: fc.float({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }) },
    { weight: 2, arbitrary: fc.float({ min: Math.fround(-1e-30), max: Math.fround(1e-30), noNaN: true }) },
    { weight: special ? 1 : 0, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -Infinity) },
  );

interface Case {
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
  fused: boolean;
  activation: 'linear' | 'relu' | 'relu6' | 'leakyrelu';
  bias: boolean;
  seed: number;
  special: boolean;
}

const cases = fc.record<Case>({
  m: fc.integer({ min: 1, max: 37 }),
  n: fc.integer({ min: 1, max: 41 }),
  k: fc.integer({ min: 1, max: 130 }), // K = 0: XNNPACK refuses the product and tfjs leaves the output unwritten
  ta: fc.boolean(),
  tb: fc.boolean(),
  fused: fc.boolean(),
  activation: fc.constantFrom('linear', 'relu', 'relu6', 'leakyrelu'),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  special: fc.boolean(),
});

/** The case's operands, from its seed: the same values for both runs. */
function operands(c: Case): { a: tf.Tensor; b: tf.Tensor; bias?: tf.Tensor } {
  const values = (count: number, salt: number) =>
    fc.sample(fc.array(value(c.special), { minLength: count, maxLength: count }), {
      seed: c.seed + salt,
      numRuns: 1,
    })[0]!;
  const a = tf.tensor(values(c.m * c.k, 1), c.ta ? [c.k, c.m] : [c.m, c.k]);
  const b = tf.tensor(values(c.k * c.n, 2), c.tb ? [c.n, c.k] : [c.k, c.n]);
  return { a, b, ...(c.fused && c.bias ? { bias: tf.tensor(values(c.n, 3), [c.n]) } : {}) };
}

/** C's bits for the case, by whatever kernels are registered now. */
function bits(c: Case): Uint32Array {
  const { a, b, bias } = operands(c);
  try {
    const out = c.fused
      ? tf.fused.matMul({ a, b, transposeA: c.ta, transposeB: c.tb, bias, activation: c.activation })
      : tf.matMul(a, b, c.ta, c.tb);
    const values = new Float32Array(out.dataSync());
    out.dispose();
    return new Uint32Array(values.buffer);
  } finally {
    tf.dispose([a, b, ...(bias ? [bias] : [])]);
  }
}

/** Whether the module takes the case (else the backend's own kernel runs): on this x86 host every activation but leaky ReLU. */
const takes = (c: Case) => !c.fused || (!c.ta && !c.tb && c.activation !== 'leakyrelu');

/**
 * Frees a NaN-filled block of the output's size, so that a product that left elements unwritten (in memory the run
 * before freed, which would hold the backend's result) shows NaNs there.
 */
function poison(c: Case): void {
  tf.fill([c.m, c.n], Number.NaN).dispose();
}

describe('the wasm kernels', () => {
  it('give the bits of tfjs-backend-wasm’s own products (XNNPACK’s and slow_batch_matmul’s), a NaN where it has one', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        disableWasmKernels();
        const before = bits(c);
        await enableWasmKernels();
        poison(c);
        const tensors = tf.memory().numTensors;
        const bytes = tf.memory().numBytes;
        const taken = wasmKernelCalls().products;
        const after = bits(c);
        expect(wasmKernelCalls().products - taken, 'products the module took').toBe(takes(c) ? 1 : 0);
        expect(tf.memory().numTensors).toBe(tensors);
        expect(tf.memory().numBytes).toBe(bytes);
        expect(after.length).toBe(before.length);
        for (let i = 0; i < before.length; i++) {
          if (isNaNBits(before[i]!)) expect(isNaNBits(after[i]!), `element ${i}`).toBe(true);
          else expect(after[i], `element ${i} of ${JSON.stringify(c)}`).toBe(before[i]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('take MNIST-sized products (A transposed, B transposed, and neither) and the tiles’ edges with the same bits', async () => {
    const edge = (m: number, n: number, k: number, ta: boolean, tb: boolean, seed: number): Case => ({
      m,
      n,
      k,
      ta,
      tb,
      fused: !ta && !tb,
      activation: 'relu',
      bias: true,
      seed,
      special: false,
    });
    const shapes: Case[] = [
      // 16 and 32 columns (whole tiles), 17 (one more), K at and around the slow loop's blocks of 48, one and odd rows
      ...[
        [3, 16, 48],
        [5, 32, 96],
        [2, 17, 49],
        [1, 1, 1],
        [7, 33, 47],
        [4, 48, 144],
      ].flatMap(([m, n, k], i) => [
        edge(m!, n!, k!, false, false, 10 + i),
        edge(m!, n!, k!, true, false, 20 + i),
        edge(m!, n!, k!, false, true, 30 + i),
      ]),
      {
        m: 784,
        n: 400,
        k: 128,
        ta: true,
        tb: false,
        fused: false,
        activation: 'linear',
        bias: false,
        seed: 1,
        special: false,
      },
      {
        m: 128,
        n: 400,
        k: 784,
        ta: false,
        tb: true,
        fused: false,
        activation: 'linear',
        bias: false,
        seed: 2,
        special: false,
      },
      {
        m: 128,
        n: 784,
        k: 400,
        ta: false,
        tb: false,
        fused: true,
        activation: 'relu',
        bias: true,
        seed: 3,
        special: false,
      },
    ];
    for (const c of shapes) {
      disableWasmKernels();
      const taken = wasmKernelCalls().products;
      const before = bits(c);
      expect(wasmKernelCalls().products).toBe(taken);
      await enableWasmKernels();
      poison(c);
      expect(bits(c), JSON.stringify(c)).toEqual(before);
      expect(wasmKernelCalls().products).toBe(taken + 1);
    }
  });

  it('skip the zeros of a mostly-zero A with the same bits, and not where a bias −0 or a B not finite forbids it', async () => {
    const sparse = fc.record({
      // up to 200 rows: several of gemm's blocks of rows (80 where K is 784)
      m: fc.integer({ min: 1, max: 200 }),
      n: fc.integer({ min: 1, max: 70 }),
      k: fc.integer({ min: 40, max: 900 }),
      density: fc.constantFrom(0, 0.02, 0.1, 0.3, 0.9),
      special: fc.boolean(),
      bias: fc.constantFrom('none', 'plain', 'negative zero'),
      badB: fc.constantFrom('none', 'infinity', 'NaN'),
      activation: fc.constantFrom('linear', 'relu', 'relu6'),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    let skippedCases = 0;
    // a case that must be computed over the non-zeros, then random ones
    const fixed = {
      m: 170,
      n: 50,
      k: 784,
      density: 0.1,
      special: true,
      bias: 'plain',
      badB: 'none',
      activation: 'relu',
    };
    await fc.assert(
      fc.asyncProperty(sparse, async (c) => {
        const r = uniform(c.seed);
        const av = sparseValues(c.m * c.k, c.density, c.special, c.seed + 1);
        // a row of zeros under the bias's −0 column: its dense chain is −0 + (±0) + … (+0 once a product is +0)
        av.fill(r() < 0.5 ? 0 : -0, 0, c.k);
        const bv = Float32Array.from({ length: c.k * c.n }, () => (r() - 0.5) * 2);
        if (c.badB !== 'none') bv[Math.floor(r() * bv.length)] = c.badB === 'NaN' ? Number.NaN : -Infinity;
        const biasValues = Float32Array.from({ length: c.n }, () => r() - 0.5);
        if (c.bias === 'negative zero') biasValues[Math.floor(r() * c.n)] = -0;
        const a = tf.tensor2d(av, [c.m, c.k]);
        const b = tf.tensor2d(bv, [c.k, c.n]);
        const bias = c.bias === 'none' ? undefined : tf.tensor1d(biasValues);
        const run = () => tf.fused.matMul({ a, b, bias, activation: c.activation });
        try {
          disableWasmKernels();
          const want = run();
          await enableWasmKernels();
          const before = wasmKernelCalls();
          const tensors = tf.memory().numTensors;
          const bytes = tf.memory().numBytes;
          const got = run();
          const after = wasmKernelCalls();
          expect(tf.memory().numTensors, 'tensors: the output alone').toBe(tensors + 1);
          expect(tf.memory().numBytes).toBe(bytes + 4 * c.m * c.n);
          expect(after.products - before.products).toBe(1);
          const skipped = after.zeroSkipped - before.zeroSkipped;
          if (c.bias === 'negative zero' || c.badB !== 'none') expect(skipped, 'skipped where it is not exact').toBe(0);
          // groups of 4 rows at 10 % non-zeros: about a third of k; large enough to be worth the lists
          else if (c.density <= 0.1 && c.m * c.n * c.k >= 2 ** 18) expect(skipped, 'skipped').toBe(1);
          skippedCases += skipped;
          expectSameBits(bitsOf(got), bitsOf(want), JSON.stringify(c));
          tf.dispose([want, got]);
        } finally {
          tf.dispose([a, b, ...(bias ? [bias] : [])]);
        }
      }),
      { numRuns: 60, seed: 23, examples: [[{ ...fixed, seed: 1 }]] },
    );
    expect(skippedCases, 'cases computed over the non-zeros').toBeGreaterThan(0);
  });

  it('run the backend’s own kernel for what they do not take: batches, int32, PReLU weights', async () => {
    await enableWasmKernels();
    const taken = wasmKernelCalls().products;
    const a = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const b = tf.tensor3d([1, 0, 0, 1, 2, 0, 0, 2], [2, 2, 2]);
    expect(Array.from(tf.matMul(a, b).dataSync())).toEqual([1, 2, 3, 4, 10, 12, 14, 16]);
    const i = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    expect(() => tf.matMul(i, i)).toThrow(); // the backend's own refusal, as before
    const w = tf.tensor1d([0.5, 0.5]);
    const p = tf.fused.matMul({
      a: tf.tensor2d([-1, 2, 3, -4], [2, 2]),
      b: tf.tensor2d([1, 0, 0, 1], [2, 2]),
      activation: 'prelu',
      preluActivationWeights: w,
    });
    expect(Array.from(p.dataSync())).toEqual([-0.5, 2, 3, -2]);
    expect(wasmKernelCalls().products).toBe(taken);
    tf.dispose([a, b, i, w, p]);
  });

  it('install once, keep the layers’ explicit transposes, and put the backend’s kernels back', async () => {
    disableWasmKernels();
    const batch = tf.getKernel(tf.BatchMatMul, 'wasm');
    const fused = tf.getKernel(tf._FusedMatMul, 'wasm');
    const info = await enableWasmKernels();
    expect(info.kernels).toEqual([tf.BatchMatMul, tf._FusedMatMul, 'VariaAdamUpdate', 'VariaDenseBackward']);
    expect(info.description).toBe('wasm + SIMD128 (BatchMatMul, _FusedMatMul, VariaAdamUpdate, VariaDenseBackward)');
    // this machine is x86 (its default NaN is negative): XNNPACK clamps ReLU as the module does
    expect(info.activations).toEqual(['linear', 'relu', 'relu6']);
    expect(await enableWasmKernels()).toBe(info);
    expect(wasmKernelsInfo()).toBe(info);
    const ours = tf.getKernel(tf.BatchMatMul, 'wasm')!;
    expect(ours).not.toBe(batch);
    expect(ours.setupFunc).toBe(batch!.setupFunc);
    expect((ours as unknown as Record<string, unknown>)[FAST_TRANSPOSED_MATMUL]).toBeUndefined();
    disableWasmKernels();
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(batch);
    expect(tf.getKernel(tf._FusedMatMul, 'wasm')).toBe(fused);
    expect(wasmKernelsInfo()).toBeUndefined();
    disableWasmKernels(); // again: nothing to do
  });

  it('leave another package’s products alone: refuse over them, and put back only their own kernels', async () => {
    disableWasmKernels();
    const batch = tf.getKernel(tf.BatchMatMul, 'wasm')!;
    const fused = tf.getKernel(tf._FusedMatMul, 'wasm')!;
    const swap = (config: tf.KernelConfig) => {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    };
    // @varia/native-kernels' products carry FAST_TRANSPOSED_MATMUL
    const native = { ...batch, [FAST_TRANSPOSED_MATMUL]: true } as tf.KernelConfig;
    swap(native);
    try {
      await expect(enableWasmKernels()).rejects.toThrow(/another package's matrix products are installed/);
      expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(native);
      expect(wasmKernelsInfo()).toBeUndefined();
    } finally {
      swap(batch);
    }
    // enabled first, then replaced by another package: disabling leaves that one in place
    await enableWasmKernels();
    const later = { ...tf.getKernel(tf.BatchMatMul, 'wasm')! };
    swap(later);
    disableWasmKernels();
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(later);
    expect(tf.getKernel(tf._FusedMatMul, 'wasm')).toBe(fused);
    swap(batch);
  });

  it('install nothing when disabled while starting', async () => {
    disableWasmKernels();
    const batch = tf.getKernel(tf.BatchMatMul, 'wasm');
    const starting = enableWasmKernels();
    disableWasmKernels();
    await expect(starting).rejects.toThrow(/disableWasmKernels\(\) was called while it started/);
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBe(batch);
    expect(wasmKernelsInfo()).toBeUndefined();
  });
});
