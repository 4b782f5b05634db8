import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { Categorical, oneHotFloat } from './categorical.js';
import type { Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { subSeed } from './sampling.js';
import { broadcastShapes, shapesEqual } from './tensor-like.js';

/** Parameters of {@link MixtureSameFamily}. */
export interface MixtureSameFamilyParams {
  /** The mixing weights: a Categorical with K categories and batch shape `B` (or `[]`, shared by the batch). */
  mixture: Categorical;
  /** K components of one family, batch shape `[...B, K]`, any event shape E. */
  components: Distribution;
}

/**
 * A finite mixture of K distributions of one family (torch's `MixtureSameFamily`), with weights πₖ:
 *
 * log p(x) = log Σₖ πₖ pₖ(x)   (computed as logSumExp(log πₖ + log pₖ(x))).
 *
 * Batch shape `B`, event shape that of the components. `sample` picks a component per draw and returns its draw;
 * mean Σₖ πₖ μₖ; variance by the law of total variance, Σₖ πₖ σₖ² + Σₖ πₖ (μₖ − μ)². No `rsample`, no closed-form
 * entropy. The mixture owns its parts: `dispose` disposes `mixture` and `components`.
 */
export class MixtureSameFamily extends Distribution {
  /** The mixing distribution. */
  readonly mixture: Categorical;
  /** The component distributions (batch `[...B, K]`). */
  readonly components: Distribution;

  constructor(params: MixtureSameFamilyParams, options: DistributionOptions = {}) {
    const { mixture, components } = params;
    if (!(mixture instanceof Categorical)) {
      throw new ArgumentError('mixture', 'MixtureSameFamily: "mixture" must be a Categorical');
    }
    if (!(components instanceof Distribution)) {
      throw new ArgumentError('components', 'MixtureSameFamily: "components" must be a Distribution');
    }
    const cb = components.batchShape;
    const k = cb[cb.length - 1];
    if (k === undefined || k !== mixture.numCategories) {
      throw new ShapeError(
        'components',
        `MixtureSameFamily: the last batch dim of "components" (shape [${cb.join(', ')}]) must equal the number of mixture categories (${mixture.numCategories})`,
      );
    }
    const batch = cb.slice(0, -1);
    let ok = false;
    try {
      ok = shapesEqual(broadcastShapes([mixture.batchShape, batch]), batch);
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new ShapeError(
        'mixture',
        `MixtureSameFamily: mixture batch shape [${mixture.batchShape.join(', ')}] does not broadcast to the components' batch shape [${batch.join(', ')}]`,
      );
    }
    super(batch, components.eventShape, { validateArgs: options.validateArgs ?? components.validateArgs });
    this.mixture = mixture;
    this.components = components;
  }
  override get support(): Constraint {
    return this.components.support;
  }
  /** The axis of the components' K dim in a tensor of rank `rank` with the event dims last. */
  private componentAxis(rank: number): number {
    return rank - this.eventShape.length - 1;
  }
  protected override _logProb(x: tf.Tensor): tf.Tensor {
    const xe = tf.expandDims(x, this.componentAxis(x.rank + 1));
    const lp = this.components.logProb(xe); // [...S, ...B, K]
    return tf.logSumExp(tf.add(lp, this.mixture.logits), -1);
  }
  protected override _sample(shape: number[], seed?: number): tf.Tensor {
    const sampleShape = shape.slice(0, shape.length - this.batchShape.length - this.eventShape.length);
    const comps = this.components.sample(sampleShape, { seed: subSeed(seed, 0) }); // [...S, ...B, K, ...E]
    const mix = this.mixture.expand(this.batchShape);
    try {
      const idx = mix.sample(sampleShape, { seed: subSeed(seed, 1) }); // [...S, ...B]
      const mask = tf.cast(oneHotFloat(idx, this.mixture.numCategories), 'bool');
      const maskE = tf.reshape(mask, [...mask.shape, ...this.eventShape.map(() => 1)]);
      return tf.sum(tf.where(maskE, comps, tf.scalar(0)), this.componentAxis(comps.rank));
    } finally {
      mix.dispose();
    }
  }
  /** The weights πₖ shaped `[...B, K, 1…]` to broadcast against `[...B, K, ...E]`. */
  private weights(): tf.Tensor {
    const w = tf.exp(this.mixture.logits);
    return tf.reshape(w, [...w.shape, ...this.eventShape.map(() => 1)]);
  }
  /** E[X] = Σₖ πₖ μₖ. */
  protected override _mean(): tf.Tensor {
    const m = this.components.mean();
    return tf.sum(tf.mul(this.weights(), m), this.componentAxis(m.rank));
  }
  /** Var[X] = Σₖ πₖ σₖ² + Σₖ πₖ (μₖ − μ)² (law of total variance). */
  protected override _variance(): tf.Tensor {
    const w = this.weights();
    const m = this.components.mean();
    const axis = this.componentAxis(m.rank);
    const mean = tf.sum(tf.mul(w, m), axis, true);
    return tf.sum(tf.mul(w, tf.add(this.components.variance(), tf.square(tf.sub(m, mean)))), axis);
  }
  /** Expands the mixture to `batchShape` and the components to `[...batchShape, K]`. */
  protected override _expand(batchShape: number[]): Distribution {
    const mixture = this.mixture.expand(batchShape);
    const components = this.components.expand([...batchShape, this.mixture.numCategories]);
    return new MixtureSameFamily({ mixture, components }, { validateArgs: this.validateArgs });
  }
  /** Frees the mixture's and the components' tensors too. */
  override dispose(): void {
    super.dispose();
    this.mixture.dispose();
    this.components.dispose();
  }
}
