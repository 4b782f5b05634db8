import { ArgumentError } from '@varia/core';
import { assertOptions } from './known-keys.js';
import { orDefault } from './config-default.js';
import { showValue } from './show-value.js';

/** The largest width or step count a latent option may name (the config's per-layer limit, 2²⁰). */
export const MAX_LATENT_OPTION = 2 ** 20;

/** The options object of `field` (`undefined` → `{}`), with only `keys` allowed. */
export function optionsObject(field: string, v: unknown, keys: readonly string[]): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ArgumentError(field, `VAE: "${field}" options must be an object, got ${showValue(v)}`);
  }
  assertOptions(v as Record<string, unknown>, keys, 'VAE', field);
  return v as Record<string, unknown>;
}

/** A positive integer ≤ `max`, or the default. */
export function positiveInt(field: string, v: unknown, fallback?: number, max = MAX_LATENT_OPTION): number {
  const x = orDefault(v, fallback);
  if (x === undefined) throw new ArgumentError(field, `VAE: "${field}" is required (an integer in [1, ${max}])`);
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > max) {
    throw new ArgumentError(field, `VAE: "${field}" must be an integer in [1, ${max}], got ${showValue(x)}`);
  }
  return x;
}

/** A finite number > 0 (or ≥ 0 with `allowZero`), or the default. */
export function positiveNumber(field: string, v: unknown, fallback: number, allowZero = false): number {
  const x = orDefault(v, fallback);
  if (typeof x !== 'number' || !Number.isFinite(x) || !(allowZero ? x >= 0 : x > 0)) {
    throw new ArgumentError(
      field,
      `VAE: "${field}" must be a finite number ${allowZero ? '≥' : '>'} 0, got ${showValue(x)}`,
    );
  }
  return x;
}

/** A finite number, or the default. */
export function finiteNumber(field: string, v: unknown, fallback: number): number {
  const x = orDefault(v, fallback);
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new ArgumentError(field, `VAE: "${field}" must be a finite number, got ${showValue(x)}`);
  }
  return x;
}

/** A list of 1–16 positive widths, or the default. */
export function widthList(field: string, v: unknown, fallback: number[]): number[] {
  const x = orDefault(v, fallback);
  if (!Array.isArray(x) || x.length < 1 || x.length > 16) {
    throw new ArgumentError(field, `VAE: "${field}" must be a list of 1 to 16 positive widths, got ${showValue(x)}`);
  }
  return x.map((u, i) => positiveInt(`${field}[${i}]`, u));
}

/** One of `choices`, or the default. */
export function oneOf<T extends string>(field: string, v: unknown, choices: readonly T[], fallback: T): T {
  const x = orDefault(v, fallback);
  if (!(choices as readonly unknown[]).includes(x)) {
    throw new ArgumentError(field, `VAE: "${field}" must be one of ${choices.join(', ')}, got ${showValue(x)}`);
  }
  return x as T;
}

/** Weights and biases of a dense layer chain `sizes[0] → sizes[1] → …`. */
export function denseParameters(sizes: readonly number[]): number {
  let total = 0;
  for (let i = 1; i < sizes.length; i++) total += sizes[i - 1]! * sizes[i]! + sizes[i]!;
  return total;
}
