// The likelihood head p(x|z) of a VAE: built by the likelihood's factory from the decoder's output, dense or direct.
import { ArgumentError, ShapeError } from '@varia/core';
import type { DistributionHead } from '@varia/layers';
import type { ResolvedVAEConfig } from './config.js';
import type { LikelihoodSpec } from './likelihood-registry.js';

/**
 * The likelihood head of a VAE whose decoder outputs `decoderWidth` values per example, as the config's
 * `likelihoodHead` says: dense layers from the decoder's features, or the decoder's output read directly as the
 * parameter block.
 * @throws ShapeError naming the decoder when a direct head's parameter block does not match the decoder's width;
 * ArgumentError when a likelihood's factory ignores `parameters` (its head is freed).
 */
export function createLikelihoodHead(
  likelihood: LikelihoodSpec,
  c: ResolvedVAEConfig,
  decoderWidth: number,
  seed: number,
): DistributionHead {
  const parameters = c.likelihoodHead ?? 'dense';
  let head: DistributionHead;
  try {
    head = likelihood.createHead({
      inputDim: decoderWidth,
      units: c.inputDim,
      seed,
      init: c.init,
      config: c,
      parameters,
    });
  } catch (e) {
    if (parameters !== 'direct' || !(e instanceof ShapeError)) throw e;
    throw new ShapeError(
      'decoder',
      `VAE: with likelihoodHead 'direct' the decoder's output (${decoderWidth} values per example) must be the "${likelihood.name}" likelihood's parameters — ${e.message}`,
      { cause: e },
    );
  }
  if (typeof head !== 'object' || head === null || typeof (head as Partial<DistributionHead>).apply !== 'function') {
    throw new ArgumentError(
      'likelihood',
      `VAE: the "${likelihood.name}" likelihood's createHead must return a head (with apply and dispose), got ${head === null ? 'null' : typeof head}`,
    );
  }
  if (typeof head.units === 'number' && head.units !== c.inputDim) {
    head.dispose();
    throw new ShapeError(
      'likelihood',
      `VAE: the "${likelihood.name}" likelihood's head has ${head.units} units; the model's inputDim is ${c.inputDim} (createHead gets it as options.units)`,
    );
  }
  const built = head.parameters ?? 'dense';
  if (built !== parameters) {
    head.dispose();
    throw new ArgumentError(
      'likelihoodHead',
      `VAE: likelihoodHead is '${parameters}' but likelihood "${likelihood.name}" built a '${built}' head; its createHead must pass options.parameters on to the head (and the head report it as its "parameters")`,
    );
  }
  return head;
}
