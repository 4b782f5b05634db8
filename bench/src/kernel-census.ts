/**
 * Counts and times every kernel the active backend runs: each registered kernel of the backend is wrapped in a
 * function that adds its wall time (synchronous backends: wasm, cpu) to a per-name tally. Used by `profile-step.ts`
 * to report the kernels per training step and the share of a step spent outside the matrix products.
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { DENSE_BACKWARD_ADAM_KERNEL, DENSE_BACKWARD_KERNEL } from '@varia/core';

/** One kernel's tally. */
export interface KernelTally {
  name: string;
  calls: number;
  ms: number;
}

/**
 * The matrix-product kernels (the BLAS part of a step; the fused dense backward is two products, a sum and δ, and with
 * Adam also the Adam step of its kernel and bias).
 */
export const BLAS_KERNELS: ReadonlySet<string> = new Set([
  tf.BatchMatMul,
  tf._FusedMatMul,
  DENSE_BACKWARD_KERNEL,
  DENSE_BACKWARD_ADAM_KERNEL,
]);

/** Wraps every kernel of `backendName`; `stop()` puts the originals back and returns the tallies, slowest first. */
export function startKernelCensus(backendName: string): { stop: () => KernelTally[]; reset: () => void } {
  const tallies = new Map<string, KernelTally>();
  const originals = tf.getKernelsForBackend(backendName);
  for (const config of originals) {
    const tally: KernelTally = { name: config.kernelName, calls: 0, ms: 0 };
    tallies.set(config.kernelName, tally);
    const inner = config.kernelFunc;
    const timed = ((args: Parameters<tf.KernelFunc>[0]) => {
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        tally.ms += performance.now() - t0;
        tally.calls++;
      }
    }) as tf.KernelFunc;
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc: timed });
  }
  return {
    reset: () => {
      for (const t of tallies.values()) {
        t.calls = 0;
        t.ms = 0;
      }
    },
    stop: () => {
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, backendName);
        tf.registerKernel(config);
      }
      return [...tallies.values()].filter((t) => t.calls > 0).sort((a, b) => b.ms - a.ms);
    },
  };
}
