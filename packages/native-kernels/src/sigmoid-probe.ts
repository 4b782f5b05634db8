import type * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { byteOffset, heapBuffer, type WasmBackendInternals } from './wasm-heap.js';

/** The addon's `unary` op computing σ (native/xnn_sigmoid.h). */
export const SIGMOID_OP = 5;

/** Inputs probing σ: every edge of the ported kernel (±0, ±∞, NaN, subnormals, its cutoff ±87.34) and a sweep of ±104. */
function probeInputs(): Float32Array {
  const edges = [0, -0, Infinity, -Infinity, Number.NaN, 1e-45, -1e-45, 1e-40, -1e-40, 87.336, -87.336, 87.34, -87.34];
  const sweep = Array.from({ length: 4161 }, (_, i) => (i - 2080) * 0.05);
  return Float32Array.from([...edges, ...sweep]);
}

/** Probe results by kernel function, then by backend. */
const probed = new WeakMap<KernelFunc, WeakMap<object, boolean>>();

/**
 * Whether the addon's σ (a port of XNNPACK's wasm-SIMD sigmoid, the kernel of tfjs-backend-wasm 4.22's SIMD build) gives
 * the bits of the `Sigmoid` kernel `sigmoid` on this backend — probed once per kernel and backend on edges and a sweep,
 * so another build of the wasm backend (the non-SIMD one, whose XNNPACK kernel differs) is recognised. True when there
 * is no such kernel (nothing to agree with).
 */
export function sigmoidAgrees(
  addon: NativeAddon,
  backend: WasmBackendInternals,
  sigmoid: KernelConfig | undefined,
): boolean {
  if (!sigmoid) return true;
  const known = probed.get(sigmoid.kernelFunc)?.get(backend);
  if (known !== undefined) return known;
  const values = probeInputs();
  const b = backend as unknown as tf.KernelBackend;
  const x: TensorInfo = {
    dataId: b.write(values, [values.length], 'float32'),
    shape: [values.length],
    dtype: 'float32',
  };
  const made: TensorInfo[] = [x];
  try {
    const theirs = sigmoid.kernelFunc({ inputs: { x }, backend: b, attrs: {} }) as TensorInfo;
    made.push(theirs);
    const ours = backend.makeOutput([values.length], 'float32');
    made.push(ours);
    const heap = heapBuffer(backend);
    if (!heap) return false;
    addon.unary(heap, SIGMOID_OP, values.length, byteOffset(backend, x), byteOffset(backend, ours));
    const a = new Uint32Array((b.readSync(theirs.dataId) as Float32Array).buffer);
    const c = new Uint32Array((b.readSync(ours.dataId) as Float32Array).buffer);
    const agrees = a.length === c.length && a.every((v, i) => v === c[i]);
    if (!probed.has(sigmoid.kernelFunc)) probed.set(sigmoid.kernelFunc, new WeakMap());
    probed.get(sigmoid.kernelFunc)!.set(backend, agrees);
    return agrees;
  } finally {
    for (const t of made) b.disposeData(t.dataId);
  }
}
