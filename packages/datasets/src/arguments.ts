import { ArgumentError } from '@varia/core';

/*
 * Argument checks shared by the public entry points of this package. Internal: not re-exported from the index.
 */

/** Formats a value for an error message: strings quoted, everything else through `String`. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Throws unless `value` is an integer ≥ `min` (default 1). */
export function requireInteger(where: string, argument: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const what = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`;
    throw new ArgumentError(argument, `${where}: "${argument}" must be ${what}, got ${show(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number (any sign); used for seeds. */
export function requireSeed(where: string, value: unknown, argument = 'seed'): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(argument, `${where}: "${argument}" must be a finite number, got ${show(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number > 0. */
export function requirePositive(where: string, argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ArgumentError(argument, `${where}: "${argument}" must be a finite number > 0, got ${show(value)}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function requireOneOf<T extends string>(
  where: string,
  argument: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ArgumentError(
      argument,
      `${where}: "${argument}" must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${show(value)}`,
    );
  }
  return value as T;
}
