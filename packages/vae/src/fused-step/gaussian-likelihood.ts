import type * as tf from '@tensorflow/tfjs-core';
import { NORMAL_LOG_PROB_BACKWARD_KERNEL, NORMAL_LOG_PROB_KERNEL } from '@varia/core';
import type { KernelRunner } from './kernel-runner.js';
import type { FusedLikelihood, LikelihoodPart } from './likelihood-terms.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Σⱼ log N(xⱼ; μⱼ, σ) per row and the backward pass to ∂/∂μ and ∂/∂σ (σ: one value or one per feature). */
interface GaussianRows {
  rowSums: tf.TensorInfo;
  backward(g: number): { dLoc: tf.TensorInfo; dSigma: tf.TensorInfo };
}

/**
 * The kernels the taped path runs: σ broadcast to [n, D] (`tf.add(σ, tf.zeros([n, D]))`, as the Normal's parameters
 * are prepared), −½((x − μ)/σ)² − (log σ + ½ log 2π), summed over features, and tfjs's autodiff of it in its order —
 * ∂/∂σ from log σ first, then from the quotient, summed over the broadcast axes.
 */
function composedRows(r: KernelRunner, x: tf.TensorInfo, loc: tf.TensorInfo, sigma: tf.TensorInfo): GaussianRows {
  const shape = [...loc.shape];
  const scale = r.run('Add', { a: sigma, b: r.fill(0, shape) });
  const diff = r.run('Sub', { a: x, b: loc });
  const zt = r.run('RealDiv', { a: diff, b: scale });
  const quadratic = r.run('Multiply', { a: r.scalar(-0.5), b: r.run('Square', { x: zt }) });
  const logNorm = r.run('Add', { a: r.run('Log', { x: scale }), b: r.scalar(HALF_LOG_2PI) });
  const lp = r.run('Sub', { a: quadratic, b: logNorm });
  return {
    rowSums: r.run('Sum', { x: lp }, { axis: [1], keepDims: false }),
    backward: (g) => {
      // ∂/∂(log σ) = −g; ∂/∂(z²) = g·(−½) (both exact in float32, written directly)
      const fromLog = r.run('RealDiv', { a: r.fill(-g, shape), b: scale });
      const dzt = r.run('Multiply', {
        a: r.fill(Math.fround(g * -0.5), shape),
        b: r.run('Multiply', { a: zt, b: r.scalar(2) }),
      });
      const dDiff = r.run('RealDiv', { a: dzt, b: scale });
      const quotient = r.run('RealDiv', {
        a: r.run('Multiply', { a: dzt, b: diff }),
        b: r.run('Square', { x: scale }),
      });
      const dScale = r.run('Add', { a: fromLog, b: r.run('Neg', { x: quotient }) });
      const axis = sigma.shape.length === 0 ? [0, 1] : [0];
      return { dLoc: r.run('Neg', { x: dDiff }), dSigma: r.run('Sum', { x: dScale }, { axis, keepDims: false }) };
    },
  };
}

/** The same computation as {@link composedRows} in two native calls ({@link NORMAL_LOG_PROB_KERNEL}), the same bits. */
function nativeRows(r: KernelRunner, x: tf.TensorInfo, loc: tf.TensorInfo, sigma: tf.TensorInfo): GaussianRows {
  const [scale, d, t, rowSums] = r.runAll(NORMAL_LOG_PROB_KERNEL, { x, loc, sigma }, { halfLog2pi: HALF_LOG_2PI });
  return {
    rowSums: rowSums!,
    backward: (g) => {
      const perFeature = sigma.shape.length === 1;
      const [dLoc, dSigma] = r.runAll(
        NORMAL_LOG_PROB_BACKWARD_KERNEL,
        { scale: scale!, t: t!, d: d! },
        { g, perFeature },
      );
      return { dLoc: dLoc!, dSigma: dSigma! };
    },
  };
}

/**
 * `Independent(Normal(μ, σ), 1).logProb(x)` with σ = softplus(u) + minScale (a learned scalar or per-feature u), and
 * its backward pass: ∂/∂μ, and ∂/∂u = (Σ ∂/∂σ over the broadcast axes)·sigmoid(u).
 */
export function gaussianPart(
  r: KernelRunner,
  x: tf.TensorInfo,
  loc: tf.TensorInfo,
  lik: Extract<FusedLikelihood, { kind: 'gaussian' }>,
  g: number,
): LikelihoodPart {
  const u = lik.rawScale;
  const sigma = r.run('Add', { a: r.run('Softplus', { x: u }), b: r.scalar(lik.minScale) });
  const native = r.has(NORMAL_LOG_PROB_KERNEL) && r.has(NORMAL_LOG_PROB_BACKWARD_KERNEL);
  const rows = native ? nativeRows(r, x, loc, sigma) : composedRows(r, x, loc, sigma);
  return {
    rowSums: rows.rowSums,
    backward: () => {
      const { dLoc, dSigma } = rows.backward(g);
      const dU = r.run('Multiply', { a: dSigma, b: r.run('Sigmoid', { x: u }) });
      return { dOut: dLoc, grads: [[lik.rawScaleName, dU]] };
    },
    extra: [],
  };
}
