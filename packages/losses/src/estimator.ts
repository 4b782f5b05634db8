import { ArgumentError } from '@varia/core';
import type { Distribution } from '@varia/distributions';
import { DEFAULT_MAX_ENUMERATE, latentSupportSize } from './enumerate.js';

/**
 * How the gradient of an expectation over q(z|x) reaches the posterior's parameters:
 * - `'reparam'`: pathwise, z = g(ε, φ) through `rsample` (needs `hasRsample`);
 * - `'score-function'`: REINFORCE, ∇φ E_q[f(z)] = E_q[f(z) ∇φ log q(z|x) + ∇φ f(z)], any family with `logProb`;
 * - `'enumerate'`: the expectation summed exactly over a small finite support, Σ_z q(z|x) f(z) (Bernoulli / Categorical
 *   / OneHotCategorical latents; see {@link latentSupportSize});
 * - `'auto'`: `'reparam'` when the posterior has `rsample`, else `'enumerate'` when its joint support has at most
 *   `maxEnumerate` values, else `'score-function'` — always an unbiased gradient, and the choice is reported in the
 *   returned terms (`estimator`).
 */
export type GradientEstimator = 'reparam' | 'score-function' | 'enumerate' | 'auto';

/** The estimator an objective actually used (what `'auto'` resolved to), as reported in its terms. */
export type ResolvedEstimator = Exclude<GradientEstimator, 'auto'>;

const ESTIMATORS: readonly GradientEstimator[] = ['reparam', 'score-function', 'enumerate', 'auto'];

/** The most latent values (support size × examples × event size) an explicit `'enumerate'` lays out: 2²⁴ (64 MiB). */
const MAX_ENUMERATE_ELEMENTS = 2 ** 24;

/** Checks `maxEnumerate` (a positive integer) and returns it, defaulting to {@link DEFAULT_MAX_ENUMERATE}. */
export function checkMaxEnumerate(maxEnumerate: number | undefined): number {
  const m = maxEnumerate ?? DEFAULT_MAX_ENUMERATE;
  if (!Number.isInteger(m) || m < 1) {
    throw new ArgumentError('maxEnumerate', `"maxEnumerate" must be a positive integer, got ${m}`);
  }
  return m;
}

/**
 * The estimator to use for `posterior`, from the requested one. `allowEnumerate` is false for objectives with no
 * enumerated form (the IWAE bound).
 * @throws ArgumentError naming the estimators that would work, when the requested one cannot: `'reparam'` without
 *   `rsample`, `'enumerate'` on a family without a small finite support, an unknown name.
 */
export function resolveEstimator(
  posterior: Distribution,
  requested: GradientEstimator | undefined,
  options: { maxEnumerate?: number; allowEnumerate?: boolean } = {},
): ResolvedEstimator {
  const estimator = requested ?? 'auto';
  if (!ESTIMATORS.includes(estimator)) {
    throw new ArgumentError(
      'estimator',
      `"estimator" must be one of ${ESTIMATORS.join(', ')}, got ${JSON.stringify(estimator)}`,
    );
  }
  const maxEnumerate = checkMaxEnumerate(options.maxEnumerate);
  // the common case first, without sizing the support
  if ((estimator === 'auto' || estimator === 'reparam') && posterior.hasRsample) return 'reparam';
  const allowEnumerate = options.allowEnumerate ?? true;
  const family = posterior.constructor.name;
  const size = latentSupportSize(posterior);
  const enumerable = allowEnumerate && size !== undefined;
  const alternatives = (): string =>
    enumerable ? `"score-function" or "enumerate" (its support has ${size} values)` : '"score-function"';
  switch (estimator) {
    case 'reparam':
      if (!posterior.hasRsample) {
        throw new ArgumentError(
          'estimator',
          `"estimator": "reparam" needs a posterior with rsample, but ${family} has none (hasRsample is false); choose ${alternatives()}, or a relaxed family`,
        );
      }
      return 'reparam';
    case 'enumerate':
      if (!allowEnumerate) {
        throw new ArgumentError(
          'estimator',
          `"estimator": "enumerate" has no form for this objective; choose "reparam" or "score-function"`,
        );
      }
      if (size === undefined) {
        throw new ArgumentError(
          'estimator',
          `"estimator": "enumerate" needs a Bernoulli, Categorical or OneHotCategorical latent, or one whose family has enumerateSupport (batch [n], event [d]); got ${family} with event shape [${posterior.eventShape.join(', ')}]; choose ${posterior.hasRsample ? '"reparam" or ' : ''}"score-function"`,
        );
      }
      {
        // z [S, n, d] and the decoder's S·n rows: an explicit "enumerate" has no maxEnumerate, so its size is bounded
        // here, before anything is allocated (K = 1e5 one-hot latents once asked for 1e10 floats: a raw RangeError)
        const n = posterior.batchShape[0] ?? 1;
        const d = posterior.eventShape[0] ?? 1;
        if (size * n * d > MAX_ENUMERATE_ELEMENTS) {
          throw new ArgumentError(
            'estimator',
            `"estimator": "enumerate" would decode every one of the ${size} support values for each of the ${n} examples (${size * n * d} latent values, more than ${MAX_ENUMERATE_ELEMENTS}); choose "score-function"${posterior.hasRsample ? ' or "reparam"' : ''}, or a smaller latent`,
          );
        }
      }
      return 'enumerate';
    case 'score-function':
      return 'score-function';
    default:
      if (posterior.hasRsample) return 'reparam';
      if (enumerable && size <= maxEnumerate) return 'enumerate';
      return 'score-function';
  }
}
