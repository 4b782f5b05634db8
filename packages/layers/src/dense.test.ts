import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DENSE_BACKWARD_KERNEL, FAST_TRANSPOSED_MATMUL, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import type { Activation } from './activation.js';
import { Dense, transposedMatMulIsFast } from './dense.js';
import { MLP } from './mlp.js';

const reference: Record<Activation, (t: tf.Tensor) => tf.Tensor> = {
  linear: (t) => t,
  relu: tf.relu,
  tanh: tf.tanh,
  sigmoid: tf.sigmoid,
  elu: tf.elu,
  softplus: tf.softplus,
};

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('Dense', () => {
  it.each(Object.keys(reference) as Activation[])(
    'forward and custom backward (%s) match tfjs autodiff of f(xW + b)',
    (activation) => {
      const layer = new Dense({ inputDim: 5, units: 3, activation, seed: 1 });
      tf.tidy(() => {
        const x = tf.randomNormal([4, 5], 0, 1, 'float32', 2);
        const upstream = tf.randomNormal([4, 3], 0, 1, 'float32', 3);
        const ours = (xx: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => {
          void w;
          void b;
          return tf.sum(tf.mul(layer.apply(xx), upstream));
        };
        const plain = (xx: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor =>
          tf.sum(tf.mul(reference[activation](tf.add(tf.matMul(xx, w), b)), upstream));
        expect(
          maxAbsDiff(layer.apply(x), reference[activation](tf.add(tf.matMul(x, layer.kernel), layer.bias))),
        ).toBeLessThan(1e-5);
        const gOurs = tf.variableGrads(
          () => ours(x, layer.kernel, layer.bias) as tf.Scalar,
          [layer.kernel, layer.bias],
        );
        const gPlain = tf.grads((w: tf.Tensor, b: tf.Tensor) => plain(x, w, b))([layer.kernel, layer.bias]);
        expect(maxAbsDiff(gOurs.grads[layer.kernel.name]!, gPlain[0]!)).toBeLessThan(1e-4);
        expect(maxAbsDiff(gOurs.grads[layer.bias.name]!, gPlain[1]!)).toBeLessThan(1e-4);
        const dxOurs = tf.grad((xx: tf.Tensor) => ours(xx, layer.kernel, layer.bias))(x);
        const dxPlain = tf.grad((xx: tf.Tensor) => plain(xx, layer.kernel, layer.bias))(x);
        expect(maxAbsDiff(dxOurs, dxPlain)).toBeLessThan(1e-4);
      });
      layer.dispose();
    },
  );

  it('runs its whole backward pass as one fused kernel where the backend has one, with the same gradients', () => {
    // a plain-tfjs stand-in for the native kernel: [dx,] dW, db from dy, y, x, W (δ = dy ⊙ 1[y > 0] for relu)
    let calls = 0;
    tf.registerKernel({
      kernelName: DENSE_BACKWARD_KERNEL,
      backendName: 'cpu',
      kernelFunc: ({ inputs, attrs }) => {
        calls++;
        const { dy, y, x, kernel } = inputs as Record<string, tf.Tensor2D>;
        const delta = attrs!.activation === 'relu' ? tf.mul(dy!, tf.step(y!)) : dy!;
        const out = [tf.matMul(x!, delta, true, false), tf.sum(delta, 0)];
        if (attrs!.inputGradient) out.unshift(tf.matMul(delta, kernel!, false, true));
        if (delta !== dy) delta.dispose();
        return out as unknown as tf.TensorInfo[];
      },
    });
    const layer = new Dense({ inputDim: 5, units: 3, activation: 'relu', seed: 4 });
    const x = tf.randomNormal([6, 5], 0, 1, 'float32', 5);
    const upstream = tf.randomNormal([6, 3], 0, 1, 'float32', 6);
    const gradients = (constantInput: boolean): Float32Array[] =>
      tf.tidy(() => {
        const f = (xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, { constantInput }), upstream)) as tf.Scalar;
        const { grads } = tf.variableGrads(() => f(x), [layer.kernel, layer.bias]);
        const dx = constantInput ? [] : [tf.grad(f)(x)];
        return [grads[layer.kernel.name]!, grads[layer.bias.name]!, ...dx].map((t) => t.dataSync() as Float32Array);
      });
    const before = tf.memory().numTensors;
    const fused = [gradients(false), gradients(true)];
    expect(calls).toBe(3); // dW and db in each run, and dx with a second gradient pass
    expect(tf.memory().numTensors).toBe(before);
    tf.unregisterKernel(DENSE_BACKWARD_KERNEL, 'cpu');
    const composed = [gradients(false), gradients(true)];
    tf.tidy(() => {
      fused.forEach((run, r) => {
        run.forEach((values, i) => {
          expect(maxAbsDiff(tf.tensor(values), tf.tensor(composed[r]![i]!))).toBeLessThan(1e-6);
        });
      });
    });
    tf.dispose([x, upstream]);
    layer.dispose();
  });

  it('composes the backward pass of an int32 input instead of calling the fused kernel (it takes float32)', () => {
    let calls = 0;
    tf.registerKernel({
      kernelName: DENSE_BACKWARD_KERNEL,
      backendName: 'cpu',
      kernelFunc: () => {
        calls++;
        throw new ArgumentError('x', 'the stand-in takes float32 only');
      },
    });
    const layer = new Dense({ inputDim: 3, units: 4, activation: 'relu', seed: 1 });
    try {
      const x = tf.tensor2d([1, 0, 2, -3, 4, 1], [2, 3], 'int32');
      const gradients = () =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(
            () => tf.sum(tf.square(layer.apply(x))) as tf.Scalar,
            [layer.kernel, layer.bias],
          );
          return [grads[layer.kernel.name]!, grads[layer.bias.name]!].map((t) => Array.from(t.dataSync()));
        });
      const withKernel = gradients();
      expect(calls).toBe(0);
      tf.unregisterKernel(DENSE_BACKWARD_KERNEL, 'cpu');
      expect(withKernel).toEqual(gradients());
      x.dispose();
    } finally {
      if (tf.getKernel(DENSE_BACKWARD_KERNEL, 'cpu')) tf.unregisterKernel(DENSE_BACKWARD_KERNEL, 'cpu');
      layer.dispose();
    }
  });

  it('uses transpose flags instead of Transpose kernels where the backend marks its matMul fast, with the same gradients', async () => {
    const layer = new Dense({ inputDim: 6, units: 4, activation: 'relu', seed: 3 });
    const x = tf.randomNormal([5, 6], 0, 1, 'float32', 6);
    const loss = (constantInput: boolean) => () => tf.sum(tf.square(layer.apply(x, { constantInput }))) as tf.Scalar;
    const grads = async (constantInput: boolean) => {
      let values: number[][] = [];
      const profile = await tf.profile(() => {
        const g = tf.variableGrads(loss(constantInput), [layer.kernel, layer.bias]);
        values = [Array.from(g.grads[layer.kernel.name]!.dataSync()), Array.from(g.grads[layer.bias.name]!.dataSync())];
        tf.dispose([g.value, ...Object.values(g.grads)]);
      });
      return { values, transposes: profile.kernels.filter((k) => k.name === 'Transpose').length };
    };
    const original = tf.getKernel(tf.BatchMatMul, 'cpu')!;
    expect(transposedMatMulIsFast()).toBe(false);
    const slow = [await grads(false), await grads(true)];
    tf.unregisterKernel(tf.BatchMatMul, 'cpu');
    tf.registerKernel({ ...original, [FAST_TRANSPOSED_MATMUL]: true } as tf.KernelConfig);
    try {
      expect(transposedMatMulIsFast()).toBe(true);
      const fast = [await grads(false), await grads(true)];
      for (let i = 0; i < 2; i++) {
        expect(slow[i]!.transposes).toBeGreaterThan(0);
        expect(fast[i]!.transposes).toBe(0);
        for (let j = 0; j < 2; j++)
          fast[i]!.values[j]!.forEach((v, e) => expect(v).toBeCloseTo(slow[i]!.values[j]![e]!, 5));
      }
    } finally {
      tf.unregisterKernel(tf.BatchMatMul, 'cpu');
      tf.registerKernel(original);
      x.dispose();
      layer.dispose();
    }
  });

  it.each(['relu', 'tanh'] as Activation[])(
    'constantInput (%s) gives the same value and W, b gradients and leaks nothing',
    (activation) => {
      const layer = new Dense({ inputDim: 6, units: 4, activation, seed: 2 });
      tf.tidy(() => {
        const x = tf.randomNormal([5, 6], 0, 1, 'float32', 4);
        const up = tf.randomNormal([5, 4], 0, 1, 'float32', 5);
        // the input is an intermediate made inside the differentiated function (as log1p(data) is in the VAE)
        const loss = (constantInput: boolean) => () =>
          tf.sum(tf.mul(layer.apply(tf.abs(x), { constantInput }), up)) as tf.Scalar;
        const a = tf.variableGrads(loss(true), [layer.kernel, layer.bias]);
        const b = tf.variableGrads(loss(false), [layer.kernel, layer.bias]);
        expect(maxAbsDiff(a.value, b.value)).toBeLessThan(1e-6);
        expect(maxAbsDiff(a.grads[layer.kernel.name]!, b.grads[layer.kernel.name]!)).toBeLessThan(1e-6);
        expect(maxAbsDiff(a.grads[layer.bias.name]!, b.grads[layer.bias.name]!)).toBeLessThan(1e-6);
        const before = tf.memory().numTensors;
        const c = tf.variableGrads(loss(true), [layer.kernel, layer.bias]);
        tf.dispose([c.value, ...Object.values(c.grads)]);
        expect(tf.memory().numTensors).toBe(before);
      });
      layer.dispose();
    },
  );

  it('initialises like PyTorch nn.Linear: U(−1/√fanIn, 1/√fanIn), seeded', () => {
    const a = new Dense({ inputDim: 400, units: 300, seed: 5 });
    const b = new Dense({ inputDim: 400, units: 300, seed: 5 });
    const w = a.kernel.dataSync();
    const bound = 1 / Math.sqrt(400);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    // variance of U(−c, c) is c²/3
    const values = Array.from(w);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(variance - (bound * bound) / 3)).toBeLessThan((0.02 * (bound * bound)) / 3);
    expect(Array.from(b.kernel.dataSync().slice(0, 10))).toEqual(Array.from(w.slice(0, 10)));
    a.dispose();
    b.dispose();
  });

  it('rejects bad options and inputs with typed errors', () => {
    expect(() => new Dense({ inputDim: 0, units: 3 })).toThrowError(ArgumentError);
    expect(() => new Dense({ inputDim: 2, units: 3, activation: 'gelu' as Activation })).toThrowError(/"activation"/);
    const layer = new Dense({ inputDim: 2, units: 3 });
    const before = tf.memory().numTensors;
    expect(() => layer.apply(tf.zeros([4, 3]))).toThrowError(ShapeError);
    expect(tf.memory().numTensors).toBe(before + 1); // only the zeros tensor made by the test itself
    layer.dispose();
  });

  it('construct + dispose returns the tensor count to its baseline', () => {
    const before = tf.memory().numTensors;
    new MLP({ inputDim: 4, hiddenUnits: [8, 8], seed: 3 }).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('does not leak, forward or backward', () => {
    const mlp = new MLP({ inputDim: 4, hiddenUnits: [8, 8], activation: 'tanh', seed: 3 });
    const x = tf.ones([2, 4]);
    const before = tf.memory().numTensors;
    tf.dispose(mlp.apply(x));
    const { value, grads } = tf.variableGrads(
      () => tf.sum(mlp.apply(x)) as tf.Scalar,
      [...mlp.namedVariables().values()],
    );
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    const beforeDispose = tf.memory().numTensors;
    mlp.dispose();
    expect(tf.memory().numTensors).toBe(beforeDispose - 4); // 2 layers × (kernel, bias)
  });
});

describe('MLP', () => {
  it('chains layers and names variables by path', () => {
    const mlp = new MLP({ inputDim: 3, hiddenUnits: [5, 2], seed: 0 });
    expect([...mlp.namedVariables('encoder').keys()]).toEqual([
      'encoder/0/kernel',
      'encoder/0/bias',
      'encoder/1/kernel',
      'encoder/1/bias',
    ]);
    tf.tidy(() => {
      expect(mlp.apply(tf.ones([7, 3])).shape).toEqual([7, 2]);
    });
    expect(() => new MLP({ inputDim: 3, hiddenUnits: [0] })).toThrowError(/"hiddenUnits"/);
    mlp.dispose();
  });
});
