import type {
  DataId,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { DENSE_BACKWARD_ADAM_KERNEL } from '@varia/core';
import { hyperParameters } from './adam-kernel.js';
import type { NativeAddon } from './addon.js';
import { denseBackwardOperands } from './dense-backward-kernel.js';
import { kernelInputError, kernelShapeError } from './errors.js';
import { asWasmBackend, byteOffset, heapEntry, withOutputs } from './wasm-heap.js';

/** The inputs that the step overwrites, in the addon's order, and whether each is shaped like the kernel or the bias. */
const WRITTEN = [
  ['kernel', 'kernel'],
  ['bias', 'bias'],
  ['kernelM', 'kernel'],
  ['kernelV', 'kernel'],
  ['biasM', 'bias'],
  ['biasV', 'bias'],
] as const;

/**
 * {@link DENSE_BACKWARD_ADAM_KERNEL} for the wasm backend: a dense layer's backward pass and the Adam step of its
 * kernel W and bias b in one native call, in place. dx = δ·Wᵀ (plus the optional input `dxAdd` [batch, inDim]
 * elementwise, as {@link DENSE_BACKWARD_KERNEL}'s) is made first (from W before the step); then
 * dW = xᵀ·δ in blocks of rows, each block's Adam step right after its product while the block is still in cache
 * (where the loaded BLAS gives a block of rows the whole product's bits; else dW whole, then Adam), and db = Σ_rows δ
 * with the bias's step. The bits are those of {@link DENSE_BACKWARD_KERNEL} followed by `VariaAdamUpdateInPlace`.
 *
 * Refused, before anything is written or allocated, with an `ArgumentError` or `ShapeError` naming the input: a
 * missing, non-float32 or misshaped operand, an unsupported activation, an Adam attribute that is not finite, a
 * written tensor (W, b or a moment) whose data another tensor also holds, or one written tensor's data used by
 * another operand.
 */
export function nativeDenseBackwardAdam(addon: NativeAddon): KernelConfig {
  const kernel = DENSE_BACKWARD_ADAM_KERNEL;
  // kept between calls (a training step makes a few with the same layout): the numbers the addon reads
  const numbers = new Float64Array(21);
  const seen = new Set<DataId>();
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const ops = denseBackwardOperands(kernel, args.inputs, args.attrs);
    const { batch, inDim, units } = ops;
    const written: TensorInfo[] = [];
    for (const [name, like] of WRITTEN) {
      const t = args.inputs[name];
      if (!t) throw kernelInputError(kernel, name, `missing input "${name}"`);
      if (t.dtype !== 'float32') throw kernelInputError(kernel, name, `"${name}" must be float32, got ${t.dtype}`);
      const fits = like === 'kernel' ? t.shape.join() === ops.w.shape.join() : t.shape.join() === `${units}`;
      if (!fits)
        throw kernelShapeError(
          kernel,
          name,
          `"${name}" must have shape [${like === 'kernel' ? `${inDim}, ${units}` : units}], got [${t.shape.join(', ')}]`,
        );
      written.push(t);
    }
    const hyper = hyperParameters(kernel, args.attrs);
    // each written tensor's data: on the backend, held by it alone, and used by no other operand
    try {
      for (const t of [ops.dy, ops.y, ops.x, ops.dxAdd]) {
        if (!t) continue;
        heapEntry(backend, t);
        seen.add(t.dataId);
      }
      for (let i = 0; i < written.length; i++) {
        const t = written[i]!;
        const name = WRITTEN[i]![0];
        if (heapEntry(backend, t).refCount !== 1)
          throw kernelInputError(kernel, name, `"${name}" is overwritten in place: its data must have no other holder`);
        if (seen.has(t.dataId))
          throw kernelInputError(kernel, name, `"${name}" is overwritten in place: it must not be another operand`);
        seen.add(t.dataId);
      }
    } finally {
      seen.clear();
    }
    return withOutputs(backend, kernel, ops.inputGradient ? [[batch, inDim]] : [], (outs, heap) => {
      numbers[0] = batch;
      numbers[1] = inDim;
      numbers[2] = units;
      numbers[3] = byteOffset(backend, ops.dy);
      numbers[4] = byteOffset(backend, ops.y);
      numbers[5] = byteOffset(backend, ops.x);
      for (let i = 0; i < written.length; i++) numbers[6 + i] = byteOffset(backend, written[i]!);
      numbers[12] = outs.length > 0 ? byteOffset(backend, outs[0]!) : -1;
      numbers[13] = ops.activation;
      for (let i = 0; i < hyper.length; i++) numbers[14 + i] = hyper[i]!;
      numbers[20] = ops.dxAdd ? byteOffset(backend, ops.dxAdd) : -1;
      addon.denseBackwardAdam(heap, numbers);
      return outs;
    });
  };
  return { kernelName: kernel, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
