// A VAE as in-memory artifacts and back: what `save` writes and `load` reads (the files themselves: model-io.ts).
import type * as tf from '@tensorflow/tfjs-core';
import { SerializationError } from '@varia/core';
import type { ResolvedVAEConfig, VAEConfig } from './config.js';
import { type CustomLikelihood, hasLikelihood, listLikelihoods } from './likelihood-registry.js';
import { checkModelJson } from './model-format.js';
import { type NetworkLoadOptions, networksForLoad } from './networks.js';
import { loadArtifacts, type ModelArtifacts, modelToArtifacts } from './serialization.js';
import type { VAE } from './vae.js';

/**
 * Options of {@link VAE.load} and {@link VAE.fromArtifacts}: the custom likelihood, and the user-written networks a
 * file cannot hold (`{ encoder }` / `{ decoder }`; a `tf.LayersModel` is rebuilt from its saved topology unless given).
 */
export interface LoadOptions extends NetworkLoadOptions {
  /** The custom likelihood the model was built with. */
  likelihood?: CustomLikelihood;
}

/** What {@link modelArtifacts} reads of a model. */
interface SavedModel {
  readonly config: ResolvedVAEConfig;
  namedVariables(): Map<string, tf.Variable>;
  stateVariables(): Map<string, tf.Variable>;
}

/** `VAE.toArtifacts`: the config and every trainable and state variable; a layers model's topology is checked now. */
export async function modelArtifacts(model: SavedModel): Promise<ModelArtifacts> {
  const artifacts = await modelToArtifacts(
    model.config,
    new Map([...model.namedVariables(), ...model.stateVariables()]),
  );
  // a tf.LayersModel's topology must pass what load checks (supported layers, limits): fail now, not at load time
  if (model.config.encoderNetwork || model.config.decoderNetwork) checkModelJson(artifacts.modelJson, 'VAE.save');
  return artifacts;
}

/**
 * `VAE.fromArtifacts`: checks the likelihood and networks the artifacts need, then builds the model with `create`
 * (the VAE constructor) and fills it. Networks rebuilt here are freed when `create` throws.
 */
export async function modelFromArtifacts(
  artifacts: ModelArtifacts,
  options: LoadOptions,
  create: (config: VAEConfig) => VAE,
): Promise<VAE> {
  return loadArtifacts(artifacts, async (config) => {
    const custom = options.likelihood;
    if (custom && config?.likelihood !== custom.name) {
      throw new SerializationError(
        `the model was saved with likelihood ${JSON.stringify(config?.likelihood)}, but the custom likelihood passed is named ${JSON.stringify(custom.name)}`,
      );
    }
    if (!custom && typeof config?.likelihood === 'string' && !hasLikelihood(config.likelihood)) {
      throw new SerializationError(
        `the model was saved with likelihood ${JSON.stringify(config.likelihood)}, which is not registered (registered: ${listLikelihoods().join(', ')}); call registerLikelihood(${JSON.stringify(config.likelihood)}, …) before loading, or pass { likelihood }`,
      );
    }
    // user networks: the caller's (required for user-written ones), or layers models rebuilt from their topology
    const networks = await networksForLoad(config, options);
    const c = custom ? { ...config, likelihood: custom } : config;
    try {
      return create({ ...c, ...networks } as VAEConfig);
    } catch (e) {
      for (const role of ['encoder', 'decoder'] as const) {
        if (networks[role] !== options[role]) networks[role]?.dispose();
      }
      throw e;
    }
  });
}
