import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { StepStats } from './step-stats.js';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';

checkTensorLeaksPerTest();

describe('StepStats', () => {
  for (const readEach of [false, true]) {
    it(`reads every scalar pushed, in order, across chunk boundaries (readEach ${readEach})`, async () => {
      const stats = new StepStats(6, readEach);
      const expected: number[] = [];
      for (let step = 0; step < 11; step++) {
        // float32 values that are not doubles: what is read is the scalar's float32, -0 and NaN included
        const v = [step, -step, step / 3, step === 4 ? Number.NaN : 1e-40 * step];
        expected.push(...v.map((x) => Math.fround(x)));
        stats.push(...v.map((x) => tf.scalar(x)));
      }
      const read = await stats.read();
      expect(Array.from(read)).toEqual(expected);
      expect(Object.is(read[1], -0)).toBe(true);
      // reading does not consume: a second read gives the same values
      expect(Array.from(await stats.read())).toEqual(expected);
      stats.dispose();
    });
  }

  it('on a host-memory backend reads each scalar when pushed and holds no tensor', () => {
    expect(tf.getBackend()).toBe('cpu');
    const stats = new StepStats();
    const before = tf.memory().numTensors;
    for (let step = 0; step < 50; step++) stats.push(tf.scalar(1), tf.scalar(2), tf.scalar(3));
    expect(tf.memory().numTensors).toBe(before);
    stats.dispose();
  });

  it('keeps a bounded number of tensors alive: one per chunk plus the unfolded rest', () => {
    const stats = new StepStats(6, false);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 20; step++) stats.push(tf.scalar(1), tf.scalar(2), tf.scalar(3));
    // 60 scalars: 10 stacked chunks of 6, nothing pending
    expect(tf.memory().numTensors - before).toBe(10);
    stats.push(tf.scalar(4));
    expect(tf.memory().numTensors - before).toBe(11);
    stats.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads nothing when nothing was pushed', async () => {
    const stats = new StepStats();
    expect(Array.from(await stats.read())).toEqual([]);
    stats.dispose();
  });
});
