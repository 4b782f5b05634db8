import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { SerializationError } from '@varia/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLayersTopology, type TopologyLimits } from './layers-model-topology.js';

const LIMITS: TopologyLimits = {
  maxLayers: 64,
  maxUnits: 4096,
  maxKernelSize: 16,
  maxActivationValues: 2 ** 20,
  maxParameters: 2 ** 24,
  maxDepth: 3,
};
const runs = Number(process.env.VARIA_PROPERTY_RUNS ?? 40);

/** One image layer of a random stack: what tfjs-layers builds, the reference for the shapes and weight counts. */
const imageLayer = fc.oneof(
  fc.record({
    kind: fc.constantFrom('conv2d', 'conv2dTranspose'),
    filters: fc.integer({ min: 1, max: 6 }),
    kernelSize: fc.integer({ min: 1, max: 3 }),
    strides: fc.integer({ min: 1, max: 2 }),
    padding: fc.constantFrom('same', 'valid'),
    useBias: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('batchNormalization') }),
  fc.record({ kind: fc.constant('dropout') }),
  fc.record({ kind: fc.constant('maxPooling2d'), padding: fc.constant('same') }),
  fc.record({ kind: fc.constant('upSampling2d') }),
);

function build(spec: { size: number; channels: number; stack: Record<string, unknown>[]; units: number }) {
  const layers: tfl.layers.Layer[] = [];
  spec.stack.forEach((l, i) => {
    const first = i === 0 ? { inputShape: [spec.size, spec.size, spec.channels] } : {};
    const { kind, ...args } = l as { kind: string };
    const make = (tfl.layers as unknown as Record<string, (a: object) => tfl.layers.Layer>)[kind]!;
    layers.push(make({ ...first, ...(kind === 'dropout' ? { rate: 0.2 } : {}), ...args }));
  });
  layers.push(tfl.layers.flatten(), tfl.layers.dense({ units: spec.units }));
  return tfl.sequential({ layers });
}

describe('checkLayersTopology', () => {
  it('agrees with tfjs-layers on the weight count and output shape of random Sequential stacks', () => {
    fc.assert(
      fc.property(
        fc.record({
          size: fc.integer({ min: 6, max: 12 }),
          channels: fc.integer({ min: 1, max: 3 }),
          stack: fc.array(imageLayer, { minLength: 1, maxLength: 4 }),
          units: fc.integer({ min: 1, max: 8 }),
        }),
        (spec) => {
          let model: tfl.Sequential;
          try {
            model = build(spec);
          } catch {
            return; // tfjs-layers refuses it too (a window larger than its input)
          }
          const summary = checkLayersTopology(model.toJSON(null, false), LIMITS);
          expect(summary.parameters).toBe(model.countParams());
          expect(summary.inputShape).toEqual([spec.size, spec.size, spec.channels]);
          expect(summary.outputShape).toEqual(model.outputs[0]!.shape.slice(1));
          model.dispose();
        },
      ),
      { numRuns: runs, seed: 15 },
    );
  });

  it('follows functional graphs, shared layers and nested models', () => {
    const inputs = tfl.input({ shape: [4, 4, 2] });
    const conv = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' });
    const a = conv.apply(inputs) as tfl.SymbolicTensor;
    const b = conv.apply(
      a.shape[3] === 2 ? a : (tfl.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(a) as tfl.SymbolicTensor),
    ) as tfl.SymbolicTensor;
    const inner = tfl.sequential({
      layers: [tfl.layers.flatten({ inputShape: [4, 4, 3] }), tfl.layers.dense({ units: 5 })],
    });
    const merged = tfl.layers
      .concatenate()
      .apply([inner.apply(a) as tfl.SymbolicTensor, inner.apply(b) as tfl.SymbolicTensor]);
    const model = tfl.model({ inputs, outputs: merged as tfl.SymbolicTensor });
    const summary = checkLayersTopology(model.toJSON(null, false), LIMITS);
    expect(summary.parameters).toBe(model.countParams());
    expect(summary.outputShape).toEqual([10]);
    model.dispose();
  });

  it('refuses sizes beyond the limits and unknown layer classes before anything is built', () => {
    const before = tf.memory().numTensors;
    const model = build({ size: 8, channels: 1, stack: [{ kind: 'conv2d', filters: 2, kernelSize: 3 }], units: 3 });
    const json = model.toJSON(null, false) as {
      config: { layers: { class_name: string; config: Record<string, unknown> }[] };
    };
    model.dispose();
    const mutate = (f: (layers: { class_name: string; config: Record<string, unknown> }[]) => void) => {
      const copy = structuredClone(json);
      f(copy.config.layers);
      return () => checkLayersTopology(copy, LIMITS);
    };
    const cases = [
      mutate((l) => (l[2]!.config.units = 2 ** 30)),
      mutate((l) => (l[0]!.config.filters = -1)),
      mutate((l) => (l[0]!.config.kernel_size = [1e9, 3])),
      mutate((l) => (l[0]!.config.batch_input_shape = [null, 1e6, 1e6, 1])),
      mutate((l) => (l[0]!.class_name = 'Lambda')),
      mutate((l) => l.push(...Array.from({ length: 70 }, () => ({ class_name: 'Dropout', config: {} })))),
      mutate((l) => (l[2]!.config.units = 4096)), // 4096 · 72 + … fits; then the parameter limit:
    ];
    for (const c of cases.slice(0, -1)) expect(c).toThrow(SerializationError);
    expect(cases.at(-1)!().parameters).toBe(20 + 72 * 4096 + 4096);
    expect(() => checkLayersTopology(json, { ...LIMITS, maxParameters: 100 })).toThrow(/exceed 100 parameters/);
    expect(() => checkLayersTopology('x', LIMITS)).toThrow(SerializationError);
    expect(tf.memory().numTensors).toBe(before);
  });
});
