import * as tf from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, ADAM_UPDATE_KERNEL, ArgumentError } from '@varia/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FusedAdamOptimizer } from './fused-adam.js';
import { registerJsAdamKernel, registerJsInPlaceKernel } from './test-utils/adam-kernels.js';

/** Minimizes Σ (w·x − t)² for a few steps and returns the final weights (seeds ≥ 1: tfjs treats 0 as "unseeded"). */
function train(
  optimizer: tf.Optimizer,
  steps: number,
  seed = 1,
): { w: Float32Array; b: Float32Array; vars: tf.Variable[] } {
  const w = tf.tidy(() =>
    tf.variable(tf.randomNormal([3, 2], 0, 1, 'float32', seed), true, `w${seed}-${Math.random()}`),
  );
  const b = tf.tidy(() => tf.variable(tf.zeros([2]), true, `b${seed}-${Math.random()}`));
  const x = tf.randomNormal([8, 3], 0, 1, 'float32', seed + 1);
  const t = tf.randomNormal([8, 2], 0, 1, 'float32', seed + 2);
  for (let s = 0; s < steps; s++) {
    optimizer.minimize(() => tf.sum(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), t))), false, [w, b]);
  }
  tf.dispose([x, t]);
  return { w: w.dataSync() as Float32Array, b: b.dataSync() as Float32Array, vars: [w, b] };
}

describe('FusedAdamOptimizer', () => {
  afterEach(() => {
    for (const name of [ADAM_UPDATE_KERNEL, ADAM_IN_PLACE_KERNEL])
      if (tf.getKernel(name, 'cpu')) tf.unregisterKernel(name, 'cpu');
  });

  it('updates all variables with one in-place kernel call where the backend has one, bit-identical to per variable', () => {
    const run = (inPlace: 'in place' | 'out of place' | 'per variable'): Float32Array[] => {
      registerJsAdamKernel();
      if (inPlace !== 'per variable') registerJsInPlaceKernel(inPlace === 'out of place');
      const before = tf.memory().numTensors;
      const optimizer = new FusedAdamOptimizer(0.05);
      const r = train(optimizer, 6);
      expect(optimizer.iterations).toBe(6);
      const values = [r.w, r.b];
      tf.dispose(r.vars);
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      for (const name of [ADAM_UPDATE_KERNEL, ADAM_IN_PLACE_KERNEL])
        if (tf.getKernel(name, 'cpu')) tf.unregisterKernel(name, 'cpu');
      return values;
    };
    const perVariable = run('per variable');
    expect(run('in place')).toEqual(perVariable);
    expect(run('out of place')).toEqual(perVariable);
  });

  it('steps over changing sets of variables give the same bits in place as per variable', () => {
    // the in-place call's inputs are kept between steps: a step over other variables, or fewer, must not see old ones
    const run = (inPlace: boolean): Float32Array[] => {
      registerJsAdamKernel();
      if (inPlace) registerJsInPlaceKernel();
      const vars = [1, 2, 3].map((seed) =>
        tf.tidy(() =>
          tf.variable(tf.randomNormal([4], 0, 1, 'float32', seed), true, `adam-sets-${seed}-${Math.random()}`),
        ),
      );
      const optimizer = new FusedAdamOptimizer(0.05);
      for (const set of [[0, 1, 2], [1], [2], [2, 0], [0, 1], [0, 1, 2], [2, 1, 0]]) {
        const grads = set.map((k) => ({ name: vars[k]!.name, tensor: tf.mul(vars[k]!, k + 1) }));
        optimizer.applyGradients(grads);
        tf.dispose(grads.map((g) => g.tensor));
      }
      const values = vars.map((v) => v.dataSync() as Float32Array);
      tf.dispose(vars);
      optimizer.dispose();
      for (const name of [ADAM_UPDATE_KERNEL, ADAM_IN_PLACE_KERNEL])
        if (tf.getKernel(name, 'cpu')) tf.unregisterKernel(name, 'cpu');
      return values;
    };
    const before = tf.memory().numTensors;
    expect(run(true)).toEqual(run(false));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('after fused steps, the plain path of the same optimizer continues with the right bias correction', () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]), true, `adam-switch-${Math.random()}`);
    const w2 = tf.variable(tf.tensor1d([1, -2, 3]), true, `adam-switch-ref-${Math.random()}`);
    const fused = new FusedAdamOptimizer(0.05);
    const ref = tf.train.adam(0.05);
    registerJsAdamKernel();
    registerJsInPlaceKernel();
    for (let i = 0; i < 3; i++) fused.minimize(() => tf.sum(tf.square(w)), false, [w]);
    tf.unregisterKernel(ADAM_UPDATE_KERNEL, 'cpu');
    tf.unregisterKernel(ADAM_IN_PLACE_KERNEL, 'cpu');
    expect(fused.fused).toBe(false);
    for (let i = 0; i < 3; i++) fused.minimize(() => tf.sum(tf.square(w)), false, [w]);
    for (let i = 0; i < 6; i++) ref.minimize(() => tf.sum(tf.square(w2)), false, [w2]);
    // β₁ᵗ of the plain steps is β₁⁴…β₁⁶ (tfjs's accBeta, brought up to date), not β₁¹ again
    Array.from(w.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(w2.dataSync()[i]!, 5));
    tf.dispose([w, w2]);
    fused.dispose();
    ref.dispose();
  });

  it('is exactly tfjs Adam where the backend has no fused kernel', () => {
    const fused = new FusedAdamOptimizer(0.05);
    const plain = tf.train.adam(0.05);
    expect(fused.fused).toBe(false);
    const a = train(fused, 5);
    const b = train(plain, 5);
    expect(Array.from(a.w)).toEqual(Array.from(b.w));
    tf.dispose([...a.vars, ...b.vars]);
    fused.dispose();
    plain.dispose();
  });

  it('runs the fused kernel where there is one, with the same result as tfjs Adam (to rounding) and no leaks', () => {
    registerJsAdamKernel();
    const before = tf.memory().numTensors;
    const fused = new FusedAdamOptimizer(0.05);
    expect(fused.fused).toBe(true);
    const a = train(fused, 7);
    expect(fused.iterations).toBe(7);
    tf.dispose(a.vars);
    fused.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.unregisterKernel(ADAM_UPDATE_KERNEL, 'cpu');
    const plain = tf.train.adam(0.05);
    const b = train(plain, 7);
    for (let i = 0; i < a.w.length; i++) expect(a.w[i]).toBeCloseTo(b.w[i]!, 5);
    for (let i = 0; i < a.b.length; i++) expect(a.b[i]).toBeCloseTo(b.b[i]!, 5);
    tf.dispose(b.vars);
    plain.dispose();
  });

  it("keeps tfjs's state, so weights saved on the fused path continue on the plain one", async () => {
    registerJsAdamKernel();
    const fused = new FusedAdamOptimizer(0.05);
    const w = tf.variable(tf.tensor1d([1, -2, 3]), true, `adam-state-${Math.random()}`);
    const step = (o: tf.Optimizer): void => void o.minimize(() => tf.sum(tf.square(w)), false, [w]);
    step(fused);
    step(fused);
    const saved = await fused.getWeights();
    expect(saved.map((s) => s.name)).toEqual(['iter', `${w.name}/m`, `${w.name}/v`]);
    tf.unregisterKernel(ADAM_UPDATE_KERNEL, 'cpu');
    const plain = tf.train.adam(0.05);
    await plain.setWeights(saved);
    step(plain);
    const afterPlain = Array.from(w.dataSync());
    // reference: three plain steps from the same start
    const w2 = tf.variable(tf.tensor1d([1, -2, 3]), true, `adam-ref-${Math.random()}`);
    const ref = tf.train.adam(0.05);
    for (let i = 0; i < 3; i++) ref.minimize(() => tf.sum(tf.square(w2)), false, [w2]);
    afterPlain.forEach((v, i) => expect(v).toBeCloseTo(w2.dataSync()[i]!, 5));
    tf.dispose([w, w2]);
    [fused, plain, ref].forEach((o) => o.dispose());
  });

  it('a run resumed through getWeights/setWeights is bit-identical to an uninterrupted one, on both paths', async () => {
    const x = tf.randomNormal([16, 4], 0, 1, 'float32', 11);
    const t = tf.randomNormal([16, 3], 0, 1, 'float32', 12);
    const start = tf.randomNormal([4, 3], 0, 1, 'float32', 13);
    const run = async (make: () => tf.Optimizer, interruptAt?: number): Promise<Uint8Array> => {
      const w = tf.variable(start, true, `resume-${Math.random()}`);
      let o = make();
      for (let s = 0; s < 40; s++) {
        if (s === interruptAt) {
          // the moments are the optimizer's own variables (copied by setWeights); the iteration count is a new scalar
          const saved = await o.getWeights();
          const next = make();
          await next.setWeights(saved);
          saved[0]!.tensor.dispose();
          o.dispose();
          o = next;
        }
        o.minimize(() => tf.sum(tf.square(tf.sub(tf.matMul(x, w), t))), false, [w]);
      }
      const bits = new Uint8Array((w.dataSync() as Float32Array).slice().buffer);
      o.dispose();
      w.dispose();
      return bits;
    };
    for (const fusedPath of [false, true]) {
      if (fusedPath) registerJsAdamKernel();
      const before = tf.memory().numTensors;
      const uninterrupted = await run(() => new FusedAdamOptimizer(0.01));
      for (const at of [3, 9, 27])
        expect(await run(() => new FusedAdamOptimizer(0.01), at), `fused path ${fusedPath}, resumed at ${at}`).toEqual(
          uninterrupted,
        );
      expect(tf.memory().numTensors).toBe(before);
      if (fusedPath) tf.unregisterKernel(ADAM_UPDATE_KERNEL, 'cpu');
    }
    // tfjs's own Adam recomputes β^t as a power on setWeights: its resumed run drifts (what the running product fixes)
    const plain = await run(() => tf.train.adam(0.01));
    const drifted: number[] = [];
    for (const at of [3, 6, 9, 19, 27]) {
      const resumed = await run(() => tf.train.adam(0.01), at);
      if (resumed.some((byte, i) => byte !== plain[i])) drifted.push(at);
    }
    expect(drifted.length).toBeGreaterThan(0);
    tf.dispose([x, t, start]);
  });

  it('calls the in-place kernel directly, not through engine.runKernel, except under tf.profile or a recording tape', async () => {
    registerJsAdamKernel();
    registerJsInPlaceKernel();
    const engine = tf.engine();
    const runKernel = engine.runKernel;
    const throughEngine: string[] = [];
    engine.runKernel = function (this: ReturnType<typeof tf.engine>, name: string, ...rest: unknown[]) {
      throughEngine.push(name);
      return (runKernel as (...args: unknown[]) => unknown).call(this, name, ...rest);
    } as typeof engine.runKernel;
    try {
      const before = tf.memory().numTensors;
      const optimizer = new FusedAdamOptimizer(0.05);
      const direct = train(optimizer, 6);
      expect(throughEngine.filter((n) => n === ADAM_IN_PLACE_KERNEL)).toEqual([]);
      tf.dispose(direct.vars);
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // the same steps through the engine (tfjs's DEBUG mode, which checks every kernel's outputs): the same bits
      tf.env().set('DEBUG', true);
      const viaEngine = tf.tidy(() => {
        const o = new FusedAdamOptimizer(0.05);
        const r = train(o, 6);
        o.dispose();
        return r;
      });
      tf.env().set('DEBUG', false);
      expect(throughEngine.filter((n) => n === ADAM_IN_PLACE_KERNEL)).toHaveLength(6);
      expect([viaEngine.w, viaEngine.b]).toEqual([direct.w, direct.b]);
      tf.dispose(viaEngine.vars);
      // tf.profile sees the kernel, and a step inside a gradient computation goes through the engine too
      const w = tf.variable(tf.tensor1d([1, -2, 3]), true, `adam-profile-${Math.random()}`);
      const profiled = new FusedAdamOptimizer(0.05);
      const grad = tf.tensor1d([0.5, -1, 2]);
      const info = await tf.profile(() => profiled.applyGradients([{ name: w.name, tensor: grad }]));
      expect(info.kernelNames).toContain(ADAM_IN_PLACE_KERNEL);
      throughEngine.length = 0;
      tf.tidy(() =>
        tf.grad((x: tf.Tensor) => {
          profiled.applyGradients([{ name: w.name, tensor: grad }]);
          return tf.sum(x);
        })(tf.ones([2])),
      );
      expect(throughEngine).toContain(ADAM_IN_PLACE_KERNEL);
      expect(profiled.iterations).toBe(2);
      tf.dispose([w, grad]);
      profiled.dispose();
    } finally {
      engine.runKernel = runKernel;
      tf.env().set('DEBUG', false);
    }
  });

  it('refuses an unknown variable and a disposed gradient as before, changing nothing', () => {
    registerJsAdamKernel();
    registerJsInPlaceKernel();
    const w = tf.variable(tf.tensor1d([1, -2, 3]), true, `adam-errors-${Math.random()}`);
    const optimizer = new FusedAdamOptimizer(0.05);
    const grad = tf.tensor1d([0.5, -1, 2]);
    expect(() => optimizer.applyGradients([{ name: 'no-such-variable', tensor: grad }])).toThrow(
      /no variable named "no-such-variable"/,
    );
    const gone = tf.tensor1d([1, 1, 1]);
    gone.dispose();
    // the cpu backend stands in for the native kernel here: what it throws for data it no longer holds
    expect(() => optimizer.applyGradients([{ name: w.name, tensor: gone }])).toThrow();
    expect(Array.from(w.dataSync())).toEqual([1, -2, 3]);
    expect(optimizer.iterations).toBe(0);
    optimizer.applyGradients([{ name: w.name, tensor: grad }]);
    expect(optimizer.iterations).toBe(1);
    tf.dispose([w, grad]);
    optimizer.dispose();
  });

  it('validates its hyper-parameters', () => {
    expect(() => new FusedAdamOptimizer(0)).toThrow(ArgumentError);
    expect(() => new FusedAdamOptimizer(0.1, 1)).toThrow(/"beta1" must be in \[0, 1\), got 1/);
    expect(() => new FusedAdamOptimizer(0.1, 0.9, -0.1)).toThrow(/"beta2"/);
    expect(() => new FusedAdamOptimizer(0.1, 0.9, 0.999, 0)).toThrow(/"epsilon" must be > 0/);
  });
});
