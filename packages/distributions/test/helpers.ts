import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import fixtures from './fixtures/scipy.json' with { type: 'json' };

export { fixtures };

/** Runs `fn`, disposes whatever tensors it returns, and asserts the tensor count is unchanged. */
export function expectNoLeak(fn: () => unknown): void {
  const before = tf.memory().numTensors;
  const result = fn();
  tf.dispose(result as tf.TensorContainer);
  expect(tf.memory().numTensors).toBe(before);
}

/** |actual − expected| ≤ atol + rtol·|expected|, element-wise, with a readable failure. */
export function expectClose(actual: tf.Tensor | number, expected: number | number[], rtol = 1e-5, atol = 1e-5): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual.dataSync());
  const e = typeof expected === 'number' ? [expected] : expected;
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => {
    const want = e[i]!;
    if (!(Math.abs(v - want) <= atol + rtol * Math.abs(want))) {
      throw new Error(`element ${i}: got ${v}, expected ${want} (rtol ${rtol}, atol ${atol})`);
    }
  });
}

/** A statistic of a distribution that a fixture row gives a reference value for. */
type FixtureStatistic = 'logProb' | 'cdf' | 'entropy' | 'mean' | 'variance';

/**
 * How one statistic is checked: `true` with {@link expectClose}'s default tolerances, `[rtol, atol]`, or with the
 * rows' reference values in another field (`{ field: 'meanValue', tolerance }`, where `mean` names a parameter).
 */
type FixtureCheck =
  | true
  | readonly [rtol: number, atol: number]
  | { field: string; tolerance?: readonly [number, number] };

/**
 * Checks `d` — built from fixture `rows`, one batch member per row — against the rows' reference values: for each
 * statistic in `checks` (in that order), `logProb`/`cdf` at each row's `x`, or the zero-argument `entropy`, `mean`,
 * `variance`, against the row field of the same name, with {@link expectClose}. A failure names the statistic.
 */
export function expectFixture(
  d: { [K in FixtureStatistic]?: K extends 'logProb' | 'cdf' ? (x: number[]) => tf.Tensor : () => tf.Tensor },
  rows: readonly object[],
  checks: Partial<Record<FixtureStatistic, FixtureCheck>>,
): void {
  for (const [statistic, check] of Object.entries(checks) as [FixtureStatistic, FixtureCheck][]) {
    const named =
      typeof check === 'object' && !Array.isArray(check)
        ? (check as { field: string; tolerance?: readonly [number, number] })
        : undefined;
    const field = named?.field ?? statistic;
    const [rtol, atol] = named?.tolerance ?? (Array.isArray(check) ? check : []);
    const value = (row: object, key: string) => (row as Record<string, number>)[key]!;
    const actual =
      statistic === 'logProb' || statistic === 'cdf'
        ? d[statistic]!(rows.map((row) => value(row, 'x')))
        : d[statistic]!();
    try {
      expectClose(
        actual,
        rows.map((row) => value(row, field)),
        rtol,
        atol,
      );
    } catch (e) {
      throw new Error(`${statistic}: ${(e as Error).message}`);
    }
  }
}

/** Sample mean and variance along axis 0. */
export function moments(x: tf.Tensor): { mean: number[]; variance: number[] } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return { mean: Array.from(mean.dataSync()), variance: Array.from(variance.dataSync()) };
  });
}

/** The public zero-argument methods a family may implement. */
export type Method = 'mean' | 'mode' | 'variance' | 'stddev' | 'entropy';

/**
 * The shape and memory contract every family must satisfy, for a distribution made by `make` (batch shape ≥ 1 dim):
 * `sample([2, 3])` → `[2, 3, ...batch, ...event]`, `logProb` of it → `[2, 3, ...batch]`, `expand([4, ...batch])`,
 * the listed methods return `[...batch, ...event]` (entropy `[...batch]`), and nothing leaks.
 */
export function expectContract(
  make: () => import('../src/distribution.js').Distribution,
  methods: readonly Method[],
  rsample = false,
): void {
  const before = tf.memory().numTensors;
  const d = make();
  const full = [...d.batchShape, ...d.eventShape];
  expectNoLeak(() => {
    const x = d.sample([2, 3], { seed: 1 });
    expect(x.shape).toEqual([2, 3, ...full]);
    const lp = d.logProb(x);
    expect(lp.shape).toEqual([2, 3, ...d.batchShape]);
    expect(Array.from(lp.dataSync()).every((v) => !Number.isNaN(v))).toBe(true);
    const p = d.prob(x);
    return [x, lp, p];
  });
  expectNoLeak(() => {
    const a = d.sample([5], { seed: 42 });
    const b = d.sample([5], { seed: 42 });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    return [a, b];
  });
  for (const m of methods) {
    expectNoLeak(() => {
      const t = d[m]();
      expect(t.shape).toEqual(m === 'entropy' ? [...d.batchShape] : full);
      return t;
    });
  }
  if (rsample) {
    expectNoLeak(() => {
      const r = d.rsample([2], { seed: 3 });
      expect(r.shape).toEqual([2, ...full]);
      return r;
    });
  } else {
    expect(() => d.rsample([1])).toThrowError(/has no reparameterized sampler/);
  }
  const e = d.expand([4, ...d.batchShape]);
  expect(e.batchShape).toEqual([4, ...d.batchShape]);
  expect(e.eventShape).toEqual(d.eventShape);
  expectNoLeak(() => {
    const x = e.sample([2], { seed: 5 });
    expect(x.shape).toEqual([2, 4, ...full]);
    return [x, e.logProb(x)];
  });
  expect(() => d.expand([7, 7, 7, 7, 7])).toThrowError(/expand/);
  e.dispose();
  d.dispose();
  expect(tf.memory().numTensors).toBe(before);
}

/** Checks a sample's per-element mean (and variance when given) within `k` standard errors, from n draws along axis 0. */
export function expectMoments(x: tf.Tensor, mean: number[], variance: number[], k = 5, checkVariance = true): void {
  const n = x.shape[0]!;
  const m = moments(x);
  mean.forEach((mu, i) => {
    const se = Math.sqrt(variance[i]! / n);
    if (!(Math.abs(m.mean[i]! - mu) <= k * se + 1e-9))
      throw new Error(`mean ${i}: got ${m.mean[i]}, expected ${mu} ± ${k}·${se}`);
  });
  if (!checkVariance) return;
  variance.forEach((v, i) => {
    // SE of the sample variance ≈ v·√(2/n) for near-normal data; use 3× that to allow heavier tails.
    const se = 3 * v * Math.sqrt(2 / n);
    if (!(Math.abs(m.variance[i]! - v) <= k * se + 1e-9))
      throw new Error(`variance ${i}: got ${m.variance[i]}, expected ${v} ± ${k}·${se}`);
  });
}
