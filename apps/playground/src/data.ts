import { type Dataset, mnist, mnistCounts, syntheticCounts, toyGaussian2d } from '@varia/datasets';
import type { DatasetName } from './args.js';

/** Training data and, where the dataset has one, a held-out evaluation split. */
export interface PlaygroundData {
  /** Training examples. */
  train: Dataset;
  /** Held-out examples (MNIST's fixed test split). */
  test?: Dataset;
}

/** Loads a playground dataset by name. */
export function loadDataset(name: DatasetName, seed: number): PlaygroundData {
  switch (name) {
    case 'toy2d':
      return { train: toyGaussian2d({ seed }) };
    case 'toy2d-separated':
      return { train: toyGaussian2d({ seed, separated: true }) };
    case 'counts':
      return { train: syntheticCounts({ n: 2000, dim: 20, latentDim: 2, seed }) };
    case 'mnist':
      return { train: mnist({ split: 'train' }), test: mnist({ split: 'test' }) };
    case 'mnist-counts':
      return { train: mnistCounts({ split: 'train' }), test: mnistCounts({ split: 'test' }) };
  }
}
