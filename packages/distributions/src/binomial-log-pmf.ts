import * as tf from '@tensorflow/tfjs-core';
import { bd0, stirlerr } from './saddle-point.js';
import { gradFreeMask, lgamma } from './special.js';
import { mulZeroSafe } from './zero-safe.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Binomial log-mass by Loader's saddle-point form (R's `dbinom_raw`), with p = σ(ℓ) and q = σ(−ℓ):
 *
 * log p(x) = stirlerr(n) − stirlerr(x) − stirlerr(n − x) − bd0(x, np) − bd0(n − x, nq) + ½ log(n / (2π x (n − x)))
 *
 * for 0 < x < n; at x = 0 and x = n the exact n log q and n log p (0·log 0 = 0: 0 for n = 0). log np and
 * log nq come from log n − softplus(∓ℓ), so tiny probabilities stay exact. The form log C(n, x) + x log p +
 * (n − x) log q with lgamma loses about a nat in float32 at n = 10⁶ (log Γ(n + 1) ≈ 1.28e7, where a float32's spacing
 * is 1). Values are assumed to be integers in [0, n] (the caller masks the others); differentiable in n and ℓ.
 */
export function binomialLogPmf(x: tf.Tensor, totalCount: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(
      tf.broadcast_util.assertAndGetBroadcastShape(x.shape, totalCount.shape),
      logits.shape,
    );
    const xb = tf.broadcastTo(x, shape);
    const n = tf.broadcastTo(totalCount, shape);
    const l = tf.broadcastTo(logits, shape);
    const inside = gradFreeMask([xb, n], (xv, nv) => tf.logicalAnd(tf.greater(xv, 0), tf.less(xv, nv!)));
    // the interior's terms on safe values elsewhere (x = 1, n = 2), so that its unused branch has finite gradients
    const xs = tf.where(inside, xb, tf.onesLike(xb));
    const ns = tf.where(inside, n, tf.fill(shape, 2));
    const ys = tf.sub(ns, xs);
    const logN = tf.log(ns);
    const logM1 = tf.sub(logN, tf.softplus(tf.neg(l)));
    const logM2 = tf.sub(logN, tf.softplus(l));
    const deviance = tf.add(bd0(xs, tf.exp(logM1), { logM: logM1 }), bd0(ys, tf.exp(logM2), { logM: logM2 }));
    const stirling = tf.sub(tf.sub(stirlerr(ns), stirlerr(xs)), stirlerr(ys));
    const norm = tf.mul(0.5, tf.sub(tf.sub(logN, LOG_2PI), tf.add(tf.log(xs), tf.log(ys))));
    const interior = tf.add(tf.sub(stirling, deviance), norm);
    // x = 0 and x = n: log C(n, x) + x log p + (n − x) log q as the continuous form in n (torch's gradient in n:
    // ψ(n + 1) − ψ(n − x + 1) + log q), its log C grouped so that it is exactly 0 at both ends (lgamma(1) is not)
    const logChoose = tf.sub(
      tf.sub(lgamma(tf.add(n, 1)), lgamma(tf.add(tf.sub(n, xb), 1))),
      tf.sub(lgamma(tf.add(xb, 1)), lgamma(tf.onesLike(xb))),
    );
    const ends = tf.add(
      logChoose,
      tf.add(mulZeroSafe(xb, tf.neg(tf.softplus(tf.neg(l)))), mulZeroSafe(tf.sub(n, xb), tf.neg(tf.softplus(l)))),
    );
    return tf.where(inside, interior, ends);
  });
}
