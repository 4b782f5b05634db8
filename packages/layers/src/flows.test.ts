import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError, VariaError } from '@varia/core';
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { autodiffJacobian, logAbsDet } from '../test/jacobian.js';
import { AffineCoupling } from './affine-coupling.js';
import { type FlowStep, FlowSequence, PermuteFlow } from './flow-step.js';
import { InverseAutoregressiveFlow } from './iaf.js';
import { MADE } from './made.js';

const row = (values: number[]): tf.Tensor2D => tf.tensor2d([values]);

/** Asserts the step's log-det equals log |det J| of its autodiff Jacobian at z, and returns J. */
function checkLogDet(step: FlowStep, z: tf.Tensor2D, context?: tf.Tensor2D): number[][] {
  const jac = autodiffJacobian((x) => step.forward(x, context).y, z);
  const logDet = tf.tidy(() => step.forward(z, context).logDet.dataSync()[0]!);
  expect(logDet).toBeCloseTo(logAbsDet(jac), 4);
  return jac;
}

describe('MADE', () => {
  it('is autoregressive: ∂out_i/∂x_j = 0 exactly for j ≥ i and non-zero below the diagonal (tf gradients)', () => {
    const made = new MADE({
      inputDim: 5,
      hiddenUnits: [32, 32],
      outputsPerInput: 2,
      contextDim: 3,
      activation: 'tanh',
      seed: 3,
    });
    const x = row([0.3, -1.2, 0.8, 2.0, -0.4]);
    const c = row([0.5, -0.5, 1]);
    for (const group of [0, 1]) {
      const jac = autodiffJacobian((v) => made.apply(v, c)[group]!, x);
      jac.forEach((r, i) =>
        r.forEach((v, j) => {
          if (j >= i) expect(v).toBe(0);
          else expect(Math.abs(v)).toBeGreaterThan(1e-6);
        }),
      );
    }
    // the context reaches every output, the first one (which sees no input) included
    for (const i of [0, 4]) {
      const dc = tf.tidy(() =>
        Array.from(
          tf
            .grad((v: tf.Tensor) => tf.sum(tf.slice(made.apply(x, v as tf.Tensor2D)[0]!, [0, i], [1, 1])))(c)
            .dataSync(),
        ),
      );
      expect(Math.max(...dc.map(Math.abs))).toBeGreaterThan(1e-6);
    }
    x.dispose();
    c.dispose();
    made.dispose();
  });

  it('names its variables, rejects bad options and shapes with VariaErrors, and does not leak', () => {
    const made = new MADE({ inputDim: 3, hiddenUnits: [8], contextDim: 2 });
    expect([...made.namedVariables('m').keys()].sort()).toEqual([
      'm/0/bias',
      'm/0/context_kernel',
      'm/0/kernel',
      'm/1/bias',
      'm/1/context_kernel',
      'm/1/kernel',
    ]);
    expect(() => new MADE({ inputDim: 0, hiddenUnits: [8] })).toThrowError(ArgumentError);
    expect(() => new MADE({ inputDim: 2, hiddenUnits: [] })).toThrowError(ArgumentError);
    const [x3, x4, c2, c3] = [tf.ones([2, 3]), tf.ones([2, 4]), tf.ones([2, 2]), tf.ones([3, 2])];
    const before = tf.memory().numTensors;
    expect(() => made.apply(x3)).toThrowError(ArgumentError); // context missing
    expect(() => made.apply(x4, c2)).toThrowError(ShapeError);
    expect(() => made.apply(x3, c3)).toThrowError(ShapeError);
    tf.tidy(() => {
      made.apply(x3, c2);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x3, x4, c2, c3]);
    made.dispose();
  });
});

describe('flow steps', () => {
  // random (not identity) initial weights, so that the Jacobians below are not trivial
  const iaf = (contextDim = 0, seed = 1, update: 'affine' | 'gated' = 'affine'): InverseAutoregressiveFlow =>
    new InverseAutoregressiveFlow({
      dim: 4,
      hiddenUnits: [24],
      contextDim,
      activation: 'tanh',
      seed,
      update,
      identityInit: false,
    });

  it('IAF (affine and gated): lower-triangular Jacobian with diagonal σ, log-det = log |det J| (autodiff), inverse in D passes', () => {
    for (const update of ['affine', 'gated'] as const) {
      const step = iaf(2, 1, update);
      const z = row([0.7, -0.3, 1.5, -2.0]);
      const c = row([1, -1]);
      const jac = checkLogDet(step, z, c);
      jac.forEach((r, i) => r.forEach((v, j) => j > i && expect(v).toBe(0)));
      expect(Math.abs(jac[3]![0]!)).toBeGreaterThan(1e-6);
      tf.tidy(() => {
        const { y } = step.forward(z, c);
        expect(
          Math.max(...Array.from(step.inverse(y, c).dataSync()).map((v, i) => Math.abs(v - z.dataSync()[i]!))),
        ).toBeLessThan(1e-5);
      });
      tf.dispose([z, c]);
      step.dispose();
    }
    expect(() => new InverseAutoregressiveFlow({ dim: 2, update: 'exp' as 'affine' })).toThrowError(ArgumentError);
  });

  it('IAF starts at the identity by default (affine: z′ = z, log-det 0; gated: z′ = sigmoid(gateBias)·z), and leaves it after one gradient step', () => {
    const z = tf.randomNormal([6, 4], 0, 1, 'float32', 2);
    const c = tf.randomNormal([6, 3], 0, 1, 'float32', 3);
    const affine = new InverseAutoregressiveFlow({ dim: 4, contextDim: 3, seed: 1 });
    const gated = new InverseAutoregressiveFlow({ dim: 4, contextDim: 3, seed: 1, update: 'gated', gateBias: 2 });
    const sig = 1 / (1 + Math.exp(-2));
    tf.tidy(() => {
      const a = affine.forward(z, c);
      expect(Array.from(a.y.dataSync())).toEqual(Array.from(z.dataSync()));
      expect(Array.from(a.logDet.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
      const g = gated.forward(z, c);
      g.y.dataSync().forEach((v, i) => expect(v).toBeCloseTo(sig * z.dataSync()[i]!, 6));
      g.logDet.dataSync().forEach((v) => expect(v).toBeCloseTo(4 * Math.log(sig), 5));
    });
    // zero output weights still get a gradient; after one SGD step the step is no longer the identity
    const vars = [...affine.namedVariables().values()];
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const { y, logDet } = affine.forward(z, c);
        return tf.sub(tf.sum(tf.square(tf.sub(y, 1))), tf.sum(logDet)) as tf.Scalar;
      }, vars);
      for (const v of vars) v.assign(tf.sub(v, tf.mul(0.1, grads[v.name]!)));
      expect(tf.max(tf.abs(tf.sub(affine.forward(z, c).y, z))).dataSync()[0]!).toBeGreaterThan(1e-3);
    });
    tf.dispose([z, c]);
    affine.dispose();
    gated.dispose();
  });

  it('affine coupling: log-det = log |det J| (autodiff), exact inverse, passed coordinates unchanged', () => {
    for (const parity of [0, 1] as const) {
      const step = new AffineCoupling({
        dim: 5,
        hiddenUnits: [16, 16],
        contextDim: 3,
        parity,
        activation: 'tanh',
        seed: 4 + parity,
      });
      const z = row([0.7, -0.3, 1.5, -2.0, 0.1]);
      const c = row([0.2, 1, -1]);
      checkLogDet(step, z, c);
      tf.tidy(() => {
        const { y } = step.forward(z, c);
        const yv = y.dataSync();
        const zv = z.dataSync();
        for (let i = parity; i < 5; i += 2) expect(yv[i]).toBe(zv[i]);
        expect(Math.max(...Array.from(step.inverse(y, c).dataSync()).map((v, i) => Math.abs(v - zv[i]!)))).toBeLessThan(
          1e-5,
        );
      });
      tf.dispose([z, c]);
      step.dispose();
    }
  });

  it('a stack of IAF steps with reversals: log-det of the composition (autodiff), full (not triangular) Jacobian, inverse', () => {
    const flow = new FlowSequence([iaf(0, 1), PermuteFlow.reverse(4), iaf(0, 2), PermuteFlow.reverse(4), iaf(0, 3)]);
    const z = row([0.2, 0.9, -1.1, 0.4]);
    const jac = checkLogDet(flow, z);
    expect(Math.abs(jac[0]![3]!)).toBeGreaterThan(1e-6); // the reversal lets the last coordinate reach the first
    tf.tidy(() => {
      const back = flow.inverse(flow.forward(z).y).dataSync();
      expect(Math.max(...Array.from(back).map((v, i) => Math.abs(v - z.dataSync()[i]!)))).toBeLessThan(1e-4);
    });
    expect([...flow.namedVariables('q').keys()]).toContain('q/4/1/kernel');
    z.dispose();
    flow.dispose();
  });

  it('PermuteFlow validates its permutation and permutes', () => {
    expect(() => new PermuteFlow({ permutation: [0, 0, 1] })).toThrowError(ArgumentError);
    expect(() => new PermuteFlow({ permutation: [] })).toThrowError(ArgumentError);
    const p = new PermuteFlow({ permutation: [2, 0, 1] });
    tf.tidy(() => {
      const { y, logDet } = p.forward(row([10, 20, 30]));
      expect(Array.from(y.dataSync())).toEqual([30, 10, 20]);
      expect(Array.from(logDet.dataSync())).toEqual([0]);
      expect(Array.from(p.inverse(y).dataSync())).toEqual([10, 20, 30]);
    });
    expect(() => new FlowSequence([p, PermuteFlow.reverse(4)])).toThrowError(ArgumentError);
  });

  it('gradients reach every variable of a conditional stack, and steps do not leak', () => {
    const flow = new FlowSequence([
      new InverseAutoregressiveFlow({ dim: 3, contextDim: 2, seed: 1, identityInit: false }),
      PermuteFlow.reverse(3, 2),
      new AffineCoupling({ dim: 3, contextDim: 2, seed: 2 }),
    ]);
    const z = tf.randomNormal([6, 3], 0, 1, 'float32', 5);
    const c = tf.randomNormal([6, 2], 0, 1, 'float32', 6);
    const vars = [...flow.namedVariables().values()];
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const { y, logDet } = flow.forward(z, c);
      return tf.sub(tf.sum(tf.square(y)), tf.sum(logDet)) as tf.Scalar;
    }, vars);
    for (const v of vars) expect(tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!)).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    tf.tidy(() => {
      flow.inverse(flow.forward(z, c).y, c);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z, c]);
    flow.dispose();
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 6 }),
      fc.constantFrom('iaf', 'coupling'),
    ],
    {
      numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 40),
      seed: 11,
    },
  )(
    'any dims and input widths either work (finite, no leak) or throw a VariaError',
    (dim, batch, contextDim, width, kind) => {
      const before = tf.memory().numTensors;
      let step: FlowStep | undefined;
      try {
        step =
          kind === 'iaf'
            ? new InverseAutoregressiveFlow({ dim, contextDim, hiddenUnits: [8] })
            : new AffineCoupling({ dim, contextDim, hiddenUnits: [8] });
        const s = step;
        tf.tidy(() => {
          const z = tf.randomNormal([batch, width], 0, 1, 'float32', 1);
          const c = contextDim > 0 ? tf.ones([batch, contextDim]) : undefined;
          const { y, logDet } = s.forward(z, c);
          expect(y.shape).toEqual([batch, dim]);
          expect(Array.from(logDet.dataSync()).every(Number.isFinite)).toBe(true);
        });
      } catch (e) {
        expect(e).toBeInstanceOf(VariaError);
      } finally {
        step?.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
