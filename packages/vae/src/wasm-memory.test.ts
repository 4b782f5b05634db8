import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';
import { disposeSnapshot, restoreSnapshot, snapshot } from './trainer/training-state.js';
import { ownCopy } from './wasm-memory.js';

checkTensorLeaksPerTest();

/** Values whose bits a copy must keep: ±0, subnormals, ±∞, NaN, the extremes of float32. */
const EDGES = Float32Array.from([0, -0, 1e-45, -1e-45, 1e-40, Infinity, -Infinity, Number.NaN, 3.4028235e38, -1.5]);

/** The raw bits of a tensor's values. */
function bits(t: tf.Tensor): number[] {
  const v = t.dataSync() as Float32Array;
  return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
}

/** How many tensors hold `t`'s data (the backend's reference count). */
function holders(t: tf.Tensor): number {
  return (tf.backend() as unknown as { refCount(id: tf.DataId): number }).refCount(t.dataId);
}

describe('ownCopy on the wasm backend', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('copies every bit into memory of its own, leaving the original its data’s only holder', () => {
    const x = tf.tensor2d(EDGES, [2, 5]);
    const copy = ownCopy(x);
    try {
      expect(copy.shape).toEqual([2, 5]);
      expect(copy.dtype).toBe('float32');
      expect(bits(copy)).toEqual(bits(x));
      expect(copy.dataId).not.toBe(x.dataId);
      expect(holders(x)).toBe(1);
      expect(holders(copy)).toBe(1);
      // the copy does not follow later changes of the original (a clone of a variable would)
      const v = tf.variable(x);
      const saved = ownCopy(v);
      const zeros = tf.zerosLike(v);
      v.assign(zeros);
      expect(bits(saved)).toEqual(bits(x));
      tf.dispose([v, saved, zeros]);
    } finally {
      tf.dispose([x, copy]);
    }
  });

  it('clones what it does not copy (int32, empty): the same values', () => {
    const ints = tf.tensor1d([3, -7, 0], 'int32');
    const empty = tf.zeros([0, 4]);
    const a = ownCopy(ints);
    const b = ownCopy(empty);
    expect(Array.from(a.dataSync())).toEqual([3, -7, 0]);
    expect(a.dtype).toBe('int32');
    expect(b.shape).toEqual([0, 4]);
    tf.dispose([ints, empty, a, b]);
  });

  it("a training snapshot leaves each variable its data's only holder and restores the values", () => {
    const values = [
      tf.tensor2d([
        [1, -0],
        [Number.NaN, 2.5],
      ]),
      tf.tensor1d([1e-40, -3]),
    ];
    const vars = new Map([
      ['w', tf.variable(values[0]!)],
      ['b', tf.variable(values[1]!)],
    ]);
    tf.dispose(values); // each variable is then its data's only holder, as a model's are
    const before = new Map([...vars].map(([k, v]) => [k, bits(v)]));
    const saved = snapshot(vars);
    try {
      for (const v of vars.values()) expect(holders(v)).toBe(1);
      for (const v of vars.values()) {
        const ones = tf.onesLike(v);
        v.assign(ones);
        ones.dispose();
      }
      restoreSnapshot(vars, saved);
      for (const [k, v] of vars) expect(bits(v), k).toEqual(before.get(k));
    } finally {
      disposeSnapshot(saved);
      tf.dispose([...vars.values()]);
    }
  });
});

describe('ownCopy elsewhere', () => {
  it('is a clone on the cpu backend (the same values)', () => {
    expect(tf.getBackend()).toBe('cpu');
    const x = tf.tensor1d(EDGES);
    const copy = ownCopy(x);
    expect(bits(copy)).toEqual(bits(x));
    tf.dispose([x, copy]);
  });
});
