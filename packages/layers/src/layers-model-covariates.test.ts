import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, SerializationError, ShapeError } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { LayersModelNetwork } from './layers-model-network.js';
import { checkLayersTopology, type TopologyLimits } from './layers-model-topology.js';

const LIMITS: TopologyLimits = {
  maxLayers: 64,
  maxUnits: 4096,
  maxKernelSize: 16,
  maxActivationValues: 2 ** 20,
  maxParameters: 2 ** 24,
  maxDepth: 3,
};

/** [x (3 × 3 × 1), c (2)] → conv → flatten → concatenate c → dense 5: a conditional network with two inputs. */
function twoInput(cShape: number[] = [2]): tfl.LayersModel {
  const x = tfl.input({ shape: [3, 3, 1] });
  const c = tfl.input({ shape: cShape });
  const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
  const flat = tfl.layers.flatten().apply(conv) as tfl.SymbolicTensor;
  const cFlat = cShape.length === 1 ? c : (tfl.layers.flatten().apply(c) as tfl.SymbolicTensor);
  const joined = tfl.layers.concatenate().apply([flat, cFlat]) as tfl.SymbolicTensor;
  const h = tfl.layers.dense({ units: 5 }).apply(joined) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [x, c], outputs: h });
}

describe('LayersModelNetwork with a second (covariate) input', () => {
  it('feeds options.covariates to the second input: equals model.predict([x, c]); c changes h', () => {
    const before = tf.memory().numTensors;
    const model = twoInput();
    const net = new LayersModelNetwork(model);
    expect(net.covariateWidth).toBe(2);
    expect(net.outputDim).toBe(5);
    const x = tf.randomNormal([4, 9], 0, 1, 'float32', 1);
    const c = tf.tensor2d([1, 0, 0, 1, 1, 0, 0, 1], [4, 2]);
    const c2 = tf.tensor2d([0, 1, 1, 0, 0, 1, 1, 0], [4, 2]);
    const h = net.apply(x, { covariates: c });
    const shaped = tf.reshape(x, [4, 3, 3, 1]);
    const reference = model.predict([shaped, c]) as tf.Tensor;
    expect(Array.from(h.dataSync())).toEqual(Array.from(reference.dataSync()));
    const other = net.apply(x, { covariates: c2 });
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(h, other))).dataSync()[0])).toBeGreaterThan(1e-4);
    tf.dispose([x, shaped, c, c2, h, reference, other]);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('typed errors: missing, misshapen or unexpected covariates; three inputs; a non-flat second input', () => {
    const before = tf.memory().numTensors;
    const net = new LayersModelNetwork(twoInput());
    const x = tf.zeros([2, 9]);
    expect(() => net.apply(x)).toThrow(ArgumentError);
    const wrong = tf.zeros([2, 3]);
    expect(() => net.apply(x, { covariates: wrong })).toThrow(ShapeError);
    const one = new LayersModelNetwork(tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [9], units: 2 })] }));
    expect(one.covariateWidth).toBe(0);
    const extra = tf.zeros([2, 2]);
    expect(() => one.apply(x, { covariates: extra })).toThrow(/reads no covariates/);
    const a = tfl.input({ shape: [2] });
    const b = tfl.input({ shape: [2] });
    const d = tfl.input({ shape: [2] });
    const sum = tfl.layers.add().apply([a, b, d]) as tfl.SymbolicTensor;
    const three = tfl.model({ inputs: [a, b, d], outputs: sum });
    expect(() => new LayersModelNetwork(three)).toThrow(ArgumentError);
    const nonFlat = twoInput([2, 1]);
    expect(() => new LayersModelNetwork(nonFlat)).toThrow(/must be flat/);
    tf.dispose([x, wrong, extra]);
    net.dispose();
    one.dispose();
    three.dispose();
    nonFlat.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checkLayersTopology accepts a top-level second input and reports its shape and exact weight count', () => {
    const model = twoInput();
    const summary = checkLayersTopology(model.toJSON(null, false), LIMITS);
    expect(summary.inputShape).toEqual([3, 3, 1]);
    expect(summary.covariateShape).toEqual([2]);
    expect(summary.outputShape).toEqual([5]);
    expect(summary.parameters).toBe(model.countParams());
    const json = model.toJSON(null, false) as { config: { input_layers: unknown[] } };
    json.config.input_layers.push(json.config.input_layers[0]);
    expect(() => checkLayersTopology(json, LIMITS)).toThrow(SerializationError);
    model.dispose();
    const nonFlat = twoInput([2, 1]);
    expect(() => checkLayersTopology(nonFlat.toJSON(null, false), LIMITS)).toThrow(/must be flat/);
    nonFlat.dispose();
  });
});
