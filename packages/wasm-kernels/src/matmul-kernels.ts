import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { FAST_TRANSPOSED_MATMUL } from '@varia/core';
import { gemm } from './helper.js';
import type { GemmArgs, GemmFunction } from './helper-worker.js';
import { type WasmBackendParts, offsetOf } from './wasm-backend.js';
import { type ZeroSkipModule, zeroSkipLists } from './zero-skip.js';

/** The exports of the package's module (wasm/matmul.c). */
export interface KernelsModule extends ZeroSkipModule {
  gemm: GemmFunction;
  transpose(dst: number, src: number, rows: number, cols: number): void;
}

/** The activations the module applies as XNNPACK's x86 kernels do (their clamps), by wasm/matmul.c's codes. */
const ACTIVATIONS: Readonly<Record<string, number>> = { linear: 0, relu: 1, relu6: 2 };
/** The activations without a clamp, which XNNPACK computes alike on every host. */
const UNCLAMPED: Readonly<Record<string, number>> = { linear: 0 };

/** op(A)·op(B) for the module: sizes and the output's shape (batch dimensions of 1, as tfjs-backend-wasm makes it). */
interface Product {
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

/**
 * The product of a and b when the module takes it: float32, every batch dimension 1 (what tfjs-backend-wasm runs on
 * XNNPACK or, transposed, on its slow_batch_matmul as one product), inner sizes that agree, nothing empty. Else
 * undefined: the backend's own kernel runs (and reports what is wrong).
 */
function productOf(a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean): Product | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  if (!a.shape.slice(0, -2).every((d) => d === 1) || !b.shape.slice(0, -2).every((d) => d === 1)) return undefined;
  const m = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = tb ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb || m === 0 || n === 0 || k === 0) return undefined;
  return { m, n, k, outShape: [...new Array<number>(Math.max(ra, rb) - 2).fill(1), m, n] };
}

/**
 * C = op(A)·op(B) (+ bias, then the activation) by the module into a new output, or undefined (nothing allocated)
 * when the backend's memory has no room: the caller then runs the backend's own kernel. A transposed B is first copied
 * transposed into scratch (a copy: no arithmetic), freed before this returns.
 */
function product(
  module: KernelsModule,
  backend: WasmBackendParts,
  p: Product,
  a: TensorInfo,
  b: TensorInfo,
  ta: boolean,
  tb: boolean,
  bias: TensorInfo | undefined,
  act: number,
): TensorInfo | undefined {
  const out = backend.makeOutput(p.outShape, 'float32');
  const c = offsetOf(backend, out);
  // tfjs-backend-wasm does not check its malloc: 0 is its failure (the memory cannot grow), never an allocation
  const scratch = tb ? backend.wasm._malloc(4 * p.k * p.n) : 0;
  if (c === 0 || (tb && scratch === 0)) {
    backend.disposeData(out.dataId);
    if (scratch !== 0) backend.wasm._free(scratch);
    return undefined;
  }
  let lists = 0;
  try {
    if (tb) module.transpose(scratch, offsetOf(backend, b), p.n, p.k);
    const bOff = tb ? scratch : offsetOf(backend, b);
    const blocked = ta || tb ? 1 : 0;
    const biasOff = bias ? offsetOf(backend, bias) : 0;
    const aOff = offsetOf(backend, a);
    const [ais, aks] = ta ? [1, p.m] : [p.k, 1];
    const args: GemmArgs = [c, aOff, ais, aks, bOff, p.n, biasOff, p.m, p.n, p.k, blocked, act, 0];
    // XNNPACK's order over the row groups' non-zeros only, where op(A) is mostly zeros (the same bits)
    lists = args[12] = zeroSkipLists(module, backend, args);
    gemm(module, ...args);
    taken++;
  } catch (e) {
    backend.disposeData(out.dataId); // a trap in the module: the output is not handed out
    throw e;
  } finally {
    if (scratch !== 0) backend.wasm._free(scratch);
    if (lists !== 0) backend.wasm._free(lists);
  }
  return out;
}

type Args = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

let taken = 0;

/** How many products the module has computed (in this JavaScript realm). */
export function productsTaken(): number {
  return taken;
}

/** What a replacement computes for a call on the module's backend, or undefined to run the backend's own kernel. */
type Take = (args: Args, backend: WasmBackendParts) => TensorInfo | undefined;

/**
 * A replacement of `original`: `take` where the call is on the backend and memory the module was instantiated for
 * (`current` gives it, or undefined when the backend has changed since) and `take` computes it, else `original`.
 */
function replacement(
  current: (backend: unknown) => WasmBackendParts | undefined,
  original: KernelConfig,
  take: Take,
): KernelConfig {
  const kernelFunc = (args: Args): TensorInfo | TensorInfo[] => {
    const backend = current(args.backend);
    const out = backend ? take(args, backend) : undefined;
    return out ?? (original.kernelFunc as (args: Args) => TensorInfo | TensorInfo[])(args);
  };
  return replacing(original, kernelFunc);
}

/**
 * BatchMatMul for the wasm backend: the module's product where it takes it ({@link productOf}) — XNNPACK's order
 * without a transposed operand, slow_batch_matmul's with one — else `original` ({@link replacement}).
 */
export function batchMatMulKernel(
  module: KernelsModule,
  current: (backend: unknown) => WasmBackendParts | undefined,
  original: KernelConfig,
): KernelConfig {
  return replacement(current, original, (args, backend) => {
    const { a, b } = args.inputs as Record<string, TensorInfo | undefined>;
    const ta = args.attrs?.transposeA === true;
    const tb = args.attrs?.transposeB === true;
    const p = a && b ? productOf(a, b, ta, tb) : undefined;
    return p && product(module, backend, p, a!, b!, ta, tb, undefined, 0);
  });
}

/** The activations {@link fusedMatMulKernel} takes, with `clampsAsX86` as it is given. */
export function activationsTaken(clampsAsX86: boolean): string[] {
  return Object.keys(clampsAsX86 ? ACTIVATIONS : UNCLAMPED);
}

/**
 * _FusedMatMul for the wasm backend: the module's product (XNNPACK's order: from the bias, then the clamp of linear,
 * relu or relu6 — relu and relu6 only with `clampsAsX86`: XNNPACK's kernels for other hosts clamp with max/min, which
 * keep a NaN where the x86 ones give 0) where neither operand is transposed, the bias is absent or one value per column, there are no PReLU
 * weights and {@link productOf} takes it; else `original` (transposed operands add the bias per block of 48 k there).
 */
export function fusedMatMulKernel(
  module: KernelsModule,
  current: (backend: unknown) => WasmBackendParts | undefined,
  original: KernelConfig,
  clampsAsX86: boolean,
): KernelConfig {
  const activations = clampsAsX86 ? ACTIVATIONS : UNCLAMPED;
  return replacement(current, original, (args, backend) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const transposed = args.attrs?.transposeA === true || args.attrs?.transposeB === true;
    const act = activations[(args.attrs?.activation as string | undefined) ?? 'linear'];
    if (!a || !b || transposed || act === undefined || preluActivationWeights) return undefined;
    const p = productOf(a, b, false, false);
    const biasFits = !bias || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === p?.n);
    return p && biasFits ? product(module, backend, p, a, b, false, false, bias, act) : undefined;
  });
}

/**
 * `original` with `kernelFunc` in its place: its setup and dispose functions stay (the backend's own kernel, which
 * this one falls back to, needs its setup on a backend made anew). Without `FAST_TRANSPOSED_MATMUL`: `@varia/layers`
 * then keeps transposing explicitly, as on the plain wasm backend, and so its products keep their order and bits.
 */
function replacing(original: KernelConfig, kernelFunc: (args: Args) => TensorInfo | TensorInfo[]): KernelConfig {
  const config: Record<string, unknown> = { ...original, kernelFunc };
  delete config[FAST_TRANSPOSED_MATMUL];
  return config as unknown as KernelConfig;
}
