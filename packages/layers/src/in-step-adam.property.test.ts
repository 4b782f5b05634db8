import { test as fcTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { VariaError } from '@varia/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import { FusedAdamOptimizer } from './fused-adam.js';
import { registerJsAdamKernel, registerJsInPlaceKernel, unregisterJsAdamKernels } from './test-utils/adam-kernels.js';

/** A step of the plan: per variable, whether it is updated in step (and in which order), and a misuse to try. */
const stepPlan = (count: number) =>
  fc.record({
    inStep: fc.array(fc.boolean(), { minLength: count, maxLength: count }),
    reversed: fc.boolean(),
    misuse: fc.constantFrom('none', 'update twice', 'gradient for updated', 'unknown name', 'wrong size'),
    close: fc.boolean(),
  });

const plan = fc
  .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 })
  .chain((sizes) =>
    fc.record({ sizes: fc.constant(sizes), steps: fc.array(stepPlan(sizes.length), { minLength: 1, maxLength: 5 }) }),
  );

/** The bits of a tensor's values. */
const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

fcTest.prop([plan, fc.boolean()], { numRuns: Number(process.env.VARIA_PROPERTY_RUNS ?? 50), seed: 31 })(
  'any split of a step between in-step updates and applyGradients gives the bits and state of applyGradients alone; misuse throws a VariaError and changes nothing',
  async ({ sizes, steps }, outOfPlace) => {
    const before = tf.memory().numTensors;
    registerJsAdamKernel();
    registerJsInPlaceKernel(outOfPlace);
    const make = (tag: string) =>
      sizes.map((n, k) =>
        tf.tidy(() => tf.variable(tf.randomNormal([n], 0, 1, 'float32', 5 + k), true, `${tag}-${k}-${Math.random()}`)),
      );
    const ref = make('ref');
    const split = make('split');
    const refOpt = new FusedAdamOptimizer(0.03);
    const opt = new FusedAdamOptimizer(0.03);
    try {
      for (let s = 0; s < steps.length; s++) {
        const p = steps[s]!;
        const grads = sizes.map((n, k) => tf.randomNormal([n], 0, 1, 'float32', 100 + 10 * s + k));
        refOpt.applyGradients(ref.map((v, k) => ({ name: v.name, tensor: grads[k]! })));
        const step = opt.beginStep(split)!;
        const early = sizes.map((_, k) => k).filter((k) => p.inStep[k]);
        if (p.reversed) early.reverse();
        for (const k of early) step.update([split[k]!], [grads[k]!]);
        const rest = sizes.map((_, k) => k).filter((k) => !p.inStep[k]);
        // a misuse, refused before anything changes
        const state = split.map(bits);
        const misuse = (): void => {
          if (p.misuse === 'update twice' && early.length > 0) step.update([split[early[0]!]!], [grads[early[0]!]!]);
          else if (p.misuse === 'gradient for updated' && early.length > 0)
            opt.applyGradients([{ name: split[early[0]!]!.name, tensor: grads[early[0]!]! }]);
          else if (p.misuse === 'unknown name') opt.applyGradients([{ name: ref[0]!.name, tensor: grads[0]! }]);
          else if (p.misuse === 'wrong size' && rest.length > 0) {
            const wrong = tf.zeros([sizes[rest[0]!]! + 1]);
            try {
              step.update([split[rest[0]!]!], [wrong]);
            } finally {
              wrong.dispose();
            }
          } else return;
          throw new Error('the misuse was accepted');
        };
        if (p.misuse !== 'none') {
          try {
            misuse();
          } catch (e) {
            expect(e).toBeInstanceOf(VariaError);
          }
          expect(split.map(bits)).toEqual(state);
          expect(step.updatedCount).toBe(early.length);
        }
        if (rest.length === 0 && p.close) step.close();
        else opt.applyGradients(rest.map((k) => ({ name: split[k]!.name, tensor: grads[k]! })));
        tf.dispose(grads);
        expect(opt.iterations).toBe(s + 1);
      }
      expect(split.map(bits)).toEqual(ref.map(bits));
      const [a, b] = [await refOpt.getWeights(), await opt.getWeights()];
      expect(b.map((w) => bits(w.tensor))).toEqual(a.map((w) => bits(w.tensor)));
      tf.dispose([a[0]!.tensor, b[0]!.tensor]);
    } finally {
      refOpt.dispose();
      opt.dispose();
      tf.dispose([...ref, ...split]);
      unregisterJsAdamKernels();
    }
    expect(tf.memory().numTensors).toBe(before);
  },
);
