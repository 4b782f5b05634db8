import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, torch } from '../test/torch.js';
import * as D from './index.js';
import type { Distribution } from './distribution.js';

type Case = { params: Record<string, number>; x: number[]; grad: Record<string, number> };
const gradients = (torch as unknown as { gradients: Record<string, Case[]> }).gradients;

describe('gradients of logProb with respect to every parameter (against torch autograd, float64)', () => {
  it.each(Object.keys(gradients))('%s', (name) => {
    const Family = (D as unknown as Record<string, new (p: Record<string, tf.Tensor>) => Distribution>)[name]!;
    for (const c of gradients[name]!) {
      const names = Object.keys(c.params);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const values = names.map((n) => tf.scalar(c.params[n]!));
        const g = tf.grads((...ps: tf.Tensor[]) => {
          const d = new Family(Object.fromEntries(names.map((n, i) => [n, ps[i]!])));
          return tf.sum(d.logProb(c.x));
        })(values);
        names.forEach((n, i) => expectAllClose(g[i]!, c.grad[n]!, 5e-4, 5e-5, `${name} ∂/∂${n}`));
      });
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
