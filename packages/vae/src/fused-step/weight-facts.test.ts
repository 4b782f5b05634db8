import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VAEConfig } from '../config.js';
import { expectSameWeights, weightValues } from '../test-utils/helpers.js';
import { VAE } from '../vae.js';

// The fused step's in-step Adam keeps what it learned of each kernel W as it wrote it (every value finite, the least
// non-zero |w|), and the next forward product of W skips its scan of W (@varia/native-kernels; VARIA_B_FACTS=0, read
// at each call, turns both off). The bits must not depend on it — also where W's data changes outside the fused step:
// weights assigned between fits (new data) and a taped fit (the trainer's in-place Adam) between fused ones.
const problem = nativeKernelsProblem();
if (problem) console.warn(`weight-facts tests skipped: ${problem}`);

/** 256 → 256 → 4 → 256 → 256, relu: the first layer's and the output layer's products skip zeros (sparse x, relu h). */
const config: VAEConfig = {
  inputDim: 256,
  hiddenUnits: [256],
  latentDim: 4,
  likelihood: 'bernoulli',
  activation: 'relu',
  seed: 6,
};

/** 96 rows of 256 binary pixels, 12 % of them 1 (a seeded LCG). */
function sparseRows(): { data: Float32Array; rows: number; cols: number } {
  let s = 12345;
  const data = new Float32Array(96 * 256);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s / 2 ** 32 < 0.12 ? 1 : 0;
  }
  return { data, rows: 96, cols: 256 };
}

/** Fused fit, assign() of the first kernel, taped fit, fused fit; the weights and the losses. */
async function sequence(parallel: number, facts: boolean) {
  if (facts) delete process.env.VARIA_B_FACTS;
  else process.env.VARIA_B_FACTS = '0';
  enableNativeKernels({ parallel });
  const before = tf.memory().numTensors;
  const vae = new VAE(config);
  try {
    const x = sparseRows();
    const losses: number[] = [];
    const epoch = async (seed: number, fusedStep: boolean) => {
      const h = await vae.fit(x, { epochs: 1, batchSize: 32, seed, fusedStep });
      losses.push(...h.epochs.map((e) => e.loss));
    };
    await epoch(1, true);
    const kernel = vae.namedVariables().get('encoder/0/kernel')!;
    const halved = tf.tidy(() => tf.mul(kernel, 0.5));
    kernel.assign(halved);
    halved.dispose();
    await epoch(2, true);
    await epoch(3, false);
    await epoch(4, true);
    return { weights: weightValues(vae), losses };
  } finally {
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
    disableNativeKernels();
  }
}

describe.skipIf(problem !== undefined)("the fused step with the in-step Adam's facts of W", () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterEach(() => {
    delete process.env.VARIA_B_FACTS;
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const parallel of [1, 2]) {
    it(`has the bits of the step without them (${parallel} thread${parallel > 1 ? 's' : ''}), across assign() and a taped fit`, async () => {
      const without = await sequence(parallel, false);
      const facts = await sequence(parallel, true);
      expectSameWeights(facts.weights, without.weights);
      expect(facts.losses).toEqual(without.losses);
      expect(facts.losses.every(Number.isFinite)).toBe(true);
    });
  }
});
