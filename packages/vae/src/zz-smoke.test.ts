import { syntheticCounts, toyGaussian2d } from '@varia/datasets';
import { it } from 'vitest';
import { VAE } from './vae.js';
it('smoke', async () => {
  const data = toyGaussian2d({ seed: 0 });
  for (const act of ['relu', 'tanh'] as const) {
    const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 2, likelihood: 'gaussian', activation: act });
    const t = Date.now();
    const h = await vae.fit(data.x, { epochs: 20, batchSize: 10, learningRate: 0.01, seed: 0 });
    console.log(act, Date.now() - t, 'ms', h.epochs.map((e) => e.loss.toFixed(3)).join(' '));
    vae.dispose();
  }
  const counts = syntheticCounts({ n: 1000, dim: 20, latentDim: 2, seed: 0 });
  const vae = new VAE({ inputDim: 20, latentDim: 2, hiddenUnits: 32, likelihood: 'poisson' });
  const h = await vae.fit(counts.x, { epochs: 10, batchSize: 32, learningRate: 0.01, seed: 0 });
  console.log('poisson', h.epochs.map((e) => e.loss.toFixed(3)).join(' '));
});
