import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { Bijector, type Constraint, constraints } from '@varia/distributions';
import type { FlowStep } from './flow-step.js';

/**
 * An unconditional trainable {@link FlowStep} as a `Bijector` of `@varia/distributions` (event rank 1), so that
 * `new TransformedDistribution(base, new FlowBijector(flow))` is a flow density with `rsample` and `logProb` — e.g.
 * a learned prior p(z), or a density model fitted by maximum likelihood (`logProb` runs the inverse: one pass per
 * coupling step, D sequential passes per IAF step). Leading dims of x are flattened into the flow's rows.
 *
 * Ownership: the bijector borrows the flow — disposing it (or the transformed distribution) leaves the flow's
 * variables alone; the flow's owner disposes them.
 */
export class FlowBijector extends Bijector {
  readonly name = 'FlowBijector';
  /** The flow. */
  readonly flow: FlowStep;

  /** @throws ArgumentError when the flow needs a context (conditional flows go through `FlowPosterior`). */
  constructor(flow: FlowStep) {
    super();
    if (flow.contextDim !== 0) {
      throw new ArgumentError(
        'flow',
        `FlowBijector: the flow must be unconditional (contextDim 0), got contextDim ${flow.contextDim}`,
      );
    }
    this.flow = flow;
  }

  override get domain(): Constraint {
    return constraints.independent(constraints.real, 1);
  }

  override get codomain(): Constraint {
    return constraints.independent(constraints.real, 1);
  }

  override forwardShape(shape: readonly number[]): number[] {
    this.checkEvent(shape, 'x');
    return [...shape];
  }

  override inverseShape(shape: readonly number[]): number[] {
    this.checkEvent(shape, 'y');
    return [...shape];
  }

  private checkEvent(shape: readonly number[], what: string): void {
    if (shape[shape.length - 1] !== this.flow.dim) {
      throw new ShapeError(
        what,
        `FlowBijector: "${what}" must end in the flow's width ${this.flow.dim}, got [${shape.join(', ')}]`,
      );
    }
  }

  protected _forward(x: tf.Tensor): tf.Tensor {
    this.checkEvent(x.shape, 'x');
    return tf.reshape(this.flow.forward(tf.reshape(x, [-1, this.flow.dim])).y, x.shape);
  }

  protected _inverse(y: tf.Tensor): tf.Tensor {
    this.checkEvent(y.shape, 'y');
    return tf.reshape(this.flow.inverse(tf.reshape(y, [-1, this.flow.dim])), y.shape);
  }

  protected _forwardLogDetJacobian(x: tf.Tensor): tf.Tensor {
    this.checkEvent(x.shape, 'x');
    return tf.reshape(this.flow.forward(tf.reshape(x, [-1, this.flow.dim])).logDet, x.shape.slice(0, -1));
  }
}
