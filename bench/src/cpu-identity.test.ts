import { describe, expect, it } from 'vitest';
import { cachesOf, describeCpu, hostCpuIdentity, parseCacheSize, parseCpuinfo } from './cpu-identity.js';

// the first lines of /proc/cpuinfo on the two AMD EPYC machines of 2026-12-02/03 (two processors, the second cut)
const ZEN4 = `processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
stepping\t: 1
flags\t\t: fpu avx512f

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 99
model\t\t: 98
`;
const ZEN5 =
  'processor : 0\nvendor_id : AuthenticAMD\ncpu family : 26\nmodel : 2\nmodel name : AMD EPYC\nstepping : 1\n';

describe('parseCpuinfo', () => {
  it("reads the first processor's vendor, family, model and stepping", () => {
    expect(parseCpuinfo(ZEN4)).toEqual({ vendor: 'AuthenticAMD', family: 25, model: 17, stepping: 1 });
    expect(parseCpuinfo(ZEN5)).toEqual({ vendor: 'AuthenticAMD', family: 26, model: 2, stepping: 1 });
  });

  it('keeps "model name" apart from "model", and leaves out what is missing or not a number', () => {
    expect(parseCpuinfo('model name : 17\n')).toEqual({});
    expect(parseCpuinfo('cpu family : unknown\nmodel : 7\n')).toEqual({ model: 7 });
    expect(parseCpuinfo('')).toEqual({});
    expect(parseCpuinfo('\n\nno colon here\n')).toEqual({});
  });
});

describe('parseCacheSize', () => {
  it('reads sysfs sizes in bytes', () => {
    expect(parseCacheSize('32K\n')).toBe(32 * 1024);
    expect(parseCacheSize('1024K')).toBe(1024 ** 2);
    expect(parseCacheSize('2M')).toBe(2 * 1024 ** 2);
    expect(parseCacheSize('512')).toBe(512);
  });

  it('gives undefined for anything else', () => {
    for (const s of ['', 'K', '32 KB', '-1K', '1.5M', '32T']) expect(parseCacheSize(s)).toBeUndefined();
  });
});

describe('cachesOf', () => {
  it('takes the L1 data, L2 and L3 caches, not the instruction cache', () => {
    const zen4 = [
      { level: '1\n', type: 'Data\n', size: '32K\n' },
      { level: '1\n', type: 'Instruction\n', size: '32K\n' },
      { level: '2\n', type: 'Unified\n', size: '1024K\n' },
      { level: '3\n', type: 'Unified\n', size: '32768K\n' },
    ];
    expect(cachesOf(zen4)).toEqual({ l1d_bytes: 32 * 1024, l2_bytes: 1024 ** 2, l3_bytes: 32 * 1024 ** 2 });
  });

  it('skips indexes with a missing or unreadable size, and keeps the first of a level', () => {
    expect(
      cachesOf([
        { level: '2', type: 'Unified' },
        { level: '2', type: 'Unified', size: 'bad' },
        { level: '2', type: 'Unified', size: '2M' },
        { level: '2', type: 'Unified', size: '4M' },
      ]),
    ).toEqual({ l2_bytes: 2 * 1024 ** 2 });
    expect(cachesOf([])).toEqual({});
  });
});

describe('describeCpu', () => {
  it('names the family, model and caches beside the model name', () => {
    const id = {
      ...parseCpuinfo(ZEN4),
      caches: { l1d_bytes: 32 * 1024, l2_bytes: 1024 ** 2, l3_bytes: 32 * 1024 ** 2 },
    };
    expect(describeCpu('AMD EPYC', id)).toBe('AMD EPYC (family 25, model 17; L1d 32 KiB, L2 1 MiB, L3 32 MiB)');
  });

  it('leaves out what is unknown', () => {
    expect(describeCpu('x', { family: 6, caches: {} })).toBe('x (family 6)');
    expect(describeCpu('x', { caches: { l2_bytes: 1536 * 1024 } })).toBe('x (L2 1536 KiB)');
    expect(describeCpu('x', { caches: {} })).toBe('x');
    expect(describeCpu('x', undefined)).toBe('x');
  });
});

describe('hostCpuIdentity', () => {
  it('reads this machine without throwing, with numbers where it found them', () => {
    const id = hostCpuIdentity();
    for (const v of [id.family, id.model, id.stepping, id.caches.l1d_bytes, id.caches.l2_bytes])
      if (v !== undefined) expect(Number.isInteger(v) && v >= 0).toBe(true);
  });
});
