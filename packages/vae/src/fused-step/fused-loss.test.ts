import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { describe, expect, it } from 'vitest';
import { cases, onNativeWasm } from '../test-utils/fused-step-cases.js';
import type { StepContext } from '../trainer/trainable-model.js';
import { VAE } from '../vae.js';
import { vaeTrainable } from '../vae-trainable.js';

// The built-in MLP VAE's fusedLoss (what the divergence guard's end-of-epoch check runs): the forward pass of the fused
// step alone, the same bits as lossTerms' loss.
const problem = nativeKernelsProblem();

/** The bytes of a float32 scalar (so −0/+0 and NaN payloads count). */
function bitsOf(t: tf.Tensor): number[] {
  return Array.from(new Uint8Array(Float32Array.from(t.dataSync()).buffer));
}

describe.skipIf(problem !== undefined)('fusedLoss of the built-in MLP VAE', () => {
  onNativeWasm();

  for (const c of cases) {
    it(`${c.name}: the same bits as lossTerms' loss, for several β and seeds; nothing leaks`, () => {
      const vae = new VAE(c.config);
      const n = Math.min(c.x.rows, 16);
      const x = tf.tensor2d(c.x.data.subarray(0, n * c.x.cols), [n, c.x.cols]);
      try {
        const model = vaeTrainable(vae);
        const before = tf.memory().numTensors;
        for (const [beta, seed] of [
          [1, 3],
          [0.25, 11],
          [0, 12345],
        ] as const) {
          const ctx: StepContext = { epoch: 1, step: 4, beta, seed, samples: 1, freeBits: 0, training: true };
          const fused = model.fusedLoss!({ x }, ctx)!;
          const taped = tf.tidy(() => model.lossTerms({ x }, ctx).loss);
          expect(fused.rank).toBe(0);
          expect(bitsOf(fused), `β ${beta}, seed ${seed}`).toEqual(bitsOf(taped));
          expect(Number.isFinite(fused.dataSync()[0])).toBe(true);
          tf.dispose([fused, taped]);
        }
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        x.dispose();
        vae.dispose();
      }
    });
  }

  it('gives undefined where the fused step does not apply: several samples, free bits, no native kernels', () => {
    const vae = new VAE(cases[0]!.config);
    const x = tf.tensor2d(cases[0]!.x.data.subarray(0, 4 * 12), [4, 12]);
    try {
      const model = vaeTrainable(vae);
      const ctx: StepContext = { epoch: 1, step: 0, beta: 1, seed: 1, samples: 1, freeBits: 0, training: true };
      const before = tf.memory().numTensors;
      for (const other of [{ samples: 2 }, { freeBits: 0.1 }]) {
        expect(model.fusedLoss!({ x }, { ...ctx, ...other })).toBeUndefined();
      }
      disableNativeKernels();
      try {
        expect(model.fusedLoss!({ x }, ctx)).toBeUndefined();
      } finally {
        enableNativeKernels({ parallel: 1 });
      }
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      x.dispose();
      vae.dispose();
    }
  });
});
