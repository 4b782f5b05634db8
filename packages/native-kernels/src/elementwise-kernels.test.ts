import * as tf from '@tensorflow/tfjs-core';
import { LGAMMA_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

/** Relative error |got − want| / max(|want|, floor), in float64. */
function worstRelative(got: ArrayLike<number>, want: (i: number) => number, floor: number): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const w = want(i);
    worst = Math.max(worst, Math.abs(got[i]! - w) / Math.max(Math.abs(w), floor));
  }
  return worst;
}

const softplus64 = (a: number): number => Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));

/** log Γ(x) in float64 by the Lanczos approximation (g = 7, n = 9), with reflection below ½: an independent reference. */
function lgamma64(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma64(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

describe.skipIf(skipNative)('native Softplus, Exp, Log, Log1p and Sum on the wasm backend', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  // a spread of magnitudes: uniform(−1,1)·10^k for k in −6…2, and the float32 range's ends
  const values = Float32Array.from([
    ...Array.from({ length: 9 }, (_, k) => Array.from(randomArray(2000, k + 1), (v) => v * 10 ** (k - 6))).flat(),
    -103,
    -100,
    -87.5,
    -80,
    -20,
    -1e-30,
    0,
    1e-30,
    20,
    80,
    88,
    88.7,
  ]);

  it('softplus is within 3e-7 relative of float64 (absolute 1e-37 where the exact value is subnormal)', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d(values);
    const y = tf.softplus(x);
    const got = y.dataSync();
    expect(worstRelative(got, (i) => softplus64(values[i]!), 1e-30)).toBeLessThan(3e-7);
    for (let i = 0; i < got.length; i++)
      if (values[i]! < -87) expect(Math.abs(got[i]! - softplus64(values[i]!))).toBeLessThan(1e-37);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('exp is within 3e-7 relative of float64 over the whole float32 range, subnormal results included', () => {
    const xs = Float32Array.from([...values.filter((v) => v < 88.7), -95, -100, -103.5]);
    tf.tidy(() => {
      const got = tf.exp(tf.tensor1d(xs)).dataSync();
      expect(worstRelative(got, (i) => Math.fround(Math.exp(xs[i]!)), 1e-38)).toBeLessThan(3e-7);
      for (const [i, v] of [-95, -100, -103.5].entries()) {
        const exact = Math.exp(v);
        expect(Math.abs(got[xs.length - 3 + i]! - exact)).toBeLessThan(2e-45 + exact * 1e-3);
      }
    });
  });

  it('log is within 3e-7 relative of float64 for normal and subnormal inputs', () => {
    const xs = Float32Array.from([
      ...Array.from(randomArray(5000, 42), (v) => Math.abs(v) * 1e4),
      ...values.map(Math.abs).filter((v) => v > 0),
      1,
      2,
      0.5,
      1e-40,
      1e-45,
      3.4e38,
    ]);
    tf.tidy(() => {
      const got = tf.log(tf.tensor1d(xs)).dataSync();
      expect(worstRelative(got, (i) => Math.log(xs[i]!), 1e-6)).toBeLessThan(3e-7);
    });
  });

  it('log1p is within 3e-7 relative of float64, tiny arguments included', () => {
    const xs = Float32Array.from([
      ...values.filter((v) => v > -1),
      ...Array.from(randomArray(3000, 77), (v) => Math.abs(v) * 1e3),
      255,
      1e-38,
      -0.999,
    ]);
    tf.tidy(() => {
      const got = tf.log1p(tf.tensor1d(xs)).dataSync();
      expect(worstRelative(got, (i) => Math.log1p(xs[i]!), 1e-38)).toBeLessThan(3e-7);
      expect(Array.from(tf.log1p(tf.tensor1d([-1, -2, Infinity, 0])).dataSync())).toEqual([
        -Infinity,
        Number.NaN,
        Infinity,
        0,
      ]);
    });
  });

  it(`${LGAMMA_KERNEL} (log Γ) is within 4e-6 absolute + 3e-7 relative of float64 (the shift cancels near 1 and 2), NaN for x ≤ 0`, () => {
    const xs = Float32Array.from([
      ...Array.from(randomArray(3000, 5), (v) => Math.abs(v) * 20 + 1e-3),
      ...Array.from({ length: 256 }, (_, k) => k + 1), // log Γ(count + 1)
      1e-6,
      0.5,
      1,
      2,
      5.999,
      6,
      6.001,
      1e3,
      1e6,
    ]);
    tf.tidy(() => {
      const got = (tf.engine().runKernel(LGAMMA_KERNEL, { x: tf.tensor1d(xs) }, {}) as tf.Tensor).dataSync();
      for (let i = 0; i < xs.length; i++) {
        const want = lgamma64(xs[i]!);
        expect(Math.abs(got[i]! - want)).toBeLessThan(4e-6 + 3e-7 * Math.abs(want));
      }
      const special = (
        tf.engine().runKernel(LGAMMA_KERNEL, { x: tf.tensor1d([0, -1, Number.NaN, Infinity]) }, {}) as tf.Tensor
      ).dataSync();
      expect(Array.from(special)).toEqual([Number.NaN, Number.NaN, Number.NaN, Infinity]);
    });
  });

  it('propagates NaN and gets the infinities, zero and negative inputs right', () => {
    tf.tidy(() => {
      const special = tf.tensor1d([Number.NaN, Infinity, -Infinity, 0, -1, 89, -104]);
      const sp = Array.from(tf.softplus(special).dataSync());
      expect(sp.slice(0, 4)).toEqual([Number.NaN, Infinity, 0, Math.fround(Math.LN2)]);
      const ex = Array.from(tf.exp(special).dataSync());
      expect(ex[0]).toBeNaN();
      expect(ex.slice(1)).toEqual([Infinity, 0, 1, Math.fround(Math.exp(-1)), Infinity, 0]);
      const lg = Array.from(tf.log(special).dataSync());
      expect(lg[0]).toBeNaN();
      expect(lg[1]).toBe(Infinity);
      expect(lg[2]).toBeNaN();
      expect(lg[3]).toBe(-Infinity);
      expect(lg[4]).toBeNaN();
    });
  });

  it('log1p below −1 (−∞ included) is the one quiet NaN 0x7fc00000 in every vector clone (the same bits everywhere)', () => {
    tf.tidy(() => {
      // 37 values: the vector loops (8 or 16 lanes) and their scalar tails both see them
      const x = tf.tensor1d(Array.from({ length: 37 }, (_, i) => (i % 3 === 0 ? -Infinity : -1.5 - i)));
      const bits = new Uint32Array(tf.log1p(x).dataSync().buffer);
      expect(Array.from(bits, (b) => b.toString(16))).toEqual(Array(37).fill('7fc00000'));
    });
  });

  it('softplus gradient (tfjs: σ(x)·dy) is unchanged', () => {
    tf.tidy(() => {
      const g = tf
        .grad((x: tf.Tensor) => tf.sum(tf.softplus(x)))(tf.tensor1d([-3, 0, 2]))
        .dataSync();
      [-3, 0, 2].forEach((v, i) => expect(g[i]).toBeCloseTo(1 / (1 + Math.exp(-v)), 6));
    });
  });

  it('sums over any contiguous block of axes, with keepDims, as a float64 reference does', () => {
    const shape = [3, 4, 5, 6];
    const data = randomArray(3 * 4 * 5 * 6, 9);
    const at = (i: number, j: number, k: number, l: number): number => data[((i * 4 + j) * 5 + k) * 6 + l]!;
    tf.tidy(() => {
      const x = tf.tensor4d(data, shape as [number, number, number, number]);
      const s1 = tf.sum(x, [1, 2]);
      expect(s1.shape).toEqual([3, 6]);
      const v1 = s1.dataSync();
      for (let i = 0; i < 3; i++)
        for (let l = 0; l < 6; l++) {
          let want = 0;
          for (let j = 0; j < 4; j++) for (let k = 0; k < 5; k++) want += at(i, j, k, l);
          expect(v1[i * 6 + l]).toBeCloseTo(want, 4);
        }
      const s0 = tf.sum(x, 0, true);
      expect(s0.shape).toEqual([1, 4, 5, 6]);
      expect(s0.dataSync()[7]).toBeCloseTo(at(0, 0, 1, 1) + at(1, 0, 1, 1) + at(2, 0, 1, 1), 5);
      const sLast = tf.sum(x, -1);
      expect(sLast.shape).toEqual([3, 4, 5]);
      expect(sLast.dataSync()[0]).toBeCloseTo(
        [0, 1, 2, 3, 4, 5].reduce((s, l) => s + at(0, 0, 0, l), 0),
        5,
      );
      const all = tf.sum(x);
      expect(all.shape).toEqual([]);
      expect(all.dataSync()[0]).toBeCloseTo(
        Array.from(data).reduce((s, v) => s + v, 0),
        3,
      );
      // non-contiguous axes and integer tensors go to the wasm kernel, with the same meaning
      expect(tf.sum(x, [0, 2]).shape).toEqual([4, 6]);
      expect(tf.sum(tf.tensor1d([1, 2, 3], 'int32')).dtype).toBe('int32');
      expect(tf.sum(tf.tensor1d([1, 2, 3], 'int32')).dataSync()[0]).toBe(6);
    });
  });

  it('a long row sum keeps float32 accuracy (eight partial sums)', () => {
    const n = 100_003;
    const data = randomArray(n, 11);
    let want = 0;
    for (const v of data) want += v;
    tf.tidy(() => {
      expect(tf.sum(tf.tensor1d(data)).dataSync()[0]).toBeCloseTo(want, 2);
    });
  });
});
