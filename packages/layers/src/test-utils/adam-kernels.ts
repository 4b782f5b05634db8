import * as tf from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, ADAM_UPDATE_KERNEL } from '@varia/core';

/** A plain-JS fused Adam kernel for the cpu backend, standing in for the native one of @varia/native-kernels. */
export function registerJsAdamKernel(): void {
  tf.registerKernel({
    kernelName: ADAM_UPDATE_KERNEL,
    backendName: 'cpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const cpu = backend as unknown as {
        readSync(id: tf.DataId): Float32Array;
        makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
      };
      const [w, g, m, v] = (['variable', 'gradient', 'firstMoment', 'secondMoment'] as const).map((k) =>
        cpu.readSync(inputs[k]!.dataId),
      );
      const a = attrs as Record<string, number>;
      const n = w!.length;
      const [w2, m2, v2] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      for (let i = 0; i < n; i++) {
        m2[i] = a.beta1! * m![i]! + (1 - a.beta1!) * g![i]!;
        v2[i] = a.beta2! * v![i]! + (1 - a.beta2!) * g![i]! ** 2;
        w2[i] =
          w![i]! -
          (a.learningRate! * (m2[i]! / (1 - a.beta1Power!))) / (Math.sqrt(v2[i]! / (1 - a.beta2Power!)) + a.epsilon!);
      }
      const shape = inputs.variable!.shape;
      return [
        cpu.makeTensorInfo(shape, 'float32', w2),
        cpu.makeTensorInfo(shape, 'float32', m2),
        cpu.makeTensorInfo(shape, 'float32', v2),
      ];
    },
  });
}

/**
 * A plain-JS {@link ADAM_IN_PLACE_KERNEL} for the cpu backend: the step of every variable written into the inputs'
 * storage (as the native one does), or, with `outOfPlace`, returned as new tensors (its answer to shared data).
 */
export function registerJsInPlaceKernel(outOfPlace = false): void {
  tf.registerKernel({
    kernelName: ADAM_IN_PLACE_KERNEL,
    backendName: 'cpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const cpu = backend as unknown as {
        data: { get(id: tf.DataId): { values: Float32Array } };
        makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
      };
      const a = attrs as Record<string, number>;
      const outs: tf.TensorInfo[] = [];
      for (let k = 0; k < a.count!; k++) {
        const [w, g, m, v] = ['variable', 'gradient', 'firstMoment', 'secondMoment'].map(
          (name) => cpu.data.get(inputs[`${name}${k}`]!.dataId).values,
        ) as [Float32Array, Float32Array, Float32Array, Float32Array];
        const [w2, m2, v2] = outOfPlace ? [w.slice(), m.slice(), v.slice()] : [w, m, v];
        for (let i = 0; i < w.length; i++) {
          m2[i] = a.beta1! * m[i]! + (1 - a.beta1!) * g[i]!;
          v2[i] = a.beta2! * v[i]! + (1 - a.beta2!) * g[i]! ** 2;
          w2[i] =
            w[i]! -
            (a.learningRate! * (m2[i]! / (1 - a.beta1Power!))) / (Math.sqrt(v2[i]! / (1 - a.beta2Power!)) + a.epsilon!);
        }
        const shape = inputs[`variable${k}`]!.shape;
        if (outOfPlace) outs.push(...[w2, m2, v2].map((x) => cpu.makeTensorInfo(shape, 'float32', x)));
      }
      return outs;
    },
  });
}

/** Unregisters both stand-in kernels (where registered). */
export function unregisterJsAdamKernels(): void {
  for (const name of [ADAM_UPDATE_KERNEL, ADAM_IN_PLACE_KERNEL])
    if (tf.getKernel(name, 'cpu')) tf.unregisterKernel(name, 'cpu');
}
