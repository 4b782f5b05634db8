import * as tf from '@tensorflow/tfjs-core';
import { digamma, gradFreeMask, lbeta, lgamma } from './special.js';

/*
 * Student t normalizer and entropy without float32 cancellation at large ν. With z = ν/2 the log-Γ ratio has the
 * asymptotic series (verified against mpmath: truncation error below 2e-9 for z ≥ 5)
 *
 *   log Γ(z + ½) − log Γ(z) = ½ log z + S(z),  S(z) = −1/(8z) + 1/(192z³) − 1/(640z⁵) + 17/(14336z⁷),
 *   ψ(z + ½) − ψ(z) = D(z) = 1/(2z) + 1/(8z²) − 1/(64z⁴) + 1/(128z⁶) − 17/(2048z⁸),
 *
 * so that the ½ log z cancels analytically against ½ log(νπ) instead of numerically between two log Γ of size ν log ν.
 */

/** From this z = ν/2 on the series are used (below, log Γ and ψ directly). */
const SERIES_FROM = 5;

function seriesS(z: tf.Tensor): tf.Tensor {
  const w = tf.reciprocal(z);
  const w2 = tf.square(w);
  return tf.mul(w, tf.add(-1 / 8, tf.mul(w2, tf.add(1 / 192, tf.mul(w2, tf.add(-1 / 640, tf.mul(w2, 17 / 14336)))))));
}
function seriesD(z: tf.Tensor): tf.Tensor {
  const w = tf.reciprocal(z);
  const w2 = tf.square(w);
  const even = tf.mul(
    w2,
    tf.add(1 / 8, tf.mul(w2, tf.add(-1 / 64, tf.mul(w2, tf.add(1 / 128, tf.mul(w2, -17 / 2048)))))),
  );
  return tf.add(tf.mul(0.5, w), even);
}

/** The branches of a function of z = ν/2 evaluated on sanitized inputs (safe where: no NaN gradient from either). */
function bySize(df: tf.Tensor, small: (z: tf.Tensor) => tf.Tensor, large: (z: tf.Tensor) => tf.Tensor): tf.Tensor {
  const z = tf.mul(0.5, df);
  const isLarge = gradFreeMask([z], (v) => tf.greaterEqual(v, SERIES_FROM));
  return tf.where(isLarge, large(tf.maximum(z, SERIES_FROM)), small(tf.minimum(z, SERIES_FROM)));
}

/**
 * The log normalizer of the standard Student t, log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ); for ν ≥ 10 evaluated as
 * −½ log 2π + S(ν/2) (float32-accurate up to ν = 1e8 and beyond, where the log Γ difference would lose ~0.06).
 * Differentiable in ν.
 */
export function studentTLogNormalizer(df: tf.Tensor): tf.Tensor {
  return bySize(
    df,
    (z) => tf.sub(tf.sub(lgamma(tf.add(z, 0.5)), lgamma(z)), tf.mul(0.5, tf.log(tf.mul(z, 2 * Math.PI)))),
    (z) => tf.add(seriesS(z), -0.5 * Math.log(2 * Math.PI)),
  );
}

/**
 * The entropy of the standard Student t, H = (ν+1)/2 · (ψ((ν+1)/2) − ψ(ν/2)) + ½ log ν + log B(ν/2, ½); for
 * ν ≥ 10 evaluated as ½ log 2π + (z + ½)·D(z) − S(z), z = ν/2 (the log terms cancel analytically). Differentiable in ν.
 */
export function studentTEntropyStandard(df: tf.Tensor): tf.Tensor {
  return bySize(
    df,
    (z) =>
      tf.add(
        tf.add(tf.mul(tf.add(z, 0.5), tf.sub(digamma(tf.add(z, 0.5)), digamma(z))), tf.mul(0.5, tf.log(tf.mul(z, 2)))),
        lbeta(z, tf.fill(z.shape, 0.5)),
      ),
    (z) => tf.add(tf.sub(tf.mul(tf.add(z, 0.5), seriesD(z)), seriesS(z)), 0.5 * Math.log(2 * Math.PI)),
  );
}
