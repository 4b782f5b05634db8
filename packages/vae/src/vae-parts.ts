// The parts of a VAE (encoder, latent module, decoder, likelihood head, covariate features): how they are built from
// the resolved configuration, and their variables by stable name.
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, nextSeed } from '@varia/core';
import { collectVariables, type DistributionHead, type MLP, type Module, scopedName } from '@varia/layers';

import type { ResolvedVAEConfig, VAEConfig } from './config.js';
import { covariateFeatureWidth } from './covariates.js';
import { type ConditionedMLP, CovariateFeatures, hiddenNetwork } from './covariates-network.js';
import { LatentModule } from './latent.js';
import { createLikelihoodHead } from './likelihood-head.js';
import type { LikelihoodSpec } from './likelihood-registry.js';
import { type NetworkMode, type SuppliedNetwork, suppliedNetwork } from './networks.js';

/** The networks and heads of a VAE, as built by `buildVaeParts`. */
export interface VaeNetworks {
  readonly encoder: MLP | ConditionedMLP | SuppliedNetwork;
  readonly latent: LatentModule;
  readonly decoder: MLP | ConditionedMLP | SuppliedNetwork;
  readonly likelihoodHead: DistributionHead;
  readonly covariateFeatures: CovariateFeatures | undefined;
}

/** A VAE's parts with its resolved configuration and likelihood: what the forward computations read. */
export interface VaeParts extends VaeNetworks {
  readonly config: ResolvedVAEConfig;
  readonly likelihood: LikelihoodSpec;
}

/**
 * Builds the parts of a VAE from `config` (as given: the user's networks) resolved to `c`; the user's networks read
 * `networkMode`. If a part throws, the parts already built are freed before the error propagates.
 * @throws ArgumentError for a user network whose inputs do not fit the covariates; what the parts' constructors throw.
 */
export function buildVaeParts(
  config: VAEConfig,
  c: ResolvedVAEConfig,
  likelihood: LikelihoodSpec,
  networkMode: NetworkMode,
): VaeNetworks {
  const rng = mulberry32(c.seed);
  // Built inside a tidy: the layers make each variable from an initial tensor that would otherwise stay allocated
  // after dispose(). If a part throws, the parts already built are freed before the error propagates.
  const built: Module[] = [];
  const make = <M extends Module>(create: () => M): M => {
    const m = create();
    built.push(m);
    return m;
  };
  // a user's network reads the covariate features c [n, F] where the built-in MLP would: the decoder always, the
  // encoder with encodeCovariates (as `apply(x, { covariates: c })`; a tf.LayersModel as its second input)
  const width = covariateFeatureWidth(c.covariates);
  const encoder = suppliedNetwork(
    'encoder',
    config.encoder,
    c.inputShape ?? [c.inputDim],
    networkMode,
    c.encodeCovariates ? width : 0,
  );
  const decoder = suppliedNetwork('decoder', config.decoder, [c.latentDim], networkMode, width);
  const supplied = { encoder, decoder };
  let parts: VaeNetworks | undefined;
  try {
    tf.tidy(() => {
      // the covariates' own seed stream: a model without covariates is initialised exactly as before
      const covariateFeatures =
        c.covariates.length > 0 ? make(() => new CovariateFeatures(c.covariates, c.seed ^ 0x3c6ef372)) : undefined;
      const covariateWidth = covariateFeatures?.width ?? 0;
      const inject = c.injectCovariates;
      // a network the user gives joins the model only once it is built (a failed build leaves it to the user)
      const encoder =
        supplied.encoder ??
        make(() =>
          hiddenNetwork({
            inputDim: c.inputDim,
            covariateWidth: c.encodeCovariates ? covariateWidth : 0,
            inject,
            hiddenUnits: c.encoderUnits,
            activation: c.activation,
            init: c.init,
            seed: nextSeed(rng),
          }),
        );
      const headSeed = nextSeed(rng);
      const decoder =
        supplied.decoder ??
        make(() =>
          hiddenNetwork({
            inputDim: c.latentDim,
            covariateWidth,
            inject,
            hiddenUnits: c.decoderUnits,
            activation: c.activation,
            init: c.init,
            seed: nextSeed(rng),
          }),
        );
      const likelihoodHead = make(() => createLikelihoodHead(likelihood, c, decoder.outputDim, nextSeed(rng)));
      const priorSeed = nextSeed(rng);
      const latent = make(
        () =>
          new LatentModule({
            config: c,
            inputDim: encoder.outputDim,
            latentDim: c.latentDim,
            init: c.init,
            headSeed,
            priorSeed,
            // what a learned score-function baseline reads: x as the encoder sees it
            data: { width: c.inputDim, transform: (x) => (c.inputTransform === 'log1p' ? tf.log1p(x) : x) },
          }),
      );
      parts = { encoder, latent, decoder, likelihoodHead, covariateFeatures };
    });
  } catch (e) {
    for (const m of built) m.dispose();
    throw e;
  }
  if (!parts) throw new Error('unreachable: the VAE parts were not built');
  return parts;
}

/** All trainable variables of the parts by stable name (`encoder/0/kernel`, `likelihood/loc/bias`, …). */
export function partVariables(parts: VaeNetworks, prefix?: string): Map<string, tf.Variable> {
  return collectVariables(
    [
      ['encoder', parts.encoder],
      ['encoder_head', parts.latent.head],
      ['decoder', parts.decoder],
      ['likelihood', parts.likelihoodHead],
      ['prior', parts.latent.latentPrior],
      ['covariates', parts.covariateFeatures],
      ['latent_baseline', parts.latent.baseline],
    ],
    prefix,
  );
}

/** The non-trainable variables that training updates (batch-norm statistics, a score-function baseline's average). */
export function partStateVariables(parts: VaeNetworks, prefix?: string): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [k, v] of parts.latent.stateVariables()) out.set(scopedName(prefix, k), v);
  for (const [name, network] of [
    ['encoder', parts.encoder],
    ['decoder', parts.decoder],
  ] as const) {
    if (!('stateVariables' in network)) continue;
    for (const [k, v] of network.stateVariables(scopedName(prefix, name))) out.set(k, v);
  }
  return out;
}

/** Frees every part (their variables). */
export function disposeParts(parts: VaeNetworks): void {
  parts.encoder.dispose();
  parts.covariateFeatures?.dispose();
  parts.latent.dispose();
  parts.decoder.dispose();
  parts.likelihoodHead.dispose();
}
