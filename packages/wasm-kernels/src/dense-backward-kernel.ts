import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { ArgumentError, BackendError, DENSE_BACKWARD_KERNEL, ShapeError } from '@varia/core';
import { gemm } from './helper.js';
import type { GemmArgs } from './helper-worker.js';
import type { KernelsModule } from './matmul-kernels.js';
import { type WasmBackendParts, memoryOf, offsetOf } from './wasm-backend.js';
import { zeroSkipLists } from './zero-skip.js';

/** The module's elementwise parts of the backward pass (wasm/dense.c). */
export interface DenseModule {
  delta(out: number, dy: number, y: number, n: number, act: number): void;
  colsum(out: number, x: number, rows: number, cols: number): void;
  add(out: number, a: number, b: number, n: number): void;
}

/** f′ from the output by wasm/dense.c's codes; linear has none (δ = dy). */
const ACTIVATIONS: ReadonlyMap<string, number> = new Map([
  ['linear', 0],
  ['relu', 1],
  ['sigmoid', 2],
  ['tanh', 3],
]);

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

/** A call's checked inputs and sizes. */
interface Call {
  dy: TensorInfo;
  y: TensorInfo;
  x: TensorInfo;
  w: TensorInfo;
  dxAdd: TensorInfo | undefined;
  batch: number;
  inDim: number;
  units: number;
  act: number;
  inputGradient: boolean;
}

/** The inputs and attributes, checked: x [batch, in] and W [in, units] set the sizes the others must have. */
function checkedCall(inputs: NamedTensorInfoMap, attrs: NamedAttrMap | undefined): Call {
  const x = matrix(inputs, 'x');
  const w = matrix(inputs, 'kernel');
  const [batch, inDim] = x.shape as [number, number];
  const units = w.shape[1]!;
  expectShape(w, 'kernel', inDim, units);
  const dy = matrix(inputs, 'dy');
  expectShape(dy, 'dy', batch, units);
  const y = matrix(inputs, 'y');
  expectShape(y, 'y', batch, units);
  const activation = attrs?.activation;
  const act = typeof activation === 'string' ? ACTIVATIONS.get(activation) : undefined;
  if (act === undefined) {
    throw new ArgumentError(
      'activation',
      `${DENSE_BACKWARD_KERNEL}: "activation" must be linear, relu, sigmoid or tanh, got ${JSON.stringify(activation)}`,
    );
  }
  const inputGradient = Boolean(attrs?.inputGradient);
  let dxAdd: TensorInfo | undefined;
  if (inputs.dxAdd) {
    if (!inputGradient) {
      throw new ArgumentError('dxAdd', `${DENSE_BACKWARD_KERNEL}: "dxAdd" is given without "inputGradient"`);
    }
    dxAdd = matrix(inputs, 'dxAdd');
    expectShape(dxAdd, 'dxAdd', batch, inDim);
  }
  return { dy, y, x, w, dxAdd, batch, inDim, units, act, inputGradient };
}

/** The outputs' shapes: [dx,] dW, db. */
function outputShapes(c: Call): number[][] {
  return [...(c.inputGradient ? [[c.batch, c.inDim]] : []), [c.inDim, c.units], [c.units]];
}

/**
 * {@link DENSE_BACKWARD_KERNEL} for the wasm backend, the bits of what `@varia/layers`' `Dense` composes there from the
 * backend's own kernels (explicit transposes, then plain products): δ = dy ⊙ f′(y) (Step, or y·(1 − y), or 1 − y²,
 * then Multiply), dx = δ·transpose(W) and dW = transpose(x)·δ in XNNPACK's order (a chain from +0 over k), db = Σ_rows δ
 * (the Sum kernel's chain from +0 down the rows), dx = dxAdd + dx (Add) with `dxAdd` — in one call, without the
 * transposes' tensors. `Dense` runs it where it is registered (one kernel instead of ~7 a layer). With no rows or no
 * units every sum is empty: +0 (the composed kernels leave such outputs unwritten). On a backend the module was not
 * made for (`current` gives undefined: the backend was made anew) it computes the same operations on the host, each
 * rounded to float32 (`Math.fround`), in the same order.
 * @throws ArgumentError for a missing input, one that is not a 2-D float32 tensor, `dxAdd` without `inputGradient`, or
 *   an activation other than linear, relu, sigmoid, tanh; ShapeError for shapes that do not fit x [batch, in] and
 *   kernel [in, units]; BackendError when the backend's memory cannot grow to hold the outputs and scratch. Nothing is
 *   left allocated then.
 */
export function denseBackwardKernel(
  module: KernelsModule & DenseModule,
  current: (backend: unknown) => WasmBackendParts | undefined,
): KernelConfig {
  const kernelFunc = (args: Args): TensorInfo[] => {
    const c = checkedCall(args.inputs, args.attrs);
    const backend = current(args.backend);
    if (!backend) return hostBackward(args.backend as HostBackend, c);
    const { dy, y, x, w, dxAdd, batch, inDim, units, act, inputGradient } = c;
    const outs = outputShapes(c).map((shape) => backend.makeOutput(shape, 'float32'));
    const scratch: number[] = [];
    const alloc = (floats: number): number => {
      const at = backend.wasm._malloc(4 * floats);
      scratch.push(at);
      return at;
    };
    try {
      const at = (t: TensorInfo) => offsetOf(backend, t);
      const [dxOut, dwOut, dbOut] = inputGradient ? outs : [undefined, ...outs];
      const deltaOff = act === 0 || batch * units === 0 ? at(dy) : alloc(batch * units);
      const wt = inputGradient && units * inDim > 0 ? alloc(units * inDim) : 1;
      // tfjs-backend-wasm does not check its malloc: 0 is its failure (the memory cannot grow); an empty region may
      // have no memory at all
      const failed =
        (batch * units > 0 && deltaOff === 0) ||
        wt === 0 ||
        outs.some((o) => o.shape.reduce((p, d) => p * d, 1) > 0 && at(o) === 0);
      if (failed) {
        throw new BackendError(`${DENSE_BACKWARD_KERNEL}: the wasm backend's memory cannot grow to hold the outputs`);
      }
      if (batch * units > 0) {
        if (act !== 0) module.delta(deltaOff, at(dy), at(y), batch * units, act);
        if (dxOut && inDim > 0) {
          // dx = δ · transpose(W): W transposed into scratch (a copy), then the product in XNNPACK's order
          module.transpose(wt, at(w), inDim, units);
          gemm(module, at(dxOut), deltaOff, units, 1, wt, inDim, 0, batch, inDim, units, 0, 0, 0);
          if (dxAdd) module.add(at(dxOut), at(dxAdd), at(dxOut), batch * inDim);
        }
        // dW = transpose(x) · δ: transpose(x)(i, k) = x[k][i], read in place; over the non-zeros of x's columns
        // where they are few (an encoder's input: pixels, counts)
        if (inDim > 0) {
          const args: GemmArgs = [at(dwOut!), at(x), 1, inDim, deltaOff, units, 0, inDim, units, batch, 0, 0, 0];
          args[12] = zeroSkipLists(module, backend, args);
          if (args[12] !== 0) scratch.push(args[12]);
          gemm(module, ...args);
        }
        module.colsum(at(dbOut!), deltaOff, batch, units);
      } else {
        // no rows or no units: every sum is empty, +0 (then dxAdd + 0 for dx)
        const memory = memoryOf(backend)!;
        for (const o of outs) {
          const size = o.shape.reduce((p, d) => p * d, 1);
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

/** What the host path uses of any backend (tfjs's `KernelBackend`). */
interface HostBackend {
  readSync(dataId: unknown): unknown;
  write(values: Float32Array, shape: number[], dtype: 'float32'): unknown;
}

/** f′(y) of wasm/dense.c, each operation rounded to float32. */
function hostFPrime(y: number, act: number): number {
  const f = Math.fround;
  if (act === 1) return Number.isNaN(y) ? y : y > 0 ? 1 : 0;
  if (act === 2) return f(y * f(1 - y));
  return f(1 - f(y * y));
}

/** The module's operations on the host, each rounded to float32, in its order (the same bits). */
function hostBackward(backend: HostBackend, c: Call): TensorInfo[] {
  const f = Math.fround;
  const read = (t: TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const { batch, inDim, units, act } = c;
  const dy = read(c.dy);
  const delta = act === 0 ? dy : new Float32Array(batch * units);
  if (act !== 0) {
    const y = read(c.y);
    for (let i = 0; i < delta.length; i++) delta[i] = f(dy[i]! * hostFPrime(y[i]!, act));
  }
  const outs: Float32Array[] = [];
  if (c.inputGradient) {
    const w = read(c.w);
    const add = c.dxAdd ? read(c.dxAdd) : undefined;
    const dx = new Float32Array(batch * inDim);
    for (let r = 0; r < batch; r++)
      for (let i = 0; i < inDim; i++) {
        let s = 0;
        for (let u = 0; u < units; u++) s = f(s + f(delta[r * units + u]! * w[i * units + u]!));
        dx[r * inDim + i] = add ? f(add[r * inDim + i]! + s) : s;
      }
    outs.push(dx);
  }
  const x = read(c.x);
  const dW = new Float32Array(inDim * units);
  for (let i = 0; i < inDim; i++)
    for (let u = 0; u < units; u++) {
      let s = 0;
      for (let r = 0; r < batch; r++) s = f(s + f(x[r * inDim + i]! * delta[r * units + u]!));
      dW[i * units + u] = s;
    }
  const db = new Float32Array(units);
  for (let u = 0; u < units; u++) {
    let s = 0;
    for (let r = 0; r < batch; r++) s = f(s + delta[r * units + u]!);
    db[u] = s;
  }
  outs.push(dW, db);
  return outs.map((values, k) => {
    const shape = outputShapes(c)[k]!;
    return { dataId: backend.write(values, shape, 'float32') as TensorInfo['dataId'], shape, dtype: 'float32' };
  });
}
