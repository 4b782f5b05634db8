import * as tf from '@tensorflow/tfjs-core';
import { gradFreeMask } from './special.js';

/**
 * x·t with the convention 0·(±∞) = 0 (the count-times-log-probability terms of the discrete families, exact at
 * probabilities 0 and 1). Where the convention applies, t is replaced by 0 before multiplying, so neither the value
 * nor the gradient (∂/∂x = t elsewhere) is NaN; elsewhere the product and its gradients are the plain ones.
 */
export function mulZeroSafe(x: tf.Tensor, t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const convention = gradFreeMask([x, t], (xv, tv) => tf.logicalAnd(tf.equal(xv, 0), tf.isInf(tv!)));
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, t.shape);
    const tSafe = tf.where(convention, tf.zeros(shape), tf.broadcastTo(t, shape));
    return tf.mul(x, tSafe);
  });
}
