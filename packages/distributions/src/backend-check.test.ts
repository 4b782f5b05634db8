// A distribution built where no TensorFlow.js backend is registered throws varia's BackendError naming what to
// import, not tfjs's "No backend found in registry.". The child (test/no-backend-child.mjs) is a fresh Node process
// that imports only this package's build and @tensorflow/tfjs-core; this process has a backend (test/setup.ts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { assertBackendRegistered } from './backend-check.js';
import { Normal } from './normal.js';

const CHILD = new URL('../test/no-backend-child.mjs', import.meta.url).pathname;

describe('no TensorFlow.js backend registered', () => {
  it('a constructor throws a BackendError that says what to import', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CHILD], { timeout: 30_000 });
    const outcomes = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { entry: string; name: string; message?: string });
    expect(outcomes.map((o) => o.entry)).toEqual(['Normal', 'Poisson', 'Categorical']);
    for (const o of outcomes) {
      expect(o.name, o.entry).toBe('BackendError');
      expect(o.message).toMatch(/^no TensorFlow\.js backend is registered/);
      expect(o.message).toContain("import '@tensorflow/tfjs'");
      expect(o.message).not.toContain('No backend found in registry');
    }
  });

  it('passes silently where a backend is registered, creating no tensors', () => {
    const before = tf.memory().numTensors;
    expect(() => assertBackendRegistered()).not.toThrow();
    const d = new Normal({ loc: 0, scale: 1 });
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
