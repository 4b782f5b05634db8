import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, NotImplementedError } from '@varia/core';
import type { Distribution } from './distribution.js';
import { builtinKLPairs } from './kl-pairs.js';

/** A distribution class (constructor), used as a registry key. */
// biome-ignore lint/suspicious/noExplicitAny: a class of any constructor signature (the mixin pattern)
export type DistributionClass<D extends Distribution = Distribution> = abstract new (...args: any[]) => D;

/** A KL implementation: returns KL(p ‖ q) with shape `batchShape`. */
export type KLFunction<P extends Distribution = Distribution, Q extends Distribution = Distribution> = (
  p: P,
  q: Q,
) => tf.Tensor;

interface Entry {
  p: DistributionClass;
  q: DistributionClass;
  fn: KLFunction;
}

const registry: Entry[] = [];
let builtinsAdded = false;

/**
 * Adds the built-in analytic pairs on first use (not at import time, so the package stays free of side effects and
 * bundlers may tree-shake it); pairs the user registered first are kept.
 */
function ensureBuiltins(): void {
  if (builtinsAdded) return;
  builtinsAdded = true;
  for (const [P, Q, fn] of builtinKLPairs()) {
    if (!registry.some((e) => e.p === P && e.q === Q)) registry.push({ p: P, q: Q, fn });
  }
}

/**
 * Registers an implementation of KL(p ‖ q) for instances of `P` and `Q` (and their subclasses).
 * `klDivergence` dispatches to the most specific registered pair (torch's rule): the pair whose classes are nearest
 * to the arguments' classes in their prototype chains. Registering the same pair again replaces it.
 */
export function registerKL<P extends Distribution, Q extends Distribution>(
  P: DistributionClass<P>,
  Q: DistributionClass<Q>,
  fn: KLFunction<P, Q>,
): void {
  const existing = registry.findIndex((e) => e.p === P && e.q === Q);
  const entry = { p: P, q: Q, fn: fn as KLFunction };
  if (existing >= 0) registry[existing] = entry;
  else registry.push(entry);
}

/** The registered pairs, as `"P‖Q"` strings (for messages and docs). */
export function registeredKLPairs(): string[] {
  ensureBuiltins();
  return registry.map((e) => `${e.p.name}‖${e.q.name}`);
}

function distance(obj: object, cls: DistributionClass): number {
  let d = 0;
  let proto: object | null = Object.getPrototypeOf(obj);
  while (proto !== null) {
    if (proto === cls.prototype) return d;
    proto = Object.getPrototypeOf(proto);
    d++;
  }
  return -1;
}

/** Options of {@link klDivergence}. */
export interface KLOptions {
  /**
   * Opt into a Monte-Carlo estimate with this many samples when no analytic pair is registered:
   * KL ≈ (1/k) Σᵢ [log p(xᵢ) − log q(xᵢ)], xᵢ ~ p (reparameterized when p has `rsample`, so it is differentiable).
   */
  monteCarlo?: number;
  /** Seed for the Monte-Carlo samples. */
  seed?: number;
}

/**
 * KL(p ‖ q) = E_p[log p(X) − log q(X)], shape `batchShape`.
 * Uses the most specific registered analytic formula; without one — or when that formula declines these arguments
 * with a NotImplementedError — a Monte-Carlo estimate if `options.monteCarlo` is given.
 * @throws NotImplementedError listing the registered pairs when none matches and Monte Carlo was not requested.
 */
export function klDivergence(p: Distribution, q: Distribution, options: KLOptions = {}): tf.Tensor {
  ensureBuiltins();
  let best: Entry | undefined;
  let bestScore = Infinity;
  for (const e of registry) {
    const dp = distance(p, e.p);
    const dq = distance(q, e.q);
    if (dp < 0 || dq < 0) continue;
    const score = dp + dq;
    if (score < bestScore) {
      best = e;
      bestScore = score;
    }
  }
  if (best) {
    const fn = best.fn;
    if (options.monteCarlo === undefined) return tf.tidy(() => fn(p, q));
    // A pair may decline particular arguments (NotImplementedError, e.g. two flows with different bijectors): then
    // the requested Monte-Carlo estimate is used instead.
    try {
      return tf.tidy(() => fn(p, q));
    } catch (e) {
      if (!(e instanceof NotImplementedError)) throw e;
    }
  }
  if (options.monteCarlo !== undefined) {
    const k = options.monteCarlo;
    if (!Number.isInteger(k) || k < 1) {
      throw new ArgumentError('monteCarlo', `klDivergence: "monteCarlo" must be a positive integer, got ${k}`);
    }
    return tf.tidy(() => {
      const x = p.hasRsample ? p.rsample([k], { seed: options.seed }) : p.sample([k], { seed: options.seed });
      return tf.mean(tf.sub(p.logProb(x), q.logProb(x)), 0);
    });
  }
  throw new NotImplementedError(
    `klDivergence: no analytic KL registered for ${p.constructor.name}‖${q.constructor.name}; registered pairs: ` +
      `${registeredKLPairs().join(', ') || '(none)'}. Pass { monteCarlo: k } to estimate it by sampling.`,
  );
}
