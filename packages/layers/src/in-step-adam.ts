import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '@varia/core';
import { type AdamStepNumbers, type AdamUpdate, type InPlaceInputs, runInPlaceAdam } from './adam-kernel-call.js';

/** A variable's Adam moments: m (first) and v (second), the optimizer's slots `<variable>/m` and `<variable>/v`. */
export interface AdamMoments {
  /** m, the running mean of the gradient. */
  readonly m: tf.Variable;
  /** v, the running mean of the squared gradient. */
  readonly v: tf.Variable;
}

/**
 * One step of a `FusedAdamOptimizer` applied during the training step, variable by variable, as soon as each
 * gradient is known (`FusedAdamOptimizer.beginStep`). For each variable w with gradient g, moments m, v and step t:
 *
 * m′ = β₁m + (1−β₁)g, v′ = β₂v + (1−β₂)g², w′ = w − η·(m′/(1−β₁ᵗ)) / (√(v′/(1−β₂ᵗ)) + ε),
 *
 * elementwise, so updating w right after its gradient gives the same bits as updating every variable at the step's
 * end — provided nothing reads w after that (a layer's weights are read again only by its own backward pass). The
 * step ends with `applyGradients` given the gradients of the variables not updated here (each variable gets exactly
 * one of the two), or with {@link InStepAdam.close}; t, β₁ᵗ and β₂ᵗ then advance once.
 */
export interface InStepAdam {
  /** The step's η, β₁, β₂, ε, β₁ᵗ, β₂ᵗ: the Adam attributes of the in-place kernels (`DENSE_BACKWARD_ADAM_KERNEL`). */
  readonly numbers: AdamStepNumbers;
  /** Whether `variable` is one of the step's (the variables `beginStep` was given). */
  has(variable: tf.Variable): boolean;
  /**
   * The moments of one of the step's variables (created as zeros, as `applyGradients` creates them, when the step
   * began). A kernel that updates the variable in place updates these too, then reports it with
   * {@link InStepAdam.markUpdated}.
   * @throws ArgumentError for a variable that is not the step's.
   */
  moments(variable: tf.Variable): AdamMoments;
  /**
   * Applies the step now to `variables` with their `gradients` (tensors or a kernel's bare outputs, of each variable's
   * size; the caller keeps owning them): one in-place Adam kernel call, the same bits as `applyGradients` would give.
   * @throws ArgumentError, changing nothing, for a variable that is not the step's or was updated already, or when the
   * lists differ in length.
   */
  update(variables: readonly tf.Variable[], gradients: readonly tf.TensorInfo[]): void;
  /**
   * Records that `variables` were updated in place (with this step's {@link InStepAdam.numbers}) by the caller's own
   * kernel. @throws ArgumentError, changing nothing, as {@link InStepAdam.update}.
   */
  markUpdated(variables: readonly tf.Variable[]): void;
  /** Whether `variable` was updated in this step. */
  isUpdated(variable: tf.Variable): boolean;
  /** How many variables were updated in this step. */
  readonly updatedCount: number;
  /**
   * Ends the step without further gradients. When some variables were updated the step counts (t advances; the others
   * keep their values and moments, as for a null gradient in `applyGradients`); when none was, nothing changes.
   * Closing a closed step does nothing.
   */
  close(): void;
}

/** What the optimizer gives a step: its variables with their moments, the kernel and how to end the step. */
export interface AdamStepParts {
  variables: readonly tf.Variable[];
  /** Each variable's position in `variables` (the optimizer may give the same map to every step over the same list). */
  index: ReadonlyMap<tf.Variable, number>;
  moments: readonly AdamMoments[];
  numbers: AdamStepNumbers;
  kernel: tf.KernelConfig;
  inputs: InPlaceInputs;
  /** Ends the step (called once, by {@link AdamStep.finish}): t and the powers advance when `counted`. */
  end(step: AdamStep, counted: boolean): void;
}

/** The {@link InStepAdam} of `FusedAdamOptimizer.beginStep`. */
export class AdamStep implements InStepAdam {
  readonly numbers: AdamStepNumbers;
  private readonly parts: AdamStepParts;
  private readonly index: ReadonlyMap<tf.Variable, number>;
  /** Per variable of the step: updated in it. */
  readonly updated: boolean[];
  private updates = 0;
  private open = true;

  constructor(parts: AdamStepParts) {
    this.parts = parts;
    this.numbers = parts.numbers;
    this.index = parts.index;
    this.updated = new Array<boolean>(parts.variables.length).fill(false);
  }

  /** The variables of the step, in the order their moments are kept. */
  get variables(): readonly tf.Variable[] {
    return this.parts.variables;
  }

  /** How many variables were updated in the step. */
  get updatedCount(): number {
    return this.updates;
  }

  has(variable: tf.Variable): boolean {
    return this.index.has(variable);
  }

  moments(variable: tf.Variable): AdamMoments {
    return this.parts.moments[this.indexOf(variable, 'variable')]!;
  }

  update(variables: readonly tf.Variable[], gradients: readonly tf.TensorInfo[]): void {
    if (gradients.length !== variables.length) {
      throw new ArgumentError(
        'gradients',
        `InStepAdam.update: ${variables.length} variables and ${gradients.length} gradients`,
      );
    }
    const at = this.toUpdate(variables, 'update');
    const updates: AdamUpdate[] = at.map((i, k) => {
      const { m, v } = this.parts.moments[i]!;
      const g = gradients[k]!;
      const value = variables[k]!;
      if (g.dtype !== 'float32' || tf.util.sizeFromShape(g.shape) !== value.size) {
        throw new ArgumentError(
          'gradients',
          `InStepAdam.update: the gradient of "${value.name}" must be float32 of ${value.size} elements, got ${g.dtype} [${g.shape.join(', ')}]`,
        );
      }
      return { value, gradient: g, m, v };
    });
    runInPlaceAdam(this.parts.kernel, updates, this.numbers, this.parts.inputs);
    this.record(at);
  }

  markUpdated(variables: readonly tf.Variable[]): void {
    this.record(this.toUpdate(variables, 'markUpdated'));
  }

  isUpdated(variable: tf.Variable): boolean {
    const i = this.index.get(variable);
    return i !== undefined && this.updated[i] === true;
  }

  close(): void {
    this.finish(this.updates > 0);
  }

  /** Ends the step (once): the optimizer advances t when `counted`. Later calls of the step's methods throw. */
  finish(counted: boolean): void {
    if (!this.open) return;
    this.open = false;
    this.parts.end(this, counted);
  }

  /** Whether the step is still open. */
  get isOpen(): boolean {
    return this.open;
  }

  /** The indices of `variables`, each of the step, not yet updated, and not repeated. */
  private toUpdate(variables: readonly tf.Variable[], method: string): number[] {
    if (!this.open) throw new ArgumentError('step', `InStepAdam.${method}: the step has ended`);
    const at = new Array<number>(variables.length);
    for (let k = 0; k < variables.length; k++) at[k] = this.indexOf(variables[k]!, 'variables');
    for (let k = 0; k < at.length; k++) {
      const i = at[k]!;
      if (this.updated[i] || at.indexOf(i) !== k) {
        throw new ArgumentError(
          'variables',
          `InStepAdam.${method}: "${variables[k]!.name}" was already updated in this step`,
        );
      }
    }
    return at;
  }

  private record(at: readonly number[]): void {
    for (const i of at) this.updated[i] = true;
    this.updates += at.length;
  }

  private indexOf(variable: tf.Variable, argument: string): number {
    const i = this.index.get(variable);
    if (i === undefined) {
      throw new ArgumentError(
        argument,
        `InStepAdam: "${(variable as tf.Variable | undefined)?.name}" is not one of the step's variables`,
      );
    }
    return i;
  }
}

/** The gradients `applyGradients` takes: a list of named tensors, or a map from variable name. */
type StepGradients = { name: string; tensor: tf.Tensor | null }[] | Record<string, tf.Tensor | null | undefined>;

/**
 * The gradients of an open step's variables, in its order (the positions of their moments): each given one, null
 * for those updated in the step or not given.
 * @throws ArgumentError for a gradient of a variable that is not the step's or was updated in it.
 */
export function stepGradients(step: AdamStep, variableGradients: StepGradients): { name: string; tensor: tf.Tensor }[] {
  const given = new Map<string, tf.Tensor | null | undefined>();
  if (Array.isArray(variableGradients)) for (const { name, tensor } of variableGradients) given.set(name, tensor);
  else for (const name of Object.keys(variableGradients)) given.set(name, variableGradients[name]);
  const variables = step.variables;
  let found = 0;
  const full = variables.map((v, i) => {
    const tensor = given.get(v.name);
    if (given.has(v.name)) found++;
    if (tensor != null && step.updated[i]) {
      throw new ArgumentError(
        'variableGradients',
        `FusedAdamOptimizer: "${v.name}" was updated in this step already; it takes no gradient`,
      );
    }
    return { name: v.name, tensor: (tensor ?? null) as tf.Tensor };
  });
  if (found !== given.size) {
    const stray = [...given.keys()].find((name) => !variables.some((v) => v.name === name));
    throw new ArgumentError(
      'variableGradients',
      `FusedAdamOptimizer: "${stray}" is not one of the open step's variables`,
    );
  }
  return full;
}
