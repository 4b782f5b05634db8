// Shared by the tests (excluded from the build): one Adam step by tfjs and by @varia/wasm-kernels' module.
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE_KERNEL } from '@varia/core';
import { disableWasmKernels, enableWasmKernels, wasmKernelCalls } from '@varia/wasm-kernels';

const bitsOf = (t: tf.Tensor) => new Uint32Array(new Float32Array(t.dataSync()).buffer);

/**
 * One Adam step (η = 0.01, tfjs's defaults otherwise) of a variable starting at sin(i)·3 with `gradient`: the new
 * value's bits by `tf.train.adam` (kernel by kernel, the wasm kernels off), by `ADAM_UPDATE_KERNEL` after
 * `enableWasmKernels()`, and how many Adam steps the module took for it. Leaves the wasm kernels enabled.
 */
export async function adamStepBits(
  name: string,
  gradient: number[],
): Promise<{ own: Uint32Array; ours: Uint32Array; steps: number }> {
  const start = gradient.map((_, i) => Math.sin(i) * 3);
  const g = tf.tensor1d(gradient);
  const w = tf.variable(tf.tensor1d(start), true, name);
  const adam = tf.train.adam(0.01);
  const [w0, zeros] = [tf.tensor1d(start), tf.zeros([gradient.length])];
  try {
    disableWasmKernels();
    adam.applyGradients([{ name: w.name, tensor: g }]);
    const own = bitsOf(w);
    await enableWasmKernels();
    const before = wasmKernelCalls().adamSteps;
    const outs = tf.engine().runKernel(
      ADAM_UPDATE_KERNEL,
      { variable: w0, gradient: g, firstMoment: zeros, secondMoment: zeros },
      {
        learningRate: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: tf.backend().epsilon(),
        beta1Power: 0.9,
        beta2Power: 0.999,
      },
    ) as tf.Tensor[];
    const steps = wasmKernelCalls().adamSteps - before;
    const ours = bitsOf(outs[0]!);
    tf.dispose(outs);
    return { own, ours, steps };
  } finally {
    tf.dispose([w0, zeros, g, w]);
    adam.dispose();
  }
}
