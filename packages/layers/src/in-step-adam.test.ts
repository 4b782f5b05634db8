import * as tf from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, ArgumentError } from '@varia/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FusedAdamOptimizer } from './fused-adam.js';
import { registerJsAdamKernel, registerJsInPlaceKernel, unregisterJsAdamKernels } from './test-utils/adam-kernels.js';

/** Three variables of different shapes, the same start values for every call with the same tag. */
function variables(tag: string): tf.Variable[] {
  return [[3, 2], [2], [5]].map((shape, k) =>
    tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 10 + k), true, `${tag}-${k}-${Math.random()}`)),
  );
}

/** A gradient for variable k at step s: deterministic, depending on the variable's current value. */
function gradientOf(v: tf.Variable, k: number, s: number): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(v, 0.5 + k), tf.randomNormal(v.shape, 0, 1, 'float32', 100 + 7 * s + k)));
}

/** The bits of a tensor's values. */
function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
}

/** The bits of the optimizer's saved state (iterations, then every moment by name). */
async function stateBits(o: tf.Optimizer): Promise<[string, number[]][]> {
  const saved = await o.getWeights();
  const out = saved.map((s) => [s.name, bits(s.tensor)] as [string, number[]]);
  saved[0]!.tensor.dispose();
  return out;
}

/** Which variables each step updates in step (the rest get their gradients through applyGradients). */
const PLAN: number[][] = [[0], [], [0, 1, 2], [2, 1], [1], [0, 2], [0, 1, 2], []];

/**
 * Steps of PLAN on fresh variables: `inStep` updates the planned ones through `beginStep` (`update`, or with `own`
 * the caller's own kernel call plus `markUpdated`), then `applyGradients` the rest — or all at once without `inStep`.
 * Returns the variables' bits and the optimizer's state bits.
 */
async function run(inStep: 'no' | 'update' | 'own'): Promise<{ values: number[][]; state: [string, number[]][] }> {
  const vars = variables('in-step');
  const o = new FusedAdamOptimizer(0.05);
  for (let s = 0; s < PLAN.length; s++) {
    const grads = vars.map((v, k) => gradientOf(v, k, s));
    const step = inStep === 'no' ? undefined : o.beginStep(vars);
    if (inStep !== 'no') expect(step).toBeDefined();
    const early = step ? PLAN[s]! : [];
    for (const k of early) {
      if (inStep === 'update') step!.update([vars[k]!], [grads[k]!]);
      else {
        // what a fused kernel does: the step's numbers, the variable's moments, written in place
        const { m, v } = step!.moments(vars[k]!);
        const outs = tf
          .engine()
          .runKernel(
            ADAM_IN_PLACE_KERNEL,
            { variable0: vars[k]!, gradient0: grads[k]!, firstMoment0: m, secondMoment0: v },
            { ...step!.numbers, count: 1 },
          ) as tf.Tensor[];
        expect(outs).toHaveLength(0);
        step!.markUpdated([vars[k]!]);
      }
      expect(step!.isUpdated(vars[k]!)).toBe(true);
    }
    const rest = vars.map((v, k) => ({ name: v.name, tensor: grads[k]! })).filter((_, k) => !early.includes(k));
    // a step that updated every variable ends with close() (step 2) or an empty applyGradients (step 6)
    if (step && rest.length === 0 && s === 2) step.close();
    else o.applyGradients(rest);
    tf.dispose(grads);
    expect(o.iterations).toBe(s + 1);
  }
  const values = vars.map(bits);
  const state = await stateBits(o);
  o.dispose();
  tf.dispose(vars);
  return { values, state };
}

describe('FusedAdamOptimizer.beginStep (Adam applied during the step)', () => {
  let before = 0;
  beforeEach(() => {
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    unregisterJsAdamKernels();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('updating variables during the step gives the bits and state of applyGradients at its end', async () => {
    registerJsAdamKernel();
    registerJsInPlaceKernel();
    const reference = await run('no');
    const viaUpdate = await run('update');
    const viaOwnKernel = await run('own');
    // names differ (fresh variables); the values do not
    const strip = (s: [string, number[]][]) => s.map(([name, b]) => [name.replace(/in-step-\d-[0-9.]+/, 'v'), b]);
    expect(viaUpdate.values).toEqual(reference.values);
    expect(strip(viaUpdate.state)).toEqual(strip(reference.state));
    expect(viaOwnKernel.values).toEqual(reference.values);
    expect(strip(viaOwnKernel.state)).toEqual(strip(reference.state));
  });

  it('assigns the new values where a variable shares its data (the kernel answers out of place)', async () => {
    registerJsAdamKernel();
    registerJsInPlaceKernel(true);
    const outOfPlace = await run('update');
    unregisterJsAdamKernels();
    registerJsAdamKernel();
    registerJsInPlaceKernel();
    expect(outOfPlace.values).toEqual((await run('no')).values);
  });

  it('a run resumed through getWeights/setWeights continues bit-identically', async () => {
    registerJsAdamKernel();
    registerJsInPlaceKernel();
    const once = async (interruptAt?: number): Promise<number[][]> => {
      const vars = variables('resume');
      let o = new FusedAdamOptimizer(0.02);
      for (let s = 0; s < 12; s++) {
        if (s === interruptAt) {
          const saved = await o.getWeights();
          const next = new FusedAdamOptimizer(0.02);
          await next.setWeights(saved);
          saved[0]!.tensor.dispose();
          o.dispose();
          o = next;
        }
        const grads = vars.map((v, k) => gradientOf(v, k, s));
        const step = o.beginStep(vars)!;
        step.update([vars[1]!, vars[0]!], [grads[1]!, grads[0]!]);
        o.applyGradients([{ name: vars[2]!.name, tensor: grads[2]! }]);
        tf.dispose(grads);
      }
      const out = vars.map(bits);
      o.dispose();
      tf.dispose(vars);
      return out;
    };
    const uninterrupted = await once();
    for (const at of [1, 5, 11]) expect(await once(at), `resumed at ${at}`).toEqual(uninterrupted);
  });

  it('is not offered where the backend has no in-place Adam kernel', () => {
    const vars = variables('none');
    const o = new FusedAdamOptimizer(0.05);
    expect(o.beginStep(vars)).toBeUndefined();
    registerJsAdamKernel();
    expect(o.beginStep(vars)).toBeUndefined();
    o.dispose();
    tf.dispose(vars);
  });

  it('closing a step in which nothing was updated changes nothing; with updates the step counts', async () => {
    registerJsAdamKernel();
    registerJsInPlaceKernel();
    const vars = variables('close');
    const o = new FusedAdamOptimizer(0.05);
    const start = vars.map(bits);
    o.beginStep(vars)!.close();
    expect(o.iterations).toBe(0);
    expect(vars.map(bits)).toEqual(start);
    const g = gradientOf(vars[0]!, 0, 0);
    const step = o.beginStep(vars)!;
    step.update([vars[0]!], [g]);
    step.close();
    step.close();
    expect(o.iterations).toBe(1);
    expect(vars.slice(1).map(bits)).toEqual(start.slice(1));
    expect(bits(vars[0]!)).not.toEqual(start[0]);
    // a step that ended takes no more updates
    expect(() => step.update([vars[1]!], [g])).toThrow(ArgumentError);
    g.dispose();
    o.dispose();
    tf.dispose(vars);
  });

  it('refuses a broken contract with a typed error, changing nothing', async () => {
    registerJsAdamKernel();
    registerJsInPlaceKernel();
    const vars = variables('refuse');
    const other = tf.tidy(() => tf.variable(tf.zeros([2]), true, `refuse-other-${Math.random()}`));
    const o = new FusedAdamOptimizer(0.05);
    expect(() => o.beginStep([vars[0]!, vars[0]!])).toThrow(/given twice/);
    const plain = tf.zeros([2]);
    expect(() => o.beginStep([plain as tf.Variable])).toThrow(ArgumentError);
    plain.dispose();
    const grads = vars.map((v, k) => gradientOf(v, k, 0));
    const step = o.beginStep(vars)!;
    expect(() => o.beginStep(vars)).toThrow(/has not ended/);
    step.update([vars[0]!], [grads[0]!]);
    const after = vars.map(bits);
    const state = await stateBits(o);
    expect(() => step.update([vars[0]!], [grads[0]!])).toThrow(/already updated/);
    expect(() => step.markUpdated([vars[1]!, vars[1]!])).toThrow(/already updated/);
    expect(() => step.update([other], [grads[1]!])).toThrow(/not one of the step's variables/);
    expect(() => step.moments(other)).toThrow(ArgumentError);
    expect(() => step.update([vars[1]!], [grads[2]!])).toThrow(/must be float32 of 2 elements/);
    expect(() => step.update([vars[1]!], [])).toThrow(ArgumentError);
    // applyGradients during the step: no gradient for an updated variable, none for a stranger
    const named = vars.map((v, k) => ({ name: v.name, tensor: grads[k]! }));
    expect(() => o.applyGradients(named)).toThrow(/updated in this step already/);
    expect(() => o.applyGradients([...named.slice(1), { name: other.name, tensor: grads[1]! }])).toThrow(
      /not one of the open step's variables/,
    );
    expect(vars.map(bits)).toEqual(after);
    expect(await stateBits(o)).toEqual(state);
    expect(step.isUpdated(vars[1]!)).toBe(false);
    // still open: the right call ends it
    o.applyGradients(named.slice(1));
    expect(o.iterations).toBe(1);
    tf.dispose([...grads, ...vars, other]);
    o.dispose();
  });

  it("a step over the last step's array changed in place checks it again: a variable twice, a new order", () => {
    registerJsAdamKernel();
    registerJsInPlaceKernel();
    const vars = variables('again');
    const o = new FusedAdamOptimizer(0.05);
    const list = [...vars];
    const first = o.beginStep(list)!;
    const moments = vars.map((v) => first.moments(v));
    first.close();
    // the same array, one entry replaced by another of its variables: refused, nothing begun
    list[2] = vars[0]!;
    expect(() => o.beginStep(list)).toThrow(/"[^"]+" is given twice/);
    // the same variables in another order: the moments follow the positions (as applyGradients keeps them)
    list[0] = vars[2]!;
    list[2] = vars[0]!;
    const reordered = o.beginStep(list)!;
    expect(reordered.moments(vars[2]!).m).toBe(moments[0]!.m);
    expect(reordered.moments(vars[0]!).v).toBe(moments[2]!.v);
    expect(reordered.moments(vars[1]!).m).toBe(moments[1]!.m);
    reordered.close();
    tf.dispose(vars);
    o.dispose();
  });
});
