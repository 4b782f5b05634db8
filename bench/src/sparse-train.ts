/**
 * What the sparse-input training workloads (`mnist-vae-train-sparse`, `mnist-vae-train-poisson-sparse`) record beside
 * their speed: which path the encoder's first layer took (the native kernels' calls per step, counted in the warm-up
 * fit) and the −ELBO next to the dense run's (the same fit without `sparseInput`). Pure functions: no tfjs, no timing.
 */
import { SPARSE_INPUT_DENSE_BACKWARD_KERNEL, SPARSE_INPUT_DENSE_KERNEL } from '@varia/core';
import type { WorkloadResult } from './report.js';

/** The kernels of the sparse first layer: forward, then the weight and bias gradients. */
export const SPARSE_INPUT_KERNELS: readonly string[] = [SPARSE_INPUT_DENSE_KERNEL, SPARSE_INPUT_DENSE_BACKWARD_KERNEL];

/** The −ELBO a sparse run may differ from the dense run by (nats per example): rounding-level noise on MNIST. */
export const SPARSE_NEG_ELBO_TOLERANCE = 0.5;

/** MNIST's test −ELBO at the parity protocol (nats per example): the scale {@link SPARSE_NEG_ELBO_TOLERANCE} is stated at. */
const MNIST_PARITY_NEG_ELBO = 122.1;

/**
 * The tolerance for a dense −ELBO of this size: 0.5 nats at MNIST's scale and below, the same share of it (0.41 %)
 * for larger ones — the Poisson model on MNIST counts sits near 24,000 nats, and its 2-epoch −ELBO moves by several
 * percent with float32 rounding alone (plain wasm against wasm-native, dense both: 22,902 against 23,995).
 */
export function negElboTolerance(denseNegElbo: number): number {
  return SPARSE_NEG_ELBO_TOLERANCE * Math.max(1, Math.abs(denseNegElbo) / MNIST_PARITY_NEG_ELBO);
}

/** One run's figures the check reads. */
export interface TrainOutcome {
  /** Mean training loss (−ELBO per example) of the last timed epoch. */
  loss?: number;
  /** −ELBO per example on the test split after the timed fit. */
  testNegElbo?: number;
  /** Calls per training step of each of {@link SPARSE_INPUT_KERNELS} in the warm-up fit. */
  kernelsPerStep?: Record<string, number>;
  /** What `fit` reports: each timed epoch's steps on the sparse path (`EpochLog.sparseInputSteps`). */
  sparseInputSteps?: (number | undefined)[];
}

/** The record of {@link sparseInputCheck}. */
export interface SparseInputCheck {
  /**
   * Which path the sparse run's first layer took: `'sparse'` (forward and backward kernels at least once per step),
   * `'dense'` (neither ran: the option did not apply), `'partly'` (some steps, e.g. `'auto'` on mixed batches).
   */
  path: 'sparse' | 'dense' | 'partly' | 'unknown';
  kernels_per_step?: Record<string, number>;
  /** What `fit` itself reported for the sparse run: each timed epoch's steps on the sparse path. */
  reported_sparse_steps?: (number | undefined)[];
  /** The same counts in the dense run: zero, or the comparison is not sparse against dense. */
  dense_kernels_per_step?: Record<string, number>;
  test_neg_elbo?: number;
  dense_test_neg_elbo?: number;
  /** sparse − dense, test −ELBO (nats per example). */
  test_neg_elbo_difference?: number;
  /** sparse − dense, last epoch's training loss. */
  train_loss_difference?: number;
  /** The tolerance for this −ELBO ({@link negElboTolerance} of the dense run's). */
  tolerance?: number;
  /** |test −ELBO difference| ≤ `tolerance`. */
  within_tolerance?: boolean;
}

function pathOf(perStep: Record<string, number> | undefined): SparseInputCheck['path'] {
  if (!perStep) return 'unknown';
  const counts = SPARSE_INPUT_KERNELS.map((k) => perStep[k] ?? 0);
  if (counts.every((c) => c === 0)) return 'dense';
  return counts.every((c) => c >= 1) ? 'sparse' : 'partly';
}

const difference = (a: number | undefined, b: number | undefined): number | undefined =>
  a !== undefined && b !== undefined ? a - b : undefined;

/** The sparse run against the dense run of the same fit: the path each took and their −ELBO. */
export function sparseInputCheck(sparse: TrainOutcome, dense: TrainOutcome): SparseInputCheck {
  const delta = difference(sparse.testNegElbo, dense.testNegElbo);
  const tolerance = dense.testNegElbo === undefined ? undefined : negElboTolerance(dense.testNegElbo);
  return {
    path: pathOf(sparse.kernelsPerStep),
    kernels_per_step: sparse.kernelsPerStep,
    reported_sparse_steps: sparse.sparseInputSteps,
    dense_kernels_per_step: dense.kernelsPerStep,
    test_neg_elbo: sparse.testNegElbo,
    dense_test_neg_elbo: dense.testNegElbo,
    test_neg_elbo_difference: delta,
    train_loss_difference: difference(sparse.loss, dense.loss),
    tolerance,
    within_tolerance: delta === undefined || tolerance === undefined ? undefined : Math.abs(delta) <= tolerance,
  };
}

/** One line per sparse-input workload: the path, the −ELBO beside the dense run's, and the speed over it. */
export function formatSparseInput(workloads: readonly WorkloadResult[]): string[] {
  const n = (v: number | undefined, digits = 2): string => (v === undefined ? '—' : v.toFixed(digits));
  return workloads
    .filter((w) => w.sparse_input)
    .map((w) => {
      const c = w.sparse_input!;
      const calls = SPARSE_INPUT_KERNELS.map((k) => `${k} ${n(c.kernels_per_step?.[k])}`).join(', ');
      const reported = c.reported_sparse_steps ? `; fit: ${c.reported_sparse_steps.join(', ')} sparse steps/epoch` : '';
      const dense = w.baselines.varia_dense;
      const dense_speedup = dense?.speedup === undefined ? '' : `; ${n(dense.speedup)}× the dense fit's speed`;
      const verdict = c.within_tolerance === undefined ? '' : c.within_tolerance ? ' (within' : ' (NOT within';
      return `${w.name.padEnd(30)} first layer ${c.path} (per step: ${calls}${reported}); test −ELBO ${n(c.test_neg_elbo)} vs dense ${n(c.dense_test_neg_elbo)}, Δ ${n(c.test_neg_elbo_difference, 3)}${verdict ? `${verdict} ${n(c.tolerance)} nats)` : ''}${dense_speedup}`;
    });
}
