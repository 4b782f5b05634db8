// `fit`'s `sparseInput` option: which training steps run the encoder's first layer from the batch's non-zero entries
// (`denseOfSparseInput` of @varia/layers), decided once per step for the fused and the taped path alike.
import type * as tf from '@tensorflow/tfjs-core';
import { type Dense, denseOfSparseInput, MLP, sparseInputDenseApplies } from '@varia/layers';
import type { StepContext } from './trainer/trainable-model.js';

/**
 * The density (non-zero cells ÷ cells of the batch) up to which `fit(x, { sparseInput: 'auto' })` runs a training
 * step's first encoder layer from the non-zeros. Measured for a 784→400 relu layer at batch 128 (wasm with the native
 * kernels, one thread, non-zeros at random places; forward and dW, db against `_FusedMatMul` and the dense backward
 * without dx, median of 7 interleaved pairs): the zero-skipping pair takes 0.30× the dense pair's time at 5 %
 * non-zeros, 0.63× at 19 % (MNIST), 0.90× at 30 %, 0.99× at 40 % and 1.5× at 50 %. 30 % keeps a margin below that
 * break-even. Counting a batch's non-zeros (a read of the batch, ~0.1–0.25 ms for 128×784) is part of `'auto'`'s
 * cost: for data known to be sparse, `sparseInput: true` skips it.
 */
export const SPARSE_INPUT_TRAINING_DENSITY = 0.3;

/**
 * The encoder's first layer when a training step can run it from the non-zeros: the built-in MLP encoder (not a
 * user's network, nor one that reads covariates) with at least one layer, whose first layer the backend's kernels take
 * (`sparseInputDenseApplies`: both kernels registered, activation linear, relu or sigmoid); else undefined.
 */
function sparseFirstLayer(encoder: unknown): Dense | undefined {
  if (!(encoder instanceof MLP) || encoder.layers.length === 0) return undefined;
  const first = encoder.layers[0]!;
  return sparseInputDenseApplies(first) ? first : undefined;
}

/**
 * Whether x has at most `limit` non-zero cells (a zero being +0 or −0: only its sign bit may be set). Reads x (on wasm
 * and cpu a copy of host memory) and stops counting as soon as the limit is passed.
 */
function atMostNonZeros(x: tf.Tensor, limit: number): boolean {
  const values = x.dataSync() as Float32Array;
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let count = 0;
  for (let start = 0; start < bits.length && count <= limit; start += 4096) {
    const end = Math.min(bits.length, start + 4096);
    // branch-free: (m + 2³¹ − 1) >>> 31 is 1 for a magnitude m ≠ 0 (m < 2³¹), 0 for m = 0
    for (let i = start; i < end; i++) count += ((bits[i]! & 0x7fffffff) + 0x7fffffff) >>> 31;
  }
  return count <= limit;
}

/**
 * Whether a training step of the built-in VAE runs its encoder's first layer from x's non-zeros: the step's context
 * asks for it (`true`, or `'auto'` and x has at most {@link SPARSE_INPUT_TRAINING_DENSITY} non-zero cells) and the
 * encoder and backend can take it (see the `sparseInput` option of `fit`).
 */
export function sparseInputStep(
  encoder: unknown,
  x: tf.Tensor | undefined,
  option: StepContext['sparseInput'],
): boolean {
  if (option === undefined || x === undefined || x.rank !== 2 || x.dtype !== 'float32') return false;
  if (!sparseFirstLayer(encoder)) return false;
  return option === true || atMostNonZeros(x, Math.floor(SPARSE_INPUT_TRAINING_DENSITY * x.size));
}

/**
 * The encoder's hidden output for an input `input` (the data, after the input transform) with its first layer run
 * from the non-zeros and the other layers as `MLP.apply` runs them; undefined where the encoder cannot take it (the
 * caller then applies it densely). Lives in the caller's scope (a gradient scope in training).
 */
export function sparseInputHidden(encoder: unknown, input: tf.Tensor): tf.Tensor2D | undefined {
  const first = sparseFirstLayer(encoder);
  if (!first) return undefined;
  let h = denseOfSparseInput(first, input);
  for (const layer of (encoder as MLP).layers.slice(1)) h = layer.apply(h);
  return h;
}
