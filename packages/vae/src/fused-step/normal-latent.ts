import type * as tf from '@tensorflow/tfjs-core';
import { NORMAL_BACKWARD_KERNEL, NORMAL_KL_KERNEL, NORMAL_SAMPLE_KERNEL } from '@varia/core';
import type { KernelRunner } from './kernel-runner.js';

// The Gaussian posterior q = N(μ, σ²), σ = exp(s/2), and its KL to N(0, I) in a fused step: each part runs as one
// native kernel where the backend has it (@varia/native-kernels' NORMAL_*_KERNEL, the same bits), else as the kernels
// the taped path runs for it (the Normal head's exp(s·½), locScaleSample, klStandardNormal and their gradients).

/** σ = exp(s·½) and the reparameterized sample z = μ + σ·ε. */
export function normalSample(
  r: KernelRunner,
  loc: tf.TensorInfo,
  s: tf.TensorInfo,
  eps: tf.TensorInfo,
): { scale: tf.TensorInfo; z: tf.TensorInfo } {
  if (r.has(NORMAL_SAMPLE_KERNEL)) {
    const [scale, z] = r.runAll(NORMAL_SAMPLE_KERNEL, { loc, s, eps });
    return { scale: scale!, z: z! };
  }
  const scale = r.run('Exp', { x: r.run('Multiply', { a: s, b: r.scalar(0.5) }) });
  return { scale, z: r.run('Add', { a: loc, b: r.run('Multiply', { a: scale, b: eps }) }) };
}

/** σ² and the KL's row sums Σⱼ ½(σ² + μ² − 1 − log σ²) [n]. */
export function normalKlRows(
  r: KernelRunner,
  loc: tf.TensorInfo,
  scale: tf.TensorInfo,
): { variance: tf.TensorInfo; klRows: tf.TensorInfo } {
  if (r.has(NORMAL_KL_KERNEL)) {
    const [variance, klRows] = r.runAll(NORMAL_KL_KERNEL, { loc, scale });
    return { variance: variance!, klRows: klRows! };
  }
  const variance = r.run('Square', { x: scale });
  const sum = r.run('Add', { a: variance, b: r.run('Square', { x: loc }) });
  const inner = r.run('Sub', { a: r.run('Sub', { a: sum, b: r.scalar(1) }), b: r.run('Log', { x: variance }) });
  const terms = r.run('Multiply', { a: r.scalar(0.5), b: inner });
  return { variance, klRows: r.run('Sum', { x: terms }, { axis: -1, keepDims: false }) };
}

/**
 * ∂loss/∂μ and ∂loss/∂s from the KL (∂loss/∂KLₙⱼ·½ = `half`; klStandardNormal's gradFunc: ∂/∂σ² = (−h)/σ² + h,
 * ∂/∂σ = ∂/∂σ²·(σ·2), ∂/∂μ = h·(μ·2)) and from the sample (∂/∂μ = dz, ∂/∂σ = dz·ε), each added to the KL's part as
 * the tape sums them, through σ = exp(½s): ∂/∂s = (∂/∂σ·σ)·½.
 */
export function normalBackward(
  r: KernelRunner,
  t: { loc: tf.TensorInfo; scale: tf.TensorInfo; variance: tf.TensorInfo; eps: tf.TensorInfo; dz: tf.TensorInfo },
  half: number,
): { dLoc: tf.TensorInfo; dS: tf.TensorInfo } {
  if (r.has(NORMAL_BACKWARD_KERNEL)) {
    const [dLoc, dS] = r.runAll(NORMAL_BACKWARD_KERNEL, t, { h: half });
    return { dLoc: dLoc!, dS: dS! };
  }
  const shape = [...t.loc.shape];
  const h = r.fill(half, shape);
  const dVariance = r.run('Add', { a: r.run('RealDiv', { a: r.fill(-half, shape), b: t.variance }), b: h });
  const dLocKl = r.run('Multiply', { a: h, b: r.run('Multiply', { a: t.loc, b: r.scalar(2) }) });
  const dScaleKl = r.run('Multiply', { a: dVariance, b: r.run('Multiply', { a: t.scale, b: r.scalar(2) }) });
  const dScaleSample = r.run('Multiply', { a: t.dz, b: t.eps });
  const dLoc = r.run('Add', { a: dLocKl, b: t.dz });
  const dScale = r.run('Add', { a: dScaleKl, b: dScaleSample });
  return { dLoc, dS: r.run('Multiply', { a: r.run('Multiply', { a: dScale, b: t.scale }), b: r.scalar(0.5) }) };
}
