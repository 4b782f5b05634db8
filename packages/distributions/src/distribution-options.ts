// What a distribution is built from: the options every family accepts, the init a family hands to the base class
// (and the older positional form), and the options and cap of sample / rsample.
import type * as tf from '@tensorflow/tfjs-core';

/** Options every distribution accepts. */
export interface DistributionOptions {
  /**
   * Validate parameters at construction and values in `logProb` (default `true`). Validation reads tensors
   * synchronously; turn it off in hot loops (the heads in `@varia/layers` do). With validation off, out-of-support
   * values give `-Infinity` or NaN log-densities instead of an error.
   */
  validateArgs?: boolean;
  /**
   * With validation off, whether `logProb` maps out-of-support values to −∞ (default `true`). `false` evaluates the
   * density formula at any value without the support check: for data already validated at a boundary (the heads in
   * `@varia/layers` use it in the training loop, where the mask would cost an extra pass), and for soft targets such as
   * Bernoulli's x ∈ [0, 1] (the binary cross-entropy of PyTorch VAEs). Ignored when `validateArgs` is on.
   */
  maskOutOfSupport?: boolean;
}

/**
 * The most values one `sample` / `rsample` call may return, 2²⁸ (as `@varia/vae`'s sample cap): a larger
 * `[...sampleShape, ...batchShape, ...eventShape]` is an ArgumentError naming `sampleShape` before anything is allocated.
 */
export const MAX_SAMPLE_VALUES = 2 ** 28;

/** Options of `sample` / `rsample`. */
export interface SampleOptions {
  /** Seed for reproducible draws: the same seed gives the same sample. Omitted: a fresh random draw. */
  seed?: number;
}

/**
 * What a subclass hands to the {@link Distribution} constructor: a {@link PreparedParams} from
 * {@link prepareParameters} (plus `eventShape` where the family has event dims), or bare shapes for families without
 * parameters of their own (Independent, MixtureSameFamily).
 */
export interface DistributionInit {
  /** Shape of the batch. */
  readonly batchShape: readonly number[];
  /** Shape of one event (default `[]`). */
  readonly eventShape?: readonly number[];
  /** Tensors the distribution disposes. */
  readonly owned?: tf.Tensor[];
  /** Parameters known on the host to be one number everywhere (see {@link Distribution.knownConstant}). */
  readonly constants?: Readonly<Record<string, number | undefined>>;
  /** The constructor parameters as given, by name: `expand` and `copy` rebuild the family from them. */
  readonly tensors?: Readonly<Record<string, tf.Tensor>>;
}

/** The two forms of the base constructor — `(init, options)` and `(batchShape, eventShape, options, owned, constants)` — as one init with its options. */
export function normalizeInit(
  first: DistributionInit | readonly number[],
  second?: DistributionOptions | readonly number[],
  options?: DistributionOptions,
  owned?: tf.Tensor[],
  constants?: Readonly<Record<string, number | undefined>>,
): { init: DistributionInit; options: DistributionOptions } {
  const init: DistributionInit = Array.isArray(first)
    ? { batchShape: first as readonly number[], eventShape: second as readonly number[], owned, constants }
    : (first as DistributionInit);
  const opts: DistributionOptions = (Array.isArray(first) ? options : (second as DistributionOptions)) ?? {};
  return { init, options: opts };
}
