import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '@varia/core';
import type { Distribution } from '@varia/distributions';

/**
 * log p(x|z) per row from what `decode` gave: a distribution whose `logProb(xs)` is a tensor of shape [rows]. A user's
 * likelihood head is a common place to go wrong, and each of these once trained or returned something without an
 * error: a tensor in place of a distribution (a raw `TypeError`), a `logProb` that returns a number (taken as the
 * log-likelihood), and a distribution of independent features not wrapped in `Independent` (its `logProb` per
 * feature, [rows, D], broadcast into the loss).
 * @throws ArgumentError naming `likelihood` for something that is not a distribution or a `logProb` that is not a
 *   tensor; ShapeError naming `likelihood` for a `logProb` of any other shape than [rows].
 */
export function logLikelihoodOf(likelihood: Distribution, xs: tf.Tensor, rows: number): tf.Tensor {
  if (typeof (likelihood as Partial<Distribution> | null)?.logProb !== 'function') {
    throw new ArgumentError(
      'likelihood',
      `decode(z) must give a distribution p(x|z) (with logProb), got ${likelihood instanceof tf.Tensor ? `a tensor of shape [${likelihood.shape.join(', ')}]` : typeof likelihood}`,
    );
  }
  const lp: unknown = likelihood.logProb(xs);
  if (!(lp instanceof tf.Tensor)) {
    throw new ArgumentError('likelihood', `p(x|z).logProb(x) must return a tensor, got ${typeof lp}`);
  }
  if (lp.rank !== 1 || lp.shape[0] !== rows) {
    const shape = `[${lp.shape.join(', ')}]`;
    lp.dispose();
    throw new ShapeError(
      'likelihood',
      `p(x|z).logProb(x) must give one value per example, shape [${rows}], got ${shape}${shape.startsWith(`[${rows}, `) ? ' (independent features: wrap the distribution in Independent(…, 1) so that logProb sums them)' : ''}`,
    );
  }
  return lp;
}
