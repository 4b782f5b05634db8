import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-wasm's backend this module writes a kernel's output through. */
interface OutputBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}

/**
 * The gradient of a 2-D convolution y = conv2d(x, W) with respect to its filter, from ordinary ops:
 *
 * ∂L/∂W[i, j, c, k] = Σ_{b, p, q} x̃[b, p·s_h + i, q·s_w + j, c] · ∂L/∂y[b, p, q, k]
 *
 * where x̃ is x zero-padded as the convolution padded it. The patches of x̃ (one strided slice per filter offset
 * (i, j)) are laid side by side — the im2col matrix [n·h_out·w_out, kh·kw·c_in] — and multiplied by ∂L/∂y
 * [n·h_out·w_out, c_out] in one matMul. NHWC, dilation 1 (what tfjs' own gradients support).
 *
 * @param x input [n, h, w, c_in]; @param dy ∂L/∂y [n, h_out, w_out, c_out];
 * @param filterShape [kh, kw, c_in, c_out]; @returns ∂L/∂W of `filterShape`.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
    const [kh, kw, cin, cout] = filterShape;
    const { top, bottom, left, right } = info.padInfo;
    const padded = tf.pad(x, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
    const [n, outH, outW] = [x.shape[0], info.outHeight, info.outWidth];
    const patches: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        patches.push(
          tf.stridedSlice(
            padded,
            [0, i, j, 0],
            [n, i + (outH - 1) * info.strideHeight + 1, j + (outW - 1) * info.strideWidth + 1, cin],
            [1, info.strideHeight, info.strideWidth, 1],
          ),
        );
      }
    }
    const rows = n * outH * outW;
    const columns = tf.reshape(tf.concat(patches, 3), [rows, kh * kw * cin]);
    // an explicit transpose: wasm's matMul is ~10× slower with a transpose flag
    const grad = tf.matMul(tf.transpose(columns), tf.reshape(dy, [rows, cout]));
    return tf.reshape(grad, filterShape);
  });
}

/** A kernel input as a tensor (the engine passes tensors; another kernel may pass bare tensor infos). */
function asTensor(t: tf.TensorInfo): tf.Tensor4D {
  return (t instanceof tf.Tensor ? t : tf.engine().makeTensorFromTensorInfo(t)) as tf.Tensor4D;
}

/**
 * Registers, for the active backend, the kernels a trained convolutional `tf.LayersModel` needs and the backend
 * lacks: tfjs-wasm 4.22 has no `Conv2DBackpropFilter` (the gradient of Conv2D and Conv2DTranspose with respect to the
 * filter), so training a Conv2D layer there throws "kernel not registered". The kernel added computes
 * {@link conv2dFilterGradient} with the backend's own ops. Backends that have the kernel are left alone; calling this
 * again is a no-op.
 */
export function registerMissingConvGradients(): void {
  const backendName = tf.getBackend();
  if (backendName !== 'wasm' || tf.getKernel(tf.Conv2DBackpropFilter, backendName)) return;
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') {
        throw new Error(`Conv2DBackpropFilter (varia, wasm): only NHWC is supported, got ${a.dataFormat}`);
      }
      // Small (the filter's size): computed with ops, then copied into an output the backend owns.
      const values = tf.tidy(() => {
        const grad = conv2dFilterGradient(
          asTensor(x),
          asTensor(dy),
          a.filterShape,
          a.strides,
          a.pad,
          a.dimRoundingMode,
        );
        return grad.dataSync() as Float32Array;
      });
      return (backend as unknown as OutputBackend).makeOutput([...a.filterShape], 'float32', undefined, values);
    },
  });
}
