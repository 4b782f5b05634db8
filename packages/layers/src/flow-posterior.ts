import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import {
  constraints,
  type Constraint,
  Distribution,
  type DistributionOptions,
  type SampleOptions,
} from '@varia/distributions';
import type { Activation } from './activation.js';
import { AffineCoupling } from './affine-coupling.js';
import { Dense } from './dense.js';
import { type FlowStep, FlowSequence, PermuteFlow } from './flow-step.js';
import {
  checkHeadDims,
  checkInput,
  type DistributionHead,
  HEAD_DISTRIBUTION_OPTIONS,
  type HeadOptions,
  NormalHead,
} from './heads.js';
import { InverseAutoregressiveFlow } from './iaf.js';
import { collectVariables } from './module.js';

/** A reparameterized draw and its log-density, as {@link FlowPosterior.rsampleAndLogProb} returns them. */
export interface SampleWithLogProb {
  /** z, shape `[...sampleShape, ...batchShape, D]`; gradients flow to the base's parameters and the flow. */
  z: tf.Tensor;
  /** log q(z), shape `[...sampleShape, ...batchShape]`. */
  logProb: tf.Tensor;
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * q(z) = the law of z = f(ε; c), ε ~ `base` (a distribution with event shape [D]), f a {@link FlowStep} conditioned on
 * an optional context c (one row per batch member, e.g. the encoder's h). By the change of variables
 *
 * log q(z) = log q₀(ε) − log |det ∂f/∂ε|,  ε = f⁻¹(z).
 *
 * {@link FlowPosterior.rsampleAndLogProb} returns draws together with their log-density from the forward pass alone —
 * one network evaluation per step, and what a Monte-Carlo ELBO needs, E_q[log p(x, z) − log q(z | x)]. `logProb` of an
 * arbitrary z needs f⁻¹: one pass per coupling step, but D sequential passes per IAF step, so prefer
 * `rsampleAndLogProb`. `rsample` remembers the log-density of its latest draw: `logProb` of that draw (the same tensor,
 * or a reshape of it sharing its data, as the ELBO and IWAE objectives pass it) reads it instead of running the
 * inverse — the same value and the same gradient, log q₀(ε) − log |det ∂f/∂ε| at the draw's ε.
 * There is no closed-form KL against a prior: estimate it by sampling.
 *
 * Ownership: the posterior disposes `base`; the flow (the head's trainable steps) and the context stay with the caller.
 */
export class FlowPosterior extends Distribution {
  /** The base distribution q₀, batch shape B, event shape [D]. */
  readonly base: Distribution;
  /** The flow f. */
  readonly flow: FlowStep;
  /** The context c, [prod(B), contextDim], when the flow is conditional. */
  readonly context?: tf.Tensor;

  /** @throws ShapeError when the base's event is not [flow.dim] or the context does not match the batch. */
  constructor(
    base: Distribution,
    flow: FlowStep,
    context?: tf.Tensor,
    options: DistributionOptions = HEAD_DISTRIBUTION_OPTIONS,
  ) {
    if (base.eventShape.length !== 1 || base.eventShape[0] !== flow.dim) {
      throw new ShapeError(
        'base',
        `FlowPosterior: the base needs event shape [${flow.dim}], got [${base.eventShape.join(', ')}]`,
      );
    }
    if (
      flow.contextDim > 0 &&
      (context?.rank !== 2 || context.shape[0] !== product(base.batchShape) || context.shape[1] !== flow.contextDim)
    ) {
      throw new ShapeError(
        'context',
        `FlowPosterior: the context must be [${product(base.batchShape)}, ${flow.contextDim}], got ${context ? `[${context.shape.join(', ')}]` : 'none'}`,
      );
    }
    super(base.batchShape, base.eventShape, options);
    this.base = base;
    this.flow = flow;
    this.context = flow.contextDim > 0 ? context : undefined;
  }

  override get support(): Constraint {
    return constraints.independent(constraints.real, 1);
  }

  override get hasRsample(): boolean {
    return this.base.hasRsample;
  }

  /**
   * A reparameterized draw z = f(ε), ε ~ q₀, with log q(z) = log q₀(ε) − log |det ∂f/∂ε| computed on the way: the
   * ELBO's sampling path. `z` is `[...sampleShape, ...batchShape, D]`, `logProb` is `[...sampleShape, ...batchShape]`.
   * Both live in the caller's tidy scope.
   */
  rsampleAndLogProb(sampleShape: readonly number[] = [], options: SampleOptions = {}): SampleWithLogProb {
    return tf.tidy(() => {
      const eps = this.base.rsample(sampleShape, options);
      const { y, logDet } = this.flow.forward(
        tf.reshape(eps, [-1, this.flow.dim]),
        this.contextFor(product(sampleShape)),
      );
      const lead = eps.shape.slice(0, -1);
      return { z: tf.reshape(y, eps.shape), logProb: tf.sub(this.base.logProb(eps), tf.reshape(logDet, lead)) };
    });
  }

  /** The context repeated for `copies` stacked batches (rows ordered sample-major, as a reshape flattens them). */
  private contextFor(copies: number): tf.Tensor | undefined {
    if (!this.context) return undefined;
    return copies === 1 ? this.context : tf.tile(this.context, [copies, 1]);
  }

  private sampleShapeOf(shape: number[]): number[] {
    return shape.slice(0, shape.length - this.batchShape.length - 1);
  }

  /**
   * A reparameterized draw `[...sampleShape, ...batchShape, D]` (see {@link FlowPosterior.rsampleAndLogProb}); its
   * log-density is remembered for `logProb` of the same draw. Lives in the caller's tidy scope.
   */
  override rsample(sampleShape: readonly number[] = [], options: SampleOptions = {}): tf.Tensor {
    const draw = this.rsampleAndLogProb(sampleShape, options);
    this.latestDraw = draw;
    return draw.z;
  }
  /** The latest `rsample` draw and its log-density (in the caller's scope; unusable once disposed). */
  private latestDraw?: SampleWithLogProb;

  /** log q of the latest draw when `value` is that draw (its data), shaped to `value`'s leading dimensions. */
  private rememberedLogProb(value: tf.Tensor): tf.Tensor | undefined {
    const draw = this.latestDraw;
    if (!draw || draw.z.isDisposed || draw.logProb.isDisposed) return undefined;
    if (value.dataId !== draw.z.dataId || value.size !== draw.z.size || value.shape.at(-1) !== this.flow.dim) {
      return undefined;
    }
    return tf.reshape(draw.logProb, value.shape.slice(0, -1));
  }

  protected override _rsample(shape: number[], seed?: number): tf.Tensor {
    return this.rsampleAndLogProb(this.sampleShapeOf(shape), { seed }).z;
  }

  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    return this._rsample(shape, seed);
  }

  /** log q(z) through ε = f⁻¹(z) (D sequential passes per IAF step); see the class notes. */
  protected override _logProb(value: tf.Tensor): tf.Tensor {
    const remembered = this.rememberedLogProb(value);
    if (remembered) return remembered;
    const d = this.flow.dim;
    const batch = [...this.batchShape, d];
    const lead = value.rank > batch.length ? value.shape.slice(0, value.rank - batch.length) : [];
    const full = tf.broadcastTo(value, [...lead, ...batch]);
    const context = this.contextFor(product(lead));
    const eps = this.flow.inverse(tf.reshape(full, [-1, d]), context);
    const { logDet } = this.flow.forward(eps, context);
    return tf.sub(this.base.logProb(tf.reshape(eps, full.shape)), tf.reshape(logDet, full.shape.slice(0, -1)));
  }

  override dispose(): void {
    if (this.released) return;
    this.released = true;
    super.dispose();
    this.base.dispose();
  }
  private released = false;
}

/** Options of {@link FlowPosteriorHead}. */
export interface FlowPosteriorHeadOptions extends HeadOptions {
  /** The step type: `'iaf'` (default; reversals in between) or `'affine-coupling'` (RealNVP, alternating parity). */
  flow?: 'iaf' | 'affine-coupling';
  /** Number K of flow steps; default 2. */
  steps?: number;
  /** Hidden widths of each step's network; default `[max(16, 2·units)]`. */
  hiddenUnits?: readonly number[];
  /** Condition every step on h (Kingma et al.'s IAF posterior); default true. */
  conditionOnInput?: boolean;
  /**
   * Width of the context the steps see: c = hW_c + b_c, one linear projection shared by all steps (every step then
   * reads a narrow c instead of the full h); default min(inputDim, max(16, 2·units)).
   */
  contextUnits?: number;
  /** Activation of the steps' networks; default `'relu'`. */
  activation?: Activation;
  /**
   * IAF steps only: start each step at the identity (its MADE's output layer at zero, see
   * {@link InverseAutoregressiveFlowOptions.identityInit}), so q starts as the base Gaussian; default true.
   */
  identityInit?: boolean;
}

/**
 * A normalizing-flow posterior head: q(z | x) is a diagonal Gaussian N(μ(h), diag σ(h)²) (a {@link NormalHead}) pushed
 * through K trainable flow steps conditioned on a context c = hW_c + b_c (`contextUnits` wide), giving a {@link FlowPosterior} with batch shape [batch] and event
 * shape [units]. The ELBO is estimated by Monte Carlo with `rsampleAndLogProb`:
 *
 * ELBO ≈ (1/S) Σₛ [log p(x | zₛ) + log p(zₛ) − log q(zₛ | x)],  (zₛ, log q(zₛ | x)) = q.rsampleAndLogProb([S]).
 */
export class FlowPosteriorHead implements DistributionHead {
  readonly family = 'flow';
  readonly inputDim: number;
  readonly units: number;
  /** The base Gaussian's head. */
  readonly baseHead: NormalHead;
  /** The flow steps (with permutations between IAF steps). */
  readonly flow: FlowSequence;
  /** The projection of h to the steps' context (absent when the steps are unconditional). */
  readonly contextLayer?: Dense;

  constructor(options: FlowPosteriorHeadOptions) {
    checkHeadDims('FlowPosteriorHead', options);
    const kind = options.flow ?? 'iaf';
    if (kind !== 'iaf' && kind !== 'affine-coupling') {
      throw new ArgumentError(
        'flow',
        `FlowPosteriorHead: "flow" must be iaf or affine-coupling, got ${JSON.stringify(kind)}`,
      );
    }
    const steps = options.steps ?? 2;
    if (!Number.isInteger(steps) || steps < 1)
      throw new ArgumentError('steps', `FlowPosteriorHead: "steps" must be a positive integer, got ${steps}`);
    const dim = options.units;
    if (kind === 'affine-coupling' && dim < 2) {
      throw new ArgumentError('units', `FlowPosteriorHead: affine coupling needs "units" ≥ 2, got ${dim}`);
    }
    this.inputDim = options.inputDim;
    this.units = dim;
    const seed = options.seed ?? 0;
    const contextUnits = options.contextUnits ?? Math.min(this.inputDim, Math.max(16, 2 * dim));
    if (!Number.isInteger(contextUnits) || contextUnits < 1) {
      throw new ArgumentError(
        'contextUnits',
        `FlowPosteriorHead: "contextUnits" must be a positive integer, got ${contextUnits}`,
      );
    }
    const contextDim = options.conditionOnInput === false ? 0 : contextUnits;
    const common = {
      dim,
      contextDim,
      hiddenUnits: options.hiddenUnits,
      activation: options.activation,
      init: options.init,
    };
    const list: FlowStep[] = [];
    for (let k = 0; k < steps; k++) {
      if (kind === 'iaf') {
        if (k > 0) list.push(PermuteFlow.reverse(dim, contextDim));
        list.push(new InverseAutoregressiveFlow({ ...common, identityInit: options.identityInit, seed: seed + 2 + k }));
      } else {
        list.push(new AffineCoupling({ ...common, parity: (k % 2) as 0 | 1, seed: seed + 2 + k }));
      }
    }
    this.baseHead = new NormalHead({ inputDim: this.inputDim, units: dim, init: options.init, seed });
    this.flow = new FlowSequence(list);
    if (contextDim > 0) {
      this.contextLayer = new Dense({
        inputDim: this.inputDim,
        units: contextDim,
        init: options.init,
        seed: seed + 2 + steps,
      });
    }
  }

  apply(h: tf.Tensor): FlowPosterior {
    checkInput('FlowPosteriorHead', h, this.inputDim);
    return new FlowPosterior(this.baseHead.apply(h), this.flow, this.contextLayer?.apply(h));
  }

  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return collectVariables(
      [
        ['base', this.baseHead],
        ['flow', this.flow],
        ['context', this.contextLayer],
      ],
      prefix,
    );
  }

  dispose(): void {
    this.baseHead.dispose();
    this.flow.dispose();
    this.contextLayer?.dispose();
  }
}
