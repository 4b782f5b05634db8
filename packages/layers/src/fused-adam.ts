import * as tf from '@tensorflow/tfjs-core';
import { ADAM_IN_PLACE_KERNEL, ADAM_UPDATE_KERNEL, ArgumentError } from '@varia/core';

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

  /** The in-place kernel's inputs of the last step, by variable count (see {@link FusedAdamOptimizer.applyGradients}). */
  private inPlaceInputs: { length: number; map: tf.NamedTensorMap } | undefined;

  /** Frees the moments (tfjs's `dispose`) and lets go of the last step's inputs. */
  override dispose(): void {
    this.inPlaceInputs = undefined;
    super.dispose();
  }

  /**
   * One Adam step for every variable in `variableGradients` (by name): fused where the backend has the kernel — all
   * variables in one in-place call where it has {@link ADAM_IN_PLACE_KERNEL} — else tfjs's own update. Variables with
   * a null gradient are skipped; moments are created on first use.
   */
  override applyGradients(variableGradients: AdamGradients): void {
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
    const inPlace = tf.getKernel(ADAM_IN_PLACE_KERNEL, backendName);
    // β^t for this step: tfjs keeps it in accBeta; the same value from the host mirror, without reading a tensor back
    // (`count` is read by the in-place kernel only)
    const attrs = {
      learningRate: self.learningRate,
      beta1: self.beta1,
      beta2: self.beta2,
      epsilon: self.epsilon,
      beta1Power: this.powers[0],
      beta2Power: this.powers[1],
      count: updates.length,
    };
    if (inPlace) {
      // the same 4·count names every step: their values are replaced in one object kept between steps (filling a
      // fresh object with 40 keys took twice as long)
      let inputs = this.inPlaceInputs;
      if (inputs?.length !== updates.length) inputs = this.inPlaceInputs = { length: updates.length, map: {} };
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i]!;
        const names = inPlaceInputNames(i);
        inputs.map[names[0]] = u.value;
        inputs.map[names[1]] = u.gradient;
        inputs.map[names[2]] = u.m;
        inputs.map[names[3]] = u.v;
      }
      // no outputs: updated in place; else (data shared with a clone) the new values, to assign
      const outs = runKernelOnce(inPlace, inputs.map, attrs);
      if (outs.length > 0) {
        try {
          updates.forEach((u, i) => assignStep(outs, 3 * i, u));
        } finally {
          tf.dispose(outs);
        }
      }
    } else {
      tf.tidy(() => {
        for (const u of updates) {
          const outs = tf
            .engine()
            .runKernel(
              ADAM_UPDATE_KERNEL,
              { variable: u.value, gradient: u.gradient, firstMoment: u.m, secondMoment: u.v },
              attrs,
            ) as tf.Tensor[];
          assignStep(outs, 0, u);
        }
      });
    }
    this.accBetaStale = true;
    this.incrementIterations();
    this.advancePowers();
  }

  /**
   * The variable, gradient and moments of each variable of `variableGradients` with a gradient, in their order;
   * the moments of a variable seen for the first time are created (zeros).
   * @throws ArgumentError for a name that is no registered variable.
   */
  private updatesOf(variableGradients: AdamGradients): AdamUpdate[] {
    const self = this as unknown as AdamState;
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
      self.accumulatedFirstMoment[i] ??= {
        originalName: `${name}/m`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      self.accumulatedSecondMoment[i] ??= {
        originalName: `${name}/v`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      if (gradient == null) continue;
      const m = self.accumulatedFirstMoment[i]!.variable;
      const v = self.accumulatedSecondMoment[i]!.variable;
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

/** One variable's step: the variable, its gradient and its two moments. */
interface AdamUpdate {
  value: tf.Variable;
  gradient: tf.Tensor;
  m: tf.Variable;
  v: tf.Variable;
}

/** Assigns w′, m′, v′ (`outs[k…k+2]`) to the variable and moments of `u`. */
function assignStep(outs: tf.Tensor[], k: number, u: AdamUpdate): void {
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
