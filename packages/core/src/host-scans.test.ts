import { afterEach, describe, expect, it } from 'vitest';
import { type HostScans, hostScans, registerHostScans } from './index.js';

afterEach(() => registerHostScans(undefined));

describe('registerHostScans / hostScans', () => {
  it('has none registered by default', () => {
    expect(hostScans()).toBeUndefined();
  });

  it('returns the scans last registered, and none after removing them', () => {
    const first: HostScans = { firstOutsideUnitInterval: () => -1, firstBadCount: () => -1 };
    const second: HostScans = { firstOutsideUnitInterval: () => 3, firstBadCount: (_, max) => max };
    registerHostScans(first);
    expect(hostScans()).toBe(first);
    registerHostScans(second);
    expect(hostScans()).toBe(second);
    expect(hostScans()!.firstBadCount(new Float32Array(1), 7)).toBe(7);
    registerHostScans(undefined);
    expect(hostScans()).toBeUndefined();
  });
});
