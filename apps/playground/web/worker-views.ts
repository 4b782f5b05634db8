/**
 * What the worker shows of a model: snapshots (latent means, reconstructions, samples, interpolations), a conditional
 * model's samples of one digit with a nearest-neighbour check, and the run summary (the −ELBO evaluated once).
 */
import * as tf from '@tensorflow/tfjs';
import { takeRows } from '@varia/core';
import type { CovariateSpec, VAE } from '@varia/vae';
import { firstRows, isImage, type LoadedData } from './worker-data.js';
import { describePosterior } from './posteriors.js';
import type { DigitCheck, RunSummary, Snapshot, WireMatrix } from './protocol.js';

/** The covariate of the page's conditional models: the MNIST digit, one-hot over 10 levels. */
export const DIGIT_COVARIATE = { name: 'digit', kind: 'categorical', levels: 10 } as const satisfies CovariateSpec;

/** How many samples of the picked digit a conditional model shows (and the 1-NN check classifies). */
const DIGIT_SAMPLES = 40;
/** Rows of the style grid: prior draws z, each decoded as every digit. */
const STYLE_ROWS = 4;

/**
 * Whether a model is conditioned on the digit (the page's CVAE).
 * @throws Error for a model with other covariates: the page has no values to give them.
 */
export function conditionedOnDigit(vae: VAE): boolean {
  const covariates = vae.config.covariates;
  if (covariates.length === 0) return false;
  const [c] = covariates;
  if (covariates.length === 1 && c?.name === 'digit' && c.kind === 'categorical' && c.levels === 10) return true;
  throw new Error(
    `the page can show models conditioned on the MNIST digit only; this one has the covariates ${covariates.map((k) => k.name).join(', ')}`,
  );
}

function wire(t: tf.Tensor2D): WireMatrix {
  const [rows, cols] = t.shape;
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return { data: Float32Array.from(data), rows, cols };
}

/** The buffers of a snapshot, to transfer instead of copy. */
export function snapshotTransfer(s: Snapshot): Transferable[] {
  return [s.latent, s.recon, s.samples, s.interpolation, s.styles].flatMap((m) =>
    m ? [m.data.buffer as ArrayBuffer] : [],
  );
}

/** The covariate record of `labels` for a conditional model, else undefined. */
const digits = (conditional: boolean, labels: ArrayLike<number>) => (conditional ? { digit: labels } : undefined);

/**
 * Share of `samples` whose nearest row of `reference` (Euclidean) has label `digit`: how often a 1-NN classifier of
 * the shown training digits agrees with the digit the samples were asked for.
 */
function nearestNeighbourAgreement(samples: tf.Tensor2D, reference: LoadedData, digit: number): number {
  const nearest = tf.tidy(() => {
    const r = tf.tensor2d(reference.x.data, [reference.x.rows, reference.x.cols]);
    // ‖s − r‖² = ‖s‖² − 2 s·r + ‖r‖²; ‖s‖² is the same for every r of one s, so it does not change the argmin
    const distance = tf.sub(tf.sum(tf.square(r), 1).reshape([1, -1]), tf.mul(2, tf.matMul(samples, r, false, true)));
    return tf.argMin(distance, 1);
  });
  const indices = nearest.dataSync();
  nearest.dispose();
  let agree = 0;
  for (const i of indices) if (reference.labels[i] === digit) agree++;
  return agree / indices.length;
}

/** A conditional model's decoder means for `digit` (z from the prior, seed 1) and the 1-NN check of them. */
export function digitSamples(vae: VAE, shown: LoadedData, digit: number): { samples: WireMatrix; digit: DigitCheck } {
  const samples = vae.sample(DIGIT_SAMPLES, { seed: 1, mean: true, covariates: { digit: [digit] } });
  const agreement = nearestNeighbourAgreement(samples, shown, digit);
  return { samples: wire(samples), digit: { digit, agreement } };
}

/** Each row: one z ~ p(z) decoded as the digits 0 … 9, so a row shows one "style" written ten ways. */
function styleGrid(vae: VAE): WireMatrix {
  const labels = Array.from({ length: STYLE_ROWS * 10 }, (_, i) => i % 10);
  return wire(
    tf.tidy(() => {
      const z = vae.prior().sample([STYLE_ROWS], { seed: 3 });
      // [z₀ × 10, z₁ × 10, …]: row-major tile then reshape repeats each z ten times in a row
      const repeated = tf.reshape(tf.tile(z, [1, 10]), [STYLE_ROWS * 10, vae.config.latentDim]);
      return vae.decode(repeated, { covariates: { digit: labels } }).mean() as tf.Tensor2D;
    }),
  );
}

/** What the model makes of the data now; `digit` is the digit a conditional model samples. */
export function snapshot(vae: VAE, data: LoadedData, digit: number): Snapshot {
  const image = isImage(data);
  const conditional = conditionedOnDigit(vae);
  const latent = wire(vae.encode(data.x, { covariates: digits(conditional, data.labels) }));
  const reconRows = image ? 8 : data.x.cols === 2 ? 400 : 60;
  const recon = wire(
    vae.reconstruct(firstRows(data.x, reconRows), {
      covariates: digits(conditional, data.labels.subarray(0, reconRows)),
    }),
  );
  if (conditional) {
    const { samples, digit: check } = digitSamples(vae, data, digit);
    return { latent, recon, samples, digit: check, styles: styleGrid(vae) };
  }
  const samples = wire(vae.sample(image ? 16 : 400, { seed: 1, mean: image }));
  if (!image) return { latent, recon, samples };
  // two examples of different classes: the first row and the first row with another label
  const other = Math.max(
    1,
    data.labels.findIndex((l) => l !== data.labels[0]),
  );
  const [a, b] = [0, other].map((i) => takeRows(data.x, [i]));
  const interpolation = wire(vae.interpolate(a!, b!, 10));
  return { latent, recon, samples, interpolation };
}

/** The model in words and its −ELBO on `rows` (one seeded posterior draw per row). */
export async function summarize(vae: VAE, rows: LoadedData, evaluatedOn: string): Promise<RunSummary> {
  const conditional = conditionedOnDigit(vae);
  const e = await vae.evaluate(rows.x, { seed: 0, covariates: digits(conditional, rows.labels) });
  return {
    posterior: describePosterior(vae.config.posterior),
    conditional,
    loss: -e.elbo,
    reconstruction: -e.reconstruction,
    kl: e.kl,
    evaluatedOn,
  };
}
