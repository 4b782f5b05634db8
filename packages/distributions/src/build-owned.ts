import * as tf from '@tensorflow/tfjs-core';
import type { Distribution } from './distribution.js';

/**
 * Builds a distribution that owns the tensors it is built from (the ownership rule of `docs/memory.md`): `build` runs
 * inside `tf.tidy`, so its intermediates are freed when it returns, and every tensor the returned distribution
 * references — its parameters and those of its parts (an `Independent`'s base, a mixture's components, a
 * transform's bijector) — is kept and handed to it with {@link Distribution.adopt}. Its `dispose()` then frees them:
 * used without an enclosing `tf.tidy` nothing leaks; inside one, the tidy frees them as well (disposing twice is a
 * no-op).
 *
 * Never adopted: `tf.Variable`s (weights stay with their module) and tensors kept with `tf.keep` (shared constants).
 * Every other tensor the distribution references must be made by `build`: pass the caller's tensors through
 * `tf.clone` inside `build` (free: a clone shares the data), so that disposing the distribution never frees a tensor
 * the caller still holds.
 *
 * @example
 * ```ts
 * const p = buildOwned(() => new Normal({ loc: tf.mul(tf.clone(z), 2), scale: 1 }));
 * p.logProb(x); // …
 * p.dispose();  // frees loc and scale
 * ```
 * @throws what `build` throws (nothing it made stays allocated).
 */
export function buildOwned<D extends Distribution>(build: () => D): D {
  let dist: D | undefined;
  const made = tf.tidy(() => {
    dist = build();
    return referencedTensors(dist);
  });
  return (dist as D).adopt(made);
}

/**
 * The tensors reachable from `root` through own enumerable properties and arrays (as `tf.tidy` walks its result),
 * without variables and `tf.keep`-ed tensors, each once.
 */
function referencedTensors(root: unknown): tf.Tensor[] {
  const found: tf.Tensor[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof tf.Tensor) {
      if (!(v instanceof tf.Variable) && !v.kept) found.push(v);
      return;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child);
  };
  walk(root);
  return found;
}
