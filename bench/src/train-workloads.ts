import type { Matrix } from '@varia/core';
import { mnist, mnistCounts } from '@varia/datasets';
import type { WorkloadName } from './args.js';

/** One training workload: the likelihood, and whether `fit` computes the encoder's first layer from the non-zeros. */
export interface TrainSpec {
  likelihood: 'bernoulli' | 'poisson';
  /**
   * `fit`'s `sparseInput: true`: the encoder's first layer (forward and weight gradient) from each batch's non-zero
   * entries (native kernels `VariaSparseInputDense` / `VariaSparseInputDenseBackward`). PyTorch then runs its dense
   * training and its `torch.sparse.mm` training, and the faster one is the baseline.
   */
  sparseInput: boolean;
  /** The dense workload this one is the sparse-input twin of (same data, model, seeds and epochs). */
  denseTwin?: TrainName;
}

/** The training workloads' names (declared in args.ts with every workload). */
export type TrainName = Extract<WorkloadName, `mnist-vae-train${string}`>;

/**
 * The training workloads, declared once: the MNIST VAE with a Bernoulli likelihood on the intensities and with a
 * Poisson likelihood on MNIST counts (log1p input), each dense and with `sparseInput: true` (MNIST rows are ~19 %
 * non-zero; the first layer is ~1.1 ms of a ~5 ms step).
 */
export const TRAIN_WORKLOADS: Readonly<Record<TrainName, TrainSpec>> = {
  'mnist-vae-train': { likelihood: 'bernoulli', sparseInput: false },
  'mnist-vae-train-poisson': { likelihood: 'poisson', sparseInput: false },
  'mnist-vae-train-sparse': { likelihood: 'bernoulli', sparseInput: true, denseTwin: 'mnist-vae-train' },
  'mnist-vae-train-poisson-sparse': { likelihood: 'poisson', sparseInput: true, denseTwin: 'mnist-vae-train-poisson' },
};

/** A training workload's rows of the fixed MNIST split: intensities in [0, 1] (Bernoulli) or counts (Poisson). */
export function trainSplit(likelihood: TrainSpec['likelihood'], split: 'train' | 'test'): Matrix {
  return likelihood === 'bernoulli' ? mnist({ split }).x : mnistCounts({ split }).x;
}
