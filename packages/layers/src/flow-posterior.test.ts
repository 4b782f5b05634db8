import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { FlowPosterior, FlowPosteriorHead } from './flow-posterior.js';

const kinds = ['iaf', 'affine-coupling'] as const;

describe('FlowPosteriorHead', () => {
  it('gives q(z | x) with batch [batch], event [D]; rsampleAndLogProb shapes; logProb through the inverse agrees', () => {
    for (const flow of kinds) {
      const head = new FlowPosteriorHead({ inputDim: 4, units: 3, steps: 3, flow, seed: 2 });
      tf.tidy(() => {
        const h = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
        const q = head.apply(h);
        expect(q).toBeInstanceOf(FlowPosterior);
        expect(q.batchShape).toEqual([5]);
        expect(q.eventShape).toEqual([3]);
        const { z, logProb } = q.rsampleAndLogProb([7], { seed: 4 });
        expect(z.shape).toEqual([7, 5, 3]);
        expect(logProb.shape).toEqual([7, 5]);
        // the same density by the other path: ε = f⁻¹(z) (D passes per IAF step), log q₀(ε) − log |det|
        const viaInverse = q.logProb(z).dataSync();
        const direct = logProb.dataSync();
        direct.forEach((v, i) => expect(viaInverse[i]).toBeCloseTo(v, 3));
        expect(q.rsample([2]).shape).toEqual([2, 5, 3]);
        expect(q.sample().shape).toEqual([5, 3]);
        // a single z broadcast against the batch
        expect(q.logProb(tf.zeros([3])).shape).toEqual([5]);
      });
      head.dispose();
    }
  });

  it('an IAF posterior starts as its base Gaussian (identity steps; an odd number of reversals between them)', () => {
    for (const steps of [1, 2, 3]) {
      const head = new FlowPosteriorHead({ inputDim: 4, units: 3, steps, seed: 5 });
      tf.tidy(() => {
        const h = tf.randomNormal([5, 4], 0, 1, 'float32', 6);
        const base = head.baseHead.apply(h);
        const eps = base.rsample([20], { seed: 1 });
        const { z, logProb } = head.apply(h).rsampleAndLogProb([20], { seed: 1 });
        // K steps have K − 1 reversals between them: z is ε, reversed when K is even
        const expected = steps % 2 === 0 ? tf.reverse(eps, -1) : eps;
        expect(Array.from(z.dataSync())).toEqual(Array.from(expected.dataSync()));
        const lq = base.logProb(eps).dataSync();
        logProb.dataSync().forEach((v, i) => expect(v).toBeCloseTo(lq[i]!, 4));
      });
      head.dispose();
    }
  });

  it('the flow changes the density: log q differs from the base Gaussian at the same point', () => {
    const head = new FlowPosteriorHead({ inputDim: 2, units: 2, steps: 2, seed: 5, identityInit: false });
    tf.tidy(() => {
      const h = tf.ones([1, 2]);
      const q = head.apply(h);
      const base = head.baseHead.apply(h);
      const { z, logProb } = q.rsampleAndLogProb([50], { seed: 1 });
      const diff = tf.mean(tf.abs(tf.sub(logProb, base.logProb(z)))).dataSync()[0]!;
      expect(diff).toBeGreaterThan(1e-3);
    });
    head.dispose();
  });

  it('an ELBO-style loss sends gradients to every variable (base and flow) and nothing leaks', () => {
    for (const flow of kinds) {
      const head = new FlowPosteriorHead({ inputDim: 3, units: 2, steps: 2, flow, seed: 7, identityInit: false });
      const h = tf.randomNormal([4, 3], 0, 1, 'float32', 8);
      const vars = [...head.namedVariables('q').values()];
      const names = [...head.namedVariables('q').keys()];
      expect(names).toContain('q/base/scale/kernel');
      expect(names.some((n) => n.startsWith(`q/flow/${head.flow.steps.length - 1}/`))).toBe(true); // the last step's network
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => {
        const { z, logProb } = head.apply(h).rsampleAndLogProb([3], { seed: 9 });
        // −ELBO against a standard-normal "joint": E[log q(z) + ½‖z‖²]
        return tf.mean(tf.add(logProb, tf.mul(0.5, tf.sum(tf.square(z), -1)))) as tf.Scalar;
      }, vars);
      for (const v of vars) expect(tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!)).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads)]);
      tf.tidy(() => {
        const q = head.apply(h);
        q.logProb(q.rsampleAndLogProb([2]).z);
        q.dispose();
      });
      expect(tf.memory().numTensors).toBe(before);
      h.dispose();
      head.dispose();
    }
  });

  it('rejects bad options and inputs with VariaErrors, without leaking', () => {
    expect(() => new FlowPosteriorHead({ inputDim: 2, units: 2, steps: 0 })).toThrowError(ArgumentError);
    expect(() => new FlowPosteriorHead({ inputDim: 2, units: 2, flow: 'maf' as 'iaf' })).toThrowError(ArgumentError);
    expect(() => new FlowPosteriorHead({ inputDim: 2, units: 1, flow: 'affine-coupling' })).toThrowError(ArgumentError);
    const head = new FlowPosteriorHead({ inputDim: 2, units: 1 }); // IAF on one dim: a learned affine map
    const bad = tf.ones([3, 5]);
    const before = tf.memory().numTensors;
    expect(() => head.apply(bad)).toThrowError(ShapeError);
    tf.tidy(() => {
      expect(head.apply(tf.ones([3, 2])).rsampleAndLogProb([2]).logProb.shape).toEqual([2, 3]);
    });
    expect(tf.memory().numTensors).toBe(before);
    bad.dispose();
    head.dispose();
  });
});
