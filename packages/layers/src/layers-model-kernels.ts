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
 * where x̃ is x zero-padded as the convolution padded it. That sum is itself a convolution — of x̃ with its channels
 * as the batch and its batch as the channels, [c_in, h̃, w̃, n], by ∂L/∂y as a filter [h_out, w_out, n, c_out] with
 * dilation s — so it runs on the backend's fast convolution (XNNPACK on wasm); its first kh × kw outputs are ∂L/∂W.
 * NHWC, dilation 1 (what tfjs' own gradients support).
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
    const channelsAsBatch = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D; // [c_in, h̃, w̃, n]
    const gradientAsFilter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [h_out, w_out, n, c_out]
    const full = tf.conv2d(channelsAsBatch, gradientAsFilter, 1, 'valid', 'NHWC', [
      info.strideHeight,
      info.strideWidth,
    ]); // [c_in, ≥kh, ≥kw, c_out]
    const grad = tf.slice(full, [0, 0, 0, 0], [cin, kh, kw, cout]);
    return tf.transpose(grad, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** Zero rows/columns to add (positive) or remove (negative) at the two ends of one spatial axis. */
function fitAxis(t: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D {
  const padding: [number, number][] = [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 0],
  ];
  padding[axis] = [Math.max(before, 0), Math.max(after, 0)];
  let out = before > 0 || after > 0 ? (tf.pad(t, padding) as tf.Tensor4D) : t;
  if (before < 0 || after < 0) {
    const begin = [0, 0, 0, 0];
    const size = [...out.shape] as number[];
    begin[axis] = Math.max(-before, 0);
    size[axis] = out.shape[axis] - begin[axis]! - Math.max(-after, 0);
    out = tf.slice(out, begin, size);
  }
  return out;
}

/**
 * The gradient of a 2-D convolution with respect to its input (also the forward pass of a transposed convolution),
 * as one ordinary convolution: ∂L/∂y dilated by the stride (zeros between rows and columns), padded so that the
 * output has the input's size, correlated with W rotated by 180° with its channel axes swapped:
 *
 * ∂L/∂x[b, u, v, c] = Σ_{i, j, k} ỹ[b, u + kh − 1 − p_top − i, v + kw − 1 − p_left − j, k] · W[i, j, c, k]
 *
 * with ỹ[p·s_h, q·s_w] = ∂L/∂y[p, q] and zero elsewhere. NHWC, dilation 1.
 *
 * @param inputShape [n, h, w, c_in]; @param dy ∂L/∂y [n, h_out, w_out, c_out]; @param filter W [kh, kw, c_in, c_out].
 */
export function conv2dInputGradient(
  inputShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode);
    const [n, h, w] = inputShape;
    const [kh, kw, , cout] = filter.shape;
    const [sh, sw, oh, ow] = [info.strideHeight, info.strideWidth, info.outHeight, info.outWidth];
    // ỹ: zeros between the rows and the columns of dy ([n, oh·sh, ow·sw, c_out], trailing zeros included)
    const dilated =
      sh === 1 && sw === 1
        ? dy
        : (tf.reshape(
            tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, cout]), [
              [0, 0],
              [0, 0],
              [0, sh - 1],
              [0, 0],
              [0, sw - 1],
              [0, 0],
            ]),
            [n, oh * sh, ow * sw, cout],
          ) as tf.Tensor4D);
    const top = kh - 1 - info.padInfo.top;
    const leftPad = kw - 1 - info.padInfo.left;
    const rows = fitAxis(dilated, 1, top, h + kh - 1 - top - oh * sh);
    const framed = fitAxis(rows, 2, leftPad, w + kw - 1 - leftPad - ow * sw);
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, c_out, c_in]
    const dx = tf.conv2d(framed, rotated, 1, 'valid');
    return dx;
  });
}

/** A kernel input as a tensor (the engine passes tensors; another kernel may pass bare tensor infos). */
function asTensor(t: tf.TensorInfo): tf.Tensor4D {
  return (t instanceof tf.Tensor ? t : tf.engine().makeTensorFromTensorInfo(t)) as tf.Tensor4D;
}

/**
 * Registers, for the tfjs-wasm backend, the convolution kernels a trained convolutional `tf.LayersModel` needs:
 * tfjs-wasm 4.22 has no `Conv2DBackpropFilter` (the gradient of Conv2D and Conv2DTranspose with respect to the
 * filter: training a Conv2D layer throws "kernel not registered"), and its `Conv2DBackpropInput` (the input gradient,
 * and the forward pass of Conv2DTranspose) is a scalar loop about ten times slower than its XNNPACK convolution. Both
 * become one call of that convolution ({@link conv2dFilterGradient}, {@link conv2dInputGradient}). Other backends
 * are left alone; calling this again is a no-op.
 */
export function registerMissingConvGradients(): void {
  const backendName = tf.getBackend();
  if (backendName !== 'wasm' || registered.has(backendName)) return;
  registered.add(backendName);
  // computed with the backend's ops in a scope of their own, then copied into an output the backend owns
  const output = (backend: unknown, compute: () => tf.Tensor): tf.TensorInfo => {
    let shape: number[] = [];
    let values: Float32Array = new Float32Array(0);
    tf.tidy(() => {
      const t = compute();
      shape = [...t.shape];
      values = t.dataSync() as Float32Array;
    });
    return (backend as OutputBackend).makeOutput(shape, 'float32', undefined, values);
  };
  const nhwc = (format: unknown, kernel: string) => {
    if (format !== undefined && format !== 'NHWC')
      throw new Error(`${kernel} (varia, wasm): only NHWC is supported, got ${String(format)}`);
  };
  for (const kernelName of [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput]) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  }
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      nhwc(a.dataFormat, 'Conv2DBackpropFilter');
      return output(backend, () =>
        conv2dFilterGradient(asTensor(x), asTensor(dy), a.filterShape, a.strides, a.pad, a.dimRoundingMode),
      );
    },
  });
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, filter } = inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      nhwc(a.dataFormat, 'Conv2DBackpropInput');
      return output(backend, () =>
        conv2dInputGradient(
          a.inputShape as [number, number, number, number],
          asTensor(dy),
          asTensor(filter),
          a.strides,
          a.pad,
          a.dimRoundingMode,
        ),
      );
    },
  });
}

/** Backends {@link registerMissingConvGradients} has registered its kernels for. */
const registered = new Set<string>();
