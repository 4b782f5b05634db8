import * as tf from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, ADAM_UPDATE_KERNEL } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { maxAbsDiff, randomArray, skipNative } from './test-support.js';

describe.skipIf(skipNative)(`native ${ADAM_UPDATE_KERNEL} on the wasm backend`, () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('computes one Adam step as Kingma & Ba write it (float64 reference)', () => {
    const size = 1000;
    const w = randomArray(size, 1);
    const g = randomArray(size, 2);
    const m = randomArray(size, 3).map((x) => x * 0.1);
    const v = randomArray(size, 4).map((x) => x * x * 0.01);
    const attrs = {
      learningRate: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      beta1Power: 0.9 ** 3,
      beta2Power: 0.999 ** 3,
    };
    const before = tf.memory().numTensors;
    const inputs = {
      variable: tf.tensor1d(w),
      gradient: tf.tensor1d(g),
      firstMoment: tf.tensor1d(m),
      secondMoment: tf.tensor1d(v),
    };
    const [w2, m2, v2] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs, attrs) as tf.Tensor[];
    const mRef = Array.from(m, (mi, i) => 0.9 * mi + 0.1 * g[i]!);
    const vRef = Array.from(v, (vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
    const wRef = Array.from(
      w,
      (wi, i) => wi - (0.01 * (mRef[i]! / (1 - 0.9 ** 3))) / (Math.sqrt(vRef[i]! / (1 - 0.999 ** 3)) + 1e-8),
    );
    expect(maxAbsDiff(m2!.dataSync(), mRef)).toBeLessThan(1e-6);
    expect(maxAbsDiff(v2!.dataSync(), vRef)).toBeLessThan(1e-7);
    expect(maxAbsDiff(w2!.dataSync(), wRef)).toBeLessThan(1e-5);
    expect(w2!.shape).toEqual([size]);
    tf.dispose([...Object.values(inputs), w2!, m2!, v2!]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("flushes moments that would be subnormal to 0 and keeps the weights; the thread's float mode is restored", () => {
    // a dead unit: g = 0, so m ← 0.9·m and v ← 0.999·v shrink into the subnormal range (< 2⁻¹²⁶) after ~800 steps
    const smallest = 2 ** -126;
    const m = Float32Array.from([smallest, 1.2 * smallest, 0.5, smallest / 4]);
    const v = Float32Array.from([smallest, 1.05 * smallest, 0.25, smallest / 8]);
    const g = Float32Array.from([0, 0, 0.1, 0]);
    const w = Float32Array.from([0.05, -0.3, 0.2, 1e-3]);
    const attrs = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, beta1Power: 0.9, beta2Power: 0.999 };
    const inputs = {
      variable: tf.tensor1d(w),
      gradient: tf.tensor1d(g),
      firstMoment: tf.tensor1d(m),
      secondMoment: tf.tensor1d(v),
    };
    const [w2, m2, v2] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs, attrs) as tf.Tensor[];
    const wv = w2!.dataSync();
    const mv = m2!.dataSync();
    const vv = v2!.dataSync();
    // 0.9·2⁻¹²⁶ is subnormal: 0; 0.9·1.2·2⁻¹²⁶ is normal: kept; a subnormal input reads as 0
    expect(mv[0]).toBe(0);
    expect(mv[1]).toBe(Math.fround(Math.fround(0.9) * m[1]!));
    expect(mv[3]).toBe(0);
    expect(vv[0]).toBe(0);
    expect(vv[1]).toBe(Math.fround(Math.fround(0.999) * v[1]!));
    expect(vv[3]).toBe(0);
    // the updates those moments would make (~1e-33) round away: the weights are unchanged
    expect([wv[0], wv[1], wv[3]]).toEqual([w[0], w[1], w[3]]);
    expect(Math.abs(wv[2]! - w[2]!)).toBeGreaterThan(1e-4); // a live unit still learns
    // the flags were the kernel's alone: this thread still computes subnormals (doubles and floats)
    const four = Number(process.env.VARIA_TEST_FOUR ?? '4');
    expect((Number.MIN_VALUE * four) / four).toBe(Number.MIN_VALUE);
    expect(Math.fround(smallest / four) * four).toBe(smallest);
    tf.dispose([...Object.values(inputs), w2!, m2!, v2!]);
  });

  it('rejects inputs of different sizes and missing attributes with a message', () => {
    tf.tidy(() => {
      const x = tf.zeros([4]);
      const y = tf.zeros([5]);
      const attrs = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, beta1Power: 0.9, beta2Power: 0.999 };
      expect(() =>
        tf.engine().runKernel(ADAM_UPDATE_KERNEL, { variable: x, gradient: y, firstMoment: x, secondMoment: x }, attrs),
      ).toThrow(/one shape/);
      expect(() =>
        tf
          .engine()
          .runKernel(
            ADAM_UPDATE_KERNEL,
            { variable: x, gradient: x, firstMoment: x, secondMoment: x },
            { ...attrs, epsilon: Number.NaN },
          ),
      ).toThrow(/epsilon/);
    });
  });

  const attrs = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, beta1Power: 0.729, beta2Power: 0.997 };
  /** Two variables' w, g, m, v as variables (sole holders of their data), sizes 300 and 7. */
  const makeState = (): tf.Variable[][] =>
    [300, 7].map((size, k) =>
      [1, 2, 3, 4].map((seed) =>
        tf.tidy(() => tf.tensor1d(randomArray(size, 10 * k + seed).map((x) => (seed === 4 ? x * x : x))).variable()),
      ),
    );
  const inputsOf = (state: tf.Tensor[][]): tf.NamedTensorMap =>
    Object.fromEntries(
      state.flatMap(([w, g, m, v], i) => [
        [`variable${i}`, w!],
        [`gradient${i}`, g!],
        [`firstMoment${i}`, m!],
        [`secondMoment${i}`, v!],
      ]),
    );

  it(`${ADAM_IN_PLACE_KERNEL}: updates every variable in place, bit-identical to ${ADAM_UPDATE_KERNEL}`, () => {
    const state = makeState();
    const expected = state.map(([w, g, m, v]) =>
      (
        tf
          .engine()
          .runKernel(
            ADAM_UPDATE_KERNEL,
            { variable: w!, gradient: g!, firstMoment: m!, secondMoment: v! },
            attrs,
          ) as tf.Tensor[]
      ).map((t) => {
        const values = Array.from(t.dataSync());
        t.dispose();
        return values;
      }),
    );
    const before = tf.memory().numTensors;
    const outs = tf.engine().runKernel(ADAM_IN_PLACE_KERNEL, inputsOf(state), { ...attrs, count: 2 }) as tf.Tensor[];
    expect(outs).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    state.forEach(([w, , m, v], i) => {
      expect([w, m, v].map((t) => Array.from(t!.dataSync()))).toEqual(expected[i]);
    });
    tf.dispose(state.flat());
  });

  it(`${ADAM_IN_PLACE_KERNEL}: calls with fewer, more and no variables update exactly the variables they name`, () => {
    // the kernel keeps its table of offsets from call to call: a shorter call must not run a longer one's stale rows
    const state = makeState();
    const stepOf = (w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor): number[][] =>
      (
        tf
          .engine()
          .runKernel(
            ADAM_UPDATE_KERNEL,
            { variable: w, gradient: g, firstMoment: m, secondMoment: v },
            attrs,
          ) as tf.Tensor[]
      ).map((t) => {
        const values = Array.from(t.dataSync());
        t.dispose();
        return values;
      });
    const valuesOf = (): number[][] => state.flat().map((t) => Array.from(t.dataSync()));
    for (const count of [2, 1, 0, 2]) {
      const before = valuesOf();
      const expected = state.slice(0, count).map(([w, g, m, v]) => stepOf(w!, g!, m!, v!));
      const outs = tf
        .engine()
        .runKernel(ADAM_IN_PLACE_KERNEL, inputsOf(state.slice(0, count)), { ...attrs, count }) as tf.Tensor[];
      expect(outs).toEqual([]);
      const after = valuesOf();
      state.forEach(([w, , m, v], i) => {
        const [wi, mi, vi] = [4 * i, 4 * i + 2, 4 * i + 3];
        if (i < count) expect([after[wi], after[mi], after[vi]], `count ${count}, variable ${i}`).toEqual(expected[i]);
        else
          expect([after[wi], after[mi], after[vi]], `count ${count}, variable ${i}`).toEqual([
            before[wi],
            before[mi],
            before[vi],
          ]);
        expect([w, m, v].every((t) => !t!.isDisposed)).toBe(true);
      });
    }
    tf.dispose(state.flat());
  });

  it(`${ADAM_IN_PLACE_KERNEL}: where a clone shares a variable's data, writes nothing and returns the new values`, () => {
    const state = makeState();
    const clone = tf.clone(state[1]![0]!);
    const old = state.flat().map((t) => Array.from(t.dataSync()));
    const outs = tf.engine().runKernel(ADAM_IN_PLACE_KERNEL, inputsOf(state), { ...attrs, count: 2 }) as tf.Tensor[];
    expect(outs.map((t) => t.shape)).toEqual([[300], [300], [300], [7], [7], [7]]);
    expect(state.flat().map((t) => Array.from(t.dataSync()))).toEqual(old);
    expect(Array.from(outs[3]!.dataSync())).not.toEqual(old[4]);
    tf.dispose([...outs, clone, ...state.flat()]);
  });

  it(`${ADAM_IN_PLACE_KERNEL}: where one tensor is written twice (m and v alike), writes nothing and returns new values`, () => {
    const state = makeState();
    const shared = state[1]![2]!;
    const inputs = { ...inputsOf(state), secondMoment1: shared };
    const old = state.flat().map((t) => Array.from(t.dataSync()));
    const outs = tf.engine().runKernel(ADAM_IN_PLACE_KERNEL, inputs, { ...attrs, count: 2 }) as tf.Tensor[];
    expect(outs.map((t) => t.shape)).toEqual([[300], [300], [300], [7], [7], [7]]);
    expect(state.flat().map((t) => Array.from(t.dataSync()))).toEqual(old);
    tf.dispose([...outs, ...state.flat()]);
  });

  it(`${ADAM_IN_PLACE_KERNEL}: a disposed input is refused before anything is allocated or written`, () => {
    const state = makeState();
    const gone = tf.tensor1d(randomArray(7, 99));
    gone.dispose();
    const old = state.flat().map((t) => Array.from(t.dataSync()));
    const buffers = tf.engine().backend.numDataIds();
    expect(() =>
      tf.engine().runKernel(ADAM_IN_PLACE_KERNEL, { ...inputsOf(state), firstMoment1: gone }, { ...attrs, count: 2 }),
    ).toThrow(/not on the wasm backend/);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    expect(state.flat().map((t) => Array.from(t.dataSync()))).toEqual(old);
    tf.dispose(state.flat());
  });

  it('the addon checks every region of an in-place Adam call before writing', () => {
    const addon = loadAddon();
    const heap = new ArrayBuffer(256);
    const f32 = new Float32Array(heap);
    f32.fill(1);
    const call = (specs: number[]) =>
      addon.adamInPlace(heap, Float64Array.from(specs), 0.1, 0.9, 0.999, 1e-8, 0.9, 0.999);
    // the second variable's v runs past the end: nothing may be written, not even the first variable
    expect(() => call([4, 0, 16, 32, 48, 4, 64, 80, 96, 250])).toThrow(/outside the heap/);
    expect(Array.from(f32.subarray(0, 16)).every((x) => x === 1)).toBe(true);
    expect(() => call([4, 0, 16, 32])).toThrow(/5 numbers per variable/);
    expect(() => call([-1, 0, 16, 32, 48])).toThrow(/non-negative integer/);
    expect(() =>
      addon.adamInPlace(heap, new Float32Array(5) as unknown as Float64Array, 0.1, 0.9, 0.999, 1e-8, 0.9, 0.999),
    ).toThrow(/Float64Array/);
    call([4, 0, 16, 32, 48]);
    expect(f32[0]).not.toBe(1);
  });
});
