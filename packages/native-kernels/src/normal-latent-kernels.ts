import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  NORMAL_BACKWARD_KERNEL,
  NORMAL_KL_KERNEL,
  NORMAL_LOG_PROB_BACKWARD_KERNEL,
  NORMAL_LOG_PROB_KERNEL,
  NORMAL_SAMPLE_KERNEL,
} from '@varia/core';
import type { NativeAddon } from './addon.js';
import { kernelInputError, kernelShapeError } from './errors.js';
import { asWasmBackend, byteOffset, withOutputs } from './wasm-heap.js';

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/** What {@link matrices} says of input `i`. */
const matrixMessage = (names: readonly string[], i: number): string =>
  `"${names[i]}" must be a float32 matrix of the shape of "${names[0]}"`;

/** The named inputs as float32 matrices [n, d] of one shape (a message is made only for a refusal). */
function matrices(kernel: string, inputs: NamedTensorInfoMap, names: readonly string[]): TensorInfo[] {
  const ts: TensorInfo[] = [];
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < names.length; i++) {
    const t = inputs[names[i]!];
    if (t?.dtype !== 'float32' || t.shape.length !== 2)
      throw kernelInputError(kernel, names[i]!, matrixMessage(names, i));
    if (i === 0) [rows, cols] = t.shape as [number, number];
    else if (t.shape[0] !== rows || t.shape[1] !== cols)
      throw kernelShapeError(kernel, names[i]!, matrixMessage(names, i));
    ts.push(t);
  }
  return ts;
}

/**
 * Writes `values` into `numbers` (exactly as many) and returns it: the addon's numbers for one call, in an array kept
 * between calls (the addon reads them during the call only).
 */
function set(numbers: Float64Array, ...values: number[]): Float64Array {
  for (let i = 0; i < values.length; i++) numbers[i] = values[i]!;
  return numbers;
}

/** {@link NORMAL_SAMPLE_KERNEL} for the wasm backend: σ = exp(s·½) and z = μ + σ·ε in one native call. */
export function nativeNormalSample(addon: NativeAddon): KernelConfig {
  // the numbers the addon reads, kept between calls (a typed array made per call costs an allocation each time)
  const numbers = new Float64Array(6);
  const kernelFunc = (args: KernelArgs): TensorInfo[] => {
    const [loc, s, eps] = matrices(NORMAL_SAMPLE_KERNEL, args.inputs, ['loc', 's', 'eps']) as [
      TensorInfo,
      TensorInfo,
      TensorInfo,
    ];
    const b = asWasmBackend(args.backend);
    return withOutputs(b, NORMAL_SAMPLE_KERNEL, [loc.shape, loc.shape], (outs, heap) => {
      const size = loc.shape[0]! * loc.shape[1]!;
      const [scale, z] = outs as [TensorInfo, TensorInfo];
      const o = (t: TensorInfo) => byteOffset(b, t);
      if (size > 0) addon.normalSample(heap, set(numbers, size, o(loc), o(s), o(eps), o(scale), o(z)));
      return outs;
    });
  };
  return { kernelName: NORMAL_SAMPLE_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/** {@link NORMAL_KL_KERNEL} for the wasm backend: σ² and the KL's row sums in one native call. */
export function nativeNormalKl(addon: NativeAddon): KernelConfig {
  const numbers = new Float64Array(7); // kept between calls, as nativeNormalSample's
  const kernelFunc = (args: KernelArgs): TensorInfo[] => {
    const [loc, scale] = matrices(NORMAL_KL_KERNEL, args.inputs, ['loc', 'scale']) as [TensorInfo, TensorInfo];
    const [rows, cols] = loc.shape as [number, number];
    if (rows === 0 || cols === 0) throw kernelShapeError(NORMAL_KL_KERNEL, 'loc', '"loc" must not be empty');
    const b = asWasmBackend(args.backend);
    return withOutputs(b, NORMAL_KL_KERNEL, [[rows, cols], [rows, cols], [rows]], (outs, heap) => {
      const [variance, scratch, sums] = outs as [TensorInfo, TensorInfo, TensorInfo];
      const o = (t: TensorInfo) => byteOffset(b, t);
      addon.normalKl(heap, set(numbers, rows, cols, o(loc), o(scale), o(variance), o(scratch), o(sums)));
      b.disposeData(scratch.dataId);
      return [variance, sums];
    });
  };
  return { kernelName: NORMAL_KL_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/** {@link NORMAL_BACKWARD_KERNEL} for the wasm backend: ∂/∂μ and ∂/∂s in one native call. */
export function nativeNormalBackward(addon: NativeAddon): KernelConfig {
  const numbers = new Float64Array(9); // kept between calls, as nativeNormalSample's
  const kernelFunc = (args: KernelArgs): TensorInfo[] => {
    const names = ['loc', 'scale', 'variance', 'eps', 'dz'] as const;
    const ts = matrices(NORMAL_BACKWARD_KERNEL, args.inputs, names);
    const h = args.attrs?.h;
    if (typeof h !== 'number') throw kernelInputError(NORMAL_BACKWARD_KERNEL, 'h', 'attribute "h" must be a number');
    const b = asWasmBackend(args.backend);
    const shape = [...ts[0]!.shape];
    return withOutputs(b, NORMAL_BACKWARD_KERNEL, [shape, shape], (outs, heap) => {
      const size = shape[0]! * shape[1]!;
      const o = (t: TensorInfo) => byteOffset(b, t);
      const [loc, scale, variance, eps, dz] = ts as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
      const [dLoc, dS] = outs as [TensorInfo, TensorInfo];
      if (size > 0)
        addon.normalBackward(heap, set(numbers, size, o(loc), o(scale), o(variance), o(eps), o(dz), h, o(dLoc), o(dS)));
      return outs;
    });
  };
  return { kernelName: NORMAL_BACKWARD_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/** Whether σ is one per feature (shape [cols]) rather than one value (shape []). */
function perFeature(kernel: string, sigma: TensorInfo | undefined, cols: number): boolean {
  const ok =
    sigma?.dtype === 'float32' && (sigma.shape.length === 0 || (sigma.shape.length === 1 && sigma.shape[0] === cols));
  if (!ok) throw kernelInputError(kernel, 'sigma', `"sigma" must be a float32 scalar or a vector of ${cols}`);
  return sigma.shape.length === 1;
}

/** {@link NORMAL_LOG_PROB_KERNEL} for the wasm backend: the broadcast scale, x − μ, (x − μ)/scale and the row sums. */
export function nativeNormalLogProb(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo[] => {
    const [x, loc] = matrices(NORMAL_LOG_PROB_KERNEL, args.inputs, ['x', 'loc']) as [TensorInfo, TensorInfo];
    const [rows, cols] = x.shape as [number, number];
    if (rows === 0 || cols === 0) throw kernelShapeError(NORMAL_LOG_PROB_KERNEL, 'x', '"x" must not be empty');
    const sigma = args.inputs.sigma;
    const flag = perFeature(NORMAL_LOG_PROB_KERNEL, sigma, cols);
    const half = args.attrs?.halfLog2pi;
    if (typeof half !== 'number')
      throw kernelInputError(NORMAL_LOG_PROB_KERNEL, 'halfLog2pi', 'attribute "halfLog2pi" must be a number');
    const b = asWasmBackend(args.backend);
    const shape = [rows, cols];
    return withOutputs(b, NORMAL_LOG_PROB_KERNEL, [shape, shape, shape, shape, [rows]], (outs, heap) => {
      const [scale, d, t, lp, sums] = outs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
      const offsets = [x, loc, sigma!, scale, d, t, lp, sums].map((v) => byteOffset(b, v));
      addon.normalLogProb(heap, Float64Array.of(rows, cols, flag ? 1 : 0, half, ...offsets));
      b.disposeData(lp.dataId);
      return [scale, d, t, sums];
    });
  };
  return { kernelName: NORMAL_LOG_PROB_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/** {@link NORMAL_LOG_PROB_BACKWARD_KERNEL} for the wasm backend: ∂/∂μ and ∂/∂σ in one native call. */
export function nativeNormalLogProbBackward(addon: NativeAddon): KernelConfig {
  const kernelFunc = (args: KernelArgs): TensorInfo[] => {
    const [scale, t, d] = matrices(NORMAL_LOG_PROB_BACKWARD_KERNEL, args.inputs, ['scale', 't', 'd']) as [
      TensorInfo,
      TensorInfo,
      TensorInfo,
    ];
    const [rows, cols] = scale.shape as [number, number];
    if (rows === 0 || cols === 0)
      throw kernelShapeError(NORMAL_LOG_PROB_BACKWARD_KERNEL, 'scale', '"scale" must not be empty');
    const { g, perFeature: flag } = args.attrs ?? {};
    if (typeof g !== 'number' || typeof flag !== 'boolean') {
      const attribute = typeof g !== 'number' ? 'g' : 'perFeature';
      const message = 'attributes "g" (a number) and "perFeature" (a boolean)';
      throw kernelInputError(NORMAL_LOG_PROB_BACKWARD_KERNEL, attribute, message);
    }
    const b = asWasmBackend(args.backend);
    const shapes = [[rows, cols], [rows, cols], flag ? [cols] : []];
    return withOutputs(b, NORMAL_LOG_PROB_BACKWARD_KERNEL, shapes, (outs, heap) => {
      const [dLoc, dScale, dSigma] = outs as [TensorInfo, TensorInfo, TensorInfo];
      const offsets = [scale, t, d, dLoc, dScale, dSigma].map((v) => byteOffset(b, v));
      addon.normalLogProbBackward(heap, Float64Array.of(rows, cols, flag ? 1 : 0, g, ...offsets));
      b.disposeData(dScale.dataId);
      return [dLoc, dSigma];
    });
  };
  return { kernelName: NORMAL_LOG_PROB_BACKWARD_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
