import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { concatBytes } from './test-utils/arrays.js';
import { type CODES, encodeIdx } from './test-utils/idx-writer.js';
import { ArgumentError, DataError } from '@varia/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIdx, loadIdxDataset } from './idx.js';

const dir = mkdtempSync(join(tmpdir(), 'varia-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** 3 tiny "images" of 2×3 pixels and their labels. */
const PIXELS = [0, 255, 128, 1, 2, 3, 10, 20, 30, 40, 50, 60, 255, 254, 253, 0, 0, 7];
const LABELS = [7, 0, 9];

async function dataError(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('loadIdx', () => {
  it('round-trips every dtype (big-endian), from bytes and from a file', async () => {
    const cases: [keyof typeof CODES, number[]][] = [
      ['uint8', [0, 1, 255, 128]],
      ['int8', [-128, -1, 0, 127]],
      ['int16', [-32768, -2, 300, 32767]],
      ['int32', [-2147483648, -70000, 70000, 2147483647]],
      ['float32', [-1.5, 0, 3.25, 2 ** 100]],
      ['float64', [-1e300, Math.PI, 0, 2 ** -40]],
    ];
    for (const [dtype, values] of cases) {
      const bytes = encodeIdx(dtype, [2, 2], values);
      const fromBytes = await loadIdx(bytes);
      expect(fromBytes.dtype).toBe(dtype);
      expect(fromBytes.dims).toEqual([2, 2]);
      expect(Array.from(fromBytes.data)).toEqual(values);
      const fromFile = await loadIdx(write(`${dtype}.idx`, bytes));
      expect(Array.from(fromFile.data)).toEqual(values);
    }
  });

  it('reads MNIST-style magic 0x00000801 labels and 0x00000803 images, plain and gzipped', async () => {
    const labels = encodeIdx('uint8', [3], LABELS);
    const images = encodeIdx('uint8', [3, 2, 3], PIXELS);
    expect(Array.from(images.subarray(0, 4))).toEqual([0, 0, 8, 3]);
    expect(Array.from(labels.subarray(0, 4))).toEqual([0, 0, 8, 1]);
    const plain = await loadIdx(write('t10k-images-idx3-ubyte', images));
    expect(plain.dims).toEqual([3, 2, 3]);
    expect(Array.from(plain.data)).toEqual(PIXELS);
    const gz = await loadIdx(write('t10k-labels-idx1-ubyte.gz', gzipSync(labels)));
    expect(gz.dims).toEqual([3]);
    expect(Array.from(gz.data)).toEqual(LABELS);
    // gzip is detected by content, not by name
    expect(Array.from((await loadIdx(gzipSync(images))).data)).toEqual(PIXELS);
  });

  it('rejects a wrong magic number, naming the file and the value', async () => {
    const bytes = encodeIdx('uint8', [3], LABELS);
    bytes[0] = 0x12;
    const path = write('bad-magic.idx', bytes);
    const e = await dataError(loadIdx(path));
    expect(e.location.file).toBe(path);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/bad magic number 0x12000801: expected 0x0000TTDD/);
    const unknownType = encodeIdx('uint8', [3], LABELS);
    unknownType[2] = 0x0a;
    expect((await dataError(loadIdx(unknownType))).message).toMatch(/bad magic number 0x00000a01/);
    expect((await dataError(loadIdx(new Uint8Array([0, 0, 8])))).message).toMatch(/truncated: expected a 4-byte magic/);
  });

  it('rejects truncated and over-long files, saying expected vs actual bytes', async () => {
    const images = encodeIdx('uint8', [3, 2, 3], PIXELS);
    const path = write('truncated.idx', images.subarray(0, images.length - 5));
    const e = await dataError(loadIdx(path));
    expect(e.location.file).toBe(path);
    expect(e.message).toMatch(
      /is truncated: dims \[3, 2, 3\] of uint8 need 18 data bytes after the 16-byte header, got 13/,
    );
    expect((await dataError(loadIdx(images.subarray(0, 10)))).message).toMatch(
      /header of a 3-dimensional array needs 16 bytes, got 10/,
    );
    const long = new Uint8Array(images.length + 2);
    long.set(images);
    expect((await dataError(loadIdx(long))).message).toMatch(/longer than its header says.*need 18 data bytes.*got 20/);
  });

  it('rejects truncated gzip data', async () => {
    const gz = gzipSync(encodeIdx('uint8', [3, 2, 3], PIXELS));
    const path = write('truncated.gz', gz.subarray(0, gz.length - 10));
    const e = await dataError(loadIdx(path));
    expect(e.location.file).toBe(path);
    expect(e.message).toMatch(/gzip data that is corrupt or truncated/);
  });

  it('reports a missing file as a DataError naming it, and a bad source as an ArgumentError', async () => {
    const path = join(dir, 'missing.idx');
    const e = await dataError(loadIdx(path));
    expect(e.location.file).toBe(path);
    expect(e.message).toMatch(/cannot read .*missing\.idx: ENOENT/);
    await expect(loadIdx(42 as unknown as string)).rejects.toThrow(ArgumentError);
  });
});

describe('loadIdxDataset', () => {
  const imagesPath = write('train-images-idx3-ubyte.gz', gzipSync(encodeIdx('uint8', [3, 2, 3], PIXELS)));
  const labelsPath = write('train-labels-idx1-ubyte', encodeIdx('uint8', [3], LABELS));

  it('builds a Dataset, normalizing uint8 to [0, 1] by default', async () => {
    const d = await loadIdxDataset({ images: imagesPath, labels: labelsPath });
    expect(d.name).toBe('train-images-idx3-ubyte');
    expect(d.shape).toEqual([2, 3]);
    expect([d.x.rows, d.x.cols]).toEqual([3, 6]);
    expect(d.kind).toBe('unit-interval');
    expect(Array.from(d.labels)).toEqual(LABELS);
    expect(Array.from(d.x.data)).toEqual(PIXELS.map((v) => Math.fround(v / 255)));
  });

  it('keeps raw values with normalize: false, and gives -1 labels without a labels file', async () => {
    const d = await loadIdxDataset({ images: imagesPath, normalize: false, name: 'raw' });
    expect(d.name).toBe('raw');
    expect(d.kind).toBe('counts');
    expect(Array.from(d.x.data)).toEqual(PIXELS);
    expect(Array.from(d.labels)).toEqual([-1, -1, -1]);
    const floats = await loadIdxDataset({ images: encodeIdx('float64', [2, 2], [0.5, -1, 2, 3]) });
    expect(floats.kind).toBe('real');
    expect(floats.name).toBe('idx');
    expect(Array.from(floats.x.data)).toEqual([0.5, -1, 2, 3]);
    await expect(
      loadIdxDataset({ images: encodeIdx('float64', [2, 2], [0, 0, 0, 0]), normalize: true }),
    ).rejects.toThrow(/"normalize: true" rescales uint8 images only; the images bytes holds float64/);
  });

  it('rejects a labels count that differs from the images count', async () => {
    const fewer = write('fewer-labels.idx', encodeIdx('uint8', [2], [1, 2]));
    const e = await dataError(loadIdxDataset({ images: imagesPath, labels: fewer }));
    expect(e.location.file).toBe(fewer);
    expect(e.message).toMatch(/fewer-labels\.idx has 2 labels but .*train-images-idx3-ubyte\.gz has 3 images/);
    const twoD = encodeIdx('uint8', [3, 1], [1, 2, 3]);
    expect((await dataError(loadIdxDataset({ images: imagesPath, labels: twoD }))).message).toMatch(
      /must be a 1-D integer array, got uint8 with dims \[3, 1\]/,
    );
  });
});

describe('loadIdx on untrusted input', () => {
  /**
   * A gzip bomb without gzipping gigabytes: gzip members may be concatenated (RFC 1952 §2.2), so one member of
   * 1 MiB of zeros (~1 KiB compressed) repeated `mib` times inflates to `mib` MiB. The first member holds the header.
   */
  function bomb(dims: number[], mib: number): Uint8Array {
    const zeros = gzipSync(new Uint8Array(1 << 20), { level: 9 });
    return concatBytes([gzipSync(encodeIdx('uint8', dims, [])), ...Array.from({ length: mib }, () => zeros)]);
  }

  async function peakExternal<T>(run: () => Promise<T>): Promise<{ result: T | unknown; grewBy: number; ms: number }> {
    const base = process.memoryUsage().arrayBuffers;
    let peak = base;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
    const t0 = performance.now();
    let result: T | unknown;
    try {
      result = await run();
    } catch (e) {
      result = e;
    }
    clearInterval(timer);
    return { result, grewBy: Math.max(peak, process.memoryUsage().arrayBuffers) - base, ms: performance.now() - t0 };
  }

  it('stops inflating a gzip bomb at the size its header declares (4 GiB of zeros behind a 10-image header)', async () => {
    const gz = bomb([10, 28, 28], 4096);
    expect(gz.length).toBeLessThan(6e6); // a few MB on disk
    const path = write('bomb.gz', gz);
    for (const source of [path, gz]) {
      const { result, grewBy, ms } = await peakExternal(() => loadIdx(source));
      expect(result).toBeInstanceOf(DataError);
      expect((result as DataError).message).toMatch(
        /longer than its header says: dims \[10, 28, 28\] of uint8 need 7840 data bytes.*got more/,
      );
      expect(grewBy).toBeLessThan(32e6); // the old loader inflated everything: 4 GiB
      expect(ms).toBeLessThan(5000);
    }
  });

  it('refuses a header that declares more than maxBytes before inflating or allocating', async () => {
    const gz = bomb([1 << 20, 64, 64], 64); // declares 4 GiB
    const { result, grewBy } = await peakExternal(() => loadIdx(gz));
    expect((result as DataError).message).toMatch(
      /declares dims \[1048576, 64, 64\] of uint8, 4294967312 bytes, more than the limit of 1073741824 bytes \(option "maxBytes"\)/,
    );
    expect(grewBy).toBeLessThan(16e6);
    const small = encodeIdx('uint8', [3, 2, 3], PIXELS);
    await expect(loadIdx(small, { maxBytes: 33 })).rejects.toThrow(/34 bytes, more than the limit of 33 bytes/);
    expect((await loadIdx(small, { maxBytes: 34 })).dims).toEqual([3, 2, 3]);
    await expect(loadIdx(write('small.idx', small), { maxBytes: 20 })).rejects.toThrow(DataError);
    await expect(loadIdxDataset({ images: small, maxBytes: 20 })).rejects.toThrow(/option "maxBytes"/);
    // a product of dims that overflows to Infinity (and Infinity · 0) is refused, not allocated
    const huge = encodeIdx('uint8', [...Array<number>(250).fill(0xffffffff), 0], []);
    await expect(loadIdx(huge)).rejects.toThrow(/more than the limit/);
  });

  it('checks maxBytes and options as arguments', async () => {
    const small = encodeIdx('uint8', [1], [1]);
    for (const bad of [0, 7, 1.5, -1, '100', Number.NaN]) {
      await expect(loadIdx(small, { maxBytes: bad as number })).rejects.toThrow(ArgumentError);
    }
    await expect(loadIdxDataset(undefined as unknown as { images: Uint8Array })).rejects.toThrow(ArgumentError);
  });
});
