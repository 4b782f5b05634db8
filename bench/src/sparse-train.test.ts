import { SPARSE_INPUT_DENSE_BACKWARD_KERNEL as BACKWARD, SPARSE_INPUT_DENSE_KERNEL as FORWARD } from '@varia/core';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import type { WorkloadResult } from './report.js';
import { formatSparseInput, negElboTolerance, SPARSE_NEG_ELBO_TOLERANCE, sparseInputCheck } from './sparse-train.js';
import { TRAIN_WORKLOADS, type TrainName } from './train-workloads.js';

const dense = { loss: 150, testNegElbo: 160, kernelsPerStep: { [FORWARD]: 0, [BACKWARD]: 0 } };

describe('sparseInputCheck', () => {
  it('names the path from the kernels counted per step', () => {
    const path = (f: number, b: number) =>
      sparseInputCheck({ kernelsPerStep: { [FORWARD]: f, [BACKWARD]: b } }, dense).path;
    expect(path(1, 1)).toBe('sparse');
    expect(path(1.25, 1)).toBe('sparse'); // validation or the end-of-epoch check may run the forward too
    expect(path(0, 0)).toBe('dense');
    expect(path(0.5, 0.5)).toBe('partly');
    expect(path(1, 0)).toBe('partly');
    expect(sparseInputCheck({}, dense).path).toBe('unknown');
    expect(sparseInputCheck({ kernelsPerStep: { [FORWARD]: 1 } }, dense).path).toBe('partly');
  });

  it('reports sparse − dense and whether the test −ELBO is within the tolerance', () => {
    const near = sparseInputCheck({ loss: 150.25, testNegElbo: 160.5 }, dense);
    expect(near.test_neg_elbo_difference).toBeCloseTo(0.5, 12);
    expect(near.train_loss_difference).toBeCloseTo(0.25, 12);
    expect(near.within_tolerance).toBe(true);
    const far = sparseInputCheck({ loss: 150, testNegElbo: 160 - negElboTolerance(160) - 0.01 }, dense);
    expect(far.within_tolerance).toBe(false);
    // a larger −ELBO (the Poisson model on counts): the same share of it, 0.5 nats per 122.1
    const counts = sparseInputCheck({ testNegElbo: 24_050 }, { testNegElbo: 24_000 });
    expect(counts.tolerance).toBeCloseTo((0.5 * 24_000) / 122.1, 9);
    expect(counts.within_tolerance).toBe(true);
    expect(sparseInputCheck({ testNegElbo: 24_100 }, { testNegElbo: 24_000 }).within_tolerance).toBe(false);
    expect(negElboTolerance(80)).toBe(SPARSE_NEG_ELBO_TOLERANCE);
    expect(negElboTolerance(-244.2)).toBeCloseTo(1, 12);
    const none = sparseInputCheck({ loss: 150 }, { loss: 151 });
    expect(none.test_neg_elbo_difference).toBeUndefined();
    expect(none.within_tolerance).toBeUndefined();
    expect(none.train_loss_difference).toBe(-1);
  });
});

describe('formatSparseInput', () => {
  it('prints one line per sparse workload with the path, both −ELBOs and the speed over the dense fit', () => {
    const w = (name: string, extra: Partial<WorkloadResult>): WorkloadResult => ({
      name,
      backend: 'wasm',
      metric: 'examples_per_sec',
      examples: 1,
      description: '',
      baselines: {},
      ratios: {},
      ...extra,
    });
    const lines = formatSparseInput([
      w('mnist-vae-train', {}),
      w('mnist-vae-train-sparse', {
        sparse_input: sparseInputCheck(
          { testNegElbo: 160.1, kernelsPerStep: { [FORWARD]: 1, [BACKWARD]: 1 }, sparseInputSteps: [63, 63] },
          { testNegElbo: 160 },
        ),
        baselines: { varia_dense: { speedup: 1.25 } },
      }),
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('mnist-vae-train-sparse');
    expect(lines[0]).toContain('first layer sparse');
    expect(lines[0]).toContain('fit: 63, 63 sparse steps/epoch');
    expect(lines[0]).toContain('160.10 vs dense 160.00');
    expect(lines[0]).toContain('(within 0.66 nats)');
    expect(lines[0]).toContain("1.25× the dense fit's speed");
  });
});

describe('the training workloads', () => {
  it('pair every sparse-input workload with a dense twin of the same likelihood, and --only knows them', () => {
    const sparse = Object.entries(TRAIN_WORKLOADS).filter(([, s]) => s.sparseInput);
    expect(sparse.map(([n]) => n).sort()).toEqual(['mnist-vae-train-poisson-sparse', 'mnist-vae-train-sparse']);
    for (const [name, spec] of sparse) {
      const twin = TRAIN_WORKLOADS[spec.denseTwin as TrainName];
      expect(twin, name).toBeDefined();
      expect(twin.sparseInput).toBe(false);
      expect(twin.likelihood).toBe(spec.likelihood);
    }
    const args = parseArgs(['--only', 'mnist-vae-train-sparse,mnist-vae-train-poisson-sparse']);
    expect([...args.only]).toEqual(['mnist-vae-train-sparse', 'mnist-vae-train-poisson-sparse']);
    expect(parseArgs([]).only.has('mnist-vae-train-sparse')).toBe(true);
  });
});
