import type { HostScans } from '@varia/core';
import type { NativeAddon } from './addon.js';

/**
 * `@varia/core`'s {@link HostScans} computed by the addon (native/domain_scan.c): each reads the Float32Array in place
 * (no copy) with a vectorized loop and returns the first bad index or −1, exactly as the definitions there say. A
 * refusal of the C side (not a Float32Array, a negative or NaN `max`) is an `ArgumentError` (`nativeCallError`).
 * `enableNativeKernels` registers them; `disableNativeKernels` removes them.
 */
export function nativeHostScans(addon: NativeAddon): HostScans {
  return {
    firstOutsideUnitInterval: (data) => addon.firstOutsideUnitInterval(data),
    firstBadCount: (data, max) => addon.firstBadCount(data, max),
  };
}
