import type { Matrix } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { probeTorch, runTorch, type TorchResult } from './torch.js';
import { torchVariants, VARIANT_LOSS_TOLERANCE, variantLossSpread } from './torch-variants.js';

const SPARSE = 'torch.sparse.mm(COO batch, dense weight)';
const result = (over: Partial<TorchResult> = {}): TorchResult => ({
  torch_version: '1.13',
  blas: 'openblas',
  threads: 1,
  examples: 100,
  seconds: 2,
  cpu_seconds: 1,
  loss: 150,
  variant: 'dense',
  variants: {
    dense: { seconds: 2, cpu_seconds: 1, loss: 150 },
    [SPARSE]: { seconds: 1.5, cpu_seconds: 1.2, loss: 150.01 },
  },
  ...over,
});

describe('torchVariants', () => {
  it('accepts the variant with the least CPU time on one thread and notes every variant', () => {
    const v = torchVariants(result());
    expect(v.variant).toBe('dense');
    expect(Object.keys(v.variants!)).toEqual(['dense', SPARSE]);
    expect(v.variant_loss_spread).toBeCloseTo(0.01 / 150, 12);
    expect(v.note).toContain('the faster (CPU time) of dense 2000.0 ms (CPU 1000.0 ms, loss 150.0000)');
    expect(v.note).toContain(`${SPARSE} 1500.0 ms (CPU 1200.0 ms, loss 150.0100)`);
  });

  it('decides by wall time with more than one thread', () => {
    const variants = result().variants!;
    expect(() => torchVariants(result({ threads: 2 }))).toThrow(/is reported as the faster variant but is not/);
    const v = torchVariants(result({ threads: 2, variant: SPARSE, seconds: 1.5, cpu_seconds: 1.2, variants }));
    expect(v.note).toContain('the faster (wall time)');
  });

  it('refuses figures that are not the named variant', () => {
    expect(() => torchVariants(result({ seconds: 1.9 }))).toThrow(/not those of the variant it names/);
    expect(() => torchVariants(result({ variant: 'coo' }))).toThrow(/not those of the variant it names/);
    expect(() => torchVariants(result({ variant: undefined }))).toThrow(/not those of the variant it names/);
  });

  it('refuses variants whose losses differ by more than rounding (not the same job)', () => {
    const off = 150 * (1 + 2 * VARIANT_LOSS_TOLERANCE);
    const variants = { ...result().variants!, [SPARSE]: { seconds: 1.5, cpu_seconds: 1.2, loss: off } };
    expect(() => torchVariants(result({ variants }))).toThrow(/did not train the same model/);
    const nan = { ...result().variants!, [SPARSE]: { seconds: 1.5, cpu_seconds: 1.2, loss: Number.NaN } };
    expect(() => torchVariants(result({ variants: nan }))).toThrow(/did not train the same model/);
  });

  it('has nothing to add without variants, and no loss spread for encode (no losses)', () => {
    expect(torchVariants(result({ variant: undefined, variants: undefined }))).toEqual({ note: '' });
    const encode = { dense: { seconds: 2, cpu_seconds: 1 }, csr: { seconds: 1, cpu_seconds: 1.5 } };
    expect(variantLossSpread(result({ variants: encode }))).toBeUndefined();
    expect(torchVariants(result({ variants: encode })).variant_loss_spread).toBeUndefined();
  });
});

/** rows × cols with ~20 % non-zeros from a fixed LCG: intensities in (0, 1], or counts 1–9. */
function sparseRows(rows: number, cols: number, counts: boolean): Matrix {
  const data = new Float32Array(rows * cols);
  let s = 12345;
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < data.length; i++)
    if (next() < 0.2) data[i] = counts ? 1 + Math.floor(9 * next()) : Math.max(next(), 1e-3);
  return { data, rows, cols };
}

const torch = probeTorch();
describe.skipIf('skipped' in torch)('torch_vae.py train with sparse (needs python3-torch)', () => {
  for (const likelihood of ['bernoulli', 'poisson'] as const) {
    it(`${likelihood}: trains dense and with torch.sparse.mm from the same seed, to the same loss`, () => {
      const r = runTorch(sparseRows(320, 48, likelihood === 'poisson'), {
        workload: 'train',
        likelihood,
        hidden: 16,
        latent: 2,
        batch_size: 32,
        lr: 1e-3,
        epochs: 2,
        warmup_examples: 64,
        sparse: true,
        threads: 1,
      });
      expect(Object.keys(r.variants!)).toEqual(['dense', SPARSE]);
      expect(r.examples).toBe(640);
      const v = torchVariants(r); // the figures are the faster variant's, and the losses agree
      expect(v.variant_loss_spread).toBeLessThan(VARIANT_LOSS_TOLERANCE);
      expect(r.loss).toBe(r.variants![r.variant!]!.loss);
      expect(Number.isFinite(r.loss)).toBe(true);
    });
  }

  it('without sparse: one dense run, no variants', () => {
    const r = runTorch(sparseRows(96, 48, false), {
      workload: 'train',
      likelihood: 'bernoulli',
      hidden: 8,
      latent: 2,
      batch_size: 32,
      lr: 1e-3,
      epochs: 1,
      warmup_examples: 32,
      threads: 1,
    });
    expect(r.variants).toBeUndefined();
    expect(r.examples).toBe(96);
  });
});
