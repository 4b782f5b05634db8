import * as tf from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, ADAM_UPDATE_KERNEL, ArgumentError } from '@varia/core';
import {
  type AdamStepNumbers,
  type AdamUpdate,
  assignStep,
  InPlaceInputs,
  runInPlaceAdam,
} from './adam-kernel-call.js';
import { type AdamMoments, AdamStep, type InStepAdam, stepGradients } from './in-step-adam.js';

/** The gradients `applyGradients` takes: a map from variable name, or a list of named tensors. */
type AdamGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** tfjs's AdamOptimizer state that {@link FusedAdamOptimizer} shares (public fields of the JavaScript class). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

/**
 * Adam (Kingma & Ba, 2015) — `tf.train.adam` with one difference: where the active backend has the fused kernel
 * {@link ADAM_UPDATE_KERNEL} (the wasm backend after `enableNativeKernels()` of `@varia/native-kernels` or
 * `enableWasmKernels()` of `@varia/wasm-kernels`), each
 * variable is updated by that single kernel instead of ~12 elementwise ones. Elsewhere it *is* tfjs's Adam.
 *
 * m_t = β₁m + (1−β₁)g, v_t = β₂v + (1−β₂)g², θ_t = θ − η·(m_t/(1−β₁ᵗ)) / (√(v_t/(1−β₂ᵗ)) + ε).
 *
 * The state (moments named `<variable>/m`, `<variable>/v`, the iteration count) and `getWeights`/`setWeights` are
 * tfjs's, so checkpoints move freely between the two paths.
 *
 * β₁ᵗ and β₂ᵗ are the float32 running products β·β·…·β (tfjs's `accBeta`), on both paths and after `setWeights`
 * too: tfjs's own `setWeights` recomputes them as a power, which differs in the last bits after a few steps, so a run
 * resumed from saved weights would drift from an uninterrupted one. Here it continues bit-identically.
 *
 * @example
 * ```ts
 * const optimizer = new FusedAdamOptimizer(1e-3);
 * optimizer.minimize(() => loss(), false, variables);
 * ```
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /**
   * @param learningRate η > 0.
   * @param beta1 β₁ in [0, 1), default 0.9.
   * @param beta2 β₂ in [0, 1), default 0.999.
   * @param epsilon ε > 0, default the backend's epsilon (1e-7 for float32), as in tfjs.
   * @throws ArgumentError for an out-of-range hyper-parameter.
   */
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new ArgumentError(
        'learningRate',
        `FusedAdamOptimizer: "learningRate" must be a finite number > 0, got ${learningRate}`,
      );
    }
    for (const [name, value] of [
      ['beta1', beta1],
      ['beta2', beta2],
    ] as const) {
      if (!(value >= 0 && value < 1)) {
        throw new ArgumentError(name, `FusedAdamOptimizer: "${name}" must be in [0, 1), got ${value}`);
      }
    }
    if (epsilon !== undefined && !(epsilon > 0)) {
      throw new ArgumentError('epsilon', `FusedAdamOptimizer: "epsilon" must be > 0, got ${epsilon}`);
    }
    super(learningRate, beta1, beta2, epsilon);
    this.powers = runningPowers(beta1, beta2, 0);
  }

  /** β₁ᵗ and β₂ᵗ for the next step t = iterations + 1: the float32 running products, mirrored on the host. */
  private powers: [number, number];

  /**
   * tfjs's `setWeights` (moments and iteration count), then β₁ᵗ and β₂ᵗ set to the running products of t factors,
   * the values an uninterrupted run holds after the same steps.
   */
  override async setWeights(weightValues: Parameters<tf.AdamOptimizer['setWeights']>[0]): Promise<void> {
    await super.setWeights(weightValues);
    const self = this as unknown as AdamState;
    this.powers = runningPowers(self.beta1, self.beta2, this.iterations);
    tf.tidy(() => {
      self.accBeta1.assign(tf.scalar(this.powers[0]));
      self.accBeta2.assign(tf.scalar(this.powers[1]));
    });
  }

  /** Whether the next step uses the fused kernel (the active backend has it). */
  get fused(): boolean {
    return tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) !== undefined;
  }

  /**
   * Whether `accBeta1`/`accBeta2` (tfjs's β₁ᵗ, β₂ᵗ tensors) lag the host mirror: the fused path updates only the
   * mirror and writes the tensors when tfjs's own update needs them.
   */
  private accBetaStale = false;

  /** The in-place kernel's inputs of the last calls, by variable count (see {@link FusedAdamOptimizer.applyGradients}). */
  private readonly inPlaceInputs = new InPlaceInputs();

  /** The step begun by {@link FusedAdamOptimizer.beginStep} and not yet ended. */
  private step: AdamStep | undefined;

  /** Frees the moments (tfjs's `dispose`) and lets go of the last step's inputs; an open step ends, uncounted. */
  override dispose(): void {
    this.inPlaceInputs.clear();
    this.lastStep = undefined;
    this.step?.finish(false);
    super.dispose();
  }

  /**
   * Begins a step applied variable by variable during the training step ({@link InStepAdam}): the step's Adam numbers
   * (η, β₁, β₂, ε and β₁ᵗ, β₂ᵗ for t = iterations + 1) and the moments of each of `variables` — the variables, in the
   * order that `applyGradients` will be given them (the moments are kept by position, as in tfjs: created now as zeros
   * where missing, as `applyGradients` creates them). The step ends with `applyGradients` (the gradients of the
   * variables not updated in the step; t advances once) or `close()`. Returns undefined where the active backend has
   * no in-place Adam kernel ({@link ADAM_IN_PLACE_KERNEL}): the step is then `applyGradients`' alone.
   * @throws ArgumentError, changing nothing, while another step is open, or for a variable that is not a live
   * registered `tf.Variable` or is given twice.
   */
  beginStep(variables: readonly tf.Variable[]): InStepAdam | undefined {
    const backendName = tf.getBackend();
    const kernel = tf.getKernel(ADAM_IN_PLACE_KERNEL, backendName);
    if (!kernel || !tf.getKernel(ADAM_UPDATE_KERNEL, backendName)) return undefined;
    if (this.step?.isOpen) {
      throw new ArgumentError(
        'variables',
        'FusedAdamOptimizer.beginStep: the previous step has not ended (applyGradients or close ends it)',
      );
    }
    const registered = tf.engine().registeredVariables;
    // the last step's list again (a training run's every step): known to have no variable twice
    const last = this.lastStep;
    const same = last?.variables.length === variables.length && last.variables.every((v, i) => v === variables[i]);
    const seen = same ? undefined : new Set<tf.Variable>();
    for (const v of variables) {
      if (!(v instanceof tf.Variable) || v.isDisposed || registered[v.name] !== v || seen?.has(v)) {
        throw new ArgumentError(
          'variables',
          `FusedAdamOptimizer.beginStep: "${(v as tf.Variable | undefined)?.name}" is ${
            seen?.has(v) ? 'given twice' : 'not a live registered variable'
          }`,
        );
      }
      seen?.add(v);
    }
    const index = same ? last!.index : this.positions(variables);
    const moments: AdamMoments[] = variables.map((v, i) => this.momentsAt(i, v));
    this.step = new AdamStep({
      variables,
      index,
      moments,
      numbers: this.stepNumbers(),
      kernel,
      inputs: this.inPlaceInputs,
      end: (step, counted) => {
        if (this.step === step) this.step = undefined;
        if (counted) this.countStep();
      },
    });
    return this.step;
  }

  /**
   * The variables of the last step begun (a copy: a caller may change its array) and their positions: a training run
   * begins every step with the same list, whose map the next step then shares.
   */
  private lastStep: { variables: tf.Variable[]; index: Map<tf.Variable, number> } | undefined;

  /** The positions of `variables` (each given once), kept with a copy of the list for the next step's. */
  private positions(variables: readonly tf.Variable[]): Map<tf.Variable, number> {
    const index = new Map<tf.Variable, number>();
    for (let i = 0; i < variables.length; i++) index.set(variables[i]!, i);
    this.lastStep = { variables: [...variables], index };
    return index;
  }

  /**
   * One Adam step for every variable in `variableGradients` (by name): fused where the backend has the kernel — all
   * variables in one in-place call where it has {@link ADAM_IN_PLACE_KERNEL} — else tfjs's own update. Variables with
   * a null gradient are skipped; moments are created on first use. While a step of
   * {@link FusedAdamOptimizer.beginStep} is open, `variableGradients` holds the gradients of its variables that were
   * not updated in it (by name, any order), and this ends it: the moments stay by the step's positions.
   * @throws ArgumentError, changing nothing, for a gradient of a variable that is not the open step's or was updated
   * in it.
   */
  override applyGradients(variableGradients: AdamGradients): void {
    const step = this.step;
    if (step?.isOpen) {
      // every variable updated in the step and no gradient left (a fused training step's usual end): the step only
      // counts, as the path below ends it (no update to apply), without its lists (~15 µs of an MNIST step's host time)
      if (step.updatedCount === step.variables.length && noGradients(variableGradients) && allAlive(step.variables)) {
        step.finish(true);
        return;
      }
      const full = stepGradients(step, variableGradients);
      step.finish(false);
      this.applyAll(full);
      return;
    }
    this.applyAll(variableGradients);
  }

  /** {@link FusedAdamOptimizer.applyGradients} without an open step. */
  private applyAll(variableGradients: AdamGradients): void {
    const self = this as unknown as AdamState;
    const backendName = tf.getBackend();
    if (tf.getKernel(ADAM_UPDATE_KERNEL, backendName) === undefined) {
      if (this.accBetaStale) {
        tf.tidy(() => {
          self.accBeta1.assign(tf.scalar(this.powers[0]));
          self.accBeta2.assign(tf.scalar(this.powers[1]));
        });
        this.accBetaStale = false;
      }
      super.applyGradients(variableGradients);
      this.advancePowers();
      return;
    }
    const updates = this.updatesOf(variableGradients);
    // no gradient at all (every variable of an open step updated in it): the step only counts
    if (updates.length === 0) {
      this.countStep();
      return;
    }
    const inPlace = tf.getKernel(ADAM_IN_PLACE_KERNEL, backendName);
    const numbers = this.stepNumbers();
    if (inPlace) {
      // no outputs: updated in place; else (data shared with a clone) the new values, assigned
      runInPlaceAdam(inPlace, updates, numbers, this.inPlaceInputs);
    } else {
      tf.tidy(() => {
        for (const u of updates) {
          const outs = tf
            .engine()
            .runKernel(
              ADAM_UPDATE_KERNEL,
              { variable: u.value, gradient: u.gradient as tf.Tensor, firstMoment: u.m, secondMoment: u.v },
              numbers as unknown as tf.NamedAttrMap,
            ) as tf.Tensor[];
          assignStep(outs, 0, u);
        }
      });
    }
    this.countStep();
  }

  /**
   * The next step's η, β₁, β₂, ε, β₁ᵗ, β₂ᵗ. β^t: tfjs keeps it in accBeta; the same value from the host mirror, without
   * reading a tensor back.
   */
  private stepNumbers(): AdamStepNumbers {
    const self = this as unknown as AdamState;
    return {
      learningRate: self.learningRate,
      beta1: self.beta1,
      beta2: self.beta2,
      epsilon: self.epsilon,
      beta1Power: this.powers[0],
      beta2Power: this.powers[1],
    };
  }

  /** The end of a fused step: t and the host's β₁ᵗ, β₂ᵗ advance (tfjs's accBeta tensors are written when needed). */
  private countStep(): void {
    this.accBetaStale = true;
    this.incrementIterations();
    this.advancePowers();
  }

  /** The moments at position `i`, created (zeros shaped like `value`) where missing, m before v as tfjs does. */
  private momentsAt(i: number, value: tf.Variable): AdamMoments {
    const self = this as unknown as AdamState;
    self.accumulatedFirstMoment[i] ??= {
      originalName: `${value.name}/m`,
      variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
    };
    self.accumulatedSecondMoment[i] ??= {
      originalName: `${value.name}/v`,
      variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
    };
    return { m: self.accumulatedFirstMoment[i]!.variable, v: self.accumulatedSecondMoment[i]!.variable };
  }

  /**
   * The variable, gradient and moments of each variable of `variableGradients` with a gradient, in their order;
   * the moments of a variable seen for the first time are created (zeros).
   * @throws ArgumentError for a name that is no registered variable.
   */
  private updatesOf(variableGradients: AdamGradients): AdamUpdate[] {
    const named = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({
          name,
          tensor: variableGradients[name] as tf.Tensor | undefined,
        }));
    const registered = tf.engine().registeredVariables;
    const updates: AdamUpdate[] = [];
    for (let i = 0; i < named.length; i++) {
      const { name, tensor: gradient } = named[i]!;
      const value = registered[name];
      if (!value) throw new ArgumentError('variableGradients', `FusedAdamOptimizer: no variable named "${name}"`);
      const { m, v } = this.momentsAt(i, value);
      if (gradient == null) continue;
      updates.push({ value, gradient, m, v });
    }
    return updates;
  }

  private advancePowers(): void {
    const self = this as unknown as AdamState;
    this.powers = [
      Math.fround(this.powers[0] * Math.fround(self.beta1)),
      Math.fround(this.powers[1] * Math.fround(self.beta2)),
    ];
  }
}

/** Whether `applyGradients` was given no gradient at all (an empty list or map). */
function noGradients(variableGradients: AdamGradients): boolean {
  if (Array.isArray(variableGradients)) return variableGradients.length === 0;
  for (const _ in variableGradients) return false;
  return true;
}

/** Whether no variable is disposed (else the full path reports it, as for any step). */
function allAlive(variables: readonly tf.Variable[]): boolean {
  for (let i = 0; i < variables.length; i++) if (variables[i]!.isDisposed) return false;
  return true;
}

/**
 * β₁ᵗ⁺¹ and β₂ᵗ⁺¹ as float32 running products after `steps` steps: start at β (rounded to float32), then one float32
 * multiplication by β per step — exactly what `accBeta.assign(mul(accBeta, β))` computes on the cpu and wasm backends.
 */
function runningPowers(beta1: number, beta2: number, steps: number): [number, number] {
  const b1 = Math.fround(beta1);
  const b2 = Math.fround(beta2);
  let p1 = b1;
  let p2 = b2;
  for (let k = 0; k < steps; k++) {
    p1 = Math.fround(p1 * b1);
    p2 = Math.fround(p2 * b2);
  }
  return [p1, p2];
}
