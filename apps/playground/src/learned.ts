/**
 * What a trained VAE learned, in numbers a person can check: how much of the known group structure (the labels) its
 * latent space explains, and how its −ELBO compares with the best model that has no latent variable at all.
 * Plain arrays in and out (no tfjs): used by the CLI summary and by the web page.
 */

/** A row-major matrix of plain numbers. */
export interface PlainMatrix {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
}

/**
 * The share of the latent means' spread that the labels explain, η² = between-label sum of squares / total sum of
 * squares (summed over the latent dimensions), in [0, 1]. It is 0 when the latent space ignores the labels, e.g.
 * after a posterior collapse (every mean ≈ 0), or when the data carry no label structure to find; 1 when every
 * label sits on one point. Rows with a negative label (unlabelled) are left out.
 */
export function labelShare(latent: PlainMatrix, labels: ArrayLike<number>): number {
  const { rows, cols, data } = latent;
  const total = new Float64Array(cols);
  const groups = new Map<number, { n: number; sum: Float64Array }>();
  let n = 0;
  for (let i = 0; i < rows; i++) {
    const label = labels[i]!;
    if (label < 0) continue;
    n++;
    let g = groups.get(label);
    if (g === undefined) {
      g = { n: 0, sum: new Float64Array(cols) };
      groups.set(label, g);
    }
    g.n++;
    for (let j = 0; j < cols; j++) {
      g.sum[j]! += data[i * cols + j]!;
      total[j]! += data[i * cols + j]!;
    }
  }
  if (n === 0) return 0;
  let between = 0;
  let all = 0;
  for (let j = 0; j < cols; j++) {
    const mean = total[j]! / n;
    for (let i = 0; i < rows; i++) if (labels[i]! >= 0) all += (data[i * cols + j]! - mean) ** 2;
    for (const g of groups.values()) between += g.n * (g.sum[j]! / g.n - mean) ** 2;
  }
  return all > 0 ? between / all : 0;
}

/** The likelihoods {@link baselineNll} knows. */
export type BaselineLikelihood = 'gaussian' | 'bernoulli' | 'poisson';

function logGamma1p(x: number): number {
  // log Γ(x + 1) = log x! for the integer counts Poisson data hold (Stirling with two terms past 20)
  if (x < 20) {
    let s = 0;
    for (let k = 2; k <= x; k++) s += Math.log(k);
    return s;
  }
  const y = x + 1;
  return (y - 0.5) * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * y) - 1 / (360 * y ** 3);
}

/**
 * The mean negative log-likelihood per example on `test` of the best model **without a latent variable** of the same
 * family: every feature independent, its parameters fitted to `train` by maximum likelihood (Bernoulli: pᵢ = mean,
 * clipped to [1e-6, 1 − 1e-6]; Poisson: λᵢ = mean (≥ 1e-6); Gaussian: μᵢ = mean, σᵢ² = variance (≥ 1e-6)). A VAE
 * whose posterior collapsed can do no better than this; the gap to its −ELBO is what the latent space buys.
 *
 * - Bernoulli: −Σᵢ xᵢ log pᵢ + (1 − xᵢ) log(1 − pᵢ)
 * - Poisson: Σᵢ λᵢ − xᵢ log λᵢ + log Γ(xᵢ + 1)
 * - Gaussian: Σᵢ ½ log(2π σᵢ²) + (xᵢ − μᵢ)² / (2σᵢ²)
 */
export function baselineNll(likelihood: BaselineLikelihood, train: PlainMatrix, test: PlainMatrix): number {
  const d = train.cols;
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  for (let i = 0; i < train.rows; i++) for (let j = 0; j < d; j++) mean[j]! += train.data[i * d + j]! / train.rows;
  for (let i = 0; i < train.rows; i++)
    for (let j = 0; j < d; j++) variance[j]! += (train.data[i * d + j]! - mean[j]!) ** 2 / train.rows;
  let total = 0;
  for (let i = 0; i < test.rows; i++) {
    for (let j = 0; j < d; j++) {
      const x = test.data[i * d + j]!;
      if (likelihood === 'bernoulli') {
        const p = Math.min(Math.max(mean[j]!, 1e-6), 1 - 1e-6);
        total -= x * Math.log(p) + (1 - x) * Math.log(1 - p);
      } else if (likelihood === 'poisson') {
        const rate = Math.max(mean[j]!, 1e-6);
        total += rate - x * Math.log(rate) + logGamma1p(x);
      } else {
        const v = Math.max(variance[j]!, 1e-6);
        total += 0.5 * Math.log(2 * Math.PI * v) + (x - mean[j]!) ** 2 / (2 * v);
      }
    }
  }
  return total / test.rows;
}
