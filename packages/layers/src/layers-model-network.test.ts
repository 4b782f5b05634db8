import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, DisposedError, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { LayersModelNetwork } from './layers-model-network.js';
import { conv2dFilterGradient, conv2dInputGradient } from './layers-model-kernels.js';
import { isNetwork } from './network.js';

const seeded = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }) });

function convModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [6, 6, 1],
        filters: 3,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        ...seeded(1),
      }),
      tfl.layers.batchNormalization({ momentum: 0.9 }),
      tfl.layers.reLU(),
      tfl.layers.dropout({ rate: 0.5 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4, ...seeded(2) }),
    ],
  });
}

const input = (n: number, seed = 3) => tf.randomNormal([n, 36], 0, 1, 'float32', seed) as tf.Tensor2D;

describe('LayersModelNetwork', () => {
  it('is a Network with stable weight names: trainable ones and batch-norm moving statistics as state', () => {
    const net = new LayersModelNetwork(convModel());
    expect(isNetwork(net)).toBe(true);
    expect(net.inputShape).toEqual([6, 6, 1]);
    expect(net.outputDim).toBe(4);
    expect([...net.namedVariables('enc').keys()]).toEqual([
      'enc/0/kernel',
      'enc/0/bias',
      'enc/1/gamma',
      'enc/1/beta',
      'enc/5/kernel',
      'enc/5/bias',
    ]);
    expect([...net.stateVariables('enc').keys()]).toEqual(['enc/1/moving_mean', 'enc/1/moving_variance']);
    for (const v of net.namedVariables().values()) expect(v.trainable).toBe(true);
    for (const v of net.stateVariables().values()) expect(v.trainable).toBe(false);
    net.dispose();
  });

  it('inference mode equals model.predict (no dropout, moving statistics); training mode drops units', () => {
    const net = new LayersModelNetwork(convModel());
    const x = input(8);
    const predicted = net.model.predict(tf.reshape(x, [8, 6, 6, 1])) as tf.Tensor;
    const inference = net.apply(x);
    expect(inference.shape).toEqual([8, 4]);
    expect(Array.from(inference.dataSync())).toEqual(Array.from(predicted.dataSync()));
    expect(Array.from(net.apply(x, { training: false }).dataSync())).toEqual(Array.from(inference.dataSync()));
    // with dropout at rate 0.5 on 27 features, two training passes almost surely differ from each other
    const a = net.apply(x, { training: true }).dataSync();
    const b = net.apply(x, { training: true }).dataSync();
    expect(Array.from(a)).not.toEqual(Array.from(b));
    tf.dispose([x, predicted, inference]);
    net.dispose();
  });

  it('batch normalization: training normalizes with the batch statistics and updates the moving ones', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.batchNormalization({ inputShape: [2], momentum: 0.75, epsilon: 1e-3 })],
    });
    const net = new LayersModelNetwork(model);
    const x = tf.tensor2d([
      [1, 10],
      [3, 14],
      [5, 18],
      [7, 22],
    ]);
    // batch mean (4, 16), biased variance (5, 20)
    const trained = net.apply(x, { training: true }).arraySync();
    expect(trained[0]![0]).toBeCloseTo((1 - 4) / Math.sqrt(5 + 1e-3), 5);
    expect(trained[3]![1]).toBeCloseTo((22 - 16) / Math.sqrt(20 + 1e-3), 5);
    const [mean, variance] = [...net.stateVariables().values()].map((v) => Array.from(v.dataSync()));
    // moving ← momentum · moving + (1 − momentum) · batch, from mean 0 and variance 1 (tfjs uses the biased variance)
    expect(mean![0]).toBeCloseTo(0.25 * 4, 5);
    expect(mean![1]).toBeCloseTo(0.25 * 16, 5);
    expect(variance![0]).toBeCloseTo(0.75 + 0.25 * 5, 5);
    // inference uses the moving statistics and leaves them alone
    const inferred = net.apply(x).arraySync();
    expect(inferred[0]![0]).toBeCloseTo((1 - 1) / Math.sqrt(2 + 1e-3), 5);
    expect(inferred[3]![1]).toBeCloseTo((22 - 4) / Math.sqrt(0.75 + 5 + 1e-3), 4);
    expect(Array.from(net.stateVariables().get('0/moving_mean')!.dataSync())[0]).toBeCloseTo(1, 5);
    tf.dispose(x);
    net.dispose();
  });

  it('gradients reach every trainable weight; the conv kernel gradient matches finite differences', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [5, 5, 2],
          filters: 2,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          ...seeded(4),
        }),
        tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', ...seeded(5) }),
        tfl.layers.flatten(),
      ],
    });
    const net = new LayersModelNetwork(model);
    const x = tf.randomNormal([3, 50], 0, 1, 'float32', 6);
    const loss = () => tf.sum(tf.square(net.apply(x, { training: true }))) as tf.Scalar;
    const vars = net.namedVariables();
    const { grads } = tf.variableGrads(loss, [...vars.values()]);
    for (const [name, v] of vars) {
      const g = grads[v.name]!;
      expect(g, name).toBeDefined();
      expect(tf.sum(tf.abs(g)).dataSync()[0], name).toBeGreaterThan(0);
    }
    // central differences on two entries of the first conv kernel, in float32 (loose tolerance)
    const kernel = vars.get('0/kernel')!;
    const g = grads[kernel.name]!.dataSync();
    for (const index of [0, 17]) {
      const original = kernel.dataSync().slice();
      const at = (delta: number) => {
        const changed = original.slice();
        changed[index] = original[index]! + delta;
        kernel.assign(tf.tensor(changed, kernel.shape));
        return tf.tidy(() => loss().dataSync()[0]!);
      };
      const h = 1e-2;
      const numeric = (at(h) - at(-h)) / (2 * h);
      kernel.assign(tf.tensor(original, kernel.shape));
      expect(g[index]).toBeCloseTo(numeric, 1);
    }
    tf.dispose([x, ...Object.values(grads)]);
    net.dispose();
  });

  it('the training flag reaches dropout inside a nested model of a functional model', () => {
    const inner = tfl.sequential({ layers: [tfl.layers.dropout({ inputShape: [16], rate: 0.5 })] });
    const inputs = tfl.input({ shape: [16] });
    const outputs = inner.apply(tfl.layers.dense({ units: 16, ...seeded(7) }).apply(inputs)) as tfl.SymbolicTensor;
    const net = new LayersModelNetwork(tfl.model({ inputs, outputs }));
    const x = tf.ones([4, 16]);
    const zeros = (t: tf.Tensor) => Array.from(t.dataSync()).filter((v) => v === 0).length;
    expect(zeros(net.apply(x))).toBe(0);
    expect(zeros(net.apply(x, { training: true }))).toBeGreaterThan(10);
    expect([...net.namedVariables().keys()]).toEqual(['1/kernel', '1/bias']);
    tf.dispose(x);
    net.dispose();
  });

  it('leaks nothing: apply frees its intermediates, dispose frees the model; typed errors for bad input', () => {
    const before = tf.memory().numTensors;
    const net = new LayersModelNetwork(convModel());
    const x = input(5);
    const afterBuild = tf.memory().numTensors;
    tf.dispose(net.apply(x, { training: true }));
    tf.dispose(net.apply(x));
    expect(tf.memory().numTensors).toBe(afterBuild);
    const bad = tf.zeros([5, 35]);
    expect(() => net.apply(bad)).toThrow(ShapeError);
    expect(tf.memory().numTensors).toBe(afterBuild + 1);
    tf.dispose([x, bad]);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new LayersModelNetwork({} as tfl.LayersModel)).toThrow(ArgumentError);
  });

  it("a disposed model is a DisposedError naming its weight (was tfjs-layers' raw Error)", () => {
    const model = convModel();
    model.dispose();
    expect(() => new LayersModelNetwork(model)).toThrow(DisposedError);
    expect(() => new LayersModelNetwork(model)).toThrow(/the model's weight "conv2d_\w+\/kernel" was disposed/);
  });
});

describe('conv2dFilterGradient and conv2dInputGradient', () => {
  type Shape4 = [number, number, number, number];
  const cases: [Shape4, Shape4, number | [number, number], 'same' | 'valid'][] = [
    [[2, 7, 7, 3], [3, 3, 3, 4], 2, 'same'],
    [[2, 8, 8, 2], [3, 3, 2, 3], 2, 'same'],
    [[1, 6, 5, 2], [2, 3, 2, 2], [1, 2], 'valid'],
    [[3, 5, 5, 1], [5, 5, 1, 2], 1, 'same'],
    [[2, 9, 9, 2], [4, 4, 2, 2], 3, 'valid'],
    [[2, 8, 7, 3], [4, 3, 3, 2], [2, 3], 'same'],
    [[1, 10, 10, 1], [2, 2, 1, 3], 2, 'valid'],
  ];
  it.each(cases)(
    'matches tfjs-cpu Conv2DBackpropFilter and Conv2DBackpropInput for x %j, filter %j, strides %j, %s',
    (xs, fs, s, pad) => {
      tf.tidy(() => {
        const x = tf.randomNormal(xs, 0, 1, 'float32', 1) as tf.Tensor4D;
        const filterShape = fs;
        const outShape = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, s, pad).shape;
        const dy = tf.randomNormal(outShape, 0, 1, 'float32', 2) as tf.Tensor4D;
        const expected = (
          tf
            .engine()
            .runKernel(
              tf.Conv2DBackpropFilter,
              { x, dy },
              { strides: s, pad, dataFormat: 'NHWC', filterShape },
            ) as tf.Tensor
        ).dataSync();
        const actual = conv2dFilterGradient(x, dy, filterShape, s, pad);
        expect(actual.shape).toEqual(filterShape);
        const got = actual.dataSync();
        for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 4);
        // the input gradient, against the cpu kernel
        const filter = tf.randomNormal(filterShape, 0, 1, 'float32', 3) as tf.Tensor4D;
        const dx = (
          tf
            .engine()
            .runKernel(
              tf.Conv2DBackpropInput,
              { dy, filter },
              { strides: s, pad, dataFormat: 'NHWC', inputShape: x.shape },
            ) as tf.Tensor
        ).dataSync();
        const ours = conv2dInputGradient(x.shape, dy, filter, s, pad);
        expect(ours.shape).toEqual(x.shape);
        const mine = ours.dataSync();
        for (let i = 0; i < dx.length; i++) expect(mine[i]).toBeCloseTo(dx[i]!, 4);
      });
    },
  );
});
