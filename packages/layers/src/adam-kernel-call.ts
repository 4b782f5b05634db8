import * as tf from '@tensorflow/tfjs-core';
import type { ADAM_IN_PLACE_KERNEL } from '@varia/core';

/** One variable's step: the variable, its gradient (a tensor or a kernel's bare output) and its two moments. */
export interface AdamUpdate {
  value: tf.Variable;
  gradient: tf.TensorInfo;
  m: tf.Variable;
  v: tf.Variable;
}

/**
 * The Adam numbers of one step, as {@link ADAM_IN_PLACE_KERNEL} takes them (its attributes besides `count`): η, β₁, β₂,
 * ε and the bias corrections' powers β₁ᵗ, β₂ᵗ (float32 running products).
 */
export interface AdamStepNumbers {
  /** η, the learning rate. */
  readonly learningRate: number;
  /** β₁, the first moment's decay. */
  readonly beta1: number;
  /** β₂, the second moment's decay. */
  readonly beta2: number;
  /** ε, added to √v̂. */
  readonly epsilon: number;
  /** β₁ᵗ of this step t (the float32 running product). */
  readonly beta1Power: number;
  /** β₂ᵗ of this step t (the float32 running product). */
  readonly beta2Power: number;
}

/**
 * The input maps of {@link ADAM_IN_PLACE_KERNEL} calls, one per variable count, kept between calls: the same 4·count
 * names every step, their values replaced (filling a fresh object with 40 keys took twice as long).
 */
export class InPlaceInputs {
  private readonly maps = new Map<number, tf.NamedTensorMap>();

  /** The input map for `updates`, filled. */
  of(updates: readonly AdamUpdate[]): tf.NamedTensorMap {
    let map = this.maps.get(updates.length);
    if (!map) {
      map = {};
      this.maps.set(updates.length, map);
    }
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!;
      const names = inPlaceInputNames(i);
      map[names[0]] = u.value;
      map[names[1]] = u.gradient as tf.Tensor;
      map[names[2]] = u.m;
      map[names[3]] = u.v;
    }
    return map;
  }

  /** Lets go of the tensors of the last calls. */
  clear(): void {
    this.maps.clear();
  }
}

/**
 * One {@link ADAM_IN_PLACE_KERNEL} call for `updates` (none when empty): in place where the kernel can; where some
 * tensor shares a variable's or moment's data (a clone kept by the caller) it returns w′, m′, v′, which are assigned.
 */
export function runInPlaceAdam(
  config: tf.KernelConfig,
  updates: readonly AdamUpdate[],
  numbers: AdamStepNumbers,
  inputs: InPlaceInputs,
): void {
  if (updates.length === 0) return;
  const attrs = { ...numbers, count: updates.length };
  const outs = runKernelOnce(config, inputs.of(updates), attrs);
  if (outs.length === 0) return;
  try {
    updates.forEach((u, i) => assignStep(outs, 3 * i, u));
  } finally {
    tf.dispose(outs);
  }
}

/** Assigns w′, m′, v′ (`outs[k…k+2]`) to the variable and moments of `u`. */
export function assignStep(outs: tf.Tensor[], k: number, u: AdamUpdate): void {
  u.value.assign(outs[k]!);
  u.m.assign(outs[k + 1]!);
  u.v.assign(outs[k + 2]!);
}

/**
 * Runs a registered kernel once: its `kernelFunc` called directly on the active backend — what `engine.runKernel`
 * calls, without the engine's bookkeeping around it (for a kernel with 40 inputs and no outputs that bookkeeping is
 * most of the JavaScript of an Adam step). Where that bookkeeping does something — a gradient tape is recording,
 * `tf.profile` is on, or tfjs's DEBUG checks — the call goes through `engine.runKernel` instead. Returns the outputs
 * (usually none) as tensors the caller owns.
 */
function runKernelOnce(config: tf.KernelConfig, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor[] {
  const engine = tf.engine();
  const state = engine.state;
  if (state.gradientDepth > 0 || state.kernelDepth > 0 || state.profiling || tf.env().getBool('DEBUG')) {
    return engine.runKernel(config.kernelName, inputs, attrs) as tf.Tensor[];
  }
  const backend = engine.backend;
  const out = config.kernelFunc({ inputs, attrs, backend } as unknown as Parameters<tf.KernelFunc>[0]);
  const infos = Array.isArray(out) ? out : [out];
  return infos.map((info) => engine.makeTensorFromTensorInfo(info, backend));
}

/** The input names of variable i in {@link ADAM_IN_PLACE_KERNEL}, made once (a step would otherwise build 4 per variable). */
const inPlaceNames: [string, string, string, string][] = [];
function inPlaceInputNames(i: number): [string, string, string, string] {
  for (let k = inPlaceNames.length; k <= i; k++) {
    inPlaceNames.push([`variable${k}`, `gradient${k}`, `firstMoment${k}`, `secondMoment${k}`]);
  }
  return inPlaceNames[i]!;
}
