import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DivergenceError } from '@varia/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gaussianRows, MeanModel } from '../test-utils/trainer-models.js';
import { MatrixBatchSource } from './batch-source.js';
import type { Batch, FusedGradients, StepContext } from './trainable-model.js';
import { fitModel } from './trainer.js';

let before = 0;
beforeEach(() => {
  before = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(before);
});

const rows = gaussianRows(120, 3, 11);
const source = () => new MatrixBatchSource({ x: rows });

/**
 * {@link MeanModel} with a tape-free step: loss mean_n ‖xₙ − w‖² and its gradient 2(w − x̄) in closed form. `mode`
 * chooses what the step returns: the right gradient, none (the taped path), or a broken contract.
 */
class FusedMeanModel extends MeanModel {
  fusedCalls = 0;
  mode: 'ok' | 'alternate' | 'missing' | 'misshapen' | 'vector-loss' | 'not-an-object' | 'grads-array' | 'disposed' =
    'ok';

  fusedGradients(batch: Batch, ctx: StepContext): FusedGradients | undefined {
    this.fusedCalls++;
    if (this.mode === 'alternate' && ctx.step % 2 === 1) return undefined;
    if (this.mode === 'not-an-object') return 'x' as unknown as FusedGradients;
    const x = batch.x!;
    const loss = tf.tidy(() => tf.mean(tf.sum(tf.square(tf.sub(x, this.w)), 1)) as tf.Scalar);
    const grad = tf.tidy(() => tf.mul(2, tf.sub(this.w, tf.mean(x, 0, true))));
    if (this.mode === 'missing') return { terms: { loss }, grads: new Map([['v', grad]]) };
    if (this.mode === 'grads-array') return { terms: { loss }, grads: [grad] as unknown as Map<string, tf.Tensor> };
    if (this.mode === 'disposed') {
      // the mistake of building the Map inside tf.tidy: tidy does not look into a Map, so it frees the gradient
      const grads = tf.tidy(() => new Map([['w', tf.clone(grad)]]) as unknown as tf.Tensor) as unknown as Map<
        string,
        tf.Tensor
      >;
      grad.dispose();
      return { terms: { loss }, grads };
    }
    if (this.mode === 'misshapen') {
      const flat = tf.reshape(grad, [3]);
      grad.dispose();
      return { terms: { loss }, grads: new Map([['w', flat]]) };
    }
    if (this.mode === 'vector-loss') {
      const vector = tf.reshape(loss, [1]) as unknown as tf.Scalar;
      loss.dispose();
      return { terms: { loss: vector }, grads: new Map([['w', grad]]) };
    }
    return { terms: { loss }, grads: new Map([['w', grad]]) };
  }
}

/** The column means of the data in float64: the minimizer of the loss. */
const columnMeans = Array.from({ length: 3 }, (_, j) => {
  let s = 0;
  for (let i = 0; i < rows.rows; i++) s += rows.data[i * 3 + j]!;
  return s / rows.rows;
});

describe('TrainableModel.fusedGradients in fitModel', () => {
  it('trains with the gradients the model gives: w reaches the column means; evaluation still uses lossTerms', async () => {
    const model = new FusedMeanModel(3);
    try {
      const h = await fitModel(model, source(), { epochs: 200, batchSize: 120, learningRate: 0.05, shuffle: false });
      expect(model.fusedCalls).toBe(200);
      // lossTerms ran only for the end-of-epoch check of the state after the last step, once per epoch
      expect(model.seen).toHaveLength(200);
      const w = Array.from(model.w.dataSync());
      w.forEach((v, j) => expect(v).toBeCloseTo(columnMeans[j]!, 3));
      expect(h.epochs[199]!.loss).toBeLessThan(h.epochs[0]!.loss);
    } finally {
      model.dispose();
    }
  });

  it('is not called with fusedStep: false; a step that returns undefined takes the taped path', async () => {
    const off = new FusedMeanModel(3);
    const alternate = new FusedMeanModel(3);
    alternate.mode = 'alternate';
    try {
      await fitModel(off, source(), { epochs: 2, batchSize: 40, fusedStep: false });
      expect(off.fusedCalls).toBe(0);
      expect(off.seen).toHaveLength(6 + 2); // the steps, and each epoch's end-of-epoch check
      await fitModel(alternate, source(), { epochs: 2, batchSize: 40, shuffle: false });
      expect(alternate.fusedCalls).toBe(6);
      // the odd steps on the tape, and each epoch's end-of-epoch check (with its last step's context)
      expect(alternate.seen.map((c) => c.step)).toEqual([1, 2, 3, 5, 5]);
    } finally {
      off.dispose();
      alternate.dispose();
    }
  });

  it('a missing or misshapen gradient or a non-scalar loss is an ArgumentError naming the model; nothing leaks', async () => {
    for (const [mode, message] of [
      ['missing', /gradient of shape \[1, 3\] for "w", got none/],
      ['misshapen', /for "w", got \[3\]/],
      ['vector-loss', /scalar/],
      ['not-an-object', /must return undefined or \{ terms, grads: Map<variable name, tensor> \}, got "x"/],
      ['grads-array', /must return undefined or \{ terms, grads/],
      ['disposed', /gave a disposed gradient for "w" \(a Map of gradients built inside tf\.tidy/],
    ] as const) {
      const model = new FusedMeanModel(3);
      model.mode = mode;
      try {
        const error = await fitModel(model, source(), { epochs: 1, batchSize: 40 }).catch((e: unknown) => e);
        expect(error, mode).toBeInstanceOf(ArgumentError);
        expect((error as ArgumentError).argument).toBe('model');
        expect((error as Error).message).toMatch(message);
        expect(Array.from(model.w.dataSync())).toEqual([0, 0, 0]); // no update was applied
      } finally {
        model.dispose();
      }
    }
  });

  it("the check after each epoch's last step takes the loss from fusedLoss, else from lossTerms", async () => {
    /** The loss alone, without the tape: `lossTerms`' formula, or what `answer` says. */
    class WithFusedLoss extends FusedMeanModel {
      fusedLossCalls: StepContext[] = [];
      answer: 'loss' | 'undefined' | 'nan' | 'vector' = 'loss';
      fusedLoss(batch: Batch, ctx: StepContext): tf.Scalar | undefined {
        this.fusedLossCalls.push(ctx);
        if (this.answer === 'undefined') return undefined;
        const loss = tf.tidy(() => tf.mean(tf.sum(tf.square(tf.sub(batch.x!, this.w)), 1)) as tf.Scalar);
        if (this.answer === 'loss') return loss;
        const broken = this.answer === 'nan' ? tf.mul(loss, Number.NaN) : tf.reshape(loss, [1]);
        loss.dispose();
        return broken as tf.Scalar;
      }
    }
    const model = new WithFusedLoss(3);
    try {
      await fitModel(model, source(), { epochs: 3, batchSize: 40, shuffle: false });
      expect(model.fusedLossCalls.map((c) => [c.epoch, c.step, c.training])).toEqual([
        [1, 2, true],
        [2, 5, true],
        [3, 8, true],
      ]);
      expect(model.seen).toEqual([]); // lossTerms: never
      // fusedStep: false — neither fused method; undefined — lossTerms does the check
      model.fusedLossCalls = [];
      await fitModel(model, source(), { epochs: 1, batchSize: 40, fusedStep: false });
      expect([model.fusedLossCalls.length, model.seen.length]).toEqual([0, 3 + 1]);
      model.answer = 'undefined';
      model.seen.length = 0;
      await fitModel(model, source(), { epochs: 2, batchSize: 40 });
      expect([model.fusedLossCalls.length, model.seen.length]).toEqual([2, 2]);
      // a non-finite loss after the last step is divergence: the epoch's starting weights come back
      model.answer = 'nan';
      const start = Array.from(model.w.dataSync());
      const diverged = await fitModel(model, source(), { epochs: 1, batchSize: 40 }).catch((e: unknown) => e);
      expect(diverged).toBeInstanceOf(DivergenceError);
      expect((diverged as Error).message).toMatch(/the loss after the last step became NaN/);
      expect(Array.from(model.w.dataSync())).toEqual(start);
      // anything but undefined or a scalar breaks the contract
      model.answer = 'vector';
      const broken = await fitModel(model, source(), { epochs: 1, batchSize: 40 }).catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(ArgumentError);
      expect((broken as Error).message).toMatch(
        /fusedLoss\(\) must return undefined or a scalar tensor, got a tensor of shape \[1\]/,
      );
    } finally {
      model.dispose();
    }
  });

  it('fusedStep must be a boolean (null is not an absent option)', async () => {
    const model = new FusedMeanModel(3);
    try {
      const error = await fitModel(model, source(), { fusedStep: 1 as unknown as boolean }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as Error).message).toMatch(/"fusedStep" must be true or false, got 1/);
      for (const key of [
        'fusedStep',
        'shuffle',
        'restoreBestWeights',
        'epochs',
        'batchSize',
        'seed',
        'beta',
      ] as const) {
        const nulled = await fitModel(model, source(), { [key]: null } as never).catch((e: unknown) => e);
        expect(nulled, key).toBeInstanceOf(ArgumentError);
        expect((nulled as ArgumentError).argument, key).toBe(key);
      }
      expect(model.fusedCalls).toBe(0);
    } finally {
      model.dispose();
    }
  });
});
