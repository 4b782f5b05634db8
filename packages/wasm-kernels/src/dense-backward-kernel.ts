import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { ArgumentError, BackendError, DENSE_BACKWARD_KERNEL, ShapeError } from '@varia/core';
import type { KernelsModule } from './matmul-kernels.js';
import { type WasmBackendParts, memoryOf, offsetOf } from './wasm-backend.js';

/** The module's elementwise parts of the backward pass (wasm/dense.c). */
export interface DenseModule {
  delta(out: number, dy: number, y: number, n: number, act: number): void;
  colsum(out: number, x: number, rows: number, cols: number): void;
  add(out: number, a: number, b: number, n: number): void;
}

/** f′ from the output by wasm/dense.c's codes; linear has none (δ = dy). */
const ACTIVATIONS: Readonly<Record<string, number>> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 };

type Args = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

/** A 2-D float32 input, checked. */
function matrix(inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const t = inputs[name];
  if (!t) throw new ArgumentError(name, `${DENSE_BACKWARD_KERNEL}: missing input "${name}"`);
  if (t.dtype !== 'float32' || t.shape.length !== 2) {
    throw new ArgumentError(
      name,
      `${DENSE_BACKWARD_KERNEL}: "${name}" must be a 2-D float32 tensor, got ${t.dtype} [${t.shape.join(', ')}]`,
    );
  }
  return t;
}

function expectShape(t: TensorInfo, name: string, rows: number, cols: number): void {
  if (t.shape[0] !== rows || t.shape[1] !== cols) {
    throw new ShapeError(
      name,
      `${DENSE_BACKWARD_KERNEL}: "${name}" must be [${rows}, ${cols}], got [${t.shape.join(', ')}]`,
    );
  }
}

let taken = 0;

/** How many backward passes the module has computed (in this JavaScript realm). */
export function denseBackwardsTaken(): number {
  return taken;
}

/**
 * {@link DENSE_BACKWARD_KERNEL} for the wasm backend, the bits of what `@varia/layers`' `Dense` composes there from the
 * backend's own kernels (explicit transposes, then plain products): δ = dy ⊙ f′(y) (Step, or y·(1 − y), or 1 − y²,
 * then Multiply), dx = δ·transpose(W) and dW = transpose(x)·δ in XNNPACK's order (a chain from +0 over k), db = Σ_rows δ
 * (the Sum kernel's chain from +0 down the rows), dx = dxAdd + dx (Add) with `dxAdd` — in one call, without the
 * transposes' tensors. `Dense` runs it where it is registered (one kernel instead of ~7 a layer).
 * On a backend the module was not made for (`current` gives undefined: the backend was made anew) it throws a
 * BackendError: `disableWasmKernels()` then `enableWasmKernels()` again.
 * @throws ArgumentError for a missing input, one that is not a 2-D float32 tensor, or an activation other than linear,
 *   relu, sigmoid, tanh; ShapeError for shapes that do not fit; BackendError when the backend's memory cannot grow to
 *   hold the outputs and scratch. Nothing is left allocated then.
 */
export function denseBackwardKernel(
  module: KernelsModule & DenseModule,
  current: (backend: unknown) => WasmBackendParts | undefined,
): KernelConfig {
  const kernelFunc = (args: Args): TensorInfo[] => {
    const { inputs, attrs } = args;
    const dy = matrix(inputs, 'dy');
    const y = matrix(inputs, 'y');
    const x = matrix(inputs, 'x');
    const w = matrix(inputs, 'kernel');
    const [batch, units] = dy.shape as [number, number];
    const inDim = x.shape[1]!;
    expectShape(y, 'y', batch, units);
    expectShape(x, 'x', batch, inDim);
    expectShape(w, 'kernel', inDim, units);
    const activation = String(attrs?.activation ?? 'linear');
    const act = ACTIVATIONS[activation];
    if (act === undefined) {
      throw new ArgumentError(
        'activation',
        `${DENSE_BACKWARD_KERNEL}: "activation" must be linear, relu, sigmoid or tanh, got ${JSON.stringify(activation)}`,
      );
    }
    const inputGradient = attrs?.inputGradient === true;
    const dxAdd = inputGradient && inputs.dxAdd ? matrix(inputs, 'dxAdd') : undefined;
    if (dxAdd) expectShape(dxAdd, 'dxAdd', batch, inDim);
    const backend = current(args.backend);
    if (!backend) {
      throw new BackendError(
        `${DENSE_BACKWARD_KERNEL}: the wasm backend was made anew since enableWasmKernels(); disable and enable them again`,
      );
    }
    const shapes = [...(inputGradient ? [[batch, inDim]] : []), [inDim, units], [units]];
    const outs = shapes.map((shape) => backend.makeOutput(shape, 'float32'));
    const scratch: number[] = [];
    const alloc = (floats: number): number => {
      const at = backend.wasm._malloc(4 * floats);
      scratch.push(at);
      return at;
    };
    try {
      const at = (t: TensorInfo) => offsetOf(backend, t);
      const [dxOut, dwOut, dbOut] = inputGradient ? outs : [undefined, ...outs];
      const deltaOff = act === 0 ? at(dy) : alloc(batch * units);
      const wt = inputGradient ? alloc(units * inDim) : 1;
      // tfjs-backend-wasm does not check its malloc: 0 is its failure (the memory cannot grow)
      const empty = batch * units * inDim === 0;
      if (!empty && (deltaOff === 0 || wt === 0 || outs.some((o) => at(o) === 0))) {
        throw new BackendError(`${DENSE_BACKWARD_KERNEL}: the wasm backend's memory cannot grow to hold the outputs`);
      }
      if (batch * units > 0) {
        if (act !== 0) module.delta(deltaOff, at(dy), at(y), batch * units, act);
        if (dxOut && inDim > 0) {
          // dx = δ · transpose(W): W transposed into scratch (a copy), then the product in XNNPACK's order
          module.transpose(wt, at(w), inDim, units);
          module.gemm(at(dxOut), deltaOff, units, 1, wt, inDim, 0, batch, inDim, units, 0, 0);
          if (dxAdd) module.add(at(dxOut), at(dxAdd), at(dxOut), batch * inDim);
        }
        // dW = transpose(x) · δ: transpose(x)(i, k) = x[k][i], read in place
        if (inDim > 0) module.gemm(at(dwOut!), at(x), 1, inDim, deltaOff, units, 0, inDim, units, batch, 0, 0);
        module.colsum(at(dbOut!), deltaOff, batch, units);
      } else {
        // no rows or no units: every sum is empty, +0 (then dxAdd + 0 for dx)
        const memory = memoryOf(backend)!;
        for (const o of outs) {
          const size = o.shape.reduce((a, b) => a * b, 1);
          if (size > 0) new Float32Array(memory.buffer, at(o), size).fill(0);
        }
        if (dxOut && dxAdd && batch * inDim > 0) module.add(at(dxOut), at(dxAdd), at(dxOut), batch * inDim);
      }
      taken++;
      return outs;
    } catch (e) {
      for (const o of outs) backend.disposeData(o.dataId); // nothing handed out
      throw e;
    } finally {
      for (const p of scratch) if (p !== 0) backend.wasm._free(p);
    }
  };
  return {
    kernelName: DENSE_BACKWARD_KERNEL,
    backendName: 'wasm',
    kernelFunc: kernelFunc as KernelConfig['kernelFunc'],
  };
}
