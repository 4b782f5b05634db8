import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { StepStats } from './step-stats.js';
import { checkTensorLeaksPerTest } from './test-utils/helpers.js';

checkTensorLeaksPerTest();

describe('StepStats', () => {
  it('reads every scalar pushed, in order, across chunk boundaries', async () => {
    const stats = new StepStats(6);
    const expected: number[] = [];
    for (let step = 0; step < 11; step++) {
      const v = [step, -step, step / 4];
      expected.push(...v);
      stats.push(...v.map((x) => tf.scalar(x)));
    }
    expect(Array.from(await stats.read())).toEqual(expected);
    // reading does not consume: a second read gives the same values
    expect(Array.from(await stats.read())).toEqual(expected);
    stats.dispose();
  });

  it('keeps a bounded number of tensors alive: one per chunk plus the unfolded rest', () => {
    const stats = new StepStats(6);
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
