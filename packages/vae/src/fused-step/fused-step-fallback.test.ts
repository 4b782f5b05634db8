import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {
  LIKELIHOOD_STEP_KERNELS,
  MUL_SUB_KERNEL,
  NORMAL_BACKWARD_KERNEL,
  NORMAL_KL_KERNEL,
  NORMAL_LOG_PROB_BACKWARD_KERNEL,
  NORMAL_LOG_PROB_KERNEL,
  NORMAL_SAMPLE_KERNEL,
  SCALED_SUM_KERNEL,
  TABLE_LOOKUP_KERNEL,
} from '@varia/core';
import { Bernoulli, type Distribution } from '@varia/distributions';
import { BernoulliHead, NormalHead, PoissonHead } from '@varia/layers';
import { nativeKernelsProblem } from '@varia/native-kernels';
import { describe, expect, it } from 'vitest';
import { BUILTIN_LIKELIHOODS } from '../builtin-likelihoods.js';
import type { VAEConfig } from '../config.js';
import type { FitOptions } from '../fit.js';
import { registerLikelihood } from '../likelihood-registry.js';
import { cases, onNativeWasm, train } from '../test-utils/fused-step-cases.js';
import { expectSameWeights } from '../test-utils/helpers.js';
import type { StepContext } from '../trainer/trainable-model.js';
import { VAE } from '../vae.js';
import { vaeTrainable } from '../vae-trainable.js';

// When the fused step is offered, what it leaves to the generic path, and what it does without the fused kernels (an
// older native build) or when a kernel throws.
const problem = nativeKernelsProblem();
if (problem) console.warn(`fused-step fallback tests skipped: ${problem}`);

describe.skipIf(problem !== undefined)('the fused training step: where it applies and its fallbacks', () => {
  onNativeWasm();

  it('without the fused elementwise kernels (an older native build) it runs their separate kernels, same bits', async () => {
    const names = [
      MUL_SUB_KERNEL,
      SCALED_SUM_KERNEL,
      TABLE_LOOKUP_KERNEL,
      NORMAL_SAMPLE_KERNEL,
      NORMAL_KL_KERNEL,
      NORMAL_BACKWARD_KERNEL,
      NORMAL_LOG_PROB_KERNEL,
      NORMAL_LOG_PROB_BACKWARD_KERNEL,
    ];
    const configs = names.map((name) => tf.getKernel(name, 'wasm')!);
    for (const name of names) tf.unregisterKernel(name, 'wasm');
    try {
      for (const c of cases.slice(0, 2)) {
        const o: FitOptions = { epochs: 1, batchSize: 32, seed: 4 };
        const fused = await train(c.config, c.x, o);
        const generic = await train(c.config, c.x, { ...o, fusedStep: false });
        expectSameWeights(fused.weights, generic.weights);
        expect(fused.history).toEqual(generic.history);
      }
    } finally {
      for (const config of configs) tf.registerKernel(config);
    }
  });

  it('is offered only for the built-in MLP VAE it replays', () => {
    const base = cases[0]!.config;
    const offered = (config: VAEConfig): boolean => {
      const vae = new VAE(config);
      try {
        return vaeTrainable(vae).fusedGradients !== undefined;
      } finally {
        vae.dispose();
      }
    };
    expect(offered(base)).toBe(true);
    expect(offered({ ...base, activation: 'tanh' })).toBe(false);
    expect(offered({ ...base, likelihood: 'gaussian' })).toBe(true);
    expect(offered({ ...base, likelihood: 'gaussian', observationScale: 'amortized' })).toBe(false);
    expect(offered({ ...base, likelihood: 'gaussian', observationScale: { fixed: 0.5 } })).toBe(false);
    expect(offered({ ...base, likelihood: 'negative-binomial' })).toBe(false);
    expect(offered({ ...base, posterior: 'fullCovariance' })).toBe(false);
    expect(offered({ ...base, prior: { mixture: 2 } })).toBe(false);
    expect(offered({ ...base, encoderScaleTransform: 'softplus' })).toBe(false);
    expect(offered({ ...base, covariates: [{ name: 'batch', kind: 'categorical', levels: 2 }] })).toBe(false);
  });

  it('is not offered for a subclass of a built-in head (a user override of a built-in likelihood)', async () => {
    /** Bernoulli with halved logits: the head's layer and variables are the built-in's, its distribution is not. */
    class TemperedBernoulliHead extends BernoulliHead {
      protected override distribution(logits: tf.Tensor): Distribution {
        return new Bernoulli({ logits: tf.mul(logits, 0.5) });
      }
    }
    class SubPoissonHead extends PoissonHead {}
    class SubNormalHead extends NormalHead {}
    const builtin = BUILTIN_LIKELIHOODS;
    const config = cases[0]!.config; // Bernoulli, inputDim 12
    try {
      registerLikelihood(
        'bernoulli',
        { ...builtin.bernoulli, createHead: (o) => new TemperedBernoulliHead(o) },
        {
          override: true,
        },
      );
      registerLikelihood(
        'poisson',
        { ...builtin.poisson, createHead: (o) => new SubPoissonHead(o) },
        {
          override: true,
        },
      );
      registerLikelihood(
        'gaussian',
        { ...builtin.gaussian, createHead: (o) => new SubNormalHead(o) },
        {
          override: true,
        },
      );
      for (const likelihood of ['bernoulli', 'poisson', 'gaussian']) {
        const vae = new VAE({ ...config, likelihood });
        try {
          expect(vaeTrainable(vae).fusedGradients, likelihood).toBeUndefined();
        } finally {
          vae.dispose();
        }
      }
      const x = { data: new Float32Array(16 * 12).map((_, i) => (i % 3 === 0 ? 1 : 0)), rows: 16, cols: 12 };
      const options: FitOptions = { epochs: 1, batchSize: 8, seed: 2 };
      const fused = await train({ ...config, likelihood: 'bernoulli' }, x, options);
      const generic = await train({ ...config, likelihood: 'bernoulli' }, x, { ...options, fusedStep: false });
      expectSameWeights(fused.weights, generic.weights);
    } finally {
      for (const name of ['bernoulli', 'poisson', 'gaussian'] as const) {
        registerLikelihood(name, builtin[name], { override: true });
      }
    }
  });

  it('is not taken for a model whose forward pass is replaced (subclass or instance), which the taped path calls', async () => {
    const { config, x } = cases[0]!;
    const ctx: StepContext = { epoch: 1, step: 0, beta: 1, seed: 1, samples: 1, freeBits: 0, training: true };
    const batch = tf.tensor2d(x.data.subarray(0, 4 * 12), [4, 12]);
    class ShiftedVAE extends VAE {
      override variationalInputs(...args: Parameters<VAE['variationalInputs']>) {
        return super.variationalInputs(tf.mul(args[0], 0.5), args[1]);
      }
    }
    const sub = new ShiftedVAE(config);
    const patchedEncoder = new VAE(config);
    const encoder = patchedEncoder.encoder as { apply: (...a: unknown[]) => unknown };
    const apply = encoder.apply.bind(encoder);
    encoder.apply = (...a: unknown[]) => apply(...a);
    try {
      expect(vaeTrainable(sub).fusedGradients?.({ x: batch }, ctx)).toBeUndefined();
      expect(vaeTrainable(patchedEncoder).fusedGradients).toBeUndefined();
    } finally {
      batch.dispose();
      sub.dispose();
      patchedEncoder.dispose();
    }
    // an instance's own variationalInputs sees every training step, fused step on or off, and trains the same bits
    const run = async (fusedStep: boolean) => {
      const vae = new VAE({ ...config, seed: 5 });
      const builtin = vae.variationalInputs.bind(vae);
      let calls = 0;
      vae.variationalInputs = (input, options) => {
        calls++;
        return builtin(input, options);
      };
      await vae.fit(x, { epochs: 1, batchSize: 8, seed: 2, fusedStep });
      const weights = new Map([...vae.namedVariables()].map(([k, v]) => [k, v.dataSync().slice()]));
      vae.dispose();
      return { calls, weights };
    };
    const fused = await run(true);
    const taped = await run(false);
    expect(fused.calls).toBe(taped.calls);
    expect(fused.calls).toBeGreaterThanOrEqual(Math.ceil(x.rows / 8));
    expect([...fused.weights.keys()]).toEqual([...taped.weights.keys()]);
    for (const [k, w] of fused.weights) expect(w, k).toEqual(taped.weights.get(k));
  });

  it('leaves steps it does not cover to the generic path (several samples, free bits, evaluation)', () => {
    const vae = new VAE(cases[0]!.config);
    const x = tf.tensor2d(cases[0]!.x.data.subarray(0, 4 * 12), [4, 12]);
    try {
      const model = vaeTrainable(vae);
      const ctx: StepContext = { epoch: 1, step: 0, beta: 1, seed: 1, samples: 1, freeBits: 0, training: true };
      const before = tf.memory().numTensors;
      for (const other of [{ samples: 2 }, { freeBits: 0.1 }, { training: false }]) {
        expect(model.fusedGradients!({ x }, { ...ctx, ...other })).toBeUndefined();
      }
      expect(model.fusedGradients!({ x, covariates: x }, ctx)).toBeUndefined();
      expect(tf.memory().numTensors).toBe(before);
      const out = model.fusedGradients!({ x }, ctx)!;
      expect(out.grads.size).toBe(vae.namedVariables().size);
      tf.dispose([out.terms.loss, out.terms.reconstruction!, out.terms.kl!, ...out.grads.values()]);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      x.dispose();
      vae.dispose();
    }
  });

  it.each([
    [LIKELIHOOD_STEP_KERNELS.bernoulli, 'a Bernoulli model', cases[0]!.config, cases[0]!.x.data.subarray(0, 4 * 12)],
    [
      LIKELIHOOD_STEP_KERNELS.poisson,
      'a Poisson model',
      { ...cases[0]!.config, likelihood: 'poisson' },
      new Float32Array(4 * 12).map((_, i) => i % 3),
    ],
    // counts past log x!'s table: the Poisson kernel misses, log x! comes from the host (a tensor made outside the
    // runner), then Exp throws
    [
      'Exp',
      'a Poisson model with counts past the log x! table',
      { ...cases[0]!.config, likelihood: 'poisson' },
      new Float32Array(4 * 12).map((_, i) => (i % 5 === 0 ? 2000 : i % 3)),
    ],
  ] as const)('frees everything when %s throws mid-step (%s)', (kernel, _what, config, rows) => {
    const vae = new VAE(config);
    const x = tf.tensor2d(rows, [4, 12]);
    const backend = tf.getBackend();
    const softplus = tf.getKernel(kernel, backend)!;
    try {
      const model = vaeTrainable(vae);
      const tensors = tf.memory().numTensors;
      const buffers = tf.engine().backend.numDataIds();
      tf.unregisterKernel(kernel, backend);
      tf.registerKernel({
        ...softplus,
        kernelFunc: () => {
          throw new Error('kernel failed');
        },
      });
      const ctx: StepContext = { epoch: 1, step: 0, beta: 1, seed: 1, samples: 1, freeBits: 0, training: true };
      expect(() => model.fusedGradients!({ x }, ctx)).toThrow('kernel failed');
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.engine().backend.numDataIds()).toBe(buffers);
    } finally {
      tf.unregisterKernel(kernel, backend);
      tf.registerKernel(softplus);
      x.dispose();
      vae.dispose();
    }
  });
});
