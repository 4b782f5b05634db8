import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DENSE_BACKWARD_KERNEL, ShapeError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bitsOf, expectSameBits, sparseValues } from './test-support.js';
import { denseBackwardKernel, denseBackwardsTaken } from './dense-backward-kernel.js';
import { disableWasmKernels, enableWasmKernels, wasmKernelCalls } from './enable.js';
import type { KernelsModule } from './matmul-kernels.js';

afterAll(() => {
  disableWasmKernels();
});

/** Values with both zeros, small and large magnitudes, values near sigmoid's and tanh's outputs, NaN and ±∞. */
const value = (special: boolean) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(0, -0, 1, -1) },
    { weight: 6, arbitrary: fc.float({ min: -4, max: 4, noNaN: true }) },
    { weight: 2, arbitrary: fc.float({ min: Math.fround(-1e-30), max: Math.fround(1e-30), noNaN: true }) },
    { weight: 1, arbitrary: fc.float({ min: Math.fround(-1e30), max: Math.fround(1e30), noNaN: true }) },
    { weight: special ? 1 : 0, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -Infinity) },
  );

type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh';

interface Case {
  batch: number;
  inDim: number;
  units: number;
  activation: Activation;
  inputGradient: boolean;
  dxAdd: boolean;
  seed: number;
  special: boolean;
}

const caseFields = {
  batch: fc.integer({ min: 1, max: 37 }),
  inDim: fc.integer({ min: 1, max: 41 }),
  units: fc.integer({ min: 1, max: 41 }),
  activation: fc.constantFrom('linear', 'relu', 'sigmoid', 'tanh'),
  inputGradient: fc.boolean(),
  dxAdd: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  special: fc.boolean(),
};
const cases = fc.record<Case>(caseFields);

/** The case's x with `xDensity` non-zeros (an encoder's input), else the general values. */
function operands(c: Case, xDensity?: number): Record<string, tf.Tensor2D> {
  const values = (rows: number, cols: number, salt: number) =>
    tf.tensor2d(
      fc.sample(fc.array(value(c.special), { minLength: rows * cols, maxLength: rows * cols }), {
        seed: c.seed + salt,
        numRuns: 1,
      })[0]!,
      [rows, cols],
    );
  return {
    dy: values(c.batch, c.units, 1),
    y: values(c.batch, c.units, 2),
    x:
      xDensity === undefined
        ? values(c.batch, c.inDim, 3)
        : tf.tensor2d(sparseValues(c.batch * c.inDim, xDensity, c.special, c.seed + 3), [c.batch, c.inDim]),
    kernel: values(c.inDim, c.units, 4),
    ...(c.inputGradient && c.dxAdd ? { dxAdd: values(c.batch, c.inDim, 5) } : {}),
  };
}

/**
 * What `@varia/layers`' Dense composes from the backend's own kernels (its taped backward on the wasm backend):
 * δ = dy ⊙ f′(y), dx = δ·transpose(W) (then dxAdd + dx), dW = transpose(x)·δ, db = Σ_rows δ.
 */
function composed(c: Case, t: Record<string, tf.Tensor2D>): tf.Tensor[] {
  return tf.tidy(() => {
    const { dy, y, x, kernel, dxAdd } = t as Record<string, tf.Tensor2D>;
    const fPrime =
      c.activation === 'relu'
        ? tf.step(y!, 0)
        : c.activation === 'sigmoid'
          ? tf.mul(y!, tf.sub(1, y!))
          : c.activation === 'tanh'
            ? tf.sub(1, tf.square(y!))
            : null;
    const delta = (fPrime ? tf.mul(dy!, fPrime) : dy!) as tf.Tensor2D;
    const dW = tf.matMul(tf.transpose(x!), delta);
    const db = tf.sum(delta, 0);
    if (!c.inputGradient) return [dW, db];
    const product = tf.matMul(delta, tf.transpose(kernel!));
    return [dxAdd ? tf.add(dxAdd, product) : product, dW, db];
  });
}

async function checkCase(c: Case, xDensity?: number): Promise<void> {
  const t = operands(c, xDensity);
  try {
    disableWasmKernels();
    const want = composed(c, t);
    await enableWasmKernels();
    const tensors = tf.memory().numTensors;
    const taken = denseBackwardsTaken();
    const got = tf
      .engine()
      .runKernel(DENSE_BACKWARD_KERNEL, t, { activation: c.activation, inputGradient: c.inputGradient }) as tf.Tensor[];
    expect(denseBackwardsTaken() - taken).toBe(1);
    expect(tf.memory().numTensors).toBe(tensors + got.length);
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => {
      expect(g.shape).toEqual(want[i]!.shape);
      expectSameBits(bitsOf(g), bitsOf(want[i]!), `output ${i} of ${JSON.stringify(c)}`);
    });
    tf.dispose([...got, ...want]);
  } finally {
    tf.dispose(Object.values(t));
  }
}

describe('VariaDenseBackward on the wasm backend', () => {
  it('gives the bits of the backend’s own kernels as @varia/layers composes them, a NaN where they have one', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => checkCase(c)),
      { numRuns: 150 },
    );
  });

  it('does so on the MNIST VAE’s layers (batch 128)', async () => {
    const layer = (inDim: number, units: number, activation: Activation, inputGradient: boolean, seed: number) =>
      checkCase({ batch: 128, inDim, units, activation, inputGradient, dxAdd: false, seed, special: false });
    await layer(784, 400, 'relu', false, 1);
    await layer(400, 20, 'linear', true, 2);
    await layer(20, 400, 'relu', true, 3);
    await layer(400, 784, 'linear', true, 4);
  });

  it('computes dW over the non-zeros of a mostly-zero x (an encoder’s input) with the same bits', async () => {
    const skipped = wasmKernelCalls().zeroSkipped;
    // MNIST's first layer on pixel-like rows (19 % non-zeros), with NaN and ±∞ among them; a δ with ±∞ (special) is
    // computed over every k: 0·∞ is NaN
    for (const [seed, special] of [
      [1, false],
      [2, true],
    ] as const) {
      const c = { batch: 128, inDim: 784, units: 400, activation: 'relu' as const, inputGradient: false, dxAdd: false };
      await checkCase({ ...c, seed, special }, 0.19);
    }
    expect(wasmKernelCalls().zeroSkipped - skipped, 'dW products over the non-zeros').toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(
        fc.record<Case>({
          ...caseFields,
          batch: fc.integer({ min: 60, max: 200 }),
          inDim: fc.integer({ min: 20, max: 90 }),
        }),
        fc.constantFrom(0, 0.05, 0.2),
        async (c, density) => checkCase(c, density),
      ),
      { numRuns: 25 },
    );
  });

  it('gives +0 sums for no rows (and dxAdd + 0 for no units)', async () => {
    await enableWasmKernels();
    const noRows = {
      dy: tf.zeros([0, 3]),
      y: tf.zeros([0, 3]),
      x: tf.zeros([0, 2]),
      kernel: tf.ones([2, 3]),
    };
    const [dx, dW, db] = tf
      .engine()
      .runKernel(DENSE_BACKWARD_KERNEL, noRows, { activation: 'relu', inputGradient: true }) as tf.Tensor[];
    expect(dx!.shape).toEqual([0, 2]);
    expect(Array.from(dW!.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(db!.dataSync())).toEqual([0, 0, 0]);
    const noUnits = {
      dy: tf.zeros([2, 0]),
      y: tf.zeros([2, 0]),
      x: tf.ones([2, 2]),
      kernel: tf.zeros([2, 0]),
      dxAdd: tf.tensor2d([1, -0, 2, 3], [2, 2]),
    };
    const [dx2, dW2, db2] = tf
      .engine()
      .runKernel(DENSE_BACKWARD_KERNEL, noUnits, { activation: 'linear', inputGradient: true }) as tf.Tensor[];
    expect(Array.from(dx2!.dataSync())).toEqual([1, 0, 2, 3]);
    expect(Object.is(dx2!.dataSync()[1], 0)).toBe(true); // −0 + +0
    expect(dW2!.shape).toEqual([2, 0]);
    expect(db2!.shape).toEqual([0]);
    tf.dispose([dx!, dW!, db!, dx2!, dW2!, db2!, ...Object.values(noRows), ...Object.values(noUnits)]);
  });

  it('throws a typed error naming the input, and leaves no tensor behind', async () => {
    await enableWasmKernels();
    const tensors = tf.memory().numTensors;
    const made: tf.Tensor[] = [];
    const m = (shape: number[], dtype: 'float32' | 'int32' = 'float32') => {
      const t = tf.zeros(shape, dtype);
      made.push(t);
      return t;
    };
    const good = { dy: m([4, 3]), y: m([4, 3]), x: m([4, 2]), kernel: m([2, 3]) };
    const run =
      (inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap = { activation: 'relu' }) =>
      () =>
        tf.engine().runKernel(DENSE_BACKWARD_KERNEL, inputs, attrs);
    const bad: [() => unknown, typeof ArgumentError | typeof ShapeError, string][] = [
      [run({ dy: good.dy, y: good.y, x: good.x }), ArgumentError, 'kernel'],
      [run({ ...good, y: m([4, 3], 'int32') }), ArgumentError, 'y'],
      [run({ ...good, x: m([4, 2, 1]) }), ArgumentError, 'x'],
      [run({ ...good, y: m([4, 4]) }), ShapeError, 'y'],
      [run({ ...good, dy: m([4, 4]) }), ShapeError, 'dy'],
      [run({ ...good, dxAdd: m([4, 2]) }, { activation: 'relu' }), ArgumentError, 'dxAdd'],
      [run(good, {}), ArgumentError, 'activation'],
      [run(good, { activation: 'toString' }), ArgumentError, 'activation'],
      [run(good, { activation: '__proto__' }), ArgumentError, 'activation'],
      [run({ ...good, kernel: m([3, 3]) }), ShapeError, 'kernel'],
      [run({ ...good, dxAdd: m([4, 3]) }, { activation: 'relu', inputGradient: true }), ShapeError, 'dxAdd'],
      [run(good, { activation: 'elu' }), ArgumentError, 'activation'],
    ];
    const before = tf.memory().numTensors;
    for (const [call, type, name] of bad) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(type);
      expect((error as { argument: string }).argument).toBe(name);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose(made);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('computes the same bits on the host for a backend the module was not made for', async () => {
    await enableWasmKernels();
    const refuses = new Proxy({} as KernelsModule & Parameters<typeof denseBackwardKernel>[0], {
      get: () => () => {
        throw new Error('the module must not run for another backend');
      },
    });
    const host = denseBackwardKernel(refuses, () => undefined);
    for (const c of [
      { batch: 5, inDim: 7, units: 9, activation: 'relu', inputGradient: true, dxAdd: true, seed: 1, special: true },
      {
        batch: 3,
        inDim: 4,
        units: 6,
        activation: 'sigmoid',
        inputGradient: false,
        dxAdd: false,
        seed: 2,
        special: true,
      },
      { batch: 6, inDim: 2, units: 3, activation: 'tanh', inputGradient: true, dxAdd: false, seed: 3, special: false },
      { batch: 4, inDim: 3, units: 5, activation: 'linear', inputGradient: true, dxAdd: false, seed: 4, special: true },
    ] as Case[]) {
      const t = operands(c);
      const attrs = { activation: c.activation, inputGradient: c.inputGradient };
      const want = tf.engine().runKernel(DENSE_BACKWARD_KERNEL, t, attrs) as tf.Tensor[];
      const got = host.kernelFunc({
        inputs: t,
        attrs,
        backend: tf.engine().backend,
      } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo[];
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => {
        expect(g.shape).toEqual(want[i]!.shape);
        const bits = new Uint32Array(new Float32Array(tf.engine().backend.readSync(g.dataId) as Float32Array).buffer);
        expectSameBits(bits, bitsOf(want[i]!), `host output ${i} of ${JSON.stringify(c)}`);
        tf.engine().backend.disposeData(g.dataId);
      });
      tf.dispose([...want, ...Object.values(t)]);
    }
  });
});
