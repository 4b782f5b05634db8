// Validation of covariate declarations and their defaults (what the model's config check runs).
import { ArgumentError, assertOptions } from '@varia/core';
import { COVARIATE_LIMITS, covariateFeatureWidth, type ResolvedCovariate } from './covariates.js';
import { orDefault } from './config-default.js';
import { showValue } from './show-value.js';

const SPEC_KEYS = { categorical: ['name', 'kind', 'levels', 'encoding'], continuous: ['name', 'kind'] } as const;

function integerIn(where: string, name: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new ArgumentError(name, `${where}: "${name}" must be an integer in 1 … ${max}, got ${showValue(v)}`);
  }
  return v;
}

/**
 * Validates a covariate list and fills in the defaults (one-hot encoding).
 * @throws ArgumentError naming the covariate (`covariates[i]`) and the field: a missing or duplicate name, an unknown
 *   kind or key, levels or an embedding width that is not an integer in 1 … 2²⁰, more than
 *   {@link COVARIATE_LIMITS}.maxCovariates covariates, or a total feature width above the limit.
 */
export function resolveCovariates(covariates: unknown): ResolvedCovariate[] {
  if (covariates === undefined) return [];
  if (!Array.isArray(covariates)) {
    throw new ArgumentError(
      'covariates',
      `VAE: "covariates" must be an array of covariate declarations, got ${showValue(covariates)}`,
    );
  }
  if (covariates.length > COVARIATE_LIMITS.maxCovariates) {
    throw new ArgumentError(
      'covariates',
      `VAE: "covariates" declares ${covariates.length} covariates, above the limit of ${COVARIATE_LIMITS.maxCovariates} (COVARIATE_LIMITS.maxCovariates)`,
    );
  }
  const names = new Set<string>();
  const resolved = covariates.map((c: unknown, i): ResolvedCovariate => {
    const where = `VAE: covariates[${i}]`;
    const arg = `covariates[${i}]`;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      throw new ArgumentError(arg, `${where} must be an object { name, kind, … }, got ${showValue(c)}`);
    }
    const spec = c as Record<string, unknown>;
    const { name, kind } = spec;
    if (typeof name !== 'string' || name.length === 0 || name.length > COVARIATE_LIMITS.maxNameLength) {
      throw new ArgumentError(
        `${arg}.name`,
        `${where}: "name" must be a non-empty string of at most ${COVARIATE_LIMITS.maxNameLength} characters, got ${showValue(name)}`,
      );
    }
    if (names.has(name))
      throw new ArgumentError(`${arg}.name`, `${where}: the name ${JSON.stringify(name)} is declared twice`);
    names.add(name);
    if (kind !== 'categorical' && kind !== 'continuous') {
      throw new ArgumentError(
        `${arg}.kind`,
        `${where} (${JSON.stringify(name)}): "kind" must be 'categorical' or 'continuous', got ${showValue(kind)}`,
      );
    }
    assertOptions(spec, SPEC_KEYS[kind], `${where} (${JSON.stringify(name)})`, arg);
    if (kind === 'continuous') return { name, kind };
    const levels = integerIn(`${where} (${JSON.stringify(name)})`, 'levels', spec.levels, COVARIATE_LIMITS.maxLevels);
    const encoding = orDefault<unknown>(spec.encoding, 'one-hot');
    if (encoding === 'one-hot') return { name, kind, levels, encoding };
    if (typeof encoding !== 'object' || encoding === null || Array.isArray(encoding)) {
      throw new ArgumentError(
        `${arg}.encoding`,
        `${where} (${JSON.stringify(name)}): "encoding" must be 'one-hot' or { embedding: dim }, got ${showValue(encoding)}`,
      );
    }
    assertOptions(encoding, ['embedding'], `${where} (${JSON.stringify(name)})`, `${arg}.encoding`);
    const dim = integerIn(
      `${where} (${JSON.stringify(name)})`,
      'encoding.embedding',
      (encoding as { embedding?: unknown }).embedding,
      COVARIATE_LIMITS.maxLevels,
    );
    return { name, kind, levels, encoding: { embedding: dim } };
  });
  const width = covariateFeatureWidth(resolved);
  if (width > COVARIATE_LIMITS.maxFeatureWidth) {
    throw new ArgumentError(
      'covariates',
      `VAE: the covariates make ${width} feature columns, above the limit of ${COVARIATE_LIMITS.maxFeatureWidth} (COVARIATE_LIMITS.maxFeatureWidth)`,
    );
  }
  return resolved;
}
