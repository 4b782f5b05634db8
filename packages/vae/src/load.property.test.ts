// Property-based tests of VAE.load on mutated files (fast-check): whatever the mutation — flipped bytes, truncation,
// JSON edits, with or without a recomputed checksum — load gives the identical model or throws a VariaError; never a
// raw error, a different model, a leak, or an allocation beyond the weights the file holds.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { VariaError } from '@varia/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelChecksum, type SavedModelJson } from './model-format.js';
import { maxWeightDiff, removeTempDirs, tempDir, weightValues } from './test-utils/helpers.js';
import { VAE } from './vae.js';

/** Runs per property: VARIA_PROPERTY_RUNS overrides (e.g. 5000 for a long run). */
const runs = (fallback: number): number => {
  const env = Number(process.env.VARIA_PROPERTY_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : fallback;
};

let original: VAE;
let originalWeights: Map<string, Float32Array>;
let jsonText: string;
let weightFile: string;
let weightBytes: Buffer;
let work: string;

beforeAll(async () => {
  original = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: [4, 3], likelihood: 'poisson', seed: 8 });
  originalWeights = weightValues(original);
  const dir = await tempDir();
  await original.save(dir);
  jsonText = await readFile(join(dir, 'model.json'), 'utf8');
  weightFile = (JSON.parse(jsonText) as SavedModelJson).weightsManifest[0]!.paths[0]!;
  weightBytes = await readFile(join(dir, weightFile));
  work = await tempDir();
});
afterAll(async () => {
  original.dispose();
  await removeTempDirs();
});

const asArrayBuffer = (b: Buffer): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Writes the two files, loads, and checks the property. `sameModelExpected`: no re-signing, so any load is the original. */
async function loadChecked(
  text: string | Buffer,
  weights: Buffer,
  sameModelExpected: boolean,
): Promise<'loaded' | 'refused'> {
  await rm(work, { recursive: true, force: true });
  await mkdir(work);
  await writeFile(join(work, 'model.json'), text);
  await writeFile(join(work, weightFile), weights);
  const before = tf.memory().numTensors;
  let model: VAE;
  try {
    model = await VAE.load(work);
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(VariaError);
    expect(tf.memory().numTensors).toBe(before);
    return 'refused';
  }
  try {
    // bounded: the model holds exactly the parameters of the weight file, nothing more
    const bytes = [...model.namedVariables().values()].reduce((s, v) => s + v.size * 4, 0);
    expect(bytes).toBe(weights.byteLength);
    if (sameModelExpected) {
      expect(model.config).toEqual(original.config);
      expect(maxWeightDiff(weightValues(model), originalWeights)).toBe(0);
    }
  } finally {
    model.dispose();
  }
  expect(tf.memory().numTensors).toBe(before);
  return 'loaded';
}

/** Every path (list of keys / indices) in a JSON value. */
function jsonPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...jsonPaths(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...jsonPaths(v, [...prefix, k]));
  return out;
}

/** `doc` with the value at `path` replaced (or deleted when `replacement` is undefined). */
function edited(doc: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

const replacement = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    0,
    -1,
    1.5,
    1e8,
    1e9,
    2 ** 31,
    1e300,
    -0,
    '',
    'weights.bin',
    '../model.json',
    [1e8],
    [0],
    [],
    {},
    null,
    true,
  ),
);

describe('VAE.load of mutated files (property)', () => {
  it('byte flips in either file: the identical model or a VariaError', async () => {
    const outcomes = { loaded: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (inJson, position, mask) => {
        const json = Buffer.from(jsonText);
        const weights = Buffer.from(weightBytes);
        const target = inJson ? json : weights;
        const i = position % target.length;
        target[i] = target[i]! ^ mask;
        outcomes[await loadChecked(json, weights, true)] += 1;
      }),
      { numRuns: runs(150), seed: 1601 },
    );
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('truncation or extension of either file: the identical model or a VariaError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 16 }), async (inJson, cut, extra) => {
        const json = Buffer.from(jsonText);
        const target = inJson ? json : weightBytes;
        const length = cut % (target.length + 1);
        const changed = Buffer.concat([
          target.subarray(0, length),
          Buffer.alloc(length === target.length ? extra : 0, 0x20),
        ]);
        await loadChecked(inJson ? changed : json, inJson ? weightBytes : changed, true);
      }),
      { numRuns: runs(100), seed: 1602 },
    );
  });

  it('JSON edits anywhere: the identical model or a VariaError; re-signed edits: a consistent model or a VariaError', async () => {
    const doc = JSON.parse(jsonText) as SavedModelJson;
    const paths = jsonPaths(doc).filter((p) => !(p.length === 1 && p[0] === 'checksum'));
    const outcomes = { loaded: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.nat(), replacement, fc.boolean(), async (pick, value, resign) => {
        const path = paths[pick % paths.length]!;
        const changed = edited(doc, path, value) as SavedModelJson;
        if (resign && changed !== null && typeof changed === 'object' && !Array.isArray(changed)) {
          try {
            changed.checksum = modelChecksum(changed, asArrayBuffer(weightBytes));
          } catch {
            // a document too broken to hash keeps its old checksum
          }
        }
        outcomes[await loadChecked(JSON.stringify(changed) ?? '', weightBytes, !resign)] += 1;
      }),
      { numRuns: runs(200), seed: 1603 },
    );
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
