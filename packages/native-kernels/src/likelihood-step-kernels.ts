import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { LIKELIHOOD_STEP_KERNELS } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { NativeKernelsUnavailableError, kernelInputError, kernelShapeError } from './errors.js';
import { sigmoidAgrees } from './sigmoid-probe.js';
import { asWasmBackend, byteOffset, heapBuffer, withOutputs } from './wasm-heap.js';

/** A likelihood family of {@link LIKELIHOOD_STEP_KERNELS} as the addon's `likelihoodStep` takes it. */
export interface FamilySpec {
  /** Its code in native/likelihood_step.c's FAMILIES (the same order). */
  code: number;
  /** The name of the head-output input (the family's parameter). */
  param: string;
  /** Whether it takes a `table` input (a float32 vector). */
  table: boolean;
}

/** Every family's kernel, declared once: its tag comes from `@varia/core`, the rest from here. */
export const FAMILIES: Readonly<Record<keyof typeof LIKELIHOOD_STEP_KERNELS, FamilySpec>> = {
  bernoulli: { code: 0, param: 'logits', table: false },
  poisson: { code: 1, param: 'logRate', table: true },
};

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/** The family's inputs, checked: x and the parameter float32 matrices of one shape, and its table. */
function operands(kernel: string, spec: FamilySpec, inputs: NamedTensorInfoMap): TensorInfo[] {
  // (no arrays or closures made per call but the result: a training step calls this; a message only for a refusal)
  const x = inputs.x;
  const param = inputs[spec.param];
  if (x?.dtype !== 'float32' || x.shape.length !== 2)
    throw kernelInputError(kernel, 'x', '"x" must be a float32 matrix [n, D]');
  if (param?.dtype !== 'float32' || param.shape.length !== 2)
    throw kernelInputError(kernel, spec.param, `"${spec.param}" must be a float32 matrix [n, D]`);
  if (param.shape[0] !== x.shape[0] || param.shape[1] !== x.shape[1])
    throw kernelShapeError(kernel, spec.param, `"${spec.param}" must have the shape of "x", [${x.shape.join(', ')}]`);
  if (!spec.table) return [x, param];
  const table = inputs.table;
  if (table?.dtype !== 'float32' || table.shape.length !== 1 || table.shape[0] === 0)
    throw kernelInputError(kernel, 'table', '"table" must be a non-empty float32 vector');
  return [x, param, table];
}

/**
 * One family's kernel of {@link LIKELIHOOD_STEP_KERNELS} for the wasm backend: the row sums of log p(x | ℓ), dOut =
 * g·∂log p/∂ℓ and the miss count, in one native pass over the batch (rows shared between `parallel` threads: the same
 * bits for any count). The Bernoulli kernel's σ is the addon's port of the backend's own `Sigmoid`; where a probe finds
 * the two differ (another build of the wasm backend), it takes σ from that kernel instead, so the bits still agree.
 */
function nativeLikelihoodStep(addon: NativeAddon, family: keyof typeof LIKELIHOOD_STEP_KERNELS): KernelConfig {
  const kernel = LIKELIHOOD_STEP_KERNELS[family];
  const spec = FAMILIES[family];
  // the numbers the addon reads, kept between calls (a typed array made per call costs an allocation each time)
  const numbers = new Float64Array(11);
  const kernelFunc = (args: KernelArgs): TensorInfo[] => {
    const [x, param, table] = operands(kernel, spec, args.inputs);
    const g = args.attrs?.g;
    if (typeof g !== 'number') throw kernelInputError(kernel, 'g', 'attribute "g" must be a number');
    const backend = asWasmBackend(args.backend);
    if (!heapBuffer(backend))
      throw new NativeKernelsUnavailableError(`${kernel}: the threaded wasm build's shared memory is not supported`);
    // each on the backend (in this order: the first that is not is the one named)
    const xOffset = byteOffset(backend, x!);
    const paramOffset = byteOffset(backend, param!);
    const tableOffset = table ? byteOffset(backend, table) : -1;
    const [rows, cols] = x!.shape as [number, number];
    const b = args.backend as tf.KernelBackend;
    // σ from the backend's own Sigmoid where the addon's port does not give its bits (freed once the pass is done)
    const aux =
      family === 'bernoulli' && !sigmoidAgrees(addon, backend, tf.getKernel(tf.Sigmoid, 'wasm'))
        ? (tf.getKernel(tf.Sigmoid, 'wasm')!.kernelFunc({ inputs: { x: param! }, backend: b, attrs: {} }) as TensorInfo)
        : undefined;
    try {
      return withOutputs(backend, kernel, [[rows], [rows, cols], []], (outputs, heap) => {
        const [sums, dOut, misses] = outputs as [TensorInfo, TensorInfo, TensorInfo];
        numbers[0] = spec.code;
        numbers[1] = rows;
        numbers[2] = cols;
        numbers[3] = g;
        numbers[4] = xOffset;
        numbers[5] = paramOffset;
        numbers[6] = byteOffset(backend, sums);
        numbers[7] = byteOffset(backend, dOut);
        numbers[8] = tableOffset;
        numbers[9] = table ? table.shape[0]! : 0;
        numbers[10] = aux ? byteOffset(backend, aux) : -1;
        const count = addon.likelihoodStep(heap, numbers);
        new Float32Array(heap, byteOffset(backend, misses), 1)[0] = count;
        return [sums, dOut, misses];
      });
    } finally {
      if (aux) b.disposeData(aux.dataId);
    }
  };
  return { kernelName: kernel, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/** The kernels of {@link LIKELIHOOD_STEP_KERNELS}, one per family, for the wasm backend. */
export function nativeLikelihoodSteps(addon: NativeAddon): KernelConfig[] {
  return (Object.keys(FAMILIES) as (keyof typeof LIKELIHOOD_STEP_KERNELS)[]).map((family) =>
    nativeLikelihoodStep(addon, family),
  );
}
