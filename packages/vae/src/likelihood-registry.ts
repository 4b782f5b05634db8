import { ArgumentError, type Matrix } from '@varia/core';
import type { DistributionHead, HeadParameters, Initializer } from '@varia/layers';
import { BUILTIN_LIKELIHOODS } from './builtin-likelihoods.js';
import { orDefault } from './config-default.js';
import type { ResolvedVAEConfig } from './config.js';
import { DATA_DOMAINS, type DataDomain } from './data.js';

/** A transform of x before the encoder: `'log1p'` feeds log(1 + x), `'none'` feeds x. */
export type InputTransform = 'none' | 'log1p';

const INPUT_TRANSFORMS: readonly InputTransform[] = ['none', 'log1p'];

/** What a likelihood's head factory receives. */
export interface LikelihoodHeadOptions {
  /** Width of the decoder's output (the head's input). */
  inputDim: number;
  /**
   * The config's `likelihoodHead`: `'dense'` layers from the decoder's features, or `'direct'`: the decoder's output
   * is the parameter block (pass it on as the built-in heads' `parameters` option). A head built for `'direct'`
   * must say so in its `parameters` field.
   */
  parameters: HeadParameters;
  /** Width D of an example (the head's event size). */
  units: number;
  /** Seed of the head's initialisation. */
  seed: number;
  /** Weight initialisation. */
  init: Initializer;
  /** The whole resolved config, for head options such as the Gaussian's `observationScale` or `librarySize`. */
  config: ResolvedVAEConfig;
}

/**
 * What {@link registerLikelihood} needs to know about a likelihood p(x|z): everything the VAE, `fit`, `load`, the CLI
 * and the playground derive from its name.
 */
export interface LikelihoodDefinition {
  /** One line for listings and docs, e.g. `"counts: Poisson(x; λ), decoder outputs log λ"`. */
  description: string;
  /** The values the data may hold; `fit` and `evaluate` check every value against it (a DataError names the cell). */
  domain: DataDomain;
  /** The default transform of x before the encoder (a config's `inputTransform` overrides it). Default `'none'`. */
  inputTransform?: InputTransform;
  /** Whether the head supports scVI's library size (`librarySize: true` is refused otherwise). Default false. */
  librarySize?: boolean;
  /** Builds the decoder's output head p(x|z). */
  createHead(options: LikelihoodHeadOptions): DistributionHead;
  /** Extra checks of the training data beyond `domain` (throw a `DataError` for unusable values). */
  validateData?(values: Float32Array, cols: number): void;
}

/** A registered likelihood: a {@link LikelihoodDefinition} with its name and every default filled in. */
export interface LikelihoodSpec {
  /** The registered name (what a saved model stores). */
  readonly name: string;
  /** See {@link LikelihoodDefinition.description}. */
  readonly description: string;
  /** See {@link LikelihoodDefinition.domain}. */
  readonly domain: DataDomain;
  /** See {@link LikelihoodDefinition.inputTransform}. */
  readonly inputTransform: InputTransform;
  /** See {@link LikelihoodDefinition.librarySize}. */
  readonly librarySize: boolean;
  /** See {@link LikelihoodDefinition.createHead}. */
  createHead(options: LikelihoodHeadOptions): DistributionHead;
  /** The definition's `validateData` applied to a matrix, if it has one. */
  readonly validate?: (m: Matrix) => void;
}

/**
 * A likelihood given inline in a config (`likelihood: { name, createHead }`) instead of by a registered name. It is
 * checked and filled in exactly as {@link registerLikelihood} does (domain `'real'` unless given); `VAE.load` needs it
 * registered under `name` (or passed as the `likelihood` option).
 */
export interface CustomLikelihood extends Partial<Omit<LikelihoodDefinition, 'createHead'>> {
  /** A name stored in the config. */
  name: string;
  /** Creates the head. */
  createHead(options: LikelihoodHeadOptions): DistributionHead;
  /** Extra checks of the training data beyond `domain` (throw a `DataError` for unusable values); optional. */
  validateData?(values: Float32Array, cols: number): void;
}

const registry = new Map<string, LikelihoodSpec>();

function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new ArgumentError(
      'name',
      `registerLikelihood: "name" must be a non-empty string of letters, digits, ".", "_" or "-", got ${JSON.stringify(name)}`,
    );
  }
}

/** Checks a definition and fills in its defaults (one rule for registered and inline likelihoods). */
function toSpec(
  name: string,
  d: Partial<LikelihoodDefinition> | undefined,
  argument: string,
  what: string,
): LikelihoodSpec {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new ArgumentError(
      argument,
      `${what}: "${field}" must be ${expected}, got ${typeof got === 'function' ? 'a function' : JSON.stringify(got)}`,
    );
  };
  if (typeof d !== 'object' || d === null) fail('definition', 'an object', d);
  const def = d as Partial<LikelihoodDefinition>;
  if (typeof def.createHead !== 'function') fail('createHead', 'a function', def.createHead);
  if (typeof def.description !== 'string' || def.description.length === 0)
    fail('description', 'a non-empty string', def.description);
  if (!Object.hasOwn(DATA_DOMAINS, def.domain as string))
    fail('domain', `one of ${Object.keys(DATA_DOMAINS).join(', ')}`, def.domain);
  const inputTransform = orDefault(def.inputTransform, 'none');
  if (!INPUT_TRANSFORMS.includes(inputTransform)) fail('inputTransform', INPUT_TRANSFORMS.join(' or '), inputTransform);
  const librarySize = orDefault(def.librarySize, false);
  if (typeof librarySize !== 'boolean') fail('librarySize', 'a boolean', librarySize);
  if (def.validateData !== undefined && typeof def.validateData !== 'function')
    fail('validateData', 'a function', def.validateData);
  const validateData = def.validateData?.bind(def);
  return Object.freeze({
    name,
    description: def.description!,
    domain: def.domain!,
    inputTransform,
    librarySize,
    createHead: def.createHead!.bind(def),
    validate: validateData && ((m: Matrix) => validateData(m.data, m.cols)),
  });
}

/**
 * Registers a likelihood p(x|z) under `name`, so that `new VAE({ likelihood: name })`, `fit` (data checks), `VAE.load`,
 * the playground's CLI (`--likelihood`) and its page use it. Adding a likelihood is this one call.
 * @throws ArgumentError for an invalid name or definition, or a name already registered (unless `override: true`).
 */
export function registerLikelihood(
  name: string,
  definition: LikelihoodDefinition,
  options: { override?: boolean } = {},
): void {
  assertName(name);
  const spec = toSpec(name, definition, 'definition', `registerLikelihood("${name}")`);
  if (registry.has(name) && options.override !== true) {
    throw new ArgumentError(
      'name',
      `registerLikelihood: "${name}" is already registered; pass { override: true } to replace it`,
    );
  }
  registry.set(name, spec);
}

/**
 * Removes a likelihood registered by the user. Models already built keep their head.
 * @returns whether it was registered.
 * @throws ArgumentError for a built-in name.
 */
export function unregisterLikelihood(name: string): boolean {
  if (Object.hasOwn(BUILTIN_LIKELIHOODS, name)) {
    throw new ArgumentError(
      'name',
      `unregisterLikelihood: "${name}" is built in (override it with registerLikelihood(name, spec, { override: true }))`,
    );
  }
  return registry.delete(name);
}

/** The registered likelihood names, built-ins first, then in registration order. */
export function listLikelihoods(): string[] {
  return [...registry.keys()];
}

/** Whether `name` is a registered likelihood. */
export function hasLikelihood(name: string): boolean {
  return registry.has(name);
}

/**
 * The registered likelihood `name`.
 * @throws ArgumentError naming it and listing the registered ones.
 */
export function getLikelihood(name: string, argument = 'likelihood'): LikelihoodSpec {
  const spec = registry.get(name);
  if (!spec) {
    throw new ArgumentError(
      argument,
      `unknown likelihood ${JSON.stringify(name)}; registered: ${listLikelihoods().join(', ')} (add one with registerLikelihood)`,
    );
  }
  return spec;
}

/** The spec of a registered name, or of an inline {@link CustomLikelihood} (checked like a registration). */
export function likelihoodSpec(name: string, custom?: CustomLikelihood): LikelihoodSpec {
  if (custom === undefined) return getLikelihood(name);
  if (typeof custom !== 'object' || custom === null)
    throw new ArgumentError('likelihood', 'VAE: a custom "likelihood" must be an object { name, createHead }');
  if (typeof custom.name !== 'string' || custom.name.length === 0) {
    throw new ArgumentError(
      'likelihood',
      `VAE: a custom "likelihood" needs a non-empty string "name", got ${JSON.stringify(custom.name)}`,
    );
  }
  return toSpec(
    custom.name,
    { domain: 'real', description: `custom likelihood "${custom.name}"`, ...custom },
    'likelihood',
    `VAE: custom likelihood "${custom.name}"`,
  );
}

for (const [name, definition] of Object.entries(BUILTIN_LIKELIHOODS)) registerLikelihood(name, definition);
