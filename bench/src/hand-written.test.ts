import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { HandWrittenVae, poissonLogNormalizer } from './hand-written.js';

await tf.setBackend('cpu');

describe('HandWrittenVae', () => {
  it('has transpose-free gradients equal to tfjs autodiff (the reference)', () => {
    const shape = { inputDim: 6, hidden: 5, latentDim: 3, likelihood: 'bernoulli' as const };
    const fast = new HandWrittenVae(shape, 'transpose-free', 7);
    const reference = new HandWrittenVae(shape, 'default', 7);
    const x = tf.tidy(() => tf.randomUniform([4, 6], 0, 1, 'float32', 3)) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const g1 = tf.variableGrads(() => fast.loss(x, 11), fast.variables());
    const g2 = tf.variableGrads(() => reference.loss(x, 11), reference.variables());
    expect(g1.value.dataSync()[0]).toBeCloseTo(g2.value.dataSync()[0]!, 5);
    const a = Object.values(g1.grads);
    const b = Object.values(g2.grads);
    expect(a).toHaveLength(b.length);
    a.forEach((t, i) => {
      const want = b[i]!.dataSync();
      t.dataSync().forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 4));
    });
    tf.dispose([g1.value, g2.value, ...a, ...b]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x]);
    fast.dispose();
    reference.dispose();
  });
});

describe('poissonLogNormalizer', () => {
  it('sums log x! per row', () => {
    const m = { data: Float32Array.from([0, 1, 2, 3, 4, 5]), rows: 2, cols: 3 };
    const out = poissonLogNormalizer(m);
    expect(out[0]).toBeCloseTo(Math.log(2), 5); // 0! 1! 2!
    expect(out[1]).toBeCloseTo(Math.log(6 * 24 * 120), 4); // 3! 4! 5!
  });
});
