import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { Independent, klDivergence, Normal, TransformedDistribution } from '@varia/distributions';
import { describe, expect, it } from 'vitest';
import { AffineCoupling } from './affine-coupling.js';
import { FlowBijector } from './flow-bijector.js';
import { FlowPosterior } from './flow-posterior.js';
import { FlowSequence, PermuteFlow } from './flow-step.js';
import { InverseAutoregressiveFlow } from './iaf.js';

const standardNormal = (d: number) =>
  new Independent(new Normal({ loc: new Float32Array(d), scale: new Float32Array(d).fill(1) }), 1);

describe('FlowBijector', () => {
  it('TransformedDistribution(N(0, I), flow): logProb by the inverse equals log q from the forward pass; shapes; no leak', () => {
    const flow = new FlowSequence([
      new InverseAutoregressiveFlow({ dim: 3, seed: 1 }),
      PermuteFlow.reverse(3),
      new AffineCoupling({ dim: 3, seed: 2 }),
    ]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const p = new TransformedDistribution(standardNormal(3), new FlowBijector(flow));
      expect(p.batchShape).toEqual([]);
      expect(p.eventShape).toEqual([3]);
      const { z, logProb } = new FlowPosterior(standardNormal(3), flow).rsampleAndLogProb([4, 2], { seed: 3 });
      expect(z.shape).toEqual([4, 2, 3]);
      const viaInverse = p.logProb(z).dataSync();
      logProb.dataSync().forEach((v, i) => expect(viaInverse[i]).toBeCloseTo(v, 3));
      expect(p.rsample([5]).shape).toEqual([5, 3]);
      p.dispose();
    });
    expect(tf.memory().numTensors).toBe(before);
    // the transformed distribution borrowed the flow: its variables are alive
    expect(flow.steps[0]!.namedVariables().size).toBeGreaterThan(0);
    tf.tidy(() => {
      flow.forward(tf.ones([1, 3]));
    });
    flow.dispose();
  });

  it('a flow posterior works with klDivergence’s Monte-Carlo fallback (rsample, then logProb through the inverse)', () => {
    const flow = new InverseAutoregressiveFlow({ dim: 2, seed: 4, identityInit: false });
    tf.tidy(() => {
      const q = new FlowPosterior(standardNormal(2), flow);
      const kl = klDivergence(q, standardNormal(2), { monteCarlo: 2000, seed: 5 }).dataSync()[0]!;
      // the same KL from the forward pass: E_q[log q(z) − log N(z; 0, I)]
      const { z, logProb } = q.rsampleAndLogProb([2000], { seed: 5 });
      const direct = tf.mean(tf.sub(logProb, standardNormal(2).logProb(z))).dataSync()[0]!;
      expect(kl).toBeCloseTo(direct, 3);
      expect(kl).toBeGreaterThan(0);
    });
    flow.dispose();
  });

  it('rejects conditional flows', () => {
    const flow = new InverseAutoregressiveFlow({ dim: 2, contextDim: 1 });
    expect(() => new FlowBijector(flow)).toThrowError(ArgumentError);
    flow.dispose();
  });
});
