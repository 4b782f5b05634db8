import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import { stopGradient } from '@varia/distributions';
import type { Baseline, BaselineOutput } from './baselines.js';

/**
 * The control variate of a score-function objective: `'none'`, `'leave-one-out'` (with K ≥ 2 samples: for sample k the
 * mean signal of the other K − 1 samples — RLOO for the ELBO; for the IWAE bound, VIMCO's L̂_{−k}), or a
 * {@link Baseline} object (moving average, NVIL's learned baseline, your own).
 * Default: `'leave-one-out'` when K ≥ 2, else `'none'`.
 */
export type BaselineOption = 'none' | 'leave-one-out' | Baseline;

/**
 * The "magic box" of DiCE (Foerster et al. 2018): ⊡(τ) = exp(τ − ⊥τ), where ⊥ stops the gradient. Its value is exactly
 * 1 and its gradient ∇⊡(τ) = ⊡(τ)·∇τ = ∇τ, so f·⊡(log q(z)) has the value of f and the gradient f·∇log q(z) + ∇f:
 * the score-function gradient on top of the pathwise one.
 */
export function magicBox(logProb: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.exp(tf.sub(logProb, stopGradient(logProb))));
}

/** Checks `baseline` against the number of samples K and returns its resolved form. */
export function resolveBaseline(baseline: BaselineOption | undefined, k: number): BaselineOption {
  const b = baseline ?? (k >= 2 ? 'leave-one-out' : 'none');
  if (b === 'leave-one-out') {
    if (k < 2) throw new ArgumentError('baseline', `"baseline": "leave-one-out" needs at least 2 samples, got ${k}`);
    return b;
  }
  if (b === 'none') return b;
  if (typeof b !== 'object' || b === null || typeof b.compute !== 'function') {
    throw new ArgumentError(
      'baseline',
      `"baseline" must be "none", "leave-one-out" or a Baseline object (with compute), got ${String(b)}`,
    );
  }
  return b;
}

/** The name under which a resolved baseline is reported. */
export function baselineName(baseline: BaselineOption): string {
  return typeof baseline === 'string' ? baseline : baseline.name;
}

/**
 * The value-zero surrogate that carries the score-function gradient, per example [n]:
 *
 * S = Σ_k w_k (⊡(log q(z_k|x)) − 1)·(f_k − b_k) − (L_b − ⊥L_b),
 *
 * with f_k and b_k without gradient, w_k = 1/K for the ELBO's average (`reduce: 'mean'`) and 1 for the IWAE bound
 * (`'sum'`: each sample's score carries the whole bound's signal). ∇S = Σ_k w_k (f_k − b_k) ∇log q(z_k|x) − ∇L_b.
 * `logQ` and `signal` are [K, n]; `leaveOneOut` gives the `'leave-one-out'` baseline [K, n] from ⊥signal.
 */
export function scoreSurrogate(
  x: tf.Tensor,
  logQ: tf.Tensor,
  signal: tf.Tensor,
  baseline: BaselineOption,
  reduce: 'mean' | 'sum',
  leaveOneOut: (signal: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  const f = stopGradient(signal);
  let out: BaselineOutput | undefined;
  if (baseline === 'leave-one-out') out = { value: leaveOneOut(f) };
  else if (baseline !== 'none') out = checkedBaselineOutput(baseline.compute({ x, signal: f }), f.shape);
  const centred = out ? tf.sub(f, stopGradient(out.value)) : f;
  const perSample = tf.mul(tf.sub(magicBox(logQ), 1), centred);
  let s = reduce === 'mean' ? tf.mean(perSample, 0) : tf.sum(perSample, 0);
  if (out?.loss) s = tf.sub(s, tf.sub(out.loss, stopGradient(out.loss)));
  return s;
}

/**
 * What a baseline's `compute` gave, checked: `value` a tensor that broadcasts to the signal's [K, n], and `loss`, when
 * given, a tensor of shape [n] (a user's baseline that gave a number, or a [7, 7] value, reached tfjs's customGrad or
 * a broadcast and failed there with a raw error).
 * @throws ArgumentError or ShapeError naming `baseline`.
 */
function checkedBaselineOutput(out: unknown, signalShape: readonly number[]): BaselineOutput {
  const o = out as Partial<BaselineOutput> | null;
  if (typeof o !== 'object' || o === null || !(o.value instanceof tf.Tensor)) {
    throw new ArgumentError(
      'baseline',
      `the baseline's compute() must return { value: tensor, loss?: tensor }, got ${o === null ? 'null' : typeof o === 'object' ? `value ${typeof o.value}` : typeof o}`,
    );
  }
  try {
    tf.broadcast_util.assertAndGetBroadcastShape(o.value.shape, [...signalShape]);
  } catch {
    throw new ShapeError(
      'baseline',
      `the baseline's value has shape [${o.value.shape.join(', ')}], which does not broadcast to the signal's [${signalShape.join(', ')}] ([K, n])`,
    );
  }
  const n = signalShape[signalShape.length - 1]!;
  if (o.loss !== undefined && (!(o.loss instanceof tf.Tensor) || o.loss.rank !== 1 || o.loss.shape[0] !== n)) {
    throw new ShapeError(
      'baseline',
      `the baseline's loss must be a tensor of shape [${n}] (one per example), got ${o.loss instanceof tf.Tensor ? `[${o.loss.shape.join(', ')}]` : typeof o.loss}`,
    );
  }
  return o as BaselineOutput;
}

/** RLOO: for sample k the mean of the other K − 1 signals, (Σ_j f_j − f_k)/(K − 1), [K, n]. */
export function leaveOneOutMean(signal: tf.Tensor): tf.Tensor {
  const k = signal.shape[0]!;
  return tf.div(tf.sub(tf.sum(signal, 0, true), signal), k - 1);
}
