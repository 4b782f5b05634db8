/**
 * The worker's backend choice: the preferred backend, or the first of webgpu → webgl → wasm → cpu that initializes
 * and computes (a software WebGPU adapter or WebGL renderer is skipped in `auto`: slower than wasm), reported to the
 * page with the reasons.
 */
import * as tf from '@tensorflow/tfjs';
import type { FromWorker, WebBackend } from './protocol.js';
import { startWasm, wasmNote } from './worker-wasm.js';
import { probeWebGpu, startWebGpu } from './worker-webgpu.js';

/** Posts a message to the page. */
export function postToPage(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

let currentBackend: string | undefined;

/** The WebGL renderer's name (e.g. "ANGLE (…SwiftShader…)"), or undefined when WebGL is unavailable. */
function webglRenderer(): string | undefined {
  try {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return undefined;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return name;
  } catch {
    return undefined;
  }
}

/** Software WebGL (SwiftShader, llvmpipe) runs tfjs' shaders on the CPU: far slower than wasm. */
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** The order `auto` tries: a GPU first (WebGPU, then WebGL), then wasm, then tfjs' plain JavaScript kernels. */
const AUTO_ORDER: readonly Exclude<WebBackend, 'auto'>[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Before starting `name`: why to skip it, or what to say about it (the adapter or renderer it will use). */
async function precheck(name: string, auto: boolean): Promise<{ skip: string } | { note?: string }> {
  if (name === 'webgl') {
    const renderer = webglRenderer();
    if (renderer === undefined) return { skip: 'webgl: no WebGL context (no GPU, or WebGL disabled)' };
    if (auto && SOFTWARE_GL.test(renderer))
      return {
        skip: `webgl: software renderer (${renderer.match(SOFTWARE_GL)![0]}), slower than wasm; choose webgl to force it`,
      };
  }
  if (name === 'webgpu') {
    const probe = await probeWebGpu();
    if ('unavailable' in probe) return { skip: `webgpu: ${probe.unavailable}` };
    if (auto && probe.software)
      return { skip: `webgpu: software adapter (${probe.adapter}), slower than wasm; choose webgpu to force it` };
    return { note: `adapter: ${probe.adapter}${probe.software ? ' (software: runs on the CPU)' : ''}` };
  }
  return {};
}

/** Starts a backend: wasm and webgpu need their own setup; the others are registered by @tensorflow/tfjs. */
function start(name: string): Promise<boolean> {
  if (name === 'wasm') return startWasm();
  if (name === 'webgpu') return startWebGpu();
  return tf.setBackend(name);
}

/** Selects the preferred backend, or the first of webgpu → webgl → wasm → cpu that initializes and computes. */
export async function useBackend(preference: WebBackend): Promise<string> {
  const order = preference === 'auto' ? AUTO_ORDER : [preference];
  if (currentBackend !== undefined && order[0] === currentBackend) return currentBackend;
  if (preference === 'auto' && currentBackend !== undefined) return currentBackend;
  const skipped: string[] = [];
  const notes: string[] = [];
  for (const name of order) {
    try {
      const check = await precheck(name, preference === 'auto');
      if ('skip' in check) {
        skipped.push(check.skip);
        continue;
      }
      if (!(await start(name))) {
        skipped.push(`${name}: did not initialize`);
        continue;
      }
      await tf.ready();
      const sum = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])));
      const value = (await sum.data())[0];
      sum.dispose();
      if (value !== 6) {
        skipped.push(`${name}: computed 1+2+3 = ${value}`);
        continue;
      }
      currentBackend = tf.getBackend();
      if (check.note) notes.push(check.note);
      if (currentBackend === 'wasm') notes.push(await wasmNote());
      postToPage({
        type: 'backend',
        backend: currentBackend,
        notes: [...notes, ...skipped.map((s) => `skipped ${s}`)],
      });
      return currentBackend;
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no usable backend (${skipped.join('; ')})`);
}
