import type * as tf from '@tensorflow/tfjs-core';
import { MLP_VAE_STEP_KERNEL, MLP_VAE_STEP_LAYER_INPUTS } from '@varia/core';
import type { InStepAdam } from '@varia/layers';
import type { FusedGradients, StepContext } from '../trainer/trainable-model.js';
import { type DenseParams, soleHolders, withAdamNumbers } from './dense-chain.js';
import type { KernelInputs, KernelRunner } from './kernel-runner.js';
import { logFactorialTable } from './likelihood-terms.js';
import type { MlpVaeLayout } from './mlp-vae-layout.js';
import { keptTerms, stepTerms } from './step-terms.js';

/**
 * The constant gradients of a step over n examples: ∂loss/∂log p(xₙ|z) = −1/n (float32) and ∂loss/∂KLₙⱼ = β/n
 * (float32: 1·β, then ÷ n) halved by the KL's ½ — the values the taped path's scalar arithmetic gives.
 */
export function stepGradients(n: number, beta: number): { g: number; half: number } {
  return { g: Math.fround(-1 / n), half: Math.fround(Math.fround(Math.fround(beta) / n) * 0.5) };
}

/** A layout's layers in the order {@link MLP_VAE_STEP_KERNEL} numbers them, and their inputs' names. */
interface Order {
  layers: DenseParams[];
  /** Layer i's input names: `kernel<i>`, `bias<i>`, `kernelM<i>`, `kernelV<i>`, `biasM<i>`, `biasV<i>`. */
  names: string[][];
  activations: string[];
  /**
   * The kernel's inputs, one object for every step (the kernel reads it during the call only): a new object taking
   * 61 properties one by one each step was the largest JavaScript cost left outside the kernel in an MNIST fit's
   * profile.
   */
  inputs: KernelInputs;
  /** The written tensors of the last step (refilled each step). */
  written: tf.Variable[];
}

/** Each layout's {@link Order}, made once (a fit's every step asks for it). */
const orders = new WeakMap<MlpVaeLayout, Order>();

function orderOf(layout: MlpVaeLayout): Order {
  let order = orders.get(layout);
  if (!order) {
    const layers = [...layout.encoder, layout.loc, layout.scale, ...layout.decoder, layout.out];
    const names = layers.map((_, i) => MLP_VAE_STEP_LAYER_INPUTS.map((part) => `${part}${i}`));
    order = { layers, names, activations: layers.map((p) => p.activation), inputs: {}, written: [] };
    orders.set(layout, order);
  }
  return order;
}

/** Every layer's W, b and moments as the kernel's inputs, or undefined where Adam does not hold one of them. */
function layerInputs(order: Order, adam: InStepAdam): tf.Variable[] | undefined {
  const { inputs, written } = order;
  written.length = 0;
  for (let i = 0; i < order.layers.length; i++) {
    const p = order.layers[i]!;
    if (!adam.has(p.kernel) || !adam.has(p.bias)) return undefined;
    const w = adam.moments(p.kernel);
    const b = adam.moments(p.bias);
    const [kernel, bias, kernelM, kernelV, biasM, biasV] = order.names[i]! as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    inputs[kernel] = p.kernel;
    inputs[bias] = p.bias;
    inputs[kernelM] = w.m;
    inputs[kernelV] = w.v;
    inputs[biasM] = b.m;
    inputs[biasV] = b.v;
    written.push(p.kernel, p.bias, w.m, w.v, b.m, b.v);
  }
  return written;
}

/** Records the layers' kernels and biases as updated in the step; returns their names. */
function markUpdated(layers: readonly DenseParams[], adam: InStepAdam): Set<string> {
  const updated = new Set<string>();
  for (const p of layers) {
    adam.markUpdated([p.kernel, p.bias]);
    updated.add(p.kernelName).add(p.biasName);
  }
  return updated;
}

/**
 * The whole training step as one {@link MLP_VAE_STEP_KERNEL} call, where the backend has that kernel and the step
 * applies Adam in place to every layer: the kernels the fused step runs, in its order, in one call (the same bits).
 * Returns undefined, having changed nothing, where it does not apply: no such kernel, a Gaussian likelihood, a layer
 * Adam does not hold in this step, a written tensor shared with another, or a batch the likelihood's kernel does not
 * take (the kernel's `misses`).
 */
export function wholeMlpVaeStep(
  layout: MlpVaeLayout,
  x: tf.Tensor,
  ctx: StepContext,
  r: KernelRunner,
): FusedGradients | undefined {
  const adam = ctx.inStepAdam;
  const family = layout.likelihood.kind;
  if (!adam || family === 'gaussian' || !r.has(MLP_VAE_STEP_KERNEL)) return undefined;
  const order = orderOf(layout);
  const layers = order.layers;
  const written = layerInputs(order, adam);
  if (!written || !soleHolders(written)) return undefined;
  const inputs = order.inputs;
  inputs.x = x;
  if (family === 'poisson') inputs.table = logFactorialTable(r);
  const { g, half } = stepGradients(x.shape[0]!, ctx.beta);
  const attrs = withAdamNumbers(
    {
      layers: layers.length,
      encoderLayers: layout.encoder.length,
      activations: order.activations,
      family,
      log1p: layout.log1p,
      seed: ctx.seed ?? 0,
      g,
      h: half,
    },
    adam,
  );
  let outputs: tf.TensorInfo[];
  try {
    outputs = r.runAll(MLP_VAE_STEP_KERNEL, inputs, attrs);
  } catch (e) {
    // the layers it updated before it failed stay updated, and count, as on the kernel-by-kernel path
    const count = (e as { layersWritten?: unknown } | null)?.layersWritten;
    if (typeof count === 'number') markUpdated(layers.slice(layers.length - Math.min(count, layers.length)), adam);
    throw e;
  }
  const [rowSums, klRows, misses] = outputs;
  if (r.read(misses!)[0] !== 0) return undefined;
  const updated = markUpdated(layers, adam);
  return {
    terms: keptTerms(r, stepTerms(r, rowSums!, klRows!, ctx.beta)),
    grads: new Map(),
    updated,
  };
}
