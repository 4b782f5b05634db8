import * as tf from '@tensorflow/tfjs-core';
import {
  DENSE_BACKWARD_ADAM_KERNEL,
  DENSE_BACKWARD_KERNEL,
  FAST_TRANSPOSED_MATMUL,
  JOIN_DEFERRED_KERNEL,
  SPARSE_INPUT_DENSE_BACKWARD_KERNEL,
  SPARSE_INPUT_DENSE_KERNEL,
} from '@varia/core';
import type { Activation, InStepAdam } from '@varia/layers';
import type { KernelInputs, KernelRunner } from './kernel-runner.js';

/**
 * Where a step's gradients go: into `grads` by variable name, or, for a layer whose variables `adam` (the step's
 * {@link InStepAdam}, when the trainer offers one) holds, straight into their Adam step by
 * {@link DENSE_BACKWARD_ADAM_KERNEL} — their names then go to `updated`.
 */
export interface GradientSink {
  grads: Map<string, tf.TensorInfo>;
  updated: Set<string>;
  adam?: InStepAdam;
}

/** Activations whose layer runs as one `_FusedMatMul` forward and one {@link DENSE_BACKWARD_KERNEL} backward. */
export const FUSED_STEP_ACTIVATIONS: ReadonlySet<Activation> = new Set<Activation>(['linear', 'relu', 'sigmoid']);

/** One dense layer of a plan: its variables, their stable names and its activation. */
export interface DenseParams {
  kernel: tf.Variable;
  bias: tf.Variable;
  activation: Activation;
  kernelName: string;
  biasName: string;
}

/**
 * Whether the active backend runs a `Dense` layer the way a plan replays it: a `_FusedMatMul` that applies the
 * activation itself (tagged {@link FAST_TRANSPOSED_MATMUL}, as `@varia/layers`' dense forward checks) and the fused
 * backward kernel.
 */
export function denseKernelsDirect(): boolean {
  const backend = tf.getBackend();
  const fused = tf.getKernel(tf._FusedMatMul, backend) as (tf.KernelConfig & Record<string, unknown>) | undefined;
  return fused?.[FAST_TRANSPOSED_MATMUL] === true && tf.getKernel(DENSE_BACKWARD_KERNEL, backend) !== undefined;
}

/** The attributes of `Dense.apply`'s `_FusedMatMul` by activation, made once each (kernels only read them). */
const FORWARD_ATTRS = new Map<Activation, tf.NamedAttrMap>();

/** y = f(xW + b): the kernel `Dense.apply` runs (`tf._FusedMatMul` with the activation). */
export function denseForward(r: KernelRunner, x: tf.TensorInfo, p: DenseParams): tf.TensorInfo {
  let attrs = FORWARD_ATTRS.get(p.activation);
  if (!attrs) {
    attrs = Object.freeze({ transposeA: false, transposeB: false, activation: p.activation, leakyreluAlpha: 0.2 });
    FORWARD_ATTRS.set(p.activation, attrs);
  }
  return r.run(tf._FusedMatMul, { a: x, b: p.kernel, bias: p.bias }, attrs);
}

/**
 * The layer's gradients: dW, db and (with `inputGradient`) dx, from the fused backward kernel `Dense`'s tape runs;
 * with `dxAdd` ([batch, in], another path's gradient to x) dx is dxAdd + δ·Wᵀ in the same call, the bits of an `Add`.
 */
export function denseBackward(
  r: KernelRunner,
  dy: tf.TensorInfo,
  y: tf.TensorInfo,
  x: tf.TensorInfo,
  p: DenseParams,
  inputGradient: boolean,
  dxAdd?: tf.TensorInfo,
): { dx?: tf.TensorInfo; dW: tf.TensorInfo; db: tf.TensorInfo } {
  const out = r.runAll(
    DENSE_BACKWARD_KERNEL,
    { dy, y, x, kernel: p.kernel, ...(dxAdd ? { dxAdd } : {}) },
    { activation: p.activation, inputGradient },
  );
  return inputGradient ? { dx: out[0]!, dW: out[1]!, db: out[2]! } : { dW: out[0]!, db: out[1]! };
}

/**
 * Adds the step's Adam numbers (η, β₁, β₂, ε, β₁ᵗ, β₂ᵗ: the attributes of the kernels that apply Adam in place) to
 * `attrs` and returns it (written out, without a spread: every layer of every step makes such an object).
 */
export function withAdamNumbers(attrs: tf.NamedAttrMap, adam: InStepAdam): tf.NamedAttrMap {
  const n = adam.numbers;
  attrs.learningRate = n.learningRate;
  attrs.beta1 = n.beta1;
  attrs.beta2 = n.beta2;
  attrs.epsilon = n.epsilon;
  attrs.beta1Power = n.beta1Power;
  attrs.beta2Power = n.beta2Power;
  return attrs;
}

/** Whether the sink takes the layer's gradients into its Adam step. */
function adamOf(sink: GradientSink, p: DenseParams): InStepAdam | undefined {
  const adam = sink.adam;
  return adam?.has(p.kernel) && adam.has(p.bias) ? adam : undefined;
}

/** Gives a layer's dW and db to the sink's `grads` (the trainer applies them after the step). */
function giveGradients(sink: GradientSink, p: DenseParams, dW: tf.TensorInfo, db: tf.TensorInfo): void {
  sink.grads.set(p.kernelName, dW);
  sink.grads.set(p.biasName, db);
}

/** Whether every tensor is its data's only holder (what an in-place kernel writes must be). */
export function soleHolders(tensors: readonly tf.TensorInfo[]): boolean {
  const backend = tf.engine().backend;
  for (const t of tensors) if (backend.refCount(t.dataId) !== 1) return false;
  return true;
}

/**
 * A layer's backward pass with its gradients given to `sink` (see {@link GradientSink}); returns dx (with
 * `inputGradient`; with `dxAdd`, dxAdd + dx, joined by the kernel as {@link denseBackward}'s). Where the sink
 * applies Adam to the layer and the backend has {@link DENSE_BACKWARD_ADAM_KERNEL}, one call computes dx (from W
 * before the update) and updates W, b and their moments in place, each block of dW while it is in cache; else {@link denseBackward}, and dW, db go to the trainer. (Not {@link denseBackward} followed by
 * `adam.update` on the layer: the same bits, but five Adam calls between the products instead of one after them were
 * 0.94–0.95× the step's speed on MNIST, in process CPU time.) With `deferUpdate` that kernel may leave W's update
 * running on helper threads (its attribute of that name): the caller must then run {@link JOIN_DEFERRED_KERNEL}
 * before it frees or reads x, dy or the layer's variables outside the native kernels.
 */
export function denseBackwardInto(
  r: KernelRunner,
  dy: tf.TensorInfo,
  y: tf.TensorInfo,
  x: tf.TensorInfo,
  p: DenseParams,
  inputGradient: boolean,
  sink: GradientSink,
  dxAdd?: tf.TensorInfo,
  deferUpdate = false,
): tf.TensorInfo | undefined {
  const adam = adamOf(sink, p);
  if (adam && r.has(DENSE_BACKWARD_ADAM_KERNEL)) {
    const { m: kernelM, v: kernelV } = adam.moments(p.kernel);
    const { m: biasM, v: biasV } = adam.moments(p.bias);
    // the kernel refuses to write data another tensor shares (e.g. a clone of a weight that the caller keeps)
    if (soleHolders([p.kernel, p.bias, kernelM, kernelV, biasM, biasV])) {
      // written out, without spreads (every layer of every step makes these two objects)
      const inputs: KernelInputs = { dy, y, x, kernel: p.kernel, bias: p.bias, kernelM, kernelV, biasM, biasV };
      if (dxAdd) inputs.dxAdd = dxAdd;
      const attrs = withAdamNumbers({ activation: p.activation, inputGradient }, adam);
      if (deferUpdate) attrs.deferUpdate = true;
      const out = r.runAll(DENSE_BACKWARD_ADAM_KERNEL, inputs, attrs);
      adam.markUpdated([p.kernel, p.bias]);
      sink.updated.add(p.kernelName).add(p.biasName);
      return inputGradient ? out[0] : undefined;
    }
  }
  const g = denseBackward(r, dy, y, x, p, inputGradient, dxAdd);
  giveGradients(sink, p, g.dW, g.db);
  return g.dx;
}

/** y = f(xW + b) from x's non-zeros: the kernel `denseOfSparseInput` (@varia/layers) runs. */
function sparseInputForward(r: KernelRunner, x: tf.TensorInfo, p: DenseParams): tf.TensorInfo {
  return r.run(
    SPARSE_INPUT_DENSE_KERNEL,
    { x, kernel: p.kernel, bias: p.bias },
    { activation: p.activation, leakyreluAlpha: 0.2 },
  );
}

/** dW and db of {@link sparseInputForward}'s layer (no dx: x is data). */
function sparseInputBackward(
  r: KernelRunner,
  dy: tf.TensorInfo,
  y: tf.TensorInfo,
  x: tf.TensorInfo,
  p: DenseParams,
): { dW: tf.TensorInfo; db: tf.TensorInfo } {
  const [dW, db] = r.runAll(SPARSE_INPUT_DENSE_BACKWARD_KERNEL, { dy, y, x }, { activation: p.activation });
  return { dW: dW!, db: db! };
}

/**
 * A stack of layers applied in order; returns every activation [x, h₁, …, h_L]. With `sparseFirst` the first layer
 * reads only x's non-zeros (`fit`'s `sparseInput`; the backend has the kernels and the layer's activation is theirs).
 */
export function chainForward(
  r: KernelRunner,
  x: tf.TensorInfo,
  layers: readonly DenseParams[],
  sparseFirst = false,
): tf.TensorInfo[] {
  const hs = [x];
  for (const p of layers) {
    const h = hs[hs.length - 1]!;
    hs.push(sparseFirst && hs.length === 1 ? sparseInputForward(r, h, p) : denseForward(r, h, p));
  }
  return hs;
}

/**
 * Backward through a stack (last layer first) given dy of its output and the activations of {@link chainForward};
 * gives dW, db to `sink` layer by layer (see {@link denseBackwardInto}); returns dx of the stack's input (undefined
 * when `inputGradient` is false: the first layer then skips it, as `Dense` does for data). With `sparseFirst` (and no
 * `inputGradient`) the first layer's dW and db come from x's non-zeros, as {@link chainForward}'s.
 */
export function chainBackward(
  r: KernelRunner,
  dy: tf.TensorInfo,
  hs: readonly tf.TensorInfo[],
  layers: readonly DenseParams[],
  inputGradient: boolean,
  sink: GradientSink,
  sparseFirst = false,
): tf.TensorInfo | undefined {
  let d: tf.TensorInfo | undefined = dy;
  for (let i = layers.length - 1; i >= 0; i--) {
    const p = layers[i]!;
    if (i === 0 && sparseFirst && !inputGradient) {
      const g = sparseInputBackward(r, d!, hs[1]!, hs[0]!, p);
      giveGradients(sink, p, g.dW, g.db);
      d = undefined;
    } else d = denseBackwardInto(r, d!, hs[i + 1]!, hs[i]!, p, i > 0 || inputGradient, sink);
  }
  return d;
}
