import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { SerializationError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelArtifacts, modelChecksum, type SavedModelJson } from './model-format.js';
import { VAE } from './vae.js';

const runs = Number(process.env.VARIA_PROPERTY_RUNS ?? 60);
const seeded = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }) });

let saved: ModelArtifacts;
beforeAll(async () => {
  const encoder = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [4, 4, 1],
        filters: 2,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        ...seeded(1),
      }),
      tfl.layers.batchNormalization(),
      tfl.layers.flatten(),
    ],
  });
  const decoder = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [2], units: 8, ...seeded(2) }),
      tfl.layers.dropout({ rate: 0.1 }),
      tfl.layers.reshape({ targetShape: [2, 2, 2] }),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', ...seeded(3) }),
      tfl.layers.flatten(),
    ],
  });
  const vae = new VAE({ inputDim: 16, latentDim: 2, encoder, decoder, likelihood: 'bernoulli' });
  saved = await vae.toArtifacts();
  vae.dispose();
});
afterAll(() => {
  saved = undefined as unknown as ModelArtifacts;
});

/** Every path to a value inside `root` (objects and arrays), the root excluded. */
function paths(root: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (root === null || typeof root !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(root) ? root.map((_, i) => i) : Object.keys(root);
  return keys.flatMap((k) => {
    const here = [...prefix, k];
    return [here, ...paths((root as Record<string | number, unknown>)[k], here)];
  });
}

const HOSTILE = [2 ** 30, 2 ** 53, -1, 0, 1.5, 1e9, null, 'x', 'Lambda', [], {}, [1e6, 1e6], [null, 1e6, 1e6, 1], true];

describe('VAE.load of a saved tf.LayersModel topology (fast-check, mutated files)', () => {
  it('a mutated topology either loads or fails with a SerializationError before allocating much; nothing leaks', async () => {
    const json = saved.modelJson;
    const topologies = (['encoderNetwork', 'decoderNetwork'] as const).map((role) => ({
      role,
      paths: paths((json.config[role] as { topology: unknown }).topology),
    }));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1 }),
        fc.nat(),
        fc.constantFrom(...HOSTILE, 'delete' as const),
        async (which, at, value) => {
          const { role, paths: list } = topologies[which]!;
          const path = list[at % list.length]!;
          const config = structuredClone(json.config) as SavedModelJson['config'] & Record<string, unknown>;
          let node = (config[role] as { topology: Record<string | number, unknown> }).topology;
          for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
          const last = path.at(-1)!;
          if (value === 'delete') delete node[last];
          else node[last] = structuredClone(value);
          const modelJson: SavedModelJson = { ...json, config, checksum: undefined };
          modelJson.checksum = modelChecksum(modelJson, saved.weightData);
          const before = tf.memory();
          const started = Date.now();
          try {
            const vae = await VAE.fromArtifacts({ modelJson, weightData: saved.weightData });
            vae.dispose();
          } catch (e) {
            expect(e, `${role} ${path.join('.')} = ${JSON.stringify(value)}: ${(e as Error).message}`).toBeInstanceOf(
              SerializationError,
            );
          }
          expect(Date.now() - started).toBeLessThan(5_000);
          expect(tf.memory().numTensors, `${role} ${path.join('.')} = ${JSON.stringify(value)}`).toBe(
            before.numTensors,
          );
        },
      ),
      { numRuns: runs, seed: 15 },
    );
  });
});
