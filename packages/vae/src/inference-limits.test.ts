import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INFERENCE_LIMITS, iwaeBatchSize } from './inference-options.js';
import { showValue } from './show-value.js';
import { VAE } from './vae.js';

let baseline = 0;
let vae: VAE;
beforeEach(() => {
  baseline = tf.memory().numTensors;
  vae = new VAE({ inputDim: 2, latentDim: 1, hiddenUnits: 4, seed: 1 });
});
afterEach(() => {
  vae.dispose();
  // the rejected calls allocate nothing: no tensor is left over
  expect(tf.memory().numTensors).toBe(baseline);
});

/** Runs `f`, expecting it to throw quickly (well under a second); returns the error. */
function thrownFast(f: () => unknown): unknown {
  const t0 = performance.now();
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(performance.now() - t0).toBeLessThan(1000);
  expect(error).toBeDefined();
  return error;
}

async function rejectedFast(f: () => Promise<unknown>): Promise<unknown> {
  const t0 = performance.now();
  const error = await f().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(performance.now() - t0).toBeLessThan(1000);
  expect(error).toBeDefined();
  return error;
}

describe('inference size limits', () => {
  it('interpolate(a, b, 1e9) and 1e7 on a tiny model throw ArgumentError naming steps and the limit', () => {
    for (const steps of [1e9, 1e7, INFERENCE_LIMITS.maxInterpolationSteps + 1]) {
      const e = thrownFast(() => vae.interpolate([[0, 0]], [[1, 1]], steps));
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as ArgumentError).argument).toBe('steps');
      expect((e as Error).message).toContain(String(INFERENCE_LIMITS.maxInterpolationSteps));
    }
  });

  it('interpolate also bounds steps × inputDim by 2^28 on a wide model', () => {
    const wide = new VAE({ inputDim: 2 ** 10, latentDim: 1, hiddenUnits: 1, seed: 1 });
    try {
      // 2^19 steps are allowed on their own, but 2^19 × 2^10 > 2^28
      const e = thrownFast(() => wide.interpolate([new Array(2 ** 10).fill(0)], [new Array(2 ** 10).fill(1)], 2 ** 19));
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as ArgumentError).argument).toBe('steps');
      expect((e as Error).message).toContain('INFERENCE_LIMITS.maxOutputValues');
    } finally {
      wide.dispose();
    }
  });

  it('interpolate at a modest steps count still works', () => {
    const out = vae.interpolate([[0, 0]], [[1, 1]], 5);
    expect(out.shape).toEqual([5, 2]);
    out.dispose();
  });

  it('sample shares the output limit: n × inputDim above 2^28 throws, naming n', () => {
    const e = thrownFast(() => vae.sample(2 ** 27 + 1));
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).argument).toBe('n');
    expect((e as Error).message).toContain('INFERENCE_LIMITS.maxOutputValues');
  });

  it('evaluate(x, { iwaeK: 1e9 }) throws ArgumentError naming iwaeK and the limit', async () => {
    for (const iwaeK of [1e9, INFERENCE_LIMITS.maxIwaeK + 1]) {
      const e = await rejectedFast(() => vae.evaluate([[0, 1]], { iwaeK }));
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as ArgumentError).argument).toBe('iwaeK');
      expect((e as Error).message).toContain(`${INFERENCE_LIMITS.maxIwaeK}`);
    }
  });

  it('evaluate rejects an iwaeK whose single row is above the per-batch limit (wide model)', async () => {
    const wide = new VAE({ inputDim: 2 ** 15, latentDim: 1, hiddenUnits: 1, seed: 1 });
    try {
      // 10000 × 32768 > 2^28: even one row is too big to decode at once
      const e = await rejectedFast(() =>
        wide.evaluate({ data: new Float32Array(2 ** 15), rows: 1, cols: 2 ** 15 }, { iwaeK: 10_000 }),
      );
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as ArgumentError).argument).toBe('iwaeK');
      expect((e as Error).message).toContain('INFERENCE_LIMITS.maxIwaeValues');
    } finally {
      wide.dispose();
    }
  });

  it('evaluate with iwaeK at a normal size still works', async () => {
    const r = await vae.evaluate(
      [
        [0, 1],
        [1, 0],
      ],
      { iwaeK: 8 },
    );
    expect(Number.isFinite(r.iwae)).toBe(true);
    expect(r.n).toBe(2);
  });

  it('iwaeBatchSize shrinks the batch to floor(2^28 / (iwaeK × widest decoder layer))', () => {
    const model = { inputDim: 8192, latentDim: 4, decoderUnits: [16] };
    // 2^28 / (10000 × 8192) = 3.27…
    expect(iwaeBatchSize('t', 256, 10_000, model)).toBe(3);
    expect(iwaeBatchSize('t', 2, 10_000, model)).toBe(2);
    expect(iwaeBatchSize('t', 256, undefined, model)).toBe(256);
    // the widest layer may be a hidden one: 2^28 / (100 × 2^20) = 2.56
    expect(iwaeBatchSize('t', 256, 100, { inputDim: 4, latentDim: 2, decoderUnits: [2 ** 20] })).toBe(2);
    expect(() => iwaeBatchSize('t', 256, 10_000, { inputDim: 2 ** 15, latentDim: 1, decoderUnits: [1] })).toThrow(
      ArgumentError,
    );
  });
});

describe('inference error messages', () => {
  it('sample(NaN) and sample(Infinity) print the value, not null', () => {
    expect(() => vae.sample(Number.NaN)).toThrow(/got NaN/);
    expect(() => vae.sample(Number.POSITIVE_INFINITY)).toThrow(/got Infinity/);
  });

  it('option values print as NaN / Infinity', async () => {
    expect(() => vae.encode([[0, 0]], { seed: Number.NaN })).toThrow(/got NaN/);
    await expect(vae.evaluate([[0, 0]], { iwaeK: Number.NaN })).rejects.toThrow(/got NaN/);
    await expect(vae.evaluate([[0, 0]], { batchSize: Number.NEGATIVE_INFINITY })).rejects.toThrow(/got -Infinity/);
    expect(() => vae.interpolate([[0, 0]], [[1, 1]], Number.NaN)).toThrow(/got NaN/);
  });

  it('config values print as NaN / Infinity', () => {
    expect(() => new VAE({ inputDim: Number.NaN, latentDim: 1, hiddenUnits: 2 })).toThrow(
      /"inputDim" must be a positive integer, got NaN/,
    );
    expect(
      () =>
        new VAE({ inputDim: 2, latentDim: 1, hiddenUnits: 2, observationScale: { fixed: Number.POSITIVE_INFINITY } }),
    ).toThrow(/got Infinity/);
  });

  it('decode with a wrong-width z names latentDim, not inputDim', () => {
    const e = thrownFast(() => vae.decode([[0, 0, 0]]));
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as Error).message).toContain("(the model's latentDim)");
    expect((e as Error).message).not.toContain('inputDim');
  });

  it('showValue prints what JSON.stringify hides', () => {
    expect(showValue(Number.NaN)).toBe('NaN');
    expect(showValue(-0)).toBe('-0');
    expect(showValue(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
    expect(showValue('x')).toBe('"x"');
    expect(showValue(undefined)).toBe('undefined');
    expect(showValue(null)).toBe('null');
    expect(showValue([1])).toBe('an array');
  });
});
