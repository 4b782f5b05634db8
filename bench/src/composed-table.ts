/**
 * The `composed` group of `pnpm bench` (issue 15, item 7): each model of the "Compose your own model" guide, run as a
 * child process at its full (bench) size, or at the examples' CI size with `--quick`. Declared once here; the runner
 * (composed.ts) spawns `node <script> <args>` with `env` and parses the machine-readable lines it prints (`RESULT {json}`
 * from the examples, one JSON object per line from the bench scripts).
 */

/** One size of a composed model's run: environment variables and command-line arguments for its script. */
export interface ComposedSize {
  env?: Record<string, string>;
  args?: string[];
}

export interface ComposedModel {
  /** Its name in `--only` and in the results. */
  name: string;
  /** The script, relative to the repository root (a built `dist/*.js`). */
  script: string;
  /** What it measures, in words (the results' description and bench/README.md). */
  description: string;
  /** The documented full size (`pnpm bench --only composed`). */
  full: ComposedSize;
  /** The CI size (`--quick`): the examples' defaults, or small flags for the bench scripts. */
  quick: ComposedSize;
}

export const COMPOSED_MODELS = [
  {
    name: 'conv-vae',
    script: 'bench/dist/conv-vae.js',
    description:
      'convolutional VAE vs the MLP VAE on the MNIST split (8,000 train / 2,000 test, 10 epochs): test −ELBO, IWAE-100',
    full: { args: ['--epochs', '10', '--iwae', '100'] },
    quick: { args: ['--epochs', '1', '--iwae', '0', '--train-rows', '256', '--test-rows', '200'] },
  },
  {
    name: 'cvae-mnist',
    script: 'examples/dist/cvae-mnist.js',
    description: 'CVAE conditioned on the digit: share of 100 samples per digit a kNN classifier assigns to that digit',
    full: {
      env: {
        VARIA_EXAMPLE_ROWS: '8000',
        VARIA_EXAMPLE_EPOCHS: '8',
        VARIA_EXAMPLE_BASELINE_EPOCHS: '8',
        VARIA_EXAMPLE_HIDDEN: '128',
      },
    },
    quick: {},
  },
  {
    name: 'batch-correction',
    script: 'examples/dist/batch-correction.js',
    description:
      'batch correction on synthetic counts: latent batch mixing and cell-type kNN accuracy without/with the batch covariate',
    full: { env: { VARIA_EXAMPLE_ROWS: '4000', VARIA_EXAMPLE_EPOCHS: '60' } },
    quick: {},
  },
  {
    name: 'posteriors',
    script: 'bench/dist/posteriors.js',
    description: 'Gaussian vs RealNVP-flow posterior on the MNIST split (10 epochs): test −ELBO and IWAE-100',
    full: { args: ['--epochs', '10', '--iwae', '100', '--flow', 'realnvp', '--steps', '4', '--hidden', '64'] },
    quick: {
      args: [
        '--epochs',
        '1',
        '--iwae',
        '2',
        '--flow',
        'realnvp',
        '--steps',
        '1',
        '--hidden',
        '16',
        '--train-rows',
        '256',
        '--test-rows',
        '200',
      ],
    },
  },
  {
    name: 'topic-model',
    script: 'examples/dist/topic-model.js',
    description: 'ProdLDA-style topic model (logistic-normal and Dirichlet posteriors): test −ELBO and topic recovery',
    full: { env: { VARIA_EXAMPLE_EPOCHS: '60', VARIA_EXAMPLE_DOCS: '2000' } },
    quick: {},
  },
  {
    name: 'hierarchical-vae',
    script: 'examples/dist/hierarchical-vae.js',
    description: 'two-layer hierarchical VAE on the Trainer (own model, early stopping, checkpoints): validation −ELBO',
    full: { env: { VARIA_EXAMPLE_ROWS: '8000', VARIA_EXAMPLE_EPOCHS: '20' } },
    quick: {},
  },
  {
    name: 'poisson-latent',
    script: 'examples/dist/poisson-latent.js',
    description: 'Poisson (discrete) latents: score-function estimators and baselines vs Gaussian and relaxed latents',
    full: { env: { VARIA_EXAMPLE_EPOCHS: '25', VARIA_EXAMPLE_DRAWS: '64' } },
    quick: {},
  },
] as const satisfies readonly ComposedModel[];

export type ComposedName = (typeof COMPOSED_MODELS)[number]['name'];

export const COMPOSED_NAMES: readonly ComposedName[] = COMPOSED_MODELS.map((m) => m.name);
