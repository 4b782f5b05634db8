/**
 * The page's posterior choices as `@varia/vae` config, and a resolved config in words (for the run summary and for
 * imported models). Flows are kept browser-sized: 2 steps with one hidden layer of max(16, 2d) units (the library's
 * default width), so a flow step costs little next to the encoder and decoder.
 */
import type { ResolvedVAEConfig, VAEConfig } from '@varia/vae';
import type { WebDataset, WebPosterior } from './protocol.js';

/** The posterior part of the VAE config for a choice. */
export function posteriorConfig(choice: WebPosterior): Pick<VAEConfig, 'posterior' | 'prior'> {
  switch (choice) {
    case 'gaussian':
      return { posterior: 'gaussian' };
    case 'iaf':
    case 'realnvp':
      return { posterior: { flow: { kind: choice, steps: 2 } } };
    case 'poisson':
      // z ∈ ℕᵈ, q = Πⱼ Poisson(λⱼ(x)), p = Poisson(1); no rsample: score-function gradients with a moving-average baseline
      return { posterior: { poisson: { baseline: 'moving-average' } }, prior: { poisson: { rate: 1 } } };
  }
}

/** Why a choice is not offered for a dataset, or undefined when it is. */
export function posteriorUnavailable(choice: WebPosterior, dataset: WebDataset): string | undefined {
  if (choice === 'poisson' && dataset !== 'counts')
    return 'the Poisson latent is offered on the count data only, where its training time and −ELBO were measured';
  return undefined;
}

/** A resolved posterior in words: "Gaussian", "flow (IAF, 2 steps × 16)", "Poisson (moving-average baseline)", … */
export function describePosterior(posterior: ResolvedVAEConfig['posterior']): string {
  if (posterior === 'gaussian') return 'Gaussian';
  if (typeof posterior === 'string') return posterior;
  if ('flow' in posterior) {
    const { kind, steps, hiddenUnits } = posterior.flow;
    return `flow (${kind === 'iaf' ? 'IAF' : 'RealNVP'}, ${steps} steps × ${hiddenUnits.join(',')})`;
  }
  if ('poisson' in posterior) return `Poisson (${posterior.poisson.baseline} baseline)`;
  return Object.keys(posterior)[0] ?? 'unknown';
}
