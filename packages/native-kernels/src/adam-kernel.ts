import {
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type DataId,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, ADAM_UPDATE_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { NativeKernelsUnavailableError, kernelInputError, kernelShapeError } from './errors.js';
import { asWasmBackend, byteOffset, heapBuffer, soleOwner, type WasmBackendInternals } from './wasm-heap.js';

const INPUTS = ['variable', 'gradient', 'firstMoment', 'secondMoment'] as const;
const HYPER = ['learningRate', 'beta1', 'beta2', 'epsilon', 'beta1Power', 'beta2Power'] as const;

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/** The hyper-parameters, each checked to be finite. */
function hyperParameters(kernel: string, attrs: NamedAttrMap | undefined): number[] {
  return HYPER.map((name) => {
    const value = Number(attrs?.[name]);
    if (!Number.isFinite(value)) throw kernelInputError(kernel, name, `attribute "${name}" must be a finite number`);
    return value;
  });
}

/** The input names of variable i of {@link ADAM_IN_PLACE_KERNEL} (`variable<i>`, …), made once per index. */
const indexedNames: (readonly string[])[] = [];
function namesOf(i: number): readonly string[] {
  for (let k = indexedNames.length; k <= i; k++) indexedNames.push(INPUTS.map((name) => `${name}${k}`));
  return indexedNames[i]!;
}

/** The four inputs of one variable, named `names` (`INPUTS`, or {@link namesOf} an index), float32 and of one size. */
function adamInputs(kernel: string, inputs: NamedTensorInfoMap, names: readonly string[]): [TensorInfo[], number] {
  const tensors = names.map((name) => {
    const t = inputs[name];
    if (!t) throw kernelInputError(kernel, name, `missing input "${name}"`);
    if (t.dtype !== 'float32') throw kernelInputError(kernel, name, `"${name}" must be float32, got ${t.dtype}`);
    return t;
  });
  const size = util.sizeFromShape(tensors[0]!.shape);
  for (const [i, t] of tensors.entries()) {
    if (util.sizeFromShape(t.shape) !== size) {
      throw kernelShapeError(
        kernel,
        names[i]!,
        `inputs must have one shape, got [${tensors[0]!.shape.join(', ')}] and [${t.shape.join(', ')}]`,
      );
    }
  }
  return [tensors, size];
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
  const outs = [w!, m!, v!].map((t) => backend.makeOutput([...t.shape], 'float32'));
  const [w2, m2, v2] = outs as [TensorInfo, TensorInfo, TensorInfo];
  const heap = sharedHeap(kernel, backend); // read after the allocations, which may have grown the memory
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
}

/**
 * The fused Adam step ({@link ADAM_UPDATE_KERNEL}) for the wasm backend: one native pass over the parameters reads
 * w, g, m, v and writes w′, m′, v′ — instead of the ~12 elementwise wasm kernels (and their temporaries) of tfjs's
 * Adam. Outputs are new tensors; the optimizer assigns them to its variables.
 */
export function nativeAdamUpdate(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const [tensors, size] = adamInputs(ADAM_UPDATE_KERNEL, args.inputs, INPUTS);
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
    const groups: [TensorInfo[], number][] = [];
    for (let i = 0; i < count; i++) groups.push(adamInputs(kernel, args.inputs, namesOf(i)));
    const hyper = hyperParameters(kernel, args.attrs);
    const heap = sharedHeap(kernel, backend);
    // one pass: every offset, and whether each w, m, v is its data's only holder (distinct data, reference count 1)
    const specs = new Float64Array(5 * count);
    const written = new Set<DataId>();
    let inPlace = true;
    for (let i = 0; i < count; i++) {
      const [tensors, size] = groups[i]!;
      specs[5 * i] = size;
      for (let j = 0; j < 4; j++) {
        const t = tensors[j]!;
        specs[5 * i + 1 + j] = byteOffset(backend, t);
        if (j === 1) continue; // the gradient is only read
        if (!soleOwner(backend, t) || written.has(t.dataId)) inPlace = false;
        written.add(t.dataId);
      }
    }
    if (!inPlace) {
      return groups.flatMap(([tensors, size]) => adamOutOfPlace(addon, backend, kernel, tensors, size, hyper));
    }
    const [lr, b1, b2, eps, p1, p2] = hyper as [number, number, number, number, number, number];
    addon.adamInPlace(heap, specs, lr, b1, b2, eps, p1, p2);
    return [];
  };
  return { kernelName: kernel, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
