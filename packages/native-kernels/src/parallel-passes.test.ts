import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { randomArray, skipNative } from './test-support.js';

/*
 * Every entry point that parallel.c's threads share (products together, elementwise passes, sums and Adam in blocks)
 * must give the one-thread bytes with 2 and 3 threads: sizes around the blocking thresholds (shared_passes.h: softplus,
 * log, log1p, log Γ shared from 65,536 elements, exp from 196,608, the two- and three-array passes from 262,144, sums
 * from 524,288 added elements; products from 2^21 multiply-adds), 0, 1 and odd sizes, and operands that coincide or
 * overlap — an overlap that makes a result depend on the loop's order keeps the one-thread order.
 */

const UNARY_SIZES = [0, 1, 7, 65_535, 65_536, 65_537, 196_607, 196_608, 196_609];
const STREAM_SIZES = [0, 1, 262_143, 262_144, 262_145, 400_001];

/** A heap of seeded values in [−4, 4) with a bump allocator of float regions (byte offsets, 64-byte aligned). */
function makeHeap(floats: number, seed: number) {
  const heap = new ArrayBuffer(floats * 4);
  const values = new Float32Array(heap);
  values.set(randomArray(floats, seed).map((v) => 4 * v));
  let next = 0;
  return {
    heap,
    values,
    alloc(n: number): number {
      const offset = next;
      next += Math.ceil((n + 16) / 16) * 64;
      if (next > heap.byteLength) throw new Error('test heap too small');
      return offset;
    },
  };
}

/** Runs `calls` on a fresh heap of one seed with each thread count; the heap's bytes after each call, per count. */
function bytesPerThreadCount(
  floats: number,
  calls: (h: ReturnType<typeof makeHeap>) => (() => void)[],
): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  for (const threads of [1, 2, 3]) {
    enableNativeKernels({ parallel: threads });
    const h = makeHeap(floats, 7);
    out.set(
      threads,
      calls(h).map((call) => {
        call();
        return Buffer.from(h.heap.slice(0));
      }),
    );
  }
  enableNativeKernels({ parallel: 1 });
  return out;
}

function expectSameBytes(runs: Map<number, Buffer[]>, labels: string[]): void {
  const one = runs.get(1)!;
  for (const [threads, bytes] of runs) {
    bytes.forEach((b, i) => {
      expect(b.equals(one[i]!), `${labels[i]} with ${threads} threads`).toBe(true);
    });
  }
}

describe.skipIf(skipNative)('passes shared between threads give the one-thread bytes', () => {
  let addon: NativeAddon;
  beforeAll(() => {
    enableNativeKernels({ parallel: 1 });
    addon = loadAddon();
  });
  afterAll(() => {
    disableNativeKernels();
  });

  it('unary passes (softplus, exp, log, log1p, lgamma), in place and shifted by one element', () => {
    const labels: string[] = [];
    const runs = bytesPerThreadCount(1_800_000, (h) =>
      UNARY_SIZES.flatMap((n) => {
        const x = h.alloc(n + 1);
        const y = h.alloc(n);
        return [
          ...[0, 1, 2, 3, 4].map((op) => {
            labels.push(`unary ${op}, n ${n}`);
            return () => addon.unary(h.heap, op, n, x, y);
          }),
          ...[0, 1].map((op) => {
            labels.push(`unary ${op} in place, n ${n}`);
            return () => addon.unary(h.heap, op, n, y, y);
          }),
          ...[0, 3].map((op) => {
            labels.push(`unary ${op} onto x + 1 element, n ${n}`);
            return () => addon.unary(h.heap, op, n, x, x + 4);
          }),
        ];
      }),
    );
    expectSameBytes(runs, labels);
  });

  it('a·b − c and α·x + β·z, with the output apart, one of the operands, or overlapping one', () => {
    const labels: string[] = [];
    const runs = bytesPerThreadCount(5_000_000, (h) =>
      STREAM_SIZES.flatMap((n) => {
        const [a, b, c, y] = [h.alloc(n + 2), h.alloc(n), h.alloc(n), h.alloc(n)] as [number, number, number, number];
        const cases: [string, () => void][] = [
          ['mulSub', () => addon.mulSub(h.heap, n, a, b, c, y)],
          ['mulSub onto a', () => addon.mulSub(h.heap, n, a, b, c, a)],
          ['mulSub onto c, a = b = c', () => addon.mulSub(h.heap, n, c, c, c, c)],
          ['mulSub onto a + 2 elements', () => addon.mulSub(h.heap, n, a, b, c, a + 8)],
          ['scaledSum', () => addon.scaledSum(h.heap, n, a, b, 0.3, -7.5, y)],
          ['scaledSum onto z', () => addon.scaledSum(h.heap, n, a, b, -1 / 128, 1 / 128, b)],
          ['scaledSum onto x + 1 element', () => addon.scaledSum(h.heap, n, a, b, 2, 3, a + 4)],
        ];
        return cases.map(([label, call]) => {
          labels.push(`${label}, n ${n}`);
          return call;
        });
      }),
    );
    expectSameBytes(runs, labels);
  });

  it('the table look-up, with the output apart, over x, or over the table; the misses it counts', () => {
    const labels: string[] = [];
    const misses: number[][] = [[], [], []];
    const runs = bytesPerThreadCount(2_600_000, (h) =>
      STREAM_SIZES.flatMap((n) => {
        const [x, table, y] = [h.alloc(n), h.alloc(300), h.alloc(n)] as [number, number, number];
        // counts 0 … 399 (those from 300 on miss the table), every 97th one fractional (a miss)
        h.values.subarray(x / 4, x / 4 + n).forEach((v, i, a) => {
          a[i] = Math.floor(Math.abs(v) * 100) + (i % 97 === 0 ? 0.5 : 0);
        });
        const cases: [string, () => number][] = [
          ['lookup', () => addon.lookup(h.heap, n, x, table, 300, y)],
          ['lookup onto x', () => addon.lookup(h.heap, n, y, table, 300, y)],
          ['lookup onto the table', () => addon.lookup(h.heap, Math.min(n, 300), x, table, 300, table)],
        ];
        return cases.map(([label, call]) => {
          labels.push(`${label}, n ${n}`);
          return () => {
            misses[addon.parallel() - 1]!.push(call());
          };
        });
      }),
    );
    expectSameBytes(runs, labels);
    expect(misses[1]).toEqual(misses[0]);
    expect(misses[2]).toEqual(misses[0]);
    expect(misses[0]!.some((m) => m > 1000)).toBe(true);
  });

  it('sums over rows, over columns and over the middle axis, also onto their own input', () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [128, 784, 1],
      [167, 785, 1],
      [1, 128, 784],
      [1, 128, 1025],
      [1, 3, 300_003],
      [1, 524_289, 1],
      [2, 262_144, 1],
      [700, 784, 1],
      [5, 300, 77],
      [1, 1, 70_000],
    ];
    const labels: string[] = [];
    const runs = bytesPerThreadCount(4_200_000, (h) =>
      shapes.flatMap(([outer, reduce, inner]) => {
        const x = h.alloc(outer * reduce * inner);
        const y = h.alloc(outer * inner);
        labels.push(`sum [${outer}, ${reduce}, ${inner}]`, `sum [${outer}, ${reduce}, ${inner}] onto x + 3`);
        return [
          () => addon.sum(h.heap, x, y, outer, reduce, inner),
          () => addon.sum(h.heap, x, x + 12, outer, reduce, inner),
        ];
      }),
    );
    expectSameBytes(runs, labels);
  });

  it('products in blocks of rows: every batch size from 1 to 40, others up to 128, either layout of the kernel', () => {
    // a block of 1 … 15 rows would round differently from the one call (oneDNN's small-M kernels); with one block of
    // whole 16-row units per thread, 47, 63 and 65 rows put 15, 15 and 1 rows past the whole units into the last
    // block, and 100 and 127 rows split unevenly in three
    const batches = [...Array.from({ length: 40 }, (_, i) => i + 1), 47, 48, 63, 64, 65, 96, 100, 127, 128];
    const labels: string[] = [];
    const runs = bytesPerThreadCount(1_000_000, (h) => {
      const [x, w, bias, y] = [128 * 784, 784 * 400, 400, 128 * 400].map((n) => h.alloc(n)) as [
        number,
        number,
        number,
        number,
      ];
      return batches.flatMap((m) => {
        labels.push(`gemm ${m}×784 · 784×400 + b, relu`, `gemm ${m}×400 · (784×400)ᵀ`);
        return [
          () => addon.gemm(h.heap, false, false, m, 400, 784, 1, x, 0, w, 0, y, bias, 400, 1, 0),
          () => addon.gemm(h.heap, false, true, m, 784, 400, 1, y, 0, w, 0, x, -1, 0, 0, 0),
        ];
      });
    });
    expectSameBytes(runs, labels);
  });

  it('the dense backward pass: dW and dx together around the size where they are shared, every activation', () => {
    // [batch, inDim, units]: 2·64·128·128 = 2^21 multiply-adds is the smallest shared pair; MNIST's layers
    const shapes: [number, number, number][] = [
      [128, 64, 128],
      [128, 63, 128],
      [128, 784, 400],
      [128, 400, 784],
      [128, 400, 20],
      [37, 333, 129],
      [1, 5, 3],
      [300, 64, 700],
    ];
    const labels: string[] = [];
    const runs = bytesPerThreadCount(3_200_000, (h) =>
      shapes.flatMap(([batch, inDim, units]) => {
        const [dy, y, x, w] = [batch * units, batch * units, batch * inDim, inDim * units].map((n) => h.alloc(n)) as [
          number,
          number,
          number,
          number,
        ];
        const [dx, dw, db] = [batch * inDim, inDim * units, units].map((n) => h.alloc(n)) as [number, number, number];
        const shape = `[${batch}, ${inDim}, ${units}]`;
        const calls: (() => void)[] = [];
        for (const act of [0, 1, 5, 6]) {
          labels.push(`denseBackward ${shape} act ${act}`, `denseBackward ${shape} act ${act} without dx`);
          calls.push(
            () => addon.denseBackward(h.heap, batch, inDim, units, dy, y, x, w, dx, dw, db, act),
            () => addon.denseBackward(h.heap, batch, inDim, units, dy, y, x, w, -1, dw, db, act),
          );
        }
        // outputs over inputs: the one-thread order (dW, then dx, then db) decides what is read
        labels.push(`denseBackward ${shape} dx onto x`, `denseBackward ${shape} dW onto the kernel`);
        calls.push(
          () => addon.denseBackward(h.heap, batch, inDim, units, dy, y, x, w, x, dw, db, 0),
          () => addon.denseBackward(h.heap, batch, inDim, units, dy, y, x, w, dx, w, db, 1),
        );
        return calls;
      }),
    );
    expectSameBytes(runs, labels);
  });

  it('Adam over several variables as one job, also a variable listed twice and variables that overlap', () => {
    const sizes = [313_600, 400, 8000, 20, 0, 1, 32_767, 32_768, 32_769, 313_600, 784];
    const labels = [
      'adam',
      'adam with the first variable twice',
      'adam of overlapping variables',
      'adam of 8,420 elements (one thread)',
      'adam of 65,535 elements (one thread)',
      'adam of 65,537 elements (shared)',
    ];
    const runs = bytesPerThreadCount(4_000_000, (h) => {
      const specs: number[] = [];
      for (const n of sizes) {
        const [w, g, m, v] = [h.alloc(n), h.alloc(n), h.alloc(n), h.alloc(n)];
        for (const region of [m, v])
          h.values.subarray(region / 4, region / 4 + n).forEach((_, i, a) => {
            a[i] = Math.abs(a[i]!);
          });
        specs.push(n, w!, g!, m!, v!);
      }
      const [, w0, g0, m0, v0] = specs as [number, number, number, number, number];
      const step = (s: number[]) => () =>
        addon.adamInPlace(h.heap, new Float64Array(s), 1e-3, 0.9, 0.999, 1e-8, 0.9, 0.999);
      return [
        step(specs),
        step([...specs, ...specs.slice(0, 5)]),
        // the second variable's w is the first's g shifted, its m the first's w shifted
        step([100_000, w0, g0, m0, v0, 100_000, g0 + 400, w0 + 800, m0 + 40_000, v0 + 4]),
        // the variables of 400, 8000 and 20 elements; of 32,767 and 32,768; of 32,768 and 32,769 (sizes above)
        step([...specs.slice(5, 15), ...specs.slice(15, 20)]),
        step(specs.slice(30, 40)),
        step(specs.slice(35, 45)),
      ];
    });
    expectSameBytes(runs, labels);
  });

  it('random shapes, sizes and overlaps (property)', () => {
    const runs = Number(process.env.VARIA_PARALLEL_PROPERTY_RUNS ?? 25);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 160 }),
        fc.integer({ min: 1, max: 420 }),
        fc.integer({ min: 1, max: 420 }),
        fc.integer({ min: 0, max: 300_000 }),
        fc.integer({ min: -3, max: 3 }),
        (batch, inDim, units, n, shift) => {
          const labels = ['denseBackward', 'softplus', 'mulSub', 'sum'];
          const got = bytesPerThreadCount(1_200_000, (h) => {
            const [dy, x, w, dx, dw, db] = [
              batch * units,
              batch * inDim,
              inDim * units,
              batch * inDim,
              inDim * units,
              units,
            ].map((k) => h.alloc(k)) as [number, number, number, number, number, number];
            const a = h.alloc(n + 8) + 16;
            const b = h.alloc(n);
            return [
              () => addon.denseBackward(h.heap, batch, inDim, units, dy, dy, x, w, dx, dw, db, 1),
              () => addon.unary(h.heap, 0, n, a, a + 4 * shift),
              () => addon.mulSub(h.heap, n, a, b, b, a + 4 * shift),
              () => addon.sum(h.heap, a, b, 1, Math.max(1, n >> 8), 256),
            ];
          });
          expectSameBytes(got, labels);
        },
      ),
      { numRuns: runs, seed: 17 },
    );
  });
});
