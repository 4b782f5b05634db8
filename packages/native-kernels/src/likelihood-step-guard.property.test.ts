// Adversarial direct calls of the addon's likelihoodStep for the Bernoulli family: regions packed at 4-byte offsets in
// a heap of noise, shapes across the 512-element chunks (rows 0–70, features 0–1,100), with and without a given σ,
// 1–3 threads. Every byte outside the outputs must be the same afterwards (inputs included), and the outputs within
// float64 bounds. VARIA_LIKELIHOOD_GUARD_RUNS=N runs N cases (default 40).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { noiseHeapLayout, randomArray, skipNative } from './test-support.js';

const RUNS = Number(process.env.VARIA_LIKELIHOOD_GUARD_RUNS ?? 40);

/** {@link noiseHeapLayout} with 13 floats of noise after the last region. */
const layout = (sizes: number[], gaps: number[], seed: number) => noiseHeapLayout(sizes, gaps, seed, 13);

const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe.skipIf(skipNative)(
  'likelihoodStep (Bernoulli) called directly: nothing is written outside the outputs',
  () => {
    const addon = loadAddon();
    afterAll(() => addon.setParallel(1));

    it('row sums and dOut within the float64 bounds, every other byte unchanged', () => {
      fc.assert(
        fc.property(
          fc.record({
            rows: fc.integer({ min: 0, max: 70 }),
            cols: fc.integer({ min: 0, max: 1100 }),
            gaps: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 5, maxLength: 5 }),
            givenSigma: fc.boolean(),
            threads: fc.constantFrom(1, 2, 3),
            g: fc.constantFrom(-1 / 128, -1, 0.75),
            seed: fc.integer({ min: 1, max: 1e6 }),
          }),
          ({ rows, cols, gaps, givenSigma, threads, g, seed }) => {
            const size = rows * cols;
            const h = layout([size, size, rows, size, size], gaps, seed);
            const xs = randomArray(size, seed).map((v, i) => (i % 4 === 0 ? Math.abs(v) : v > 0 ? 1 : 0));
            const ls = randomArray(size, seed + 1).map((v) => v * 20);
            h.view(0).set(xs);
            h.view(1).set(ls);
            const sigma = Float32Array.from(ls, sigmoid);
            h.view(4).set(sigma);
            const [xo, lo, so, dOut, ao] = h.offsets as [number, number, number, number, number];
            const before = new Uint8Array(h.heap.slice(0));
            const gf = Math.fround(g);
            addon.setParallel(threads);
            try {
              const misses = addon.likelihoodStep(
                h.heap,
                Float64Array.of(0, rows, cols, gf, xo, lo, so, dOut, -1, 0, givenSigma ? ao : -1),
              );
              expect(misses).toBe(0);
            } finally {
              addon.setParallel(1);
            }
            // every byte outside the two outputs as it was
            const now = new Uint8Array(h.heap);
            let stray = -1;
            for (let k = 0; k < now.length && stray < 0; k++) {
              const inOutput = (k >= so && k < so + rows * 4) || (k >= dOut && k < dOut + size * 4);
              if (now[k] !== before[k] && !inOutput) stray = k;
            }
            expect(stray).toBe(-1);
            const sums = h.view(2);
            const d = h.view(3);
            let outside = 0; // outputs outside their float64 bounds
            for (let r = 0; r < rows; r++) {
              let want = 0;
              let scale = 0;
              for (let c = 0; c < cols; c++) {
                const i = r * cols + c;
                const sp = softplus(ls[i]!);
                want += xs[i]! * ls[i]! - sp;
                scale += Math.abs(xs[i]! * ls[i]!) + sp;
                const s = givenSigma ? sigma[i]! : sigmoid(ls[i]!);
                if (!(Math.abs(d[i]! - (gf * xs[i]! - gf * s)) <= Math.abs(gf) * (xs[i]! + s) * 1e-6 + 1e-30))
                  outside++;
              }
              if (!(Math.abs(sums[r]! - want) <= scale * (1e-6 + (cols / 8 + 4) * 6e-8) + 1e-30)) outside++;
            }
            expect(outside).toBe(0);
          },
        ),
        { numRuns: RUNS, seed: 29 },
      );
    });
  },
);
