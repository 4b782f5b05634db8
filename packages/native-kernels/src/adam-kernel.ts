import type {
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  DataId,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, ADAM_UPDATE_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { NativeKernelsUnavailableError, kernelInputError, kernelShapeError } from './errors.js';
import {
  asWasmBackend,
  byteOffset,
  heapBuffer,
  heapEntry,
  type WasmBackendInternals,
  withOutputs,
} from './wasm-heap.js';
import { forgetWeightFacts } from './weight-facts.js';

const INPUTS = ['variable', 'gradient', 'firstMoment', 'secondMoment'] as const;
export const HYPER = ['learningRate', 'beta1', 'beta2', 'epsilon', 'beta1Power', 'beta2Power'] as const;

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/**
 * Adam's attributes `learningRate`, `beta1`, `beta2`, `epsilon`, `beta1Power`, `beta2Power` in that order, each checked
 * to be finite (plain loops: this runs once per training step).
 * @throws ArgumentError naming the first attribute that is not a finite number.
 */
export function hyperParameters(kernel: string, attrs: NamedAttrMap | undefined): number[] {
  const values = new Array<number>(HYPER.length);
  for (let i = 0; i < HYPER.length; i++) {
    const name = HYPER[i]!;
    const value = Number(attrs?.[name]);
    if (!Number.isFinite(value)) throw kernelInputError(kernel, name, `attribute "${name}" must be a finite number`);
    values[i] = value;
  }
  return values;
}

/** The input names of variable i of {@link ADAM_IN_PLACE_KERNEL} (`variable<i>`, …), made once per index. */
const indexedNames: (readonly string[])[] = [];
function namesOf(i: number): readonly string[] {
  for (let k = indexedNames.length; k <= i; k++) indexedNames.push(INPUTS.map((name) => `${name}${k}`));
  return indexedNames[i]!;
}

/** The number of elements of a shape (`util.sizeFromShape` as a loop). */
function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (let i = 0; i < shape.length; i++) size *= shape[i]!;
  return size;
}

/**
 * Checks the four inputs of one variable, named `names` (`INPUTS`, or {@link namesOf} an index): present, float32 and
 * of one size. Writes them to `into[at…at+3]` and returns the size.
 */
function checkAdamInputs(
  kernel: string,
  inputs: NamedTensorInfoMap,
  names: readonly string[],
  into: TensorInfo[],
  at: number,
): number {
  for (let j = 0; j < 4; j++) {
    const name = names[j]!;
    const t = inputs[name];
    if (!t) throw kernelInputError(kernel, name, `missing input "${name}"`);
    if (t.dtype !== 'float32') throw kernelInputError(kernel, name, `"${name}" must be float32, got ${t.dtype}`);
    into[at + j] = t;
  }
  const first = into[at]!;
  const size = sizeOf(first.shape);
  for (let j = 1; j < 4; j++) {
    const t = into[at + j]!;
    if (sizeOf(t.shape) !== size) {
      throw kernelShapeError(
        kernel,
        names[j]!,
        `inputs must have one shape, got [${first.shape.join(', ')}] and [${t.shape.join(', ')}]`,
      );
    }
  }
  return size;
}

function sharedHeap(kernel: string, backend: WasmBackendInternals): ArrayBuffer {
  const heap = heapBuffer(backend);
  if (!heap)
    throw new NativeKernelsUnavailableError(`${kernel}: the threaded wasm build's shared memory is not supported`);
  return heap;
}

/** w′, m′, v′ of one variable as new tensors. */
function adamOutOfPlace(
  addon: NativeAddon,
  backend: WasmBackendInternals,
  kernel: string,
  [w, g, m, v]: TensorInfo[],
  size: number,
  hyper: number[],
): TensorInfo[] {
  // outputs freed again if an input turns out not to be on the backend (a disposed gradient or moment)
  return withOutputs(backend, kernel, [w!.shape, m!.shape, v!.shape], (outs, heap) => {
    const [w2, m2, v2] = outs as [TensorInfo, TensorInfo, TensorInfo];
    const offsets = [w!, g!, m!, v!, w2, m2, v2].map((t) => byteOffset(backend, t));
    const [lr, b1, b2, eps, p1, p2] = hyper as [number, number, number, number, number, number];
    addon.adam(
      heap,
      size,
      ...(offsets as [number, number, number, number, number, number, number]),
      lr,
      b1,
      b2,
      eps,
      p1,
      p2,
    );
    return outs;
  });
}

/**
 * The fused Adam step ({@link ADAM_UPDATE_KERNEL}) for the wasm backend: one native pass over the parameters reads
 * w, g, m, v and writes w′, m′, v′ — instead of the ~12 elementwise wasm kernels (and their temporaries) of tfjs's
 * Adam. Outputs are new tensors; the optimizer assigns them to its variables.
 */
export function nativeAdamUpdate(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const tensors = new Array<TensorInfo>(4);
    const size = checkAdamInputs(ADAM_UPDATE_KERNEL, args.inputs, INPUTS, tensors, 0);
    const hyper = hyperParameters(ADAM_UPDATE_KERNEL, args.attrs);
    sharedHeap(ADAM_UPDATE_KERNEL, backend);
    return adamOutOfPlace(addon, backend, ADAM_UPDATE_KERNEL, tensors, size, hyper);
  };
  return { kernelName: ADAM_UPDATE_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/**
 * {@link ADAM_IN_PLACE_KERNEL} for the wasm backend: the Adam step of every variable in one native call that
 * overwrites w, m and v where it is their data's only holder (no new tensors, no assignments, one dispatch per
 * training step instead of one per variable plus three assignments each). Where some tensor shares that data (a
 * clone kept by the caller) nothing is overwritten: it returns w′, m′, v′ of every variable as new tensors instead.
 */
export function nativeAdamInPlace(addon: NativeAddon): KernelConfig {
  const kernel = ADAM_IN_PLACE_KERNEL;
  // kept from call to call (a training step makes one call with the same count each time): the table the addon reads
  // (size and byte offsets of w, g, m, v per variable) and the set of data written; calls never overlap
  let specs = new Float64Array(0);
  const written = new Set<DataId>();
  const kernelFunc = (args: KernelArgs): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const count = Number(args.attrs?.count);
    // at most one variable per four inputs: a larger count names inputs that are not there
    if (!Number.isInteger(count) || count < 0 || count > Object.keys(args.inputs).length / 4)
      throw kernelInputError(
        kernel,
        'count',
        `attribute "count" must be an integer from 0 to inputs / 4, got ${count}`,
      );
    const tensors = new Array<TensorInfo>(4 * count);
    const sizes = new Array<number>(count);
    for (let i = 0; i < count; i++) sizes[i] = checkAdamInputs(kernel, args.inputs, namesOf(i), tensors, 4 * i);
    const hyper = hyperParameters(kernel, args.attrs);
    const heap = sharedHeap(kernel, backend);
    // one pass: every offset, and whether each w, m, v is its data's only holder (distinct data, reference count 1)
    if (specs.length !== 5 * count) specs = new Float64Array(5 * count);
    let inPlace = true;
    try {
      for (let i = 0; i < count; i++) {
        specs[5 * i] = sizes[i]!;
        for (let j = 0; j < 4; j++) {
          const t = tensors[4 * i + j]!;
          const entry = heapEntry(backend, t);
          specs[5 * i + 1 + j] = entry.memoryOffset;
          if (j === 1) continue; // the gradient is only read
          if (entry.refCount !== 1 || written.has(t.dataId)) inPlace = false;
          written.add(t.dataId);
        }
      }
    } finally {
      written.clear();
    }
    if (!inPlace) {
      const outs: TensorInfo[] = [];
      for (let i = 0; i < count; i++)
        outs.push(...adamOutOfPlace(addon, backend, kernel, tensors.slice(4 * i, 4 * i + 4), sizes[i]!, hyper));
      return outs;
    }
    // w, m and v are overwritten: what the in-step Adam knew of their values goes
    for (let i = 0; i < tensors.length; i++) if (i % 4 !== 1) forgetWeightFacts(tensors[i]!.dataId);
    addon.adamInPlace(heap, specs, hyper[0]!, hyper[1]!, hyper[2]!, hyper[3]!, hyper[4]!, hyper[5]!);
    return [];
  };
  return { kernelName: kernel, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
