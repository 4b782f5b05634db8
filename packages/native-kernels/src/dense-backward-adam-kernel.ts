import type {
  DataId,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { DENSE_BACKWARD_ADAM_KERNEL, JOIN_DEFERRED_KERNEL } from '@varia/core';
import { hyperParameters } from './adam-kernel.js';
import type { NativeAddon } from './addon.js';
import { denseBackwardOperands } from './dense-backward-kernel.js';
import { kernelInputError, kernelShapeError } from './errors.js';
import { asWasmBackend, byteOffset, heapEntry, withOutputs } from './wasm-heap.js';
import { forgetWeightFacts, keepWeightFacts } from './weight-facts.js';

/** The inputs that the step overwrites, in the addon's order, and whether each is shaped like the kernel or the bias. */
const WRITTEN = [
  ['kernel', 'kernel'],
  ['bias', 'bias'],
  ['kernelM', 'kernel'],
  ['kernelV', 'kernel'],
  ['biasM', 'bias'],
  ['biasV', 'bias'],
] as const;

/** The attribute `deferUpdate`: absent or a boolean. */
function deferUpdate(kernel: string, attrs: NamedAttrMap | undefined): boolean {
  const value = attrs?.deferUpdate;
  if (value === undefined || typeof value === 'boolean') return value === true;
  throw kernelInputError(kernel, 'deferUpdate', `attribute "deferUpdate" must be a boolean, got ${String(value)}`);
}

/**
 * {@link DENSE_BACKWARD_ADAM_KERNEL} for the wasm backend: a dense layer's backward pass and the Adam step of its
 * kernel W and bias b in one native call, in place. dx = δ·Wᵀ (plus the optional input `dxAdd` [batch, inDim]
 * elementwise, as {@link DENSE_BACKWARD_KERNEL}'s) is made first (from W before the step); then
 * dW = xᵀ·δ in blocks of rows, each block's Adam step right after its product while the block is still in cache
 * (where the loaded BLAS gives a block of rows the whole product's bits; else dW whole, then Adam), and db = Σ_rows δ
 * with the bias's step. The bits are those of {@link DENSE_BACKWARD_KERNEL} followed by `VariaAdamUpdateInPlace`.
 * With `deferUpdate: true`, on more than one thread where dW goes in row blocks, it returns after dx and the bias's
 * step while the helpers go on with dW and W's step, until {@link nativeJoinDeferred}'s kernel (or a native kernel
 * touching those tensors) waits for them; the same bits.
 *
 * Refused, before anything is written or allocated, with an `ArgumentError` or `ShapeError` naming the input: a
 * missing, non-float32 or misshaped operand, an unsupported activation, an Adam attribute that is not finite, a
 * written tensor (W, b or a moment) whose data another tensor also holds, or one written tensor's data used by
 * another operand.
 */
export function nativeDenseBackwardAdam(addon: NativeAddon): KernelConfig {
  const kernel = DENSE_BACKWARD_ADAM_KERNEL;
  // kept between calls (a training step makes a few with the same layout): the numbers the addon reads
  const numbers = new Float64Array(23);
  // per call: the read operands' data (no written tensor's data may be one of them) and every operand's byte offset
  const ids: DataId[] = [];
  const offsets = new Float64Array(10);
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const ops = denseBackwardOperands(kernel, args.inputs, args.attrs);
    const { batch, inDim, units } = ops;
    const inputs = args.inputs;
    // (numbers compared, no strings made: a step calls this for every layer, and a message is made only for a refusal)
    for (let i = 0; i < WRITTEN.length; i++) {
      const [name, like] = WRITTEN[i]!;
      const t = inputs[name];
      if (!t) throw kernelInputError(kernel, name, `missing input "${name}"`);
      if (t.dtype !== 'float32') throw kernelInputError(kernel, name, `"${name}" must be float32, got ${t.dtype}`);
      const s = t.shape;
      const fits =
        like === 'kernel' ? s.length === 2 && s[0] === inDim && s[1] === units : s.length === 1 && s[0] === units;
      if (!fits)
        throw kernelShapeError(
          kernel,
          name,
          `"${name}" must have shape [${like === 'kernel' ? `${inDim}, ${units}` : units}], got [${s.join(', ')}]`,
        );
    }
    const hyper = hyperParameters(kernel, args.attrs);
    const defer = deferUpdate(kernel, args.attrs);
    // each operand's data on the backend (its offset read once: allocating the output moves no data); each written
    // tensor's data held by it alone and used by no other operand
    try {
      offsets[0] = heapEntry(backend, ops.dy).memoryOffset;
      offsets[1] = heapEntry(backend, ops.y).memoryOffset;
      offsets[2] = heapEntry(backend, ops.x).memoryOffset;
      offsets[9] = ops.dxAdd ? heapEntry(backend, ops.dxAdd).memoryOffset : -1;
      ids.push(ops.dy.dataId, ops.y.dataId, ops.x.dataId);
      if (ops.dxAdd) ids.push(ops.dxAdd.dataId);
      for (let i = 0; i < WRITTEN.length; i++) {
        const name = WRITTEN[i]![0];
        const t = inputs[name]!;
        const entry = heapEntry(backend, t);
        if (entry.refCount !== 1)
          throw kernelInputError(kernel, name, `"${name}" is overwritten in place: its data must have no other holder`);
        if (ids.includes(t.dataId))
          throw kernelInputError(kernel, name, `"${name}" is overwritten in place: it must not be another operand`);
        ids.push(t.dataId);
        offsets[3 + i] = entry.memoryOffset;
      }
    } finally {
      ids.length = 0;
    }
    // written in place below: what was known of their old values goes (W's new facts come with the call's ticket)
    for (let i = 0; i < WRITTEN.length; i++) forgetWeightFacts(inputs[WRITTEN[i]![0]]!.dataId);
    return withOutputs(backend, kernel, ops.inputGradient ? [[batch, inDim]] : [], (outs, heap) => {
      numbers[0] = batch;
      numbers[1] = inDim;
      numbers[2] = units;
      for (let i = 0; i < 9; i++) numbers[3 + i] = offsets[i]!; // dy, y, x, W, b, W's m and v, b's m and v
      numbers[12] = outs.length > 0 ? byteOffset(backend, outs[0]!) : -1;
      numbers[13] = ops.activation;
      for (let i = 0; i < hyper.length; i++) numbers[14 + i] = hyper[i]!;
      numbers[20] = offsets[9]!;
      numbers[21] = defer ? 1 : 0;
      numbers[22] = 1; // keep W's new facts: the next forward product of W skips its scan
      keepWeightFacts(inputs.kernel!.dataId, addon.denseBackwardAdam(heap, numbers));
      return outs;
    });
  };
  return { kernelName: kernel, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/**
 * {@link JOIN_DEFERRED_KERNEL} for the wasm backend: waits for the update a `deferUpdate` call of
 * {@link DENSE_BACKWARD_ADAM_KERNEL} on this thread left running (nothing when none is). No inputs, no outputs.
 */
export function nativeJoinDeferred(addon: NativeAddon): KernelConfig {
  const kernelFunc = (): TensorInfo[] => {
    addon.joinDeferred();
    return [];
  };
  return { kernelName: JOIN_DEFERRED_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}
