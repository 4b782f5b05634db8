/**
 * The worker's backend choice: the preferred backend, or the first of webgl → wasm → cpu that initializes and
 * computes (a software WebGL is skipped in `auto`: slower than wasm), reported to the page with the reasons.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { FromWorker, WebBackend } from './protocol.js';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

// Cross-origin isolated: tfjs takes the threaded SIMD build; without a count XNNPACK's pool got 1 thread here
if (self.crossOriginIsolated) setThreadsCount(Math.max(1, navigator.hardwareConcurrency || 1));

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

/** Selects the preferred backend, or the first of webgl → wasm → cpu that initializes and computes. */
export async function useBackend(preference: WebBackend): Promise<string> {
  const order = preference === 'auto' ? ['webgl', 'wasm', 'cpu'] : [preference];
  if (currentBackend !== undefined && order[0] === currentBackend) return currentBackend;
  if (preference === 'auto' && currentBackend !== undefined) return currentBackend;
  const skipped: string[] = [];
  const notes: string[] = [];
  for (const name of order) {
    try {
      if (name === 'webgl') {
        const renderer = webglRenderer();
        if (renderer === undefined) {
          skipped.push('webgl: no WebGL context (no GPU, or WebGL disabled)');
          continue;
        }
        if (preference === 'auto' && SOFTWARE_GL.test(renderer)) {
          skipped.push(
            `webgl: software renderer (${renderer.match(SOFTWARE_GL)![0]}), slower than wasm; choose webgl to force it`,
          );
          continue;
        }
      }
      if (!(await tf.setBackend(name))) {
        skipped.push(`${name}: did not initialize`);
        continue;
      }
      await tf.ready();
      const check = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])));
      const value = (await check.data())[0];
      check.dispose();
      if (value !== 6) {
        skipped.push(`${name}: computed 1+2+3 = ${value}`);
        continue;
      }
      currentBackend = tf.getBackend();
      if (currentBackend === 'wasm') {
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        // tfjs takes the threaded SIMD build when the page is cross-origin isolated (SharedArrayBuffer available)
        notes.push(
          threads && simd
            ? `SIMD, ${getThreadsCount()} thread${getThreadsCount() === 1 ? '' : 's'}: cross-origin isolated`
            : `${simd ? 'SIMD' : 'no SIMD'}, single-threaded: not cross-origin isolated (serve with COOP/COEP headers, as pnpm playground serve does, for threads)`,
        );
      }
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
