// tfjs-backend-wasm allocates a kernel's output with the wasm module's malloc and does not check the result: when the
// memory cannot grow any further, malloc returns 0 and the output "lives" at byte 0. A native kernel then wrote its
// values over the start of the wasm memory (the module's own data and other tensors — measured: a 2 GB draw beside a
// 2.6 GB tensor overwrote it, and the next wasm kernel trapped), since [0, n) is inside the memory and passes the
// addon's bounds checks. Here malloc fails on demand (the module's own function, replaced for the test's length) so
// that the failure needs no gigabytes.
import * as tf from '@tensorflow/tfjs-core';
import { DENSE_BACKWARD_KERNEL, STANDARD_NORMAL_KERNEL, VariaError } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { skipNative } from './test-support.js';

/** The wasm module's allocator, as tfjs-backend-wasm calls it (`this.wasm._malloc(bytes)`). */
interface WasmModule {
  _malloc(bytes: number): number;
  HEAPU8: Uint8Array;
}

/** Bytes at the start of the wasm memory that a kernel must not touch (and that are restored if one does). */
const WATCHED = 16384;

/**
 * Runs `call` while malloc refuses every request of at least `from` bytes (returning 0, as emscripten's malloc does when
 * the memory cannot grow). Returns whether the first WATCHED bytes of the memory changed; puts them back if so.
 */
function underFailingMalloc(from: number, call: () => void): { error: unknown; touched: boolean } {
  const wasm = (tf.backend() as unknown as { wasm: WasmModule }).wasm;
  const malloc = wasm._malloc;
  const before = wasm.HEAPU8.slice(0, WATCHED);
  let error: unknown;
  wasm._malloc = (bytes: number) => (bytes >= from ? 0 : malloc.call(wasm, bytes));
  try {
    call();
  } catch (e) {
    error = e;
  } finally {
    wasm._malloc = malloc;
  }
  const after = wasm.HEAPU8.subarray(0, WATCHED);
  const touched = after.some((b, i) => b !== before[i]);
  if (touched) after.set(before);
  return { error, touched };
}

describe.skipIf(skipNative)('a kernel whose output the wasm memory cannot hold', () => {
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('the standard-normal draw is refused with a VariaError, writing nothing and leaving no tensor or data', () => {
    const tensors = tf.memory().numTensors;
    const data = tf.engine().backend.numDataIds();
    const { error, touched } = underFailingMalloc(4096, () => {
      tf.engine().runKernel(STANDARD_NORMAL_KERNEL, {}, { shape: [40, 50], seed: 3 } as unknown as tf.NamedAttrMap);
    });
    expect(touched).toBe(false);
    expect(error).toBeInstanceOf(VariaError);
    expect((error as Error).message).toMatch(/VariaStandardNormal.*\[40, 50\]/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(data);
    // and the kernel works again once memory is there
    const e = tf
      .engine()
      .runKernel(STANDARD_NORMAL_KERNEL, {}, { shape: [40, 50], seed: 3 } as unknown as tf.NamedAttrMap);
    expect((e as tf.Tensor).shape).toEqual([40, 50]);
    (e as tf.Tensor).dispose();
  });

  it('the dense backward pass is refused the same way, freeing the outputs it had allocated (dx, then dW fails)', () => {
    const [dy, y, x, kernel] = [tf.ones([8, 16]), tf.ones([8, 16]), tf.ones([8, 64]), tf.ones([64, 16])];
    const tensors = tf.memory().numTensors;
    const data = tf.engine().backend.numDataIds();
    // dx [8, 64] takes 2048 bytes, dW [64, 16] 4096, db 64: from 2048 dx fails; from 4096 dx is made, then dW fails
    for (const from of [2048, 4096]) {
      const { error, touched } = underFailingMalloc(from, () => {
        tf.engine().runKernel(DENSE_BACKWARD_KERNEL, { dy, y, x, kernel }, {
          activation: 'relu',
          inputGradient: true,
        } as unknown as tf.NamedAttrMap);
      });
      expect(touched, `malloc failing from ${from} bytes`).toBe(false);
      expect(error).toBeInstanceOf(VariaError);
      expect((error as Error).message).toMatch(from === 2048 ? /\[8, 64\]/ : /\[64, 16\]/);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.engine().backend.numDataIds()).toBe(data);
    }
    tf.dispose([dy, y, x, kernel]);
  });
});
