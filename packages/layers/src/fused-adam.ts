import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, ArgumentError } from '@varia/core';

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
 * {@link ADAM_UPDATE_KERNEL} (the wasm backend after `enableNativeKernels()` of `@varia/native-kernels`), each
 * variable is updated by that single kernel instead of ~12 elementwise ones. Elsewhere it *is* tfjs's Adam.
 *
 * m_t = β₁m + (1−β₁)g, v_t = β₂v + (1−β₂)g², θ_t = θ − η·(m_t/(1−β₁ᵗ)) / (√(v_t/(1−β₂ᵗ)) + ε).
 *
 * The state (moments named `<variable>/m`, `<variable>/v`, the iteration count) and `getWeights`/`setWeights` are
 * tfjs's, so checkpoints move freely between the two paths.
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
      throw new ArgumentError('learningRate', `FusedAdamOptimizer: "learningRate" must be a finite number > 0, got ${learningRate}`);
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
  }

  /** Whether the next step uses the fused kernel (the active backend has it). */
  get fused(): boolean {
    return tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) !== undefined;
  }

  /**
   * One Adam step for every variable in `variableGradients` (by name): fused where the backend has the kernel, else
   * tfjs's own update. Variables with a null gradient are skipped; moments are created on first use.
   */
  override applyGradients(variableGradients: AdamGradients): void {
    if (!this.fused) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamState;
    const named = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] as tf.Tensor | undefined }));
    // β^t for this step: tfjs keeps β^(iterations+1) in accBeta; the same value, without reading a tensor back.
    const step = this.iterations + 1;
    const attrs = {
      learningRate: self.learningRate,
      beta1: self.beta1,
      beta2: self.beta2,
      epsilon: self.epsilon,
      beta1Power: self.beta1 ** step,
      beta2Power: self.beta2 ** step,
    };
    tf.tidy(() => {
      named.forEach(({ name, tensor: gradient }, i) => {
        const value = tf.engine().registeredVariables[name];
        if (!value) throw new ArgumentError('variableGradients', `FusedAdamOptimizer: no variable named "${name}"`);
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i]!.variable;
        const v = self.accumulatedSecondMoment[i]!.variable;
        const [w2, m2, v2] = tf
          .engine()
          .runKernel(ADAM_UPDATE_KERNEL, { variable: value, gradient, firstMoment: m, secondMoment: v }, attrs) as tf.Tensor[];
        value.assign(w2!);
        m.assign(m2!);
        v.assign(v2!);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    this.incrementIterations();
  }
}
