import * as tf from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, DENSE_BACKWARD_ADAM_KERNEL, JOIN_DEFERRED_KERNEL } from '@varia/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomArray, skipNative } from './test-support.js';
import { asWasmBackend, heapBuffer, heapEntry } from './wasm-heap.js';
import { weightFactsTicket } from './weight-facts.js';

/*
 * The in-step Adam step (DENSE_BACKWARD_ADAM_KERNEL) keeps what it learned of W's new values (every value finite, the
 * least non-zero |w|: native/weight_facts.h) under a ticket; the next product whose B is W's data gives the ticket to
 * the addon's gemm, which skips its scan of B. These tests: the products with the facts have the bits of the same
 * products with zero-skipping off (oneDNN's) and of the scan's (VARIA_B_FACTS=0); the facts are taken exactly when W
 * is finite; a ticket is never used once W's data was written again, replaced (assign) or for other bytes.
 */

const K = 64;
const N = 48;
const M = 40;
/** Adam with learning rate 0 leaves every w as it was (w − 0), flushing subnormals to ±0 (its flush-to-zero mode). */
const STILL = { learningRate: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, beta1Power: 0.9, beta2Power: 0.999 };
const MOVING = { ...STILL, learningRate: 0.01 };

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

/** W [K, N] in (−1, 1) with zeros, −0, subnormals and tiny normals (1.2e-38 …) among its values, and `extra` set. */
function weights(seed: number, extra: Record<number, number> = {}): Float32Array {
  const w = randomArray(K * N, seed);
  for (let i = seed % 5; i < K * N; i += 9) w[i] = [0, -0, 1e-40, -3e-39, 1.2e-38, -2.5e-38][i % 6]!;
  w.fill(1e-20, 3 * N, 4 * N); // row 3: see sparseA
  for (const [i, v] of Object.entries(extra)) w[Number(i)] = v;
  return w;
}

/**
 * op(A) [M, K], 10 % non-zero (a zero-skipping product), with tiny values (−1e-30) in a few rows: their products with
 * W's tiny values are below 2⁻¹⁰⁰, where a row must be summed densely. Row 2 holds only a[2][3] = −1e-30: times W's
 * row 3 (1e-20) it rounds to −0, which oneDNN's chain turns into +0 at the next k with w > 0 — a row summed sparsely
 * (a least |w| taken too large) keeps −0.
 */
function sparseA(seed: number): Float32Array {
  const a = randomArray(M * K, seed);
  const coin = randomArray(M * K, seed + 1);
  for (let i = 0; i < M * K; i++) if (Math.abs(coin[i]!) >= 0.1) a[i] = 0;
  for (let r = 9; r < M; r += 7) a[r * K + (r % K)] = -1e-30;
  a.fill(0, 2 * K, 3 * K);
  a[2 * K + 3] = -1e-30;
  return a;
}

/** A variable holding `t`'s data alone (`t` is disposed): what the in-place kernels write. */
function variableOf(t: tf.Tensor): tf.Variable {
  const v = tf.variable(t);
  t.dispose();
  return v;
}

/** A layer whose in-step Adam step writes W (dy = 0: dW = 0; x finite); the caller disposes it. */
function layerOf(w: Float32Array, dy = 0) {
  return {
    dy: tf.fill([16, N], dy),
    y: tf.zeros([16, N]),
    x: tf.tensor2d(randomArray(16 * K, 7), [16, K]),
    kernel: variableOf(tf.tensor2d(w, [K, N])),
    bias: tf.zeros([N]),
    kernelM: tf.zeros([K, N]),
    kernelV: tf.zeros([K, N]),
    biasM: tf.zeros([N]),
    biasV: tf.zeros([N]),
  };
}
type Layer = ReturnType<typeof layerOf>;

function step(l: Layer, adam = STILL, deferUpdate = false): void {
  const inputs = { ...l } as unknown as tf.NamedTensorMap;
  tf.engine().runKernel(DENSE_BACKWARD_ADAM_KERNEL, inputs, {
    activation: 'linear',
    inputGradient: false,
    deferUpdate,
    ...adam,
  });
}

describe.skipIf(skipNative)('the in-step Adam step’s facts of W, used by the next product of W', () => {
  let addon: NativeAddon;
  let path: string;
  const load = (zeroSkip: '0' | '1') => {
    process.env.VARIA_ZERO_SKIP = zeroSkip;
    addon.load(path);
  };
  beforeAll(() => {
    path = enableNativeKernels({ parallel: 1 }).path;
    addon = loadAddon();
  });
  afterEach(() => {
    delete process.env.VARIA_B_FACTS;
    delete process.env.VARIA_SPLIT_ZERO_SKIP;
    load('1');
    addon.setParallel(1);
  });
  afterAll(() => {
    delete process.env.VARIA_ZERO_SKIP;
    addon.load(path);
    disableNativeKernels();
  });

  /** gemm C = A·B straight through the addon with `ticket`: whether it took the facts (C is a scratch tensor). */
  function takes(a: tf.Tensor, b: tf.Tensor, ticket: number, bOffsetShift = 0, k = K): boolean {
    const backend = asWasmBackend(tf.backend());
    const c = tf.zeros([M, N]);
    const at = (t: tf.Tensor) => heapEntry(backend, t).memoryOffset;
    const taken = addon.gemm(
      heapBuffer(backend)!,
      false,
      false,
      M,
      N,
      k,
      1,
      at(a),
      0,
      at(b) + bOffsetShift,
      0,
      at(c),
      -1,
      0,
      0,
      0,
      ticket,
    );
    c.dispose();
    return taken;
  }

  /** A·W three ways: zero-skipping off (oneDNN), on with B's scan (VARIA_B_FACTS=0), on with W's facts. */
  function products(a: tf.Tensor, w: tf.Tensor): number[][] {
    load('0');
    const reference = tf.tidy(() => bits(tf.matMul(a, w)));
    load('1');
    process.env.VARIA_B_FACTS = '0';
    const scanned = tf.tidy(() => bits(tf.matMul(a, w)));
    delete process.env.VARIA_B_FACTS;
    const known = tf.tidy(() => bits(tf.matMul(a, w)));
    return [reference, scanned, known];
  }

  const CASES: [string, Record<number, number>, boolean][] = [
    ['finite (zeros, subnormals, tiny normals)', {}, true],
    ['every value ±0', Object.fromEntries(Array.from({ length: K * N }, (_, i) => [i, i % 3 ? 0 : -0])), true],
    ['a +∞', { 100: Number.POSITIVE_INFINITY }, false],
    ['a −∞ in the last row', { [K * N - 1]: Number.NEGATIVE_INFINITY }, false],
    ['a NaN', { 777: Number.NaN }, false],
  ];
  for (const [label, extra, finite] of CASES) {
    it(`W ${label}: the facts are ${finite ? '' : 'not '}taken, and the product has oneDNN's bits`, () => {
      const before = tf.memory().numTensors;
      const l = layerOf(weights(3, extra));
      const a = tf.tensor2d(sparseA(11), [M, K]);
      step(l);
      const ticket = weightFactsTicket(l.kernel.dataId);
      expect(ticket).toBeGreaterThan(0);
      expect(takes(a, l.kernel, ticket)).toBe(finite);
      const [reference, scanned, known] = products(a, l.kernel);
      expect(known).toEqual(reference);
      expect(known).toEqual(scanned);
      tf.dispose([a, ...Object.values(l)]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('an explicit undefined bFacts is no ticket (the argument is optional)', () => {
    const m = 8,
      n = 16,
      k = 4;
    const heap = new ArrayBuffer(4 * (m * k + k * n + m * n));
    new Float32Array(heap).fill(0.5);
    const args = [heap, false, false, m, n, k, 1, 0, 0, 4 * m * k, 0, 4 * (m * k + k * n), -1, 0, 0, 0] as const;
    expect(addon.gemm(...args, undefined)).toBe(false);
    expect(new Float32Array(heap, 4 * (m * k + k * n), m * n).every((c) => c === k * 0.25)).toBe(true);
    expect(() => addon.gemm(...args, -1)).toThrow(/ticket/);
  });

  it('a step whose Adam writes a NaN into W (a gradient of ∞): its facts are not taken', () => {
    const l = layerOf(weights(5), Number.POSITIVE_INFINITY);
    const a = tf.tensor2d(sparseA(13), [M, K]);
    step(l, MOVING);
    expect(Array.from(l.kernel.dataSync()).some(Number.isNaN)).toBe(true);
    expect(takes(a, l.kernel, weightFactsTicket(l.kernel.dataId))).toBe(false);
    const [reference, , known] = products(a, l.kernel);
    expect(known).toEqual(reference);
    tf.dispose([a, ...Object.values(l)]);
  });

  it('a ticket is not used once W was written again, replaced, or for other bytes', () => {
    const before = tf.memory().numTensors;
    const l = layerOf(weights(9));
    const a = tf.tensor2d(sparseA(17), [M, K]);
    step(l, MOVING);
    const first = weightFactsTicket(l.kernel.dataId);
    expect(takes(a, l.kernel, first)).toBe(true);
    // other bytes: B one float on, or K − 1 of its rows
    expect(takes(a, l.kernel, first, 4)).toBe(false);
    expect(takes(a, l.kernel, first, 0, K - 1)).toBe(false);
    // a second in-step step: a new ticket; the first one's entry is gone
    step(l, MOVING);
    const second = weightFactsTicket(l.kernel.dataId);
    expect(second).toBeGreaterThan(first);
    expect(takes(a, l.kernel, first)).toBe(false);
    expect(takes(a, l.kernel, second)).toBe(true);
    // the taped path's in-place Adam writes W: the ticket goes on both sides
    const g = tf.onesLike(l.kernel);
    const written = tf
      .engine()
      .runKernel(
        ADAM_IN_PLACE_KERNEL,
        { variable0: l.kernel, gradient0: g, firstMoment0: l.kernelM, secondMoment0: l.kernelV },
        { count: 1, ...MOVING },
      ) as tf.Tensor[];
    expect(written).toEqual([]);
    expect(weightFactsTicket(l.kernel.dataId)).toBe(0);
    expect(takes(a, l.kernel, second)).toBe(false);
    // assign(): new data, no ticket; a step on it keeps new facts for it
    step(l, MOVING);
    const third = weightFactsTicket(l.kernel.dataId);
    expect(third).toBeGreaterThan(second);
    const replacement = tf.tensor2d(weights(21, { 5: Number.POSITIVE_INFINITY }), [K, N]);
    l.kernel.assign(replacement);
    replacement.dispose();
    expect(weightFactsTicket(l.kernel.dataId)).toBe(0);
    const [reference, , known] = products(a, l.kernel);
    expect(known).toEqual(reference);
    tf.dispose([a, g, ...Object.values(l)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['whole on the calling thread', false],
    ['split between the threads (VARIA_SPLIT_ZERO_SKIP=1), each block with the facts', true],
  ] as const)(
    'the deferred update on two threads: its facts are in once it is joined (gemm joins first); the product %s',
    (_, split) => {
      if (split) process.env.VARIA_SPLIT_ZERO_SKIP = '1';
      load('1'); // the addon reads VARIA_SPLIT_ZERO_SKIP when it loads
      addon.setParallel(2);
      const skipped = addon.zeroSkipped();
      // a layer large enough to be split in row blocks (native/dense_adam.c: 65,536 weights)
      const big = { k: 400, n: 784 };
      const w = randomArray(big.k * big.n, 31);
      const l = {
        dy: tf.tensor2d(randomArray(128 * big.n, 32), [128, big.n]),
        y: tf.zeros([128, big.n]),
        x: tf.tensor2d(randomArray(128 * big.k, 33), [128, big.k]),
        kernel: variableOf(tf.tensor2d(w, [big.k, big.n])),
        bias: tf.zeros([big.n]),
        kernelM: tf.zeros([big.k, big.n]),
        kernelV: tf.zeros([big.k, big.n]),
        biasM: tf.zeros([big.n]),
        biasV: tf.zeros([big.n]),
      };
      const h = randomArray(128 * big.k, 34).map((v) => (v > 0.6 ? v : 0)); // relu-like, 20 % non-zero
      const a = tf.tensor2d(h, [128, big.k]);
      step(l as unknown as Layer, MOVING, true);
      const ticket = weightFactsTicket(l.kernel.dataId);
      expect(ticket).toBeGreaterThan(0);
      const known = tf.tidy(() => bits(tf.matMul(a, l.kernel)));
      tf.engine().runKernel(JOIN_DEFERRED_KERNEL, {}, {});
      const taken = addon.zeroSkipped() - skipped;
      if (split) expect(taken, 'zero-skipping blocks').toBeGreaterThanOrEqual(2);
      else expect(taken, 'one zero-skipping product').toBe(1);
      process.env.VARIA_B_FACTS = '0';
      const scanned = tf.tidy(() => bits(tf.matMul(a, l.kernel)));
      expect(known).toEqual(scanned);
      tf.dispose([a, ...Object.values(l)]);
    },
  );
});
