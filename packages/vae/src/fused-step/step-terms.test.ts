import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelCalls } from '../test-utils/fused-step-cases.js';
import { checkTensorLeaksPerTest } from '../test-utils/helpers.js';
import { KernelRunner } from './kernel-runner.js';
import { stepTerms, wasmMean } from './step-terms.js';

checkTensorLeaksPerTest();

const RUNS = Number(process.env.VARIA_PROPERTY_RUNS ?? 200);

/** A float32's bit pattern (every NaN as one pattern: the kernels' NaN payloads are not specified). */
const bitsOf = (v: number): number => (Number.isNaN(v) ? -1 : new Uint32Array(Float32Array.of(v).buffer)[0]!);

/** The value of a scalar tensor info on the active backend. */
const scalarValue = (r: KernelRunner, info: tf.TensorInfo): number => r.read(info)[0]!;

/** float32 values of every kind: ordinary, huge (sums overflow to ±∞), tiny and subnormal, ±0, ±∞ and NaN. */
const float32s = fc.oneof(
  { arbitrary: fc.float({ min: -1000, max: 1000, noNaN: true }), weight: 6 },
  { arbitrary: fc.float({ noDefaultInfinity: true, noNaN: true }), weight: 2 },
  { arbitrary: fc.float({ min: Math.fround(-1e-36), max: Math.fround(1e-36), noNaN: true }), weight: 1 },
  { arbitrary: fc.constantFrom(0, -0, Infinity, -Infinity, Number.NaN, 3.4028234663852886e38, 1.4e-45), weight: 1 },
);

/** Rows of length 1 … 1000 (the batch sizes a step may have). */
const rows = fc.integer({ min: 1, max: 1000 }).chain((n) => fc.float32Array({ minLength: n, maxLength: n }));
const mixedRows = fc.array(float32s, { minLength: 1, maxLength: 1000 }).map((v) => Float32Array.from(v));

describe('the loss terms of a fused step in float32 arithmetic (on the wasm backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("wasmMean gives the wasm Mean kernel's bits for any values and length", () => {
    const check = (values: Float32Array) => {
      const t = tf.tensor1d(values);
      const m = tf.mean(t);
      const expected = m.dataSync()[0]!;
      tf.dispose([t, m]);
      expect(bitsOf(wasmMean(values))).toBe(bitsOf(expected));
    };
    fc.assert(fc.property(fc.oneof(rows, mixedRows), check), { numRuns: RUNS });
    // sums that round at every step: 1 + 2⁻²⁴ … stays 1 in float32 (not so in double), and overflow then ∞ − ∞
    check(Float32Array.from({ length: 1000 }, (_, i) => (i === 0 ? 1 : 2 ** -24)));
    check(Float32Array.of(3e38, 3e38, -Infinity));
    check(Float32Array.of(-0));
  });

  it("stepTerms gives the taped path kernels' bits (Mean, Mean, Multiply by β, Sub)", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((n) =>
            fc.tuple(
              fc.array(float32s, { minLength: n, maxLength: n }),
              fc.array(float32s, { minLength: n, maxLength: n }),
              fc.oneof(fc.constant(1), fc.double({ min: 0, max: 10, noNaN: true })),
            ),
          ),
        ([lp, klRows, beta]) => {
          const rowSums = tf.tensor1d(lp);
          const kls = tf.tensor1d(klRows);
          const [reconstruction, kl] = [tf.mean(rowSums), tf.mean(kls)];
          const penalty = beta === 1 ? kl : tf.mul(kl, beta);
          const loss = tf.sub(penalty, reconstruction);
          const r = new KernelRunner();
          try {
            const terms = stepTerms(r, rowSums, kls, beta);
            expect(bitsOf(scalarValue(r, terms.reconstruction))).toBe(bitsOf(reconstruction.dataSync()[0]!));
            expect(bitsOf(scalarValue(r, terms.kl))).toBe(bitsOf(kl.dataSync()[0]!));
            expect(bitsOf(scalarValue(r, terms.loss))).toBe(bitsOf(loss.dataSync()[0]!));
            expect(terms.loss.shape).toEqual([]);
          } finally {
            r.dispose();
            tf.dispose([rowSums, kls, reconstruction, kl, penalty, loss]);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('runs no kernel and leaves no backend data once the runner is disposed', async () => {
    const rowSums = tf.tensor1d([-3, -4.5]);
    const klRows = tf.tensor1d([0.5, 1]);
    const buffers = tf.engine().backend.numDataIds();
    const calls = await kernelCalls(async () => {
      const r = new KernelRunner();
      const terms = stepTerms(r, rowSums, klRows, 0.5);
      expect([terms.reconstruction, terms.kl, terms.loss].map((t) => scalarValue(r, t))).toEqual([-3.75, 0.75, 4.125]);
      r.dispose();
    });
    expect([...calls.keys()]).toEqual([]);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    tf.dispose([rowSums, klRows]);
  });
});

describe('the loss terms of a fused step on another backend (cpu)', () => {
  it("runs the backend's kernels: Mean, Mean, Multiply (β ≠ 1), Sub", async () => {
    const rowSums = tf.tensor1d([-3, -4.5, -1e-3]);
    const klRows = tf.tensor1d([0.5, 1, 7]);
    const [kl, reconstruction] = [tf.mean(klRows), tf.mean(rowSums)];
    for (const beta of [1, 0.3]) {
      const loss = tf.tidy(() => tf.sub(tf.mul(kl, beta), reconstruction));
      const r = new KernelRunner();
      const calls = await kernelCalls(async () => {
        const terms = stepTerms(r, rowSums, klRows, beta);
        expect(scalarValue(r, terms.kl)).toBe(kl.dataSync()[0]);
        expect(scalarValue(r, terms.reconstruction)).toBe(reconstruction.dataSync()[0]);
        expect(scalarValue(r, terms.loss)).toBe(loss.dataSync()[0]);
      });
      r.dispose();
      loss.dispose();
      expect(Object.fromEntries(calls)).toEqual(beta === 1 ? { Mean: 2, Sub: 1 } : { Mean: 2, Multiply: 1, Sub: 1 });
    }
    tf.dispose([rowSums, klRows, kl, reconstruction]);
  });
});
