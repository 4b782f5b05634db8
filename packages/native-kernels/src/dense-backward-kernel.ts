import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { DENSE_BACKWARD_KERNEL } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { kernelInputError, kernelShapeError } from './errors.js';
import { asWasmBackend, byteOffset, withOutputs } from './wasm-heap.js';

/** Activation codes of the addon's `denseBackward` (no prototype, as `ACTIVATION_CODES`). */
export const DELTA_CODES: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, { linear: 0, relu: 1, sigmoid: 5, tanh: 6 }),
);

/** The checked operands of a dense layer's backward pass (see {@link denseBackwardOperands}). */
export interface DenseBackwardOperands {
  dy: TensorInfo;
  y: TensorInfo;
  x: TensorInfo;
  w: TensorInfo;
  batch: number;
  inDim: number;
  units: number;
  /** The addon's activation code ({@link DELTA_CODES}). */
  activation: number;
  inputGradient: boolean;
  /** The optional addend to dx ([batch, inDim]): dx = dxAdd + δ·Wᵀ. */
  dxAdd: TensorInfo | undefined;
}

/** The 2-D float32 inputs of {@link DENSE_BACKWARD_KERNEL}, in the order they are checked. */
const OPERAND_NAMES = ['dy', 'y', 'x', 'kernel'] as const;

/**
 * Checks the inputs `dy`, `y`, `x`, `kernel`, the optional `dxAdd` and the attributes `activation`, `inputGradient` of
 * {@link DENSE_BACKWARD_KERNEL} (and of the kernels that extend it): 2-D float32 tensors whose shapes fit together (dxAdd
 * shaped like x, given only with `inputGradient`) and a supported activation.
 * @throws ArgumentError (missing input, dtype, rank, activation, dxAdd without inputGradient) or ShapeError (shapes that
 * do not fit), naming it.
 */
export function denseBackwardOperands(
  kernel: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap | undefined,
): DenseBackwardOperands {
  const { dy, y, x, kernel: w } = inputs as Record<string, TensorInfo | undefined>;
  // (no arrays or strings made per call: every layer of a training step calls this; a message only for a refusal)
  for (let i = 0; i < OPERAND_NAMES.length; i++) {
    const name = OPERAND_NAMES[i]!;
    const t = inputs[name];
    if (!t) throw kernelInputError(kernel, name, `missing input "${name}"`);
    if (t.dtype !== 'float32' || t.shape.length !== 2)
      throw kernelInputError(
        kernel,
        name,
        `"${name}" must be a 2-D float32 tensor, got ${t.dtype} [${t.shape.join(', ')}]`,
      );
  }
  const [batch, inDim] = x!.shape as [number, number];
  const units = w!.shape[1]!;
  const misfit =
    w!.shape[0] !== inDim
      ? 'kernel'
      : dy!.shape[0] !== batch || dy!.shape[1] !== units
        ? 'dy'
        : y!.shape[0] !== batch || y!.shape[1] !== units
          ? 'y'
          : undefined;
  if (misfit)
    throw kernelShapeError(
      kernel,
      misfit,
      `shapes do not match: x [${x!.shape.join(', ')}], kernel [${w!.shape.join(', ')}], dy [${dy!.shape.join(', ')}], y [${y!.shape.join(', ')}]`,
    );
  const activation = DELTA_CODES[String(attrs?.activation)];
  if (activation === undefined)
    throw kernelInputError(kernel, 'activation', `unsupported activation "${String(attrs?.activation)}"`);
  const inputGradient = Boolean(attrs?.inputGradient);
  const dxAdd = (inputs as Record<string, TensorInfo | undefined>).dxAdd;
  if (dxAdd) {
    if (!inputGradient) throw kernelInputError(kernel, 'dxAdd', '"dxAdd" is added to dx: it needs inputGradient');
    if (dxAdd.dtype !== 'float32')
      throw kernelInputError(kernel, 'dxAdd', `"dxAdd" must be float32, got ${dxAdd.dtype}`);
    if (dxAdd.shape.length !== 2 || dxAdd.shape[0] !== batch || dxAdd.shape[1] !== inDim)
      throw kernelShapeError(
        kernel,
        'dxAdd',
        `"dxAdd" must have x's shape [${batch}, ${inDim}], got [${dxAdd.shape.join(', ')}]`,
      );
  }
  return {
    dy: dy!,
    y: y!,
    x: x!,
    w: w!,
    batch,
    inDim,
    units,
    activation,
    inputGradient,
    dxAdd,
  };
}

/**
 * {@link DENSE_BACKWARD_KERNEL} for the wasm backend: the backward pass of y = f(x·W + b) in one native call —
 * δ = dy ⊙ f′(y) in a scratch buffer, dW = xᵀ·δ and dx = δ·Wᵀ on the BLAS (plus `dxAdd` elementwise, in float32, when
 * given), db = Σ_rows δ — instead of five kernels (step, multiply, two matMuls, sum; and an Add) and a δ tensor. The
 * products, the sum and the addition are the calls those kernels make natively, so the gradients are bit-identical to
 * them.
 */
export function nativeDenseBackward(addon: NativeAddon): KernelConfig {
  const kernel = DENSE_BACKWARD_KERNEL;
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const { dy, y, x, w, batch, inDim, units, activation, inputGradient, dxAdd } = denseBackwardOperands(
      kernel,
      args.inputs,
      args.attrs,
    );
    const shapes = [...(inputGradient ? [[batch, inDim]] : []), [inDim, units], [units]];
    // read before the outputs exist: a disposed addend is refused with nothing allocated
    const dxAddOffset = dxAdd ? byteOffset(backend, dxAdd) : -1;
    return withOutputs(backend, kernel, shapes, (outs, heap) => {
      const [dx, dw, db] = inputGradient ? outs : [undefined, ...outs];
      addon.denseBackward(
        heap,
        batch,
        inDim,
        units,
        byteOffset(backend, dy),
        byteOffset(backend, y),
        byteOffset(backend, x),
        byteOffset(backend, w),
        dx ? byteOffset(backend, dx) : -1,
        byteOffset(backend, dw!),
        byteOffset(backend, db!),
        activation,
        dxAddOffset,
      );
      return outs;
    });
  };
  return { kernelName: kernel, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
