// Shared helpers of the VAE tests (not part of the build: tsconfig.build.json excludes src/test-utils).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Matrix, mulberry32, permutation, standardNormal, takeRows } from '@varia/core';
import { syntheticCounts, toyGaussian2d } from '@varia/datasets';
import { afterEach, beforeEach, expect } from 'vitest';
import type { VAE } from '../vae.js';

/** Every variable's values by stable name (plain copies: no tensors). */
export function weightValues(model: VAE): Map<string, Float32Array> {
  return new Map([...model.namedVariables()].map(([name, v]) => [name, Float32Array.from(v.dataSync())]));
}

/** Largest absolute difference between two weight maps with the same names (Infinity when names differ). */
export function maxWeightDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  if (a.size !== b.size) return Infinity;
  let worst = 0;
  for (const [name, va] of a) {
    const vb = b.get(name);
    if (!vb || vb.length !== va.length) return Infinity;
    for (let i = 0; i < va.length; i++) {
      const d = Math.abs(va[i]! - vb[i]!);
      if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
    }
  }
  return worst;
}

/**
 * Asserts two weight maps are bit-identical (same names, same float32 bits): the first differing element of each
 * variable, or none (a loop: vitest's deep equality takes seconds on MNIST's 314k-element kernels).
 */
export function expectSameWeights(actual: Map<string, Float32Array>, expected: Map<string, Float32Array>): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, e] of expected) {
    const v = actual.get(name)!;
    const a = new Uint32Array(v.buffer, v.byteOffset, v.length);
    const b = new Uint32Array(e.buffer, e.byteOffset, e.length);
    let first = a.length === b.length ? -1 : 0;
    for (let i = 0; i < b.length && first < 0; i++) if (a[i] !== b[i]) first = i;
    expect(first, `${name}: first element whose bits differ`).toBe(-1);
  }
}

/** Values of a tensor as a plain array (disposes nothing). */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Runs `f` and returns how many tensors it left allocated. */
export async function leakedBy(f: () => unknown): Promise<number> {
  const before = tf.memory().numTensors;
  await f();
  return tf.memory().numTensors - before;
}

const tempDirs: string[] = [];
/** A fresh temporary directory; call {@link removeTempDirs} in the test file's `afterAll`. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'varia-vae-test-'));
  tempDirs.push(dir);
  return dir;
}
/** Removes the directories made by {@link tempDir} (registered per file: module state is shared with `isolate: false`). */
export async function removeTempDirs(): Promise<void> {
  const dirs = tempDirs.splice(0);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

/** A seeded random subset of `rows` examples of the separated 2-D toy set (which is ordered by group). */
export function toySubset(rows: number, seed = 0): Matrix {
  const x = toyGaussian2d({ seed, separated: true }).x;
  return takeRows(x, permutation(x.rows, mulberry32(seed + 1)).subarray(0, rows));
}

/** Poisson counts with a 2-D latent cause. */
export function counts(n: number, dim = 8, seed = 0): Matrix {
  return syntheticCounts({ n, dim, latentDim: 2, seed }).x;
}

/** n binary 8×8 images [n, 64]: a bar at a seeded random row or column (two kinds, so a latent helps). */
export function bars(n: number, seed: number): Matrix {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const data = new Float32Array(n * 64);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(next() * 8);
    const vertical = next() < 0.5;
    for (let j = 0; j < 8; j++) data[i * 64 + (vertical ? j * 8 + k : k * 8 + j)] = 1;
  }
  return { data, rows: n, cols: 64 };
}

/** Binary data: counts above their mean (5) → 1, else 0. */
export function binary(n: number, dim = 8, seed = 0): Matrix {
  const c = counts(n, dim, seed);
  return { data: c.data.map((v) => (v > 5 ? 1 : 0)), rows: c.rows, cols: c.cols };
}

/**
 * Points on a line in 3-D plus small isotropic noise: x = t·(1, 2, −1) + ε, t ~ N(0, 1), ε ~ N(0, noise²).
 * A 1-D latent explains all but the noise.
 */
export function noisyLine(n: number, noise: number, seed = 0): Matrix {
  const rng = mulberry32(seed);
  const data = new Float32Array(n * 3);
  const dir = [1, 2, -1];
  for (let i = 0; i < n; i++) {
    const t = standardNormal(rng);
    for (let j = 0; j < 3; j++) data[i * 3 + j] = t * dir[j]! + noise * standardNormal(rng);
  }
  return { data, rows: n, cols: 3 };
}

/** Registers hooks that fail any test of the calling file which changes `tf.memory().numTensors` (a leak check). */
export function checkTensorLeaksPerTest(): void {
  let baseline = 0;
  beforeEach(() => {
    baseline = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(baseline);
  });
}
