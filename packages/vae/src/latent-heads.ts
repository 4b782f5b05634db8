import * as tf from '@tensorflow/tfjs-core';
import {
  type Distribution,
  Independent,
  LogisticNormal,
  Poisson,
  RelaxedOneHotCategorical,
  StickBreaking,
} from '@varia/distributions';
import {
  Dense,
  type DirichletHead,
  type FlowPosteriorHead,
  HEAD_DISTRIBUTION_OPTIONS,
  type Initializer,
  type LogisticNormalHead,
  type Module,
} from '@varia/layers';

/** The bound on the Poisson latent's log-rate, log λ ∈ [−6, 4] (λ ∈ [0.0025, 55]): keeps score-function steps finite. */
export const POISSON_LOG_RATE_RANGE = [-6, 4] as const;

/** Options of the small latent heads below. */
interface LatentHeadOptions {
  inputDim: number;
  units: number;
  init: Initializer;
  seed: number;
}

/**
 * Poisson latent head: q(z | h) = Πⱼ Poisson(zⱼ; λⱼ(h)), log λ = clip(hW + b, −6, 4) (see
 * {@link POISSON_LOG_RATE_RANGE}). No `rsample`: objectives train it with the score-function estimator.
 */
export class PoissonLatentHead implements Module {
  readonly layer: Dense;
  constructor(o: LatentHeadOptions) {
    this.layer = new Dense({ inputDim: o.inputDim, units: o.units, init: o.init, seed: o.seed });
  }
  /** log λ(h), [n, d]. */
  logRate(h: tf.Tensor): tf.Tensor {
    return tf.clipByValue(this.layer.apply(h), POISSON_LOG_RATE_RANGE[0], POISSON_LOG_RATE_RANGE[1]);
  }
  apply(h: tf.Tensor): Distribution {
    return new Independent(
      new Poisson({ logRate: this.logRate(h) }, { ...HEAD_DISTRIBUTION_OPTIONS, logProbMethod: 'direct' }),
      1,
    );
  }
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.layer.namedVariables(prefix);
  }
  dispose(): void {
    this.layer.dispose();
  }
}

/**
 * Relaxed one-hot head (Gumbel-softmax / Concrete): q(z | h) = RelaxedOneHotCategorical(τ, ℓ(h)) over K categories,
 * ℓ = hW + b, at the temperature τ the caller gives (annealed during training).
 */
export class RelaxedOneHotHead implements Module {
  readonly layer: Dense;
  constructor(o: LatentHeadOptions) {
    this.layer = new Dense({ inputDim: o.inputDim, units: o.units, init: o.init, seed: o.seed });
  }
  apply(h: tf.Tensor, temperature: number): Distribution {
    return new RelaxedOneHotCategorical(
      { temperature: tf.fill([h.shape[0]!], temperature), logits: this.layer.apply(h) },
      HEAD_DISTRIBUTION_OPTIONS,
    );
  }
  namedVariables(prefix?: string): Map<string, tf.Variable> {
    return this.layer.namedVariables(prefix);
  }
  dispose(): void {
    this.layer.dispose();
  }
}

/** The flow posterior's point summary: the flow's image f(μ(h); c(h)) of the base Gaussian's mean. [n, d]. */
export function flowPointSummary(head: FlowPosteriorHead, h: tf.Tensor): tf.Tensor {
  const loc = head.baseHead.locLayer.apply(h);
  return head.flow.forward(loc, head.contextLayer?.apply(h)).y;
}

/** The logistic-normal posterior's point summary: StickBreaking(μ(h)), the image of the underlying normal's mean. */
export function logisticNormalPointSummary(head: LogisticNormalHead, h: tf.Tensor): tf.Tensor {
  const bijector = new StickBreaking();
  return bijector.forward(head.locLayer.apply(h));
}

/** The Dirichlet posterior's mean α(h)/Σα(h). */
export function dirichletMean(head: DirichletHead, h: tf.Tensor): tf.Tensor {
  const concentration = tf.add(tf.softplus(head.layer.apply(h)), head.minValue);
  return tf.div(concentration, tf.sum(concentration, -1, true));
}

/** A LogisticNormal(μ, σ) prior over the K-simplex with the same μ and σ in each of the K − 1 coordinates. */
export function logisticNormalPrior(k: number, loc: number, scale: number): Distribution {
  return new LogisticNormal(
    { loc: new Float32Array(k - 1).fill(loc), scale: new Float32Array(k - 1).fill(scale) },
    HEAD_DISTRIBUTION_OPTIONS,
  );
}
