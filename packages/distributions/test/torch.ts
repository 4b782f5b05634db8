import type * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import raw from './fixtures/torch-families.json' with { type: 'json' };
import type { Distribution } from '../src/distribution.js';

/** A fixture value: numbers, nested arrays, with "inf" / "-inf" / "nan" strings decoded. */
export type Value = number | Value[];

function decode(v: unknown): unknown {
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (v === 'nan') return NaN;
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  return v;
}

/** One torch case: the constructor parameters, values x and quantiles q, and torch's answers (null: torch has none). */
export interface TorchCase {
  params: Record<string, Value>;
  x?: Value;
  q?: number[];
  logProb?: Value;
  cdf?: Value | null;
  icdf?: Value | null;
  mean: Value | null;
  variance: Value | null;
  mode: Value | null;
  entropy: Value | null;
  [extra: string]: unknown;
}

/** torch.distributions' float64 values (scripts/make-torch-fixtures.py), by family. */
export const torch = decode(raw) as unknown as Record<string, TorchCase[]> & {
  kl: { pair: string; p?: Record<string, Value>; q?: Record<string, Value>; kl: Value }[];
};

const flat = (v: Value | tf.Tensor): number[] =>
  typeof v === 'number'
    ? [v]
    : Array.isArray(v)
      ? (v as Value[]).flatMap(flat)
      : Array.from((v as tf.Tensor).dataSync());

/** Element-wise |a − e| ≤ atol + rtol·|e|, with equal infinities and NaN = NaN accepted. */
export function expectAllClose(actual: tf.Tensor | Value, expected: Value, rtol = 1e-5, atol = 1e-6, what = ''): void {
  const a = flat(actual as Value);
  const e = flat(expected);
  expect(a.length, `${what}: length`).toBe(e.length);
  a.forEach((v, i) => {
    const w = e[i]!;
    const ok = Number.isNaN(w)
      ? Number.isNaN(v)
      : !Number.isFinite(w)
        ? v === w
        : Math.abs(v - w) <= atol + rtol * Math.abs(w);
    if (!ok) throw new Error(`${what} element ${i}: got ${v}, expected ${w} (rtol ${rtol}, atol ${atol})`);
  });
}

/** The methods compared against torch. */
export type Compared = 'logProb' | 'cdf' | 'icdf' | 'mean' | 'variance' | 'mode' | 'entropy';

/**
 * Builds each case's distribution with `make` and compares every method torch answered (and the family has) with
 * torch's float64 value, except those in `skip`. Disposes what it makes.
 */
export function expectMatchesTorch(
  cases: readonly TorchCase[],
  make: (params: Record<string, Value>) => Distribution,
  options: {
    rtol?: number;
    atol?: number;
    skip?: readonly Compared[];
    tolerances?: Partial<Record<Compared, [number, number]>>;
  } = {},
): void {
  for (const [k, c] of cases.entries()) {
    const d = make(c.params) as Distribution & { icdf?: (q: number[]) => tf.Tensor };
    const run = (m: Compared, f: () => tf.Tensor, want: Value | null | undefined): void => {
      if (want === null || want === undefined || options.skip?.includes(m)) return;
      const [rtol, atol] = options.tolerances?.[m] ?? [options.rtol ?? 1e-5, options.atol ?? 1e-6];
      const t = f();
      try {
        expectAllClose(t, want, rtol, atol, `case ${k} ${m} ${JSON.stringify(c.params)}`);
      } finally {
        t.dispose();
      }
    };
    if (c.x !== undefined) {
      run('logProb', () => d.logProb(c.x as number[]), c.logProb);
      run('cdf', () => d.cdf(c.x as number[]), c.cdf);
    }
    if (c.q !== undefined && d.icdf) run('icdf', () => d.icdf!(c.q!), c.icdf);
    run('mean', () => d.mean(), c.mean);
    run('variance', () => d.variance(), c.variance);
    run('mode', () => d.mode(), c.mode);
    run('entropy', () => d.entropy(), c.entropy);
    d.dispose();
  }
}

/**
 * Kolmogorov–Smirnov test of `samples` against the cdf `F` (computed in float64 by the test): the statistic
 * D = sup |Fₙ − F| must stay below the α = 0.001 critical value 1.949/√n.
 */
export function expectKS(samples: ArrayLike<number>, F: (x: number) => number): void {
  const xs = Array.from(samples).sort((a, b) => a - b);
  const n = xs.length;
  let d = 0;
  xs.forEach((x, i) => {
    const f = F(x);
    d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
  });
  const critical = 1.949 / Math.sqrt(n);
  if (!(d < critical)) throw new Error(`KS statistic ${d.toFixed(4)} ≥ ${critical.toFixed(4)} (n = ${n})`);
}

/**
 * Pearson χ² test of integer `samples` against the mass function `pmf` over `support` (values with expected count < 5
 * are pooled into one cell): the statistic must stay below the α = 0.001 quantile (Wilson–Hilferty).
 */
export function expectChiSquare(
  samples: ArrayLike<number>,
  pmf: (k: number) => number,
  support: readonly number[],
): void {
  const n = samples.length;
  const counts = new Map<number, number>();
  for (const s of Array.from(samples)) counts.set(s, (counts.get(s) ?? 0) + 1);
  let stat = 0;
  let cells = 0;
  let pooledExpected = 0;
  let pooledObserved = n;
  for (const k of support) {
    const e = n * pmf(k);
    if (e < 5) continue;
    const o = counts.get(k) ?? 0;
    stat += (o - e) ** 2 / e;
    pooledExpected += e;
    pooledObserved -= o;
    cells++;
  }
  const rest = n - pooledExpected;
  if (rest >= 5) {
    stat += (pooledObserved - rest) ** 2 / rest;
    cells++;
  } else if (pooledObserved > 5 + 10 * Math.max(rest, 1)) {
    throw new Error(`χ²: ${pooledObserved} samples outside the expected support (expected ${rest.toFixed(2)})`);
  }
  const df = Math.max(cells - 1, 1);
  const z = 3.0902; // Φ⁻¹(0.999)
  const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  if (!(stat < critical))
    throw new Error(`χ² statistic ${stat.toFixed(2)} ≥ ${critical.toFixed(2)} (df ${df}, n = ${n})`);
}
