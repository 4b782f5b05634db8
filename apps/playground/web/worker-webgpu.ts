/**
 * The worker's WebGPU check: whether the browser offers `navigator.gpu` and an adapter, and whether that adapter is a
 * real GPU or a software fallback (Chromium's SwiftShader runs the shaders on the CPU). `@tensorflow/tfjs-backend-webgpu`
 * is imported only when WebGPU is used, so pages without it do not load its code.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of the WebGPU API read here (the `@webgpu/types` tfjs-core pulls in predate `GPUAdapter.info`). */
interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<{ info?: GpuAdapterInfo } | null>;
}

/** An adapter, named, and whether it is a software fallback; or why there is none. */
export type WebGpuProbe = { adapter: string; software: boolean } | { unavailable: string };

/** Software WebGPU adapters: SwiftShader (Chromium's CPU fallback), llvmpipe/lavapipe (Mesa's). */
const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|software/i;

/** Asks the browser for a WebGPU adapter (as tfjs-backend-webgpu will: high-performance). */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  const gpu = (navigator as unknown as { gpu?: Gpu }).gpu;
  if (!gpu) return { unavailable: 'navigator.gpu is absent (this browser does not offer WebGPU here)' };
  let adapter: { info?: GpuAdapterInfo } | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { unavailable: `requestAdapter() failed: ${(e as Error).message.split('\n')[0]}` };
  }
  if (!adapter)
    return {
      unavailable: 'no WebGPU adapter (no usable GPU, or WebGPU turned off in this browser)',
    };
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') || 'unnamed adapter';
  return { adapter: name, software: info.isFallbackAdapter === true || SOFTWARE_GPU.test(name) };
}

/** Loads and starts tfjs-backend-webgpu. */
export async function startWebGpu(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-webgpu');
  return tf.setBackend('webgpu');
}
