import * as tf from '@tensorflow/tfjs-core';
import { allocateFloat32, wasmMemoryBackend } from '../wasm-memory.js';

/** A kernel's inputs by name: tensors or bare tensor infos (what kernels take). */
export type KernelInputs = Record<string, tf.TensorInfo>;

/** The attributes of a kernel called without any: one object for every such call (kernels only read them). */
const NO_ATTRS: tf.NamedAttrMap = Object.freeze({});

/**
 * Calls the registered kernels of the active backend directly — `kernelFunc({ inputs, backend, attrs })`, the function
 * `engine.runKernel` would call — without the engine's bookkeeping, the gradient tape or tidy scopes. Every output it
 * makes is owned by the runner until {@link KernelRunner.keep} hands it out as a tensor; {@link KernelRunner.dispose}
 * frees the rest (call it in a `finally`: on error paths too). The same kernel function on the same inputs gives the
 * same bits, so a computation written as a sequence of these calls reproduces the taped one exactly.
 */
export class KernelRunner {
  /** The name of the backend whose kernels it calls (the active one when it was made). */
  readonly backendName: string;
  private readonly backend: tf.KernelBackend;
  private readonly kernels = new Map<string, tf.KernelFunc>();
  /** Outputs not yet handed out or freed (each holds one reference of its data). */
  private owned: tf.TensorInfo[] = [];
  /**
   * The wasm backend's memory access, when that is the backend: {@link KernelRunner.fill} then writes into a new
   * tensor's memory and {@link KernelRunner.peek} reads it in place (no host array or copy made: an ArrayBuffer per
   * scalar and per read was ~9 µs of an MNIST step's host time).
   */
  private readonly wasm: ReturnType<typeof wasmMemoryBackend>;

  constructor() {
    this.backendName = tf.getBackend();
    this.backend = tf.engine().backend;
    this.wasm = this.backendName === 'wasm' ? wasmMemoryBackend() : undefined;
  }

  /**
   * A runner for the active backend with every kernel in `names` looked up (each once: a step that checks its kernels
   * and then runs them looks each up once), or undefined when the backend lacks one of them.
   */
  static forKernels(names: readonly string[]): KernelRunner | undefined {
    const r = new KernelRunner();
    for (let i = 0; i < names.length; i++) if (!r.has(names[i]!)) return undefined;
    return r;
  }

  private kernel(name: string): tf.KernelFunc {
    let f = this.kernels.get(name);
    if (!f) {
      const config = tf.getKernel(name, this.backendName);
      if (!config) throw new Error(`KernelRunner: no kernel ${name} on backend ${this.backendName}`);
      f = config.kernelFunc;
      this.kernels.set(name, f);
    }
    return f;
  }

  /** Calls kernel `name` (its outputs not yet owned by anyone). */
  private call(name: string, inputs: KernelInputs, attrs: tf.NamedAttrMap): tf.TensorInfo | tf.TensorInfo[] {
    return this.kernel(name)({ inputs, backend: this.backend, attrs } as unknown as Parameters<tf.KernelFunc>[0]);
  }

  /** Runs kernel `name` and returns its outputs (owned by the runner). */
  runAll(name: string, inputs: KernelInputs, attrs: tf.NamedAttrMap = NO_ATTRS): tf.TensorInfo[] {
    const out = this.call(name, inputs, attrs);
    if (!Array.isArray(out)) {
      this.owned.push(out);
      return [out];
    }
    for (const info of out) this.owned.push(info);
    return out;
  }

  /** Runs a kernel with one output. */
  run(name: string, inputs: KernelInputs, attrs: tf.NamedAttrMap = NO_ATTRS): tf.TensorInfo {
    const out = this.call(name, inputs, attrs);
    if (!Array.isArray(out)) {
      this.owned.push(out);
      return out;
    }
    for (const info of out) this.owned.push(info);
    return out[0]!;
  }

  /** A float32 tensor of `shape` holding `values`, owned by the runner. */
  values(values: Float32Array, shape: number[]): tf.TensorInfo {
    const info = { dataId: this.backend.write(values, shape, 'float32'), shape, dtype: 'float32' as const };
    this.owned.push(info);
    return info;
  }

  /** A float32 tensor of `shape` filled with `value` (rounded to float32), owned by the runner. */
  fill(value: number, shape: number[]): tf.TensorInfo {
    let size = 1;
    for (const d of shape) size *= d;
    const wasm = size > 0 ? this.wasm : undefined;
    const out = wasm ? allocateFloat32(wasm, [...shape]) : undefined;
    if (!out) return this.values(new Float32Array(size).fill(value), shape);
    this.owned.push(out.info);
    // the memory read after the allocation, which may have grown it; the same float32 rounding as a Float32Array's
    new Float32Array(wasm!.wasm.HEAPU8.buffer, out.offset, size).fill(value);
    return out.info;
  }

  /** The values of an output (a synchronous read: cheap on backends that keep tensors in host memory). */
  read(info: tf.TensorInfo): Float32Array {
    return this.backend.readSync(info.dataId) as Float32Array;
  }

  /**
   * The values of a float32 output, to read at once: on the wasm backend a view of its memory (valid until the next
   * kernel call or allocation, which may move or reuse it), elsewhere {@link KernelRunner.read}'s copy.
   */
  peek(info: tf.TensorInfo): Float32Array {
    const offset = this.wasm?.dataIdMap.get(info.dataId)?.memoryOffset;
    if (!offset || info.dtype !== 'float32') return this.read(info);
    let size = 1;
    for (const d of info.shape) size *= d;
    return new Float32Array(this.wasm!.wasm.HEAPU8.buffer, offset, size);
  }

  /** Whether the backend has kernel `name`. */
  has(name: string): boolean {
    if (this.kernels.has(name)) return true;
    const config = tf.getKernel(name, this.backendName);
    if (config) this.kernels.set(name, config.kernelFunc);
    return config !== undefined;
  }

  /** A float32 scalar, owned by the runner (what `tf.mul(x, 0.5)` makes of its number). */
  scalar(value: number): tf.TensorInfo {
    return this.fill(value, []);
  }

  /** The same data under another shape of the same size (what the Reshape kernel returns), without a kernel. */
  static view(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return { dataId: info.dataId, shape, dtype: info.dtype };
  }

  /** Hands an output out as a tensor the caller owns (it no longer counts as the runner's). */
  keep<T extends tf.Tensor = tf.Tensor>(info: tf.TensorInfo): T {
    const owned = this.owned;
    const i = owned.lastIndexOf(info);
    if (i < 0) throw new Error('KernelRunner.keep: not an output of this runner');
    // the order of what is owned does not matter (dispose frees it all): the last one takes its place
    const last = owned.pop()!;
    if (i < owned.length) owned[i] = last;
    return tf.engine().makeTensorFromTensorInfo(info, this.backend) as T;
  }

  /** Frees every output not handed out. */
  dispose(): void {
    const owned = this.owned;
    this.owned = [];
    for (const info of owned) this.backend.disposeData(info.dataId);
  }
}
