// A user who forgets `import '@tensorflow/tfjs'` gets a varia BackendError that says what to import, not tfjs's
// "No backend found in registry.". Each case runs in a fresh Node process (test/no-backend-child.mjs) that imports only
// @varia/vae's build and @tensorflow/tfjs-core — this process has a backend and gradients registered (test/setup.ts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBackendRegistered, assertGradientsRegistered } from '@varia/distributions';
import { removeTempDirs, tempDir } from './test-utils/helpers.js';
import { VAE } from './vae.js';

afterAll(removeTempDirs);

const CHILD = new URL('../test/no-backend-child.mjs', import.meta.url).pathname;

interface Outcome {
  entry: string;
  name: string;
  message?: string;
}

/** Runs the child in `mode` and parses its one-JSON-line-per-entry-point report. */
async function runChild(...args: string[]): Promise<Outcome[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, ...args], { timeout: 30_000 });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Outcome);
}

describe('no TensorFlow.js backend registered', () => {
  it('the constructor, load and fromArtifacts throw a BackendError naming what to import', async () => {
    const dir = await tempDir();
    const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 4, seed: 1 });
    await vae.save(dir);
    vae.dispose();
    const outcomes = await runChild('none', dir);
    expect(outcomes.map((o) => o.entry)).toEqual(['constructor', 'load', 'fromArtifacts']);
    for (const o of outcomes) {
      expect(o.name, o.entry).toBe('BackendError');
      expect(o.message).toMatch(/^no TensorFlow\.js backend is registered/);
      expect(o.message).toContain("import '@tensorflow/tfjs'");
      expect(o.message).toContain("import '@tensorflow/tfjs-node'");
      expect(o.message).toContain('"@tensorflow/tfjs-backend-cpu"');
      expect(o.message).not.toContain('No backend found in registry');
    }
  });

  it('with a backend but no gradient registrations, inference works and fit throws a BackendError', async () => {
    const [ctor, fit] = await runChild('cpu');
    expect(ctor).toEqual({ entry: 'constructor', name: 'ok' });
    expect(fit!.entry).toBe('fit');
    expect(fit!.name).toBe('BackendError');
    expect(fit!.message).toMatch(/^no gradients are registered/);
    expect(fit!.message).toContain('"@tensorflow/tfjs-core/dist/register_all_gradients"');
  });

  it('passes silently where a backend and gradients are registered, creating no tensors', () => {
    const before = tf.memory().numTensors;
    expect(tf.engine().backendNames()).toContain('cpu');
    expect(() => assertBackendRegistered()).not.toThrow();
    expect(() => assertGradientsRegistered()).not.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});
