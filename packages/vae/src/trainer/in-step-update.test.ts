import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { nativeKernelsProblem } from '@varia/native-kernels';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onNativeWasm } from '../test-utils/fused-step-cases.js';
import { gaussianRows } from '../test-utils/trainer-models.js';
import { MatrixBatchSource } from './batch-source.js';
import { beginInStepAdam } from './fused-update.js';
import type { Batch, FusedGradients, LossTerms, StepContext, TrainableModel } from './trainable-model.js';
import { fitModel } from './trainer.js';

type Mode =
  | 'gradients'
  | 'in-step'
  | 'all-in-step'
  | 'claimed-only'
  | 'unclaimed'
  | 'both'
  | 'undefined-after-update'
  | 'stray-name'
  | 'not-a-set';

/**
 * loss = mean_n ‖xₙ − w − c‖² over two variables w, c [1, D]; both gradients are 2(w + c − x̄). `mode` says how its
 * tape-free step hands them over: as gradients, through the in-step Adam update, or breaking the contract.
 */
class TwoPartModel implements TrainableModel {
  readonly w: tf.Variable;
  readonly c: tf.Variable;
  mode: Mode = 'gradients';
  /** Whether each fused step's context offered the in-step update. */
  readonly offered: boolean[] = [];
  /** Whether the loss's contexts (the tape's steps and checks) carried one. */
  readonly lossSaw: boolean[] = [];

  constructor(dim: number) {
    this.w = tf.tidy(() => tf.variable(tf.randomNormal([1, dim], 0, 1, 'float32', 3), true));
    this.c = tf.tidy(() => tf.variable(tf.fill([1, dim], 0.25), true));
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map([
      ['w', this.w],
      ['c', this.c],
    ]);
  }

  private loss(x: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.mean(tf.sum(tf.square(tf.sub(tf.sub(x, this.w), this.c)), 1)) as tf.Scalar);
  }

  lossTerms(batch: Batch, ctx: StepContext): LossTerms {
    this.lossSaw.push(ctx.inStepAdam !== undefined);
    return { loss: this.loss(batch.x!) };
  }

  fusedGradients(batch: Batch, ctx: StepContext): FusedGradients | undefined {
    const adam = ctx.inStepAdam;
    this.offered.push(adam !== undefined);
    const x = batch.x!;
    const loss = this.loss(x);
    const gradient = () => tf.tidy(() => tf.mul(2, tf.sub(tf.add(this.w, this.c), tf.mean(x, 0, true))));
    const gw = gradient();
    const gc = gradient();
    const grads = new Map<string, tf.Tensor>();
    const mode = adam ? this.mode : 'gradients';
    if (mode === 'gradients' || mode === 'claimed-only') grads.set('w', gw);
    if (['in-step', 'all-in-step', 'unclaimed', 'both', 'undefined-after-update', 'stray-name'].includes(mode))
      adam!.update([this.w], [gw]);
    if (mode === 'both') grads.set('w', gw);
    else if (mode !== 'gradients' && mode !== 'claimed-only') gw.dispose();
    if (mode === 'all-in-step') {
      adam!.update([this.c], [gc]);
      gc.dispose();
    } else grads.set('c', gc);
    if (mode === 'undefined-after-update') {
      tf.dispose([loss, gc]);
      return undefined;
    }
    const updated = {
      gradients: undefined,
      'in-step': new Set(['w']),
      'all-in-step': new Set(['w', 'c']),
      'claimed-only': new Set(['w']),
      unclaimed: undefined,
      both: new Set(['w']),
      'stray-name': new Set(['w', 'b']),
      'not-a-set': ['w'],
    }[mode] as ReadonlySet<string> | undefined;
    return { terms: { loss }, grads, ...(updated ? { updated } : {}) };
  }

  dispose(): void {
    tf.dispose([this.w, this.c]);
  }
}

const rows = gaussianRows(96, 4, 5);
const source = () => new MatrixBatchSource({ x: rows });
const OPTIONS = { epochs: 3, batchSize: 16, learningRate: 0.05, seed: 2 } as const;

/** The bits of the model's weights after a fit in `mode`, and its history's losses. */
async function train(mode: Mode): Promise<{ weights: number[][]; losses: number[]; model: TwoPartModel }> {
  const model = new TwoPartModel(4);
  model.mode = mode;
  try {
    const h = await fitModel(model, source(), OPTIONS);
    const weights = [model.w, model.c].map((v) => Array.from(new Uint32Array(v.dataSync().slice().buffer)));
    return { weights, losses: h.epochs.map((e) => e.loss), model };
  } finally {
    model.dispose();
  }
}

const problem = nativeKernelsProblem();
if (problem) console.warn(`in-step update tests skipped: ${problem}`);

describe.skipIf(problem !== undefined)("variables updated in step through the step context's inStepAdam", () => {
  onNativeWasm();
  let before = 0;
  beforeEach(() => {
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the bits and history of gradients applied at the step end; offered only to fusedGradients', async () => {
    const reference = await train('gradients');
    const some = await train('in-step');
    const all = await train('all-in-step');
    expect(some.weights).toEqual(reference.weights);
    expect(all.weights).toEqual(reference.weights);
    expect(some.losses).toEqual(reference.losses);
    expect(all.losses).toEqual(reference.losses);
    expect(reference.losses[2]!).toBeLessThan(reference.losses[0]!);
    // 6 steps per epoch; every step offered it; the losses of the end-of-epoch checks never carry it
    expect(all.model.offered).toEqual(new Array(18).fill(true));
    expect(all.model.lossSaw).toEqual([false, false, false]);
  });

  it('is not offered with fusedStep: false, nor by an optimizer other than FusedAdamOptimizer', async () => {
    const model = new TwoPartModel(4);
    model.mode = 'in-step';
    try {
      await fitModel(model, source(), { ...OPTIONS, epochs: 1, fusedStep: false });
      expect(model.offered).toEqual([]);
      expect(model.lossSaw.every((saw) => !saw)).toBe(true);
      for (const optimizer of [tf.train.adam(0.05), tf.train.sgd(0.05)]) {
        expect(beginInStepAdam(optimizer, [model.w, model.c])).toBeUndefined();
        optimizer.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('a broken contract is an ArgumentError naming the model, and nothing leaks', async () => {
    for (const [mode, message] of [
      ['claimed-only', /names "w" as updated in step, but did not update it through ctx\.inStepAdam/],
      ['unclaimed', /updated "w" through ctx\.inStepAdam but does not name it in "updated"/],
      ['both', /gave "w" both a gradient and an in-step update/],
      ['undefined-after-update', /updated variables through ctx\.inStepAdam, then returned undefined/],
      ['stray-name', /names "b" as updated in step, which is no trained variable/],
      ['not-a-set', /must give "updated" as a Set of variable names/],
    ] as const) {
      const model = new TwoPartModel(4);
      model.mode = mode;
      try {
        const error = await fitModel(model, source(), { ...OPTIONS, epochs: 1 }).catch((e: unknown) => e);
        expect(error, mode).toBeInstanceOf(ArgumentError);
        expect((error as ArgumentError).argument, mode).toBe('model');
        expect((error as Error).message, mode).toMatch(message);
      } finally {
        model.dispose();
      }
    }
  });
});
