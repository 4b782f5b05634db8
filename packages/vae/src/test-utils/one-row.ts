// Shared by the one-row tests (one-row-encode.test.ts, one-row-decode.test.ts): the backends they run on, how to enter
// and leave each, and the row slices they compare.
import * as tf from '@tensorflow/tfjs-core';
import type { Matrix } from '@varia/core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsProblem } from '@varia/native-kernels';

/** Why wasm-native is not available here (undefined: it is). */
export const nativeProblem = nativeKernelsProblem();

/** The backends of the one-row tests, each with whether it is available. */
export const ONE_ROW_BACKENDS = [
  ['wasm-native', nativeProblem === undefined],
  ['wasm', true],
  ['cpu', true],
] as const;

/** Switches to `backend` (wasm-native: wasm with the native kernels) and back to cpu. */
export function backendSwitch(backend: (typeof ONE_ROW_BACKENDS)[number][0]) {
  return {
    enter: async () => {
      await tf.setBackend(backend === 'cpu' ? 'cpu' : 'wasm');
      if (backend === 'wasm-native') enableNativeKernels({ parallel: 1 });
    },
    leave: async () => {
      if (backend === 'wasm-native') disableNativeKernels();
      await tf.setBackend('cpu');
    },
  };
}

/** Row i of m as a one-row matrix (a copy). */
export const oneRow = (m: Matrix, i: number): Matrix => ({
  data: m.data.slice(i * m.cols, (i + 1) * m.cols),
  rows: 1,
  cols: m.cols,
});

/** m's first n rows (a copy). */
export const firstRows = (m: Matrix, n: number): Matrix => ({
  data: m.data.slice(0, n * m.cols),
  rows: n,
  cols: m.cols,
});
