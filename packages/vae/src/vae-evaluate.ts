// Evaluation of a VAE on in-memory data: the averages of the ELBO terms (and the IWAE bound), batch by batch.
import * as tf from '@tensorflow/tfjs-core';
import { type ElboOptions, elbo, iwaeBound } from '@varia/losses';
import { readCovariates } from './covariates-rows.js';
import { type DataInput, readData } from './data.js';
import { type EvaluateOptions, iwaeBatchSize } from './inference-options.js';
import { dataRules, variationalInputsOf } from './vae-forward.js';
import type { VaeParts } from './vae-parts.js';

/** Per-example averages returned by {@link VAE.evaluate} (nats per example). */
export interface Evaluation {
  /** Mean ELBO = reconstruction − KL (one posterior sample per example). */
  elbo: number;
  /** Mean E_q[log p(x|z)]. */
  reconstruction: number;
  /** Mean KL(q(z|x) ‖ p(z)). */
  kl: number;
  /** Mean IWAE bound with `iwaeK` samples (when requested). */
  iwae?: number;
  /** Number of examples evaluated. */
  n: number;
}

/** `VAE.evaluate` of in-memory x (options already checked): sums over batches of `batchSize` rows, then means. */
export async function evaluateMatrix(parts: VaeParts, x: DataInput, options: EvaluateOptions): Promise<Evaluation> {
  const m = readData(x, parts.config.inputDim, dataRules(parts), 'x');
  const cov = readCovariates(parts.config.covariates, options.covariates, m.rows, 'VAE.evaluate');
  const batchSize = iwaeBatchSize('VAE.evaluate', options.batchSize ?? 256, options.iwaeK, parts.config);
  const seed = options.seed ?? 0;
  const sums = { elbo: 0, reconstruction: 0, kl: 0, iwae: 0 };
  for (let start = 0; start < m.rows; start += batchSize) {
    const rows = Math.min(batchSize, m.rows - start);
    const part = tf.tidy(() => {
      const xb = tf.tensor2d(m.data.subarray(start * m.cols, (start + rows) * m.cols), [rows, m.cols]);
      const covariates =
        cov && tf.tensor2d(cov.data.subarray(start * cov.cols, (start + rows) * cov.cols), [rows, cov.cols]);
      const inputs = variationalInputsOf(parts, xb, { covariates });
      const t = elbo(inputs, { seed: seed + start } satisfies ElboOptions);
      const out = [tf.sum(t.elbo), tf.sum(t.reconstruction), tf.sum(t.kl)];
      if (options.iwaeK) out.push(tf.sum(iwaeBound(inputs, { k: options.iwaeK, seed: seed + start + 1 })));
      return tf.stack(out);
    });
    const v = await part.data();
    part.dispose();
    sums.elbo += v[0]!;
    sums.reconstruction += v[1]!;
    sums.kl += v[2]!;
    if (options.iwaeK) sums.iwae += v[3]!;
  }
  const n = m.rows;
  const result: Evaluation = { elbo: sums.elbo / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n, n };
  if (options.iwaeK) result.iwae = sums.iwae / n;
  return result;
}
