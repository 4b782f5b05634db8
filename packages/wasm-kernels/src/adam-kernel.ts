import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, ArgumentError, BackendError, ShapeError } from '@varia/core';
import { type WasmBackendParts, offsetOf } from './wasm-backend.js';

/** The module's Adam step (wasm/adam.c): outputs, inputs, the element count and the step's float32 numbers. */
export interface AdamModule {
  adam(
    w2: number,
    m2: number,
    v2: number,
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    beta1Power: number,
    beta2Power: number,
    epsilon: number,
    negLearningRate: number,
  ): void;
}

const INPUTS = ['variable', 'gradient', 'firstMoment', 'secondMoment'] as const;
const ATTRS = ['learningRate', 'beta1', 'beta2', 'epsilon', 'beta1Power', 'beta2Power'] as const;

type Args = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

/** The four inputs, checked: present, float32, one shape. */
function checkedInputs(inputs: NamedTensorInfoMap): { tensors: TensorInfo[]; size: number } {
  const tensors = INPUTS.map((name) => {
    const t = inputs[name];
    if (!t) throw new ArgumentError(name, `${ADAM_UPDATE_KERNEL}: missing input "${name}"`);
    if (t.dtype !== 'float32') {
      throw new ArgumentError(name, `${ADAM_UPDATE_KERNEL}: "${name}" must be float32, got ${t.dtype}`);
    }
    return t;
  });
  const shape = tensors[0]!.shape;
  for (let j = 1; j < 4; j++) {
    const other = tensors[j]!.shape;
    if (other.length !== shape.length || other.some((d, i) => d !== shape[i])) {
      throw new ShapeError(
        INPUTS[j]!,
        `${ADAM_UPDATE_KERNEL}: inputs must have one shape, got [${shape.join(', ')}] and [${other.join(', ')}]`,
      );
    }
  }
  return { tensors, size: shape.reduce((a, b) => a * b, 1) };
}

/** The attributes in {@link ATTRS}' order, each a finite number. */
function checkedNumbers(attrs: NamedAttrMap | undefined): number[] {
  return ATTRS.map((name) => {
    const value = attrs?.[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ArgumentError(name, `${ADAM_UPDATE_KERNEL}: attribute "${name}" must be a finite number`);
    }
    return value;
  });
}

/**
 * The module's arguments after the pointers and the count, as tfjs's Adam makes its scalars: β₁, 1 − β₁ (in double,
 * then float32), β₂, 1 − β₂, β₁ᵗ, β₂ᵗ, ε, −η (each rounded to float32 on the way into the module).
 */
function moduleNumbers([lr, b1, b2, eps, p1, p2]: number[]): StepNumbers {
  return [b1!, 1 - b1!, b2!, 1 - b2!, p1!, p2!, eps!, -lr!];
}

/** β₁, 1 − β₁, β₂, 1 − β₂, β₁ᵗ, β₂ᵗ, ε, −η: the module's arguments after the pointers and the count. */
type StepNumbers = [number, number, number, number, number, number, number, number];

let taken = 0;

/** How many Adam steps (variables) the module has computed (in this JavaScript realm). */
export function adamStepsTaken(): number {
  return taken;
}

/**
 * {@link ADAM_UPDATE_KERNEL} for the wasm backend, the same bits as tfjs's own Adam there (`tf.train.adam`, kernel by
 * kernel: see wasm/adam.c) in one pass of the module over w, g, m, v into new w′, m′, v′ — instead of ~12 elementwise
 * kernels and their temporaries per variable. `@varia/layers`' `FusedAdamOptimizer` runs it where it is registered.
 * On a backend the module was not instantiated for (`current` gives undefined: the backend was made anew) it computes
 * the same operations on the host, each rounded to float32 (`Math.fround`: exact for these IEEE operations).
 * @throws ArgumentError for a missing or non-float32 input or a non-finite attribute; ShapeError for inputs of
 *   different sizes; BackendError when the backend's memory cannot grow to hold the outputs. Nothing is left
 *   allocated then.
 */
export function adamUpdateKernel(
  module: AdamModule,
  current: (backend: unknown) => WasmBackendParts | undefined,
): KernelConfig {
  const kernelFunc = (args: Args): TensorInfo[] => {
    const { tensors, size } = checkedInputs(args.inputs);
    const numbers = moduleNumbers(checkedNumbers(args.attrs));
    const backend = current(args.backend);
    if (!backend) return hostStep(args.backend as HostBackend, tensors, size, numbers);
    const [w, g, m, v] = tensors as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const outs = [w.shape, m.shape, v.shape].map((shape) => backend.makeOutput([...shape], 'float32'));
    try {
      const [w2, m2, v2] = outs.map((o) => offsetOf(backend, o)) as [number, number, number];
      // a size of 0 has no memory: nothing to compute
      if (size > 0) {
        // tfjs-backend-wasm does not check its malloc: 0 is its failure (the memory cannot grow)
        if (w2 === 0 || m2 === 0 || v2 === 0) {
          throw new BackendError(`${ADAM_UPDATE_KERNEL}: the wasm backend's memory cannot grow to hold the outputs`);
        }
        const at = (t: TensorInfo) => offsetOf(backend, t);
        module.adam(w2, m2, v2, at(w), at(g), at(m), at(v), size, ...numbers);
      }
      taken++;
      return outs;
    } catch (e) {
      for (const o of outs) backend.disposeData(o.dataId); // nothing handed out
      throw e;
    }
  };
  return { kernelName: ADAM_UPDATE_KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelConfig['kernelFunc'] };
}

/** What the host path uses of any backend (tfjs's `KernelBackend`). */
interface HostBackend {
  readSync(dataId: unknown): unknown;
  write(values: Float32Array, shape: number[], dtype: 'float32'): unknown;
}

/** wasm/adam.c's operations on the host, each rounded to float32 (the same bits). */
function hostStep(backend: HostBackend, tensors: TensorInfo[], size: number, numbers: StepNumbers): TensorInfo[] {
  const [w, g, m, v] = tensors.map((t) => backend.readSync(t.dataId) as Float32Array) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const f = Math.fround;
  const [b1, c1, b2, c2, p1, p2, eps, negLr] = numbers.map(f) as StepNumbers;
  const d1 = f(1 - p1);
  const d2 = f(1 - p2);
  const w2 = new Float32Array(size);
  const m2 = new Float32Array(size);
  const v2 = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const gi = g[i]!;
    const mi = f(f(m[i]! * b1) + f(gi * c1));
    const vi = f(f(v[i]! * b2) + f(f(gi * gi) * c2));
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = f(f(f(f(mi / d1) / f(f(Math.sqrt(f(vi / d2))) + eps)) * negLr) + w[i]!);
  }
  const out = (values: Float32Array, like: TensorInfo): TensorInfo => {
    const shape = [...like.shape];
    return { dataId: backend.write(values, shape, 'float32') as TensorInfo['dataId'], shape, dtype: 'float32' };
  };
  return [out(w2, tensors[0]!), out(m2, tensors[2]!), out(v2, tensors[3]!)];
}
