import { type Matrix, sparseRowsToDense } from '@varia/core';
import { mnist } from '@varia/datasets';
import { firstRows } from './first-rows.js';
import { SPARSE_1M, SparseCounts } from './sparse-counts.js';
import { type EncodeModel, MNIST_SHAPE } from './workloads.js';

/** One encode workload: its data (dense; `sparse` rows are handed to encode as CSR), the model, what the rows are. */
export interface EncodeSpec {
  /** The rows, dense (`quick`: fewer). */
  data(quick: boolean): Matrix;
  /** Given to `VAE.encode` (and PyTorch) as CSR. */
  sparse: boolean;
  model: EncodeModel;
  /** What the rows are, for the description. */
  what: string;
}

const mnistAll = (quick: boolean): Matrix => {
  const all = mnist({ split: 'all' }).x;
  return firstRows(all, quick ? 2000 : all.rows);
};
const MNIST_MODEL: EncodeModel = { ...MNIST_SHAPE, likelihood: 'bernoulli' };

/**
 * The encode workloads: MNIST's 10,000 images dense and as CSR (19 % non-zeros), and 10,000 rows of the synthetic
 * single-cell-like counts of `sparse-1m` (2,000 genes, ≈ 5 % non-zeros) as CSR through that workload's Poisson model
 * 2000-128-10 (log1p input).
 */
export const ENCODE_WORKLOADS: Readonly<
  Record<'mnist-vae-encode' | 'mnist-vae-encode-sparse' | 'counts-vae-encode-sparse', EncodeSpec>
> = {
  'mnist-vae-encode': { data: mnistAll, sparse: false, model: MNIST_MODEL, what: 'MNIST images (train + test)' },
  'mnist-vae-encode-sparse': { data: mnistAll, sparse: true, model: MNIST_MODEL, what: 'MNIST images (train + test)' },
  'counts-vae-encode-sparse': {
    data: (quick) => {
      const rows = quick ? 2000 : 10_000;
      return sparseRowsToDense(new SparseCounts(SPARSE_1M).csr(rows), 0, rows);
    },
    sparse: true,
    model: { inputDim: SPARSE_1M.cols, hidden: 128, latentDim: 10, likelihood: 'poisson' },
    what: "synthetic single-cell-like count rows (sparse-1m's generator, 2,000 genes)",
  },
};
