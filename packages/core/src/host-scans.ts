/**
 * Faster implementations of the host-side scans that check a whole data set's domain before it is encoded or fitted,
 * supplied by an accelerator package (`@varia/native-kernels`' `enableNativeKernels` registers native ones, reading the
 * array in place) and used by `@varia/vae`'s data checks, which keep their JavaScript loops when none is registered.
 * Both return the index of the first bad value, or −1 when there is none; an implementation must give exactly the
 * answer of these definitions (a registered scan replaces the check, so a different answer would let bad data in):
 *
 * - `firstOutsideUnitInterval(x)`: the first i with ¬(x[i] ≥ 0 ∧ x[i] ≤ 1) — negative values, values above 1 and NaN
 *   (of either sign) are bad; −0 and subnormals are in [0, 1];
 * - `firstBadCount(x, max)`: the first i with ¬(x[i] ≥ 0 ∧ x[i] ≤ max ∧ x[i] an integer) — a finite integer count
 *   in [0, `max`] (−0 is the count 0; +∞ is not a count, even for `max` = +∞); `max` ≥ 0.
 */
export interface HostScans {
  /** The first index whose value is outside [0, 1] (or NaN), or −1. */
  firstOutsideUnitInterval(data: Float32Array): number;
  /** The first index whose value is not an integer in [0, `max`], or −1. */
  firstBadCount(data: Float32Array, max: number): number;
}

let registered: HostScans | undefined;

/** Installs the scans {@link hostScans} returns (replacing any before), or removes them with `undefined`. */
export function registerHostScans(scans: HostScans | undefined): void {
  registered = scans;
}

/** The registered {@link HostScans}, or undefined when none is (callers then scan in JavaScript). */
export function hostScans(): HostScans | undefined {
  return registered;
}
