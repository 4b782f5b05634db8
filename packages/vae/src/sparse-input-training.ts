// `fit`'s `sparseInput` option: which training steps run the encoder's first layer from the batch's non-zero entries
// (`denseOfSparseInput` of @varia/layers), decided once per step for the fused and the taped path alike.
import * as tf from '@tensorflow/tfjs-core';
import { type Dense, denseOfSparseInput, MLP, sparseInputDenseApplies } from '@varia/layers';
import type { StepContext } from './trainer/trainable-model.js';

/**
 * The density (non-zero cells ÷ cells of the batch) up to which `fit(x, { sparseInput: 'auto' })` runs a training
 * step's first encoder layer from the non-zeros. Measured for a 784→400 relu layer at batch 128 (wasm with the native
 * kernels, one thread, non-zeros at random places; forward and dW, db against `_FusedMatMul` and the dense backward
 * without dx, median of 7 interleaved pairs): the zero-skipping pair takes 0.30× the dense pair's time at 5 %
 * non-zeros, 0.63× at 19 % (MNIST), 0.90× at 30 %, 0.99× at 40 % and 1.5× at 50 %. 30 % keeps a margin below that
 * break-even. A batch's density is counted on 16 of its rows, evenly spaced (every row of a smaller batch): reading
 * all of a 128×784 batch back and counting its non-zeros took 4–7 times as long (0.25 ms or more).
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

/** The rows of a batch whose non-zeros `'auto'` counts: evenly spaced through it. */
const DENSITY_SAMPLE_ROWS = 16;

/** A backend that reads a range of a tensor's values (tfjs-wasm: a copy of those cells of its heap alone). */
type RangeReader = { readSync(dataId: tf.DataId, start?: number, end?: number): tf.backend_util.BackendValues };

/**
 * {@link DENSITY_SAMPLE_ROWS} rows of x [rows, cols], evenly spaced (all of x when it has no more rows). On wasm (where
 * the kernels are, and the step's batch: it was made just before the step) each row is read alone; elsewhere the rows
 * come from all of x's values (cpu: its stored array, no copy).
 */
function sampleRows(x: tf.Tensor): Float32Array {
  const [rows, cols] = x.shape as [number, number];
  if (rows <= DENSITY_SAMPLE_ROWS) return x.dataSync() as Float32Array;
  const all = tf.getBackend() === 'wasm' ? undefined : (x.dataSync() as Float32Array);
  const backend = tf.engine().backend as unknown as RangeReader;
  const out = new Float32Array(DENSITY_SAMPLE_ROWS * cols);
  for (let k = 0; k < DENSITY_SAMPLE_ROWS; k++) {
    const start = Math.floor((k * rows) / DENSITY_SAMPLE_ROWS) * cols;
    const range = [start, start + cols] as const;
    out.set(all ? all.subarray(...range) : (backend.readSync(x.dataId, ...range) as Float32Array), k * cols);
  }
  return out;
}

/** The fraction of cells of `values` that are not zero (+0 and −0 are zero: only the sign bit may be set). */
function nonZeroFraction(values: Float32Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let count = 0;
  // branch-free: (m + 2³¹ − 1) >>> 31 is 1 for a magnitude m ≠ 0 (m < 2³¹), 0 for m = 0
  for (let i = 0; i < bits.length; i++) count += ((bits[i]! & 0x7fffffff) + 0x7fffffff) >>> 31;
  return count / Math.max(1, bits.length);
}

/**
 * Whether a training step of the built-in VAE runs its encoder's first layer from x's non-zeros: the step's context
 * asks for it (`true`, or `'auto'` and x's sampled rows have at most {@link SPARSE_INPUT_TRAINING_DENSITY} non-zero
 * cells) and the
 * encoder and backend can take it (see the `sparseInput` option of `fit`).
 */
export function sparseInputStep(
  encoder: unknown,
  x: tf.Tensor | undefined,
  option: StepContext['sparseInput'],
): boolean {
  if (option === undefined || x === undefined || x.rank !== 2 || x.dtype !== 'float32') return false;
  if (!sparseFirstLayer(encoder)) return false;
  return option === true || nonZeroFraction(sampleRows(x)) <= SPARSE_INPUT_TRAINING_DENSITY;
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
