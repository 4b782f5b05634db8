import { mulberry32, standardNormal } from '@varia/core';
import type { Dataset } from './dataset.js';
import { requirePositive, requireSeed } from './arguments.js';

/** Options of {@link toyGaussian2d}. */
export interface ToyGaussian2dOptions {
  /** Seed of the generator (mulberry32); the same seed gives the same points. */
  seed: number;
  /**
   * When `true`, group i is centred at `radius · (cos 2πi/10, sin 2πi/10)` instead of the origin, so a latent space
   * has structure to find. Default `false` (every group is N(0, I)).
   */
  separated?: boolean;
  /** Radius of the circle of group means when `separated` is `true`; default 5. Ignored otherwise. */
  radius?: number;
}

/** Number of groups in {@link toyGaussian2d}. */
const GROUPS = 10;
/** Group i has `POINTS_PER_GROUP_STEP · i` points. */
const POINTS_PER_GROUP_STEP = 50;

/**
 * The classic 2-D toy set: ten groups i = 0…9, group i has 50·i points (group 0 is empty; 2,250 points in all),
 * each drawn from N(mᵢ, I) in 2-D, labelled with its group index i.
 *
 * - Default: mᵢ = (0, 0) for every group: the labels carry no information about the points.
 * - `separated: true`: mᵢ = r · (cos 2πi/10, sin 2πi/10) with r = `radius` (default 5): ten unit-variance blobs
 *   on a circle, neighbours 2r·sin(π/10) ≈ 3.1 apart for r = 5.
 *
 * Rows are ordered by group (all of group 1, then group 2, …); use {@link shuffle} for a random order.
 *
 * @example
 * ```ts
 * const toy = toyGaussian2d({ seed: 1, separated: true }); // toy.x is [2250, 2], toy.labels in 1…9
 * ```
 * @returns a {@link Dataset} named `"toy2d"` or `"toy2d-separated"`, kind `'real'`, shape `[2]`.
 * @throws ArgumentError when `seed` is not a finite number or `radius` not a positive number.
 */
export function toyGaussian2d(options: ToyGaussian2dOptions): Dataset {
  const where = 'toyGaussian2d';
  const seed = requireSeed(where, options?.seed);
  const separated = options.separated ?? false;
  const radius = options.radius === undefined ? 5 : requirePositive(where, 'radius', options.radius);
  const rng = mulberry32(seed);
  const n = (POINTS_PER_GROUP_STEP * GROUPS * (GROUPS - 1)) / 2;
  const data = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  let row = 0;
  for (let group = 0; group < GROUPS; group++) {
    const angle = (2 * Math.PI * group) / GROUPS;
    const meanX = separated ? radius * Math.cos(angle) : 0;
    const meanY = separated ? radius * Math.sin(angle) : 0;
    for (let k = 0; k < POINTS_PER_GROUP_STEP * group; k++, row++) {
      data[2 * row] = meanX + standardNormal(rng);
      data[2 * row + 1] = meanY + standardNormal(rng);
      labels[row] = group;
    }
  }
  return {
    name: separated ? 'toy2d-separated' : 'toy2d',
    x: { data, rows: n, cols: 2 },
    labels,
    shape: [2],
    kind: 'real',
  };
}
