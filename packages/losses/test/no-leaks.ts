// Registers a leak check around every test of the calling file: tf.memory().numTensors is the same after the test as
// before it (error paths included).
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, expect } from 'vitest';

export function checkNoLeaksPerTest(): void {
  let before = 0;
  beforeEach(() => {
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(before);
  });
}
