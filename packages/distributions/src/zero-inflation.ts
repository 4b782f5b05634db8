import * as tf from '@tensorflow/tfjs-core';
import { gradFreeMask } from './special.js';
import { logAddExp, logGates } from './zero-inflated-poisson.js';

/*
 * The zero-inflation arithmetic shared by ZeroInflatedPoisson and ZeroInflatedNegativeBinomial, with gradients that
 * stay finite at gates exactly 0 and 1. From logits g the logs are log π = −softplus(−g), log(1 − π) = −softplus(g).
 * From a gate π given as a probability they are computed from π itself: log(1 − π) = log1p(−π) has gradient −1/(1 − π)
 * (−1 at π = 0), where going through g = log π − log(1 − π) = −∞ would give 0·∞ = NaN.
 */

/** The gate in the parameterization it was given: the probability π (or undefined) and the logits g. */
export interface Gate {
  /** π when the gate was given as a probability. */
  probs: tf.Tensor | undefined;
  /** g = log π − log(1 − π). */
  logits: tf.Tensor;
}

/** 1 − π. */
export function notGate(gate: Gate): tf.Tensor {
  return gate.probs !== undefined ? tf.sub(1, gate.probs) : tf.sigmoid(tf.neg(gate.logits));
}
/** π. */
export function gateProbs(gate: Gate): tf.Tensor {
  return gate.probs !== undefined ? tf.clone(gate.probs) : tf.sigmoid(gate.logits);
}

/**
 * log p(x) of a zero-inflated count: log p(0) = log(π + (1 − π)·p₀), log p(x) = log(1 − π) + log f(x) for x ≥ 1,
 * given the base log-mass `baseLogPmf` at x and the base log p₀ = log f(0). With a probability gate, log p(0) is
 * evaluated in probability space, π + (1 − π)·p₀, whose gradient in π is (1 − p₀)/p(0) — finite at π = 0 and 1 — and
 * in log space only where that sum underflows (p(0) < 1e-30: π < 1e-30 and p₀ < 1e-30; there, at π = 0 exactly, the
 * π-gradient is reported as 0).
 */
export function zeroInflatedLogProb(x: tf.Tensor, gate: Gate, baseLogPmf: tf.Tensor, baseLogP0: tf.Tensor): tf.Tensor {
  const isZero = gradFreeMask([x], (v) => tf.lessEqual(v, 0));
  if (gate.probs === undefined) {
    const { logGate, logNotGate } = logGates(gate.logits);
    const zero = logAddExp(logGate, tf.add(logNotGate, baseLogP0));
    const positive = tf.add(logNotGate, baseLogPmf);
    return tf.where(isZero, tf.broadcastTo(zero, positive.shape), positive);
  }
  const pi = gate.probs;
  const p0 = tf.add(pi, tf.mul(tf.sub(1, pi), tf.exp(baseLogP0)));
  const direct = gradFreeMask([p0], (v) => tf.greaterEqual(v, 1e-30));
  const p0Safe = tf.where(direct, p0, tf.onesLike(p0));
  const piPositive = gradFreeMask([pi], (v) => tf.greater(v, 0));
  const logPi = tf.where(piPositive, tf.log(tf.where(piPositive, pi, tf.onesLike(pi))), tf.fill(pi.shape, -Infinity));
  const notDirect = gradFreeMask([p0], (v) => tf.less(v, 1e-30));
  const piLogBranch = tf.where(notDirect, pi, tf.zerosLike(pi));
  const logSum = logAddExp(
    tf.where(notDirect, logPi, tf.zerosLike(pi)),
    tf.where(notDirect, tf.add(tf.log1p(tf.neg(piLogBranch)), baseLogP0), tf.zerosLike(pi)),
  );
  const zero = tf.where(direct, tf.log(p0Safe), logSum);
  // safe where: rows with x = 0 see π = 0 in the positive branch, so π = 1 gives no 0·∞ there
  const shape = baseLogPmf.shape; // the base log-mass at x: broadcast of x and the batch
  const zeroRows = tf.broadcastTo(isZero, shape);
  const piPositiveRows = tf.where(zeroRows, tf.zeros(shape), tf.broadcastTo(pi, shape));
  const positive = tf.add(tf.log1p(tf.neg(piPositiveRows)), baseLogPmf);
  return tf.where(zeroRows, tf.broadcastTo(zero, shape), positive);
}
