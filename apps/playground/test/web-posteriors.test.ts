/**
 * The page's posterior choices (web/posteriors.ts) against `@varia/vae`: each one is a config the library accepts (and
 * builds: a VAE trains one step on wasm, the page's backend, and leaves no tensor behind), its resolved form reads back in the words the run table
 * shows, and the Poisson latent is offered on the count data only.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { resolveConfig, VAE } from '@varia/vae';
import { describe, expect, it } from 'vitest';
import { describePosterior, posteriorConfig, posteriorUnavailable } from '../web/posteriors.js';
import { WEB_DATASETS, WEB_POSTERIORS, type WebDataset, type WebPosterior } from '../web/protocol.js';

const CHOICES = Object.keys(WEB_POSTERIORS) as WebPosterior[];

/** What the run table says for each choice at latent size 2 (the flows' hidden width is max(16, 2d) = 16). */
const WORDS: Record<WebPosterior, string> = {
  gaussian: 'Gaussian',
  iaf: 'flow (IAF, 2 steps × 16)',
  realnvp: 'flow (RealNVP, 2 steps × 16)',
  poisson: 'Poisson (moving-average baseline)',
};

describe('the page posterior choices', () => {
  it.each(CHOICES)('%s resolves in @varia/vae and reads back in words', (choice) => {
    const resolved = resolveConfig({
      inputDim: 20,
      latentDim: 2,
      hiddenUnits: [8],
      likelihood: 'poisson',
      ...posteriorConfig(choice),
    });
    expect(describePosterior(resolved.posterior)).toBe(WORDS[choice]);
  });

  it.each(CHOICES)('%s trains a step on counts without leaking tensors', async (choice) => {
    await tf.setBackend('wasm'); // the page's backend
    const before = tf.memory().numTensors;
    const vae = new VAE({
      inputDim: 4,
      latentDim: 2,
      hiddenUnits: [4],
      likelihood: 'poisson',
      ...posteriorConfig(choice),
    });
    const x = Array.from({ length: 8 }, (_, i) => [i % 3, 1, (2 * i) % 5, 0]);
    const history = await vae.fit(x, { epochs: 1, batchSize: 8, seed: 1 });
    expect(Number.isFinite(history.epochs[0]!.loss)).toBe(true);
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('offers the Poisson latent on the count data only, and every other choice everywhere', () => {
    for (const dataset of Object.keys(WEB_DATASETS) as WebDataset[]) {
      for (const choice of CHOICES) {
        const offered = posteriorUnavailable(choice, dataset) === undefined;
        expect(offered, `${choice} on ${dataset}`).toBe(choice !== 'poisson' || dataset === 'counts');
      }
    }
  });
});
