/**
 * A seeded pseudo-random generator: a function returning uniform numbers in [0, 1).
 */
export type Rng = () => number;

/**
 * mulberry32, a small, fast 32-bit generator (Tommy Ettinger). Its exact recurrence is part of varia's contract
 * (the MNIST split depends on it):
 *
 * ```
 * a = a + 0x6D2B79F5 | 0
 * t = imul(a ^ a >>> 15, 1 | a)
 * t = t + imul(t ^ t >>> 7, 61 | t) ^ t
 * u = ((t ^ t >>> 14) >>> 0) / 2^32
 * ```
 *
 * @param seed - any number; it is reduced to a 32-bit integer.
 * @returns a generator of uniform numbers in [0, 1).
 */
export function mulberry32(seed: number): Rng {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws from the standard normal N(0, 1) by the Box–Muller transform: z = √(−2 ln u₁) · cos(2π u₂).
 * @param rng - source of uniforms.
 */
export function standardNormal(rng: Rng): number {
  let u1 = rng();
  while (u1 <= 0) u1 = rng();
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Shuffles `array` in place with Fisher–Yates: for i = n−1 down to 1, j = ⌊u·(i+1)⌋, swap(i, j).
 * @returns the same array.
 */
export function shuffleInPlace<
  T extends {
    /** Number of elements. */
    length: number;
    [i: number]: unknown;
  },
>(array: T, rng: Rng): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}

/**
 * A random permutation of 0…n−1 (Fisher–Yates on the identity).
 */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, rng);
}

/**
 * Derives a new 32-bit seed from a generator: used to hand independent seeds to sub-components.
 */
export function nextSeed(rng: Rng): number {
  return Math.floor(rng() * 4294967296) | 0;
}
